"""A hard-case synthetic authority for linkage, written from issue 13's description.

Independent of ``ever6.synth``: its own families, names, UPNs and postcodes, so that linkage is
measured on data it was not shaped by. It writes what a data manager would import, a pupils-on-roll
CSV and a case-management extract, and keeps the truth apart (``truth.csv``), each child tagged
with the trap it carries:

* UPNs built as real ones are (check letter, LA number, establishment, year, serial), some
  issued by neighbouring authorities;
* names from English, South Asian, Polish (gendered surnames, accents), Nigerian and Arabic
  pools, each drawn with a falling (Zipf-like) frequency;
* whole sibling groups known to social care, and twins; 15% of children with no school record;
* the traps: a sibling's UPN on the child's record (``sibling_upn``, also on children with no
  school record), another pupil's valid UPN (``other_pupil_upn``), a stale postcode plus a
  one-letter typo (``stale_postcode_typo``), a nickname and a surname change together or alone,
  a double-barrelled surname recorded in part, forename and surname swapped, a transliterated
  name, a Polish surname in the other gender's form.

The check letter is computed here from the rule in ``docs/domain.md`` section 3, not by ``ever6.upn``;
a test checks the two agree.
"""

from __future__ import annotations

import csv
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

HOME_LA = "886"
NEIGHBOUR_LAS = ("887", "845", "938")
CHECK_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ"


def check_letter(body: str) -> str:
    """The check letter of a permanent UPN's last 12 digits (position 2 weighs 2, ...)."""
    total = sum(position * int(ch) for position, ch in enumerate(body, start=2))
    return CHECK_ALPHABET[total % 23]


def make_upn(la: str, estab: str, year: int, serial: int) -> str:
    body = f"{la}{estab}{year % 100:02d}{serial:03d}"
    return check_letter(body) + body


# --- names: (name, weight) lists; weights fall with rank, as real name frequencies do ---------


def _zipf(names: str) -> list[tuple[str, float]]:
    return [(n, 1.0 / (i + 1) ** 0.8) for i, n in enumerate(names.split())]


POOLS: dict[str, dict[str, list[tuple[str, float]]]] = {
    "english": {
        "M": _zipf(
            "Oliver George Harry Jack Noah Charlie Thomas William James Jacob Alfie Joshua Samuel Daniel "
            "Joseph Benjamin Alexander Edward Henry Matthew Michael Christopher Robert Nicholas Anthony "
            "Jonathan Richard Frederick Leo Oscar Archie Theo Freddie Lewis Ryan Callum Connor Kieran Tyler"
        ),
        "F": _zipf(
            "Olivia Amelia Isla Ava Emily Isabella Mia Poppy Ella Lily Jessica Sophie Grace Charlotte "
            "Elizabeth Katherine Rebecca Victoria Abigail Jennifer Margaret Alexandra Samantha Eleanor "
            "Chloe Megan Lauren Hannah Evie Ruby Freya Daisy Holly Millie Phoebe Scarlett Florence"
        ),
        "surname": _zipf(
            "Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson Thompson "
            "Wright Walker White Edwards Hughes Green Hall Lewis Harris Clarke Patel Jackson Wood Turner "
            "Martin Cooper Hill Ward Morris Moore Clark Lee King Baker Harrison Morgan Allen James Scott "
            "Phillips Watson Davis Parker Price Bennett Young Griffiths Mitchell Kelly Cook Carter Richardson "
            "Bailey Collins Bell Shaw Murphy Miller Cox Richards Khan Marshall Anderson Simpson Ellis Adams"
        ),
    },
    "south_asian": {
        "M": _zipf(
            "Muhammad Ali Ibrahim Aryan Arjun Rohan Aarav Krish Yusuf Hamza Zain Ayaan Rayyan Vihaan Ishaan "
            "Harjot Gurpreet Usman Bilal Omar Imran Sahil Dev Kabir"
        ),
        "F": _zipf(
            "Aisha Fatima Maryam Zara Anaya Priya Simran Inaya Amira Sana Noor Khadija Zainab Diya Anika "
            "Harleen Jasleen Riya Mehak Hafsa"
        ),
        "surname": _zipf(
            "Khan Patel Hussain Ahmed Ali Begum Singh Shah Akhtar Mahmood Iqbal Rahman Kaur Sharma Chaudhry "
            "Malik Butt Bibi Sandhu Gill Mistry Kumar Islam Uddin Miah"
        ),
    },
    "polish": {
        "M": _zipf("Jakub Antoni Szymon Jan Filip Franciszek Aleksander Mikołaj Wojciech Kacper Łukasz Mateusz"),
        "F": _zipf("Zuzanna Julia Maja Zofia Hanna Lena Alicja Małgorzata Katarzyna Aleksandra Wiktoria Oliwia"),
        # Masculine forms; a girl's surname takes the feminine form (-ski -> -ska, -cki -> -cka).
        "surname": _zipf(
            "Nowak Kowalski Wiśniewski Wójcik Kowalczyk Kamiński Lewandowski Zieliński Szymański Woźniak "
            "Dąbrowski Kozłowski Jankowski Mazur Kwiatkowski Krawczyk Piotrowski Grabowski"
        ),
    },
    "nigerian": {
        "M": _zipf("Oluwaseun Chinedu Emeka Tobi David Daniel Samuel Ayomide Tunde Chukwuemeka Olamide Ifeanyi Femi"),
        "F": _zipf("Chioma Ngozi Adaeze Temitope Folake Blessing Precious Oluwatoyin Funmilayo Amaka Ifeoma Zainab"),
        "surname": _zipf(
            "Adeyemi Okafor Okonkwo Adebayo Oyelaran Eze Nwosu Ogunleye Balogun Okoro Afolabi Ibrahim "
            "Olawale Chukwu Adeleke Obi"
        ),
    },
    "arabic": {
        "M": _zipf("Mohammed Ahmed Omar Yusuf Ali Hassan Hussein Mustafa Khalid Ibrahim Abdullah Karim Tariq"),
        "F": _zipf("Fatima Aisha Maryam Layla Noor Sara Huda Yasmin Amira Khadija Zainab Rania Salma"),
        "surname": _zipf("Mohammed Ahmed Hassan Ali Hussein Ibrahim Abdullah Saleh Mansour Haddad Khalil Nasser"),
    },
}
GROUP_SHARES = (("english", 0.70), ("south_asian", 0.12), ("polish", 0.06), ("nigerian", 0.06), ("arabic", 0.06))

# How people write names: written here from common usage, not from any library the linker uses.
NICKNAMES: dict[str, tuple[str, ...]] = {
    "William": ("Billy", "Will", "Bill"),
    "Robert": ("Bobby", "Rob", "Bob"),
    "Thomas": ("Tom", "Tommy"),
    "James": ("Jim", "Jimmy", "Jamie"),
    "Joseph": ("Joe", "Joey"),
    "Samuel": ("Sam", "Sammy"),
    "Benjamin": ("Ben", "Benny"),
    "Alexander": ("Alex", "Sandy"),
    "Edward": ("Ed", "Eddie", "Ted"),
    "Henry": ("Harry", "Hal"),
    "Matthew": ("Matt", "Matty"),
    "Michael": ("Mike", "Mikey", "Mick"),
    "Christopher": ("Chris", "Kit"),
    "Nicholas": ("Nick", "Nicky"),
    "Anthony": ("Tony", "Ant"),
    "Jonathan": ("Jon", "Jonny"),
    "Richard": ("Rich", "Ricky", "Dick"),
    "Frederick": ("Fred", "Freddie"),
    "Daniel": ("Dan", "Danny"),
    "Elizabeth": ("Beth", "Lizzie", "Liz", "Betty"),
    "Katherine": ("Kate", "Katie", "Kathy"),
    "Rebecca": ("Becky", "Becca"),
    "Victoria": ("Vicky", "Tori"),
    "Abigail": ("Abby", "Gail"),
    "Jennifer": ("Jenny", "Jen"),
    "Margaret": ("Maggie", "Peggy", "Meg"),
    "Alexandra": ("Alex", "Lexi", "Sandra"),
    "Samantha": ("Sam", "Sammy"),
    "Eleanor": ("Ellie", "Nell"),
    "Jessica": ("Jess", "Jessie"),
}
TRANSLITERATIONS: tuple[tuple[str, ...], ...] = (
    ("Muhammad", "Mohammed", "Mohammad", "Mohamed", "Muhammed"),
    ("Ahmed", "Ahmad"),
    ("Yusuf", "Yousef", "Yusef"),
    ("Hussein", "Hussain", "Husain"),
    ("Aisha", "Ayesha", "Aysha"),
    ("Fatima", "Fatimah"),
    ("Omar", "Umar"),
    ("Khadija", "Khadijah"),
    ("Zainab", "Zaynab"),
    ("Mustafa", "Mostafa"),
    ("Ibrahim", "Ebrahim"),
    ("Chaudhry", "Chaudhary", "Choudhury"),
)
_TRANSLIT = {name: group for group in TRANSLITERATIONS for name in group}
ASCII_FOLD = str.maketrans("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ", "acelnoszzACELNOSZZ")


def feminine(surname: str) -> str:
    for masc, fem in (("ski", "ska"), ("cki", "cka"), ("dzki", "dzka")):
        if surname.endswith(masc):
            return surname[: -len(masc)] + fem
    return surname


def masculine(surname: str) -> str:
    for masc, fem in (("ski", "ska"), ("cki", "cka"), ("dzki", "dzka")):
        if surname.endswith(fem):
            return surname[: -len(fem)] + masc
    return surname


def _pick(rng: random.Random, pool: list[tuple[str, float]]) -> str:
    names, weights = zip(*pool, strict=True)
    return rng.choices(names, weights=weights)[0]


# --- postcodes: Kent-like, one per household -------------------------------------------------

_DISTRICTS = [("ME", 20), ("CT", 21), ("TN", 30), ("DA", 18)]
_UNIT = "ABDEFGHJLNPQRSTUWXYZ"


def _postcode(rng: random.Random) -> str:
    area, top = rng.choice(_DISTRICTS)
    return f"{area}{rng.randint(1, top)} {rng.randint(1, 9)}{rng.choice(_UNIT)}{rng.choice(_UNIT)}"


# --- the population --------------------------------------------------------------------------


@dataclass
class Child:
    person: str  # P000001: one person (pupil and/or social-care child)
    family: str
    group: str
    forename: str
    surname: str
    sex: str
    birth_date: date
    postcode: str
    twin: bool = False
    upn: str | None = None  # the pupil record's UPN (None: no school record)
    urn: str | None = None
    la_child_id: str | None = None  # set when known to social care
    # What the case-management extract records (after the trap).
    cm: dict[str, str] = field(default_factory=dict)
    trap: str = "clean"


@dataclass(frozen=True)
class School:
    urn: str
    la: str
    estab: str


START = date(2025, 9, 1)  # the academic year on roll
TODAY = date(2026, 3, 31)


def _school_age_birth(rng: random.Random) -> date:
    # Reception (born Sep 2020 - Aug 2021) to Year 11 (born Sep 2009 - Aug 2010).
    return date(2009, 9, 1) + timedelta(days=rng.randrange((date(2021, 8, 31) - date(2009, 9, 1)).days))


def _preschool_birth(rng: random.Random) -> date:
    return date(2021, 9, 1) + timedelta(days=rng.randrange((date(2025, 12, 31) - date(2021, 9, 1)).days))


def _ncyear(birth: date) -> str:
    cohort = birth.year if birth.month >= 9 else birth.year - 1  # the Sept-Aug year of birth
    year = 2025 - cohort - 5
    return "R" if year == 0 else str(year)


@dataclass
class HardAuthority:
    children: list[Child]
    schools: list[School]


def _family(rng: random.Random, fid: str, sc: bool, counter: Counter[str]) -> list[Child]:
    group = rng.choices([g for g, _ in GROUP_SHARES], weights=[w for _, w in GROUP_SHARES])[0]
    pool = POOLS[group]
    surname = _pick(rng, pool["surname"])
    if group == "english" and rng.random() < 0.05:
        other = _pick(rng, pool["surname"])
        if other != surname:
            surname = f"{surname}-{other}"  # double-barrelled
    postcode = _postcode(rng)
    size = rng.choices([1, 2, 3, 4, 5], weights=[30, 35, 20, 10, 5])[0]
    kids: list[Child] = []
    used: set[str] = set()
    for _ in range(size):
        counter["person"] += 1
        sex = rng.choice("MF")
        forename = _pick(rng, pool[sex])
        while forename in used:
            forename = _pick(rng, pool[sex])
        used.add(forename)
        preschool = sc and rng.random() < 0.15
        birth = _preschool_birth(rng) if preschool else _school_age_birth(rng)
        fam_surname = feminine(surname) if group == "polish" and sex == "F" else surname
        kids.append(Child(f"P{counter['person']:06d}", fid, group, forename, fam_surname, sex, birth, postcode))
    if size >= 2 and rng.random() < 0.06:  # twins: the second child shares the first one's birth date
        kids[1].birth_date = kids[0].birth_date
        kids[0].twin = kids[1].twin = True
    return kids


def build(seed: int = 13, families: int = 3600, social_care_share: float = 0.22) -> HardAuthority:
    rng = random.Random(seed)
    counter: Counter[str] = Counter()
    schools = [
        School(f"{118000 + i * 7}", HOME_LA, f"{2000 + i * 3 if i < 30 else 4000 + i * 3:04d}") for i in range(36)
    ]
    primary, secondary = schools[:30], schools[30:]
    children: list[Child] = []
    sc_families: set[str] = set()
    for f in range(families):
        fid = f"F{f:05d}"
        if rng.random() < social_care_share:
            sc_families.add(fid)
        children += _family(rng, fid, fid in sc_families, counter)
    serials: Counter[tuple[str, str, int]] = Counter()
    for c in children:
        if c.birth_date >= date(2021, 9, 1):
            continue  # not of school age: no school record
        c.urn = rng.choice(secondary if _ncyear(c.birth_date) not in {"R", *map(str, range(1, 7))} else primary).urn
        # The UPN is issued at first entry to school (Reception), by that school's authority:
        # one in ten moved here from a neighbouring authority.
        school = next(s for s in schools if s.urn == c.urn)
        la, estab = (HOME_LA, school.estab) if rng.random() >= 0.10 else (rng.choice(NEIGHBOUR_LAS), "2999")
        first_year = (c.birth_date.year if c.birth_date.month >= 9 else c.birth_date.year - 1) + 5
        serials[(la, estab, first_year)] += 1
        c.upn = make_upn(la, estab, first_year, serials[(la, estab, first_year)])
    # Families known to social care: every child in them has a case-management record.
    ids = 0
    for c in children:
        if c.family in sc_families:
            ids += 1
            c.la_child_id = f"C{ids:06d}"
    _record(rng, children)
    return HardAuthority(children, schools)


def _typo(rng: random.Random, name: str) -> str:
    i = rng.randrange(1, len(name))
    letters = "abcdefghijklmnoprstuvwy"
    new = rng.choice([ch for ch in letters if ch != name[i].lower()])
    return name[:i] + new + name[i + 1 :]


def _record(rng: random.Random, children: list[Child]) -> None:
    """What case management records for each social-care child, with the traps."""
    by_family: dict[str, list[Child]] = {}
    for c in children:
        by_family.setdefault(c.family, []).append(c)
    pupils_by_urn: dict[str, list[Child]] = {}
    for c in children:
        if c.urn:
            pupils_by_urn.setdefault(c.urn, []).append(c)
    sc = [c for c in children if c.la_child_id]
    rng.shuffle(sc)

    def base(c: Child) -> None:
        forename = c.forename.translate(ASCII_FOLD) if rng.random() < 0.5 else c.forename
        surname = c.surname.translate(ASCII_FOLD) if rng.random() < 0.5 else c.surname
        c.cm = {
            "forename": forename,
            "surname": surname,
            "birth_date": c.birth_date.isoformat(),
            "sex": c.sex,
            "postcode": c.postcode,
            "upn": (c.upn or "") if rng.random() < 0.75 else "",
        }

    for c in sc:
        base(c)
        c.trap = "twin" if c.twin else ("no_school" if c.upn is None else "clean")
        if c.upn and c.upn[1:4] != HOME_LA and c.cm["upn"]:
            c.trap = "neighbour_la_upn"

    quotas = Counter(
        {
            "sibling_upn": 24,
            "sibling_upn_no_school": 8,
            "other_pupil_upn": 16,
            "stale_postcode_typo": 24,
            "nickname_surname_change": 20,
            "nickname": 20,
            "surname_change": 20,
            "double_barrelled": 16,
            "name_swap": 16,
            "transliteration": 24,
            "polish_gender": 10,
        }
    )

    def siblings(c: Child) -> list[Child]:
        return [s for s in by_family[c.family] if s is not c and s.upn]

    reversed_nick = {full: full for full in NICKNAMES}
    for c in sc:
        if c.trap not in ("clean", "no_school", "twin"):
            continue
        if c.upn is None:
            if quotas["sibling_upn_no_school"] > 0 and siblings(c):
                c.cm["upn"] = rng.choice(siblings(c)).upn or ""
                c.trap = "sibling_upn_no_school"
                quotas["sibling_upn_no_school"] -= 1
            continue
        if quotas["sibling_upn"] > 0 and siblings(c):
            sib = rng.choice(siblings(c))
            c.cm["upn"] = sib.upn or ""
            c.trap = "sibling_upn"
            quotas["sibling_upn"] -= 1
        elif quotas["other_pupil_upn"] > 0:
            others = [
                p for p in pupils_by_urn[c.urn or ""] if p.family != c.family and p.upn and p.upn[1:4] == c.upn[1:4]
            ]
            if others:
                # The nearest serial: a keyed-in neighbour's UPN is valid and belongs to someone else.
                other = min(others, key=lambda p: abs(int((p.upn or "")[-3:]) - int(c.upn[-3:]) or 999))
                c.cm["upn"] = other.upn or ""
                c.trap = "other_pupil_upn"
                quotas["other_pupil_upn"] -= 1
        elif quotas["stale_postcode_typo"] > 0:
            c.cm["upn"] = ""
            c.cm["postcode"] = _postcode(rng)
            if rng.random() < 0.5:
                c.cm["forename"] = _typo(rng, c.cm["forename"])
            else:
                c.cm["surname"] = _typo(rng, c.cm["surname"])
            c.trap = "stale_postcode_typo"
            quotas["stale_postcode_typo"] -= 1
        elif c.group == "english" and c.forename in reversed_nick and quotas["nickname_surname_change"] > 0:
            c.cm.update(
                upn="", forename=rng.choice(NICKNAMES[c.forename]), surname=_pick(rng, POOLS["english"]["surname"])
            )
            c.trap = "nickname_surname_change"
            quotas["nickname_surname_change"] -= 1
        elif c.group == "english" and c.forename in reversed_nick and quotas["nickname"] > 0:
            c.cm.update(upn="", forename=rng.choice(NICKNAMES[c.forename]))
            c.trap = "nickname"
            quotas["nickname"] -= 1
        elif quotas["surname_change"] > 0 and rng.random() < 0.3:
            new = _pick(rng, POOLS["english"]["surname"])
            if new != c.surname:
                c.cm.update(upn="", surname=new)
                c.trap = "surname_change"
                quotas["surname_change"] -= 1
        elif "-" in c.surname and quotas["double_barrelled"] > 0:
            parts = c.surname.split("-")
            c.cm.update(upn="", surname=rng.choice([parts[0], parts[1], " ".join(parts)]))
            c.trap = "double_barrelled"
            quotas["double_barrelled"] -= 1
        elif quotas["name_swap"] > 0 and rng.random() < 0.2:
            c.cm.update(upn="", forename=c.cm["surname"], surname=c.cm["forename"])
            c.trap = "name_swap"
            quotas["name_swap"] -= 1
        elif quotas["transliteration"] > 0 and (c.forename in _TRANSLIT or c.surname in _TRANSLIT):
            fn = rng.choice([n for n in _TRANSLIT.get(c.forename, (c.forename,)) if n != c.forename] or [c.forename])
            sn = rng.choice([n for n in _TRANSLIT.get(c.surname, (c.surname,)) if n != c.surname] or [c.surname])
            c.cm.update(upn="", forename=fn, surname=sn)
            c.trap = "transliteration"
            quotas["transliteration"] -= 1
        elif c.group == "polish" and c.sex == "F" and masculine(c.surname) != c.surname and quotas["polish_gender"]:
            c.cm.update(upn="", surname=masculine(c.surname).translate(ASCII_FOLD))
            c.trap = "polish_gender"
            quotas["polish_gender"] -= 1


PUPIL_COLUMNS = ("urn", "upn", "forename", "surname", "birth_date", "sex", "postcode", "ncyear", "entry_date")
CM_COLUMNS = ("la_child_id", "forename", "surname", "birth_date", "sex", "postcode", "upn")
TRUTH_COLUMNS = ("la_child_id", "true_upn", "trap", "family", "twin", "person")


def write(authority: HardAuthority, out: Path) -> None:
    """``pupils.csv``, ``case_management.csv`` and ``truth.csv`` (kept apart from the imports)."""
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(7)
    with (out / "pupils.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(PUPIL_COLUMNS)
        for c in authority.children:
            if c.upn:
                entry = date(2025, 9, 1) - timedelta(days=rng.randrange(0, 1500))
                entry = max(entry, date(c.birth_date.year + 4, 9, 1))
                identity = [c.forename, c.surname, c.birth_date.isoformat(), c.sex, c.postcode]
                w.writerow([c.urn, c.upn, *identity, _ncyear(c.birth_date), entry.isoformat()])
    with (out / "case_management.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(CM_COLUMNS)
        for c in authority.children:
            if c.la_child_id:
                w.writerow([c.la_child_id, *(c.cm[k] for k in CM_COLUMNS[1:])])
    (out / "truth").mkdir(exist_ok=True)
    with (out / "truth" / "truth.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(TRUTH_COLUMNS)
        for c in authority.children:
            if c.la_child_id:
                w.writerow([c.la_child_id, c.upn or "", c.trap, c.family, str(c.twin).lower(), c.person])


def generate(out: Path, seed: int = 13) -> Path:
    write(build(seed), out)
    return out


# --- scoring against the truth ---------------------------------------------------------------


@dataclass(frozen=True)
class TruthRow:
    la_child_id: str
    true_upn: str | None
    trap: str
    family: str
    twin: bool


def read_truth(out: Path) -> dict[str, TruthRow]:
    with (out / "truth" / "truth.csv").open(encoding="utf-8") as fh:
        return {
            r["la_child_id"]: TruthRow(
                r["la_child_id"], r["true_upn"] or None, r["trap"], r["family"], r["twin"] == "true"
            )
            for r in csv.DictReader(fh)
        }


@dataclass(frozen=True)
class HardScore:
    children: int
    with_school_record: int
    links: int
    correct: int
    found: int
    in_review: int
    sibling_links: int  # children linked to a sibling's or twin's record
    per_trap: dict[str, dict[str, int]]

    @property
    def precision(self) -> float:
        return self.correct / self.links if self.links else 1.0

    @property
    def recall(self) -> float:
        return self.found / self.with_school_record if self.with_school_record else 1.0

    @property
    def review_share(self) -> float:
        return self.in_review / self.children if self.children else 0.0

    def lines(self) -> list[str]:
        out = [
            f"children {self.children}, with a school record {self.with_school_record}",
            f"precision {self.precision:.4f} ({self.correct}/{self.links}), recall {self.recall:.4f} "
            f"({self.found}/{self.with_school_record}), review {self.review_share:.4f} ({self.in_review}), "
            f"sibling/twin links {self.sibling_links}",
        ]
        out.append("trap: n, linked right, linked wrong, review, missed")
        for trap, v in sorted(self.per_trap.items()):
            out.append(f"  {trap}: {v['n']}, {v['right']}, {v['wrong']}, {v['review']}, {v['missed']}")
        return out


def score(truth: dict[str, TruthRow], links: set[tuple[str, str]], review_children: set[str]) -> HardScore:
    upn_owner: dict[str, TruthRow] = {t.true_upn: t for t in truth.values() if t.true_upn}
    linked: dict[str, set[str]] = {}
    for child, upn in links:
        linked.setdefault(child, set()).add(upn)
    per: dict[str, Counter[str]] = {}
    correct = found = sibling = 0
    for t in truth.values():
        got = linked.get(t.la_child_id, set())
        right = t.true_upn is not None and t.true_upn in got
        wrong = len(got - {t.true_upn})
        correct += len(got) - wrong
        found += right
        for u in got - {t.true_upn}:
            owner = upn_owner.get(u)
            if owner is not None and owner.family == t.family:
                sibling += 1
        c = per.setdefault(t.trap, Counter())
        c["n"] += 1
        c["right"] += right
        c["wrong"] += wrong > 0
        c["review"] += (not got) and t.la_child_id in review_children
        c["missed"] += t.true_upn is not None and not right
    return HardScore(
        children=len(truth),
        with_school_record=sum(1 for t in truth.values() if t.true_upn),
        links=sum(len(v) for v in linked.values()),
        correct=correct,
        found=found,
        in_review=len(review_children - set(linked)),
        sibling_links=sibling,
        per_trap={k: dict(v) for k, v in per.items()},
    )
