"""Reader for the DfE Children in Need (CIN) census XML, every year 2017–2026.

The file is parsed whole with a safe parser (no DTD, no entities, no network), then walked once.
Children are found by tag name, never by position, so element order does not matter. The reader's
own checks decide what is fatal (see :func:`read_cin_census`); schema validation against a given
XSD only adds warnings, because the published schema families disagree (booleans ``true/false`` vs
``0/1``) and real files are often not schema-valid.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Protocol, cast

import pyarrow as pa
from lxml import etree

from ever6.formats import CIN_CENSUS
from ever6.formats.codes import BOOLEANS, CODES, GENDER_CURRENT, SEX
from ever6.formats.problems import Problem, ReadResult, Severity, table_from_rows
from ever6.formats.safe_xml import XmlRefusedError, parse_bytes, parse_file
from ever6.model import TABLES
from ever6.upn import compact

FORMAT = CIN_CENSUS.name

_Element = etree._Element
_Row = dict[str, object]
_Converter = Callable[["_Reader", _Element], object]

# Blocks that later collections added and this product does not use: read past without a word.
_TOLERATED = frozenset({"PreProceedingsandFGDM"})

# Roots of other formats a user might pick by mistake, to say what the file looks like instead.
_OTHER_ROOTS: Mapping[str, str] = {
    "EXPSSDA903": "an SSDA903 (looked-after children) return",
    "CTfile": "a Common Transfer File (CTF)",
}

_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:Z|[+-]\d{2}:\d{2})?")
_INT = re.compile(r"[+-]?\d+")
_XSD_ELEMENT = re.compile(r"Element '([^']+)'")
_INT32_MAX = 2**31 - 1


@lru_cache(maxsize=65536)
def _parse_date(text: str) -> date | None:
    """An xs:date (time zone ignored) or None. Cached: a census repeats the same dates a lot."""
    match = _DATE.fullmatch(text)
    if match is None:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _line(el: _Element) -> int | None:
    line: object = el.sourceline  # the stubs type this attribute loosely
    return line if isinstance(line, int) else None


def _text_line(el: _Element, text: str) -> int | None:
    """The line where non-blank ``text`` after ``el``'s start tag begins (exact for one-line elements)."""
    line = _line(el)
    if line is None:
        return None
    return line + text[: len(text) - len(text.lstrip())].count("\n")


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- leaf converters: element -> value, reporting and returning None when the value is bad ---------


def _text(r: _Reader, el: _Element) -> str | None:
    if len(el):  # a value holds no elements
        for sub in el:
            r.warn(sub, sub.tag, f"unexpected element <{sub.tag}> inside <{el.tag}>; ignored")
    text = el.text
    if text is None:
        return None
    return text.strip() or None


def _upn(r: _Reader, el: _Element) -> str | None:
    """A UPN as every reader keeps it (:func:`ever6.upn.compact`); linkage checks it."""
    return compact(_text(r, el)) or None


def _date(r: _Reader, el: _Element) -> date | None:
    text = _text(r, el)
    if text is None:
        return None
    value = _parse_date(text)
    if value is None:
        r.warn(el, el.tag, f"invalid date {text!r} (expected YYYY-MM-DD); set to null")
    return value


def _key_date(r: _Reader, el: _Element) -> date | None:
    """A date the file cannot do without (the reference date, an episode's referral date): a bad
    one is an error, not a warning."""
    text = _text(r, el)
    value = None if text is None else _parse_date(text)
    if value is None:
        shown = "empty" if text is None else f"invalid ({text!r}, expected YYYY-MM-DD)"
        r.error(el, el.tag, f"{el.tag} is {shown}: the file cannot be imported without it")
    return value


def _code(r: _Reader, el: _Element) -> str | None:
    text = _text(r, el)
    if text is None:
        return None
    value = text.upper()
    if value not in CODES[el.tag]:
        r.warn(el, el.tag, f"unknown {el.tag} code {text!r}; dropped")
        return None
    return value


def _boolean(r: _Reader, el: _Element) -> bool | None:
    text = _text(r, el)
    if text is None:
        return None
    value = BOOLEANS.get(text.lower())
    if value is None:
        r.warn(el, el.tag, f"{el.tag} value {text!r} is not true/false/1/0; set to null")
    return value


def _sex(r: _Reader, el: _Element) -> str | None:
    text = _text(r, el)
    if text is None:
        return None
    table, allowed = (GENDER_CURRENT, "1, 2, 0, 9") if el.tag == "GenderCurrent" else (SEX, "M, F, U")
    value = table.get(text.upper())
    if value is None:
        r.warn(el, el.tag, f"{el.tag} value {text!r} is not one of {allowed}; set to null")
    return value


def _count(r: _Reader, el: _Element) -> int | None:
    text = _text(r, el)
    if text is None:
        return None
    if _INT.fullmatch(text) is None or not 0 <= int(text) <= _INT32_MAX:
        r.warn(el, el.tag, f"{el.tag} value {text!r} is not a whole number of 0 or more; set to null")
        return None
    return int(text)


def _list_of(item_tag: str, item: _Converter) -> _Converter:
    """A wrapper element holding repeated ``item_tag`` elements: a list of the valid values.

    An empty wrapper is null; invalid items are reported (by ``item``) and left out.
    """

    def convert(r: _Reader, el: _Element) -> list[object] | None:
        values: list[object] = []
        seen_any = False
        for sub in r.elements(el):
            if sub.tag != item_tag:
                r.unknown(sub, el)
                continue
            seen_any = True
            value = item(r, sub)
            if value is not None:
                values.append(value)
        return values if seen_any else None

    return convert


# --- what each block holds: element name -> (column, converter) ----------------------------------

_Fields = Mapping[str, tuple[str, _Converter]]

_IDENTIFIERS: _Fields = {
    "LAchildID": ("la_child_id", _text),
    "UPN": ("upn", _upn),
    "FormerUPN": ("former_upn", _upn),
    "UPNunknown": ("upn_unknown", _text),
    "PersonBirthDate": ("birth_date", _date),
    "ExpectedPersonBirthDate": ("expected_birth_date", _date),
    "GenderCurrent": ("sex", _sex),  # to 2024
    "Sex": ("sex", _sex),  # from 2025
    "PersonDeathDate": ("death_date", _date),
}
_CHARACTERISTICS: _Fields = {
    "Ethnicity": ("ethnicity", _text),
    "Disabilities": ("disabilities", _list_of("Disability", _text)),
}
_EPISODE: _Fields = {
    "CINreferralDate": ("referral_date", _key_date),
    "ReferralSource": ("referral_source", _text),
    "PrimaryNeedCode": ("primary_need", _code),
    "CINclosureDate": ("closure_date", _date),
    "ReasonForClosure": ("closure_reason", _code),
    "ReferralNFA": ("referral_nfa", _boolean),
    "DateOfInitialCPC": ("date_initial_cpc", _date),
}
_ASSESSMENT: _Fields = {
    "AssessmentActualStartDate": ("start_date", _date),
    "AssessmentInternalReviewDate": ("internal_review_date", _date),
    "AssessmentAuthorisationDate": ("authorisation_date", _date),
    "FactorsIdentifiedAtAssessment": ("factors", _list_of("AssessmentFactors", _code)),
}
_CIN_PLAN: _Fields = {
    "CINPlanStartDate": ("start_date", _date),
    "CINPlanEndDate": ("end_date", _date),
}
_SECTION47: _Fields = {
    "S47ActualStartDate": ("start_date", _date),
    "InitialCPCtarget": ("initial_cpc_target", _date),
    "DateOfInitialCPC": ("date_initial_cpc", _date),
    "ICPCnotRequired": ("icpc_not_required", _boolean),
}
_CP_PLAN: _Fields = {
    "CPPstartDate": ("start_date", _date),
    "CPPendDate": ("end_date", _date),
    "InitialCategoryOfAbuse": ("initial_category", _code),
    "LatestCategoryOfAbuse": ("latest_category", _code),
    "NumberOfPreviousCPP": ("number_previous_cpp", _count),
    "Reviews": ("review_dates", _list_of("CPPreviewDate", _date)),
}
# The repeated blocks of an episode: element name -> (table, fields).
_EPISODE_BLOCKS: Mapping[str, tuple[str, _Fields]] = {
    "Assessments": ("cin_assessment", _ASSESSMENT),
    "CINPlanDates": ("cin_plan", _CIN_PLAN),
    "Section47": ("cin_section47", _SECTION47),
    "ChildProtectionPlans": ("cp_plan", _CP_PLAN),
}


@dataclass
class _Reader:
    """The state of one read: problems so far and the rows built, keyed for duplicate checks."""

    file: str
    problems: list[Problem] = field(default_factory=list)
    rows: dict[str, list[_Row]] = field(default_factory=lambda: {t: [] for t in CIN_CENSUS.tables})
    child_lines: dict[str, int | None] = field(default_factory=dict)
    episode_lines: dict[tuple[str, date], int | None] = field(default_factory=dict)

    # -- reporting --

    def report(self, el: _Element | None, fld: str | None, message: str, severity: Severity) -> None:
        line = None if el is None else _line(el)
        self.problems.append(Problem(self.file, line, fld, message, severity))

    def warn(self, el: _Element | None, fld: str | None, message: str) -> None:
        self.report(el, fld, message, Severity.WARNING)

    def error(self, el: _Element | None, fld: str | None, message: str) -> None:
        self.report(el, fld, message, Severity.ERROR)

    def unknown(self, el: _Element, parent: _Element) -> None:
        self.warn(el, el.tag, f"unknown element <{el.tag}> inside <{parent.tag}>; ignored")

    # -- walking --

    def elements(self, parent: _Element) -> Iterator[_Element]:
        """The child elements of ``parent``, reporting text found between them (it is ignored).

        The tree is parsed lean (no comments, no whitespace-only text), so this costs little.
        """
        self.leading_text(parent)
        for sub in parent:
            yield sub
            self.tail_text(parent, sub)

    def leading_text(self, parent: _Element) -> None:
        text = parent.text
        if text is not None and not text.isspace():
            message = f"stray text {_short(text)!r} at the start of <{parent.tag}>; ignored"
            self.problems.append(Problem(self.file, _text_line(parent, text), parent.tag, message, Severity.WARNING))

    def tail_text(self, parent: _Element, sub: _Element) -> None:
        tail = sub.tail
        if tail is not None and not tail.isspace():
            message = f"stray text {_short(tail)!r} inside <{parent.tag}> after <{sub.tag}>; ignored"
            self.problems.append(Problem(self.file, _text_line(sub, tail), parent.tag, message, Severity.WARNING))

    def fields(self, el: _Element, spec: _Fields, row: _Row, blocks: Iterable[str] = ()) -> list[_Element]:
        """Fill ``row`` from the leaf elements of ``el``; return the nested blocks named in ``blocks``."""
        nested: list[_Element] = []
        self.leading_text(el)
        for sub in el:  # the hot loop: no generator, tail checked inline
            if sub.tail is not None:
                self.tail_text(el, sub)
            tag = sub.tag
            entry = spec.get(tag)
            if entry is None:
                if tag in blocks:
                    nested.append(sub)
                elif tag not in _TOLERATED:
                    self.unknown(sub, el)
                continue
            column, convert = entry
            value = convert(self, sub)
            if column not in row:
                row[column] = value
            elif row[column] != value:
                self.warn(sub, tag, f"<{tag}> gives {column} again, differently; the first value is kept")
        return nested

    # -- the census --

    def child(self, el: _Element) -> None:
        row: _Row = {}
        episodes: list[_Element] = []
        for sub in self.elements(el):
            if sub.tag == "ChildIdentifiers":
                self.fields(sub, _IDENTIFIERS, row)
            elif sub.tag == "ChildCharacteristics":
                self.fields(sub, _CHARACTERISTICS, row)
            elif sub.tag == "CINdetails":
                episodes.append(sub)
            else:
                self.unknown(sub, el)
        child_id = row.get("la_child_id")
        if not isinstance(child_id, str):
            self.error(el, "LAchildID", "a Child has no LAchildID (or an empty one): the child cannot be identified")
            return
        if child_id in self.child_lines:
            first = self.child_lines[child_id]
            self.warn(
                el,
                "LAchildID",
                f"LAchildID {child_id!r} appears again (first at line {first}); its episodes are "
                "merged under the first and this Child's identifiers are ignored",
            )
        else:
            self.child_lines[child_id] = _line(el)
            self.rows["cin_child"].append(row)
        for episode in episodes:
            self.episode(child_id, episode)

    def episode(self, child_id: str, el: _Element) -> None:
        row: _Row = {"la_child_id": child_id}
        blocks = self.fields(el, _EPISODE, row, _EPISODE_BLOCKS)
        referral = row.get("referral_date")
        if not isinstance(referral, date):
            if "referral_date" not in row:
                self.error(el, "CINreferralDate", "a CINdetails has no CINreferralDate: it identifies the episode")
            return
        key = (child_id, referral)
        if key in self.episode_lines:
            self.warn(
                el,
                "CINreferralDate",
                f"episode of {child_id!r} referred {referral.isoformat()} appears again (first at line "
                f"{self.episode_lines[key]}); the first is kept",
            )
            return
        self.episode_lines[key] = _line(el)
        self.rows["cin_episode"].append(row)
        seqs: dict[str, int] = {}
        for block in blocks:
            table, spec = _EPISODE_BLOCKS[block.tag]
            seq = seqs.get(table, 0)
            seqs[table] = seq + 1
            block_row: _Row = {"la_child_id": child_id, "referral_date": referral, "seq": seq}
            self.fields(block, spec, block_row)
            self.rows[table].append(block_row)


@dataclass
class _Header:
    reference_date: date | None = None
    year: int | None = None  # the header's own Year, when it is a valid year
    other_collection: bool = False  # another DfE return (its Collection is not CIN)


def _find(parent: _Element, tag: str) -> _Element | None:
    """The first child element named ``tag`` (by name, not position)."""
    for sub in parent:
        if sub.tag == tag:
            return sub
    return None


def _wrong_root(r: _Reader, root: _Element) -> None:
    tag = root.tag if isinstance(root.tag, str) else "?"
    local = etree.QName(root).localname
    looks = _OTHER_ROOTS.get(local, f"an XML file whose root element is <{tag}>")
    r.error(root, tag, f"not a CIN census file: the root element is <{tag}>, not <Message>; it looks like {looks}")


def _header(r: _Reader, root: _Element) -> _Header:
    """Check the header says CIN and read its dates; errors go to ``r``."""
    header = _Header()
    details = None
    header_el = _find(root, "Header")
    if header_el is not None:
        details = _find(header_el, "CollectionDetails")
    if details is None:
        r.error(
            header_el if header_el is not None else root,
            "ReferenceDate",
            "no Header/CollectionDetails: the ReferenceDate is missing",
        )
        return header
    values: _Row = {}
    r.fields(
        details,
        {
            "Collection": ("collection", _text),
            "Year": ("year", _text),
            "ReferenceDate": ("reference_date", _key_date),
        },
        values,
    )
    collection = values.get("collection")
    if collection is None:
        r.warn(details, "Collection", "no Collection in the header; read as a CIN census")
    elif collection != "CIN":
        header.other_collection = True
        r.error(
            _find(details, "Collection"),
            "Collection",
            f"not a CIN census file: its Collection is {collection!r}, not 'CIN'",
        )
    ref = values.get("reference_date")
    if isinstance(ref, date):
        header.reference_date = ref
    elif "reference_date" not in values:
        r.error(details, "ReferenceDate", "the header has no ReferenceDate")
    header.year = _year(r, _find(details, "Year"), values.get("year"), header.reference_date)
    return header


def _year(r: _Reader, el: _Element | None, text: object, ref: date | None) -> int | None:
    if el is None or not isinstance(text, str):
        return None
    if re.fullmatch(r"\d{4}", text) is None:
        r.warn(el, "Year", f"Year {text!r} is not a year; ignored")
        return None
    year = int(text)
    if ref is not None and year != ref.year:
        r.warn(
            el,
            "Year",
            f"Year {year} disagrees with ReferenceDate {ref.isoformat()}; "
            f"the reference date's year ({ref.year}) is used",
        )
    return year


# --- schema validation ------------------------------------------------------------------------


class _LogEntry(Protocol):
    line: int
    message: str


@lru_cache(maxsize=32)
def _schema(path: Path, mtime_ns: int) -> etree.XMLSchema:
    """A compiled schema; cached per file version, as compiling takes longer than validating."""
    del mtime_ns  # part of the cache key only
    return etree.XMLSchema(parse_file(path))


def _find_xsd(xsd_dirs: Sequence[Path], year: int) -> Path | None:
    for directory in xsd_dirs:
        candidate = Path(directory) / f"CIN_schema_{year}.xsd"
        if candidate.is_file():
            return candidate
    return None


_XSD_CHUNK = 500


def _schema_messages(schema: etree.XMLSchema, tree: etree._ElementTree) -> list[tuple[int, str]]:
    """(line, message) of every schema message, validating the Child elements a chunk at a time.

    lxml computes an XPath for each message (``xmlGetNodePath``), which counts the preceding
    siblings: with 15,000 ``Child`` siblings and a message in each, validating the whole tree is
    quadratic (8 s instead of 0.3 s). The Child elements are moved, not copied, so their line
    numbers stay; the tree is put back together afterwards.
    """
    children = _find(tree.getroot(), "Children")
    kids = [] if children is None else [el for el in children if el.tag == "Child"]
    if children is None or len(kids) <= _XSD_CHUNK:
        schema.validate(tree)
        return [(e.line, e.message) for e in cast(Iterable[_LogEntry], schema.error_log)]
    for kid in kids:
        children.remove(kid)
    messages: dict[tuple[int, str], None] = {}  # ordered; header messages recur in every chunk
    for start in range(0, len(kids), _XSD_CHUNK):
        chunk = kids[start : start + _XSD_CHUNK]
        children.extend(chunk)
        schema.validate(tree)
        messages.update(((e.line, e.message), None) for e in cast(Iterable[_LogEntry], schema.error_log))
        for kid in chunk:
            children.remove(kid)
    children.extend(kids)
    return list(messages)


def _validate(file: str, tree: etree._ElementTree, xsd: Path) -> list[Problem]:
    try:
        schema = _schema(xsd, xsd.stat().st_mtime_ns)
    except (OSError, XmlRefusedError, etree.XMLSchemaParseError) as exc:
        return [Problem(file, None, None, f"could not load schema {xsd}: {exc}", Severity.WARNING, "xsd")]
    problems = []
    for line, message in _schema_messages(schema, tree):
        match = _XSD_ELEMENT.search(message)
        element = match[1] if match else None
        problems.append(Problem(file, line, element, f"{xsd.name}: {message}", Severity.WARNING, "xsd"))
    return problems


# --- the reader -------------------------------------------------------------------------------


def _tables(rows: Mapping[str, list[_Row]]) -> dict[str, pa.Table]:
    return {name: table_from_rows(TABLES[name].schema, rows.get(name, [])) for name in CIN_CENSUS.tables}


def read_cin_census(path: Path, *, xsd_dirs: Sequence[Path] = ()) -> ReadResult:
    """Read one CIN census XML file into the canonical ``cin_*`` and ``cp_plan`` tables.

    Errors (the file is refused, and its tables are returned empty): unreadable, empty, not
    well-formed, any DOCTYPE/DTD, not a CIN census, missing or invalid ``ReferenceDate``, a ``Child``
    without ``LAchildID``, a ``CINdetails`` without a valid ``CINreferralDate``. Everything else is a
    warning and the value is set to null or dropped: invalid dates and codes, stray text, unknown
    elements, a ``Year`` that disagrees with the reference date, a repeated child (merged under the
    first) or episode (first kept). ``xsd_dirs`` are searched in order for ``CIN_schema_YYYY.xsd``
    of the header's ``Year`` (else the reference date's year); its messages are warnings with
    ``source="xsd"``.
    """
    r = _Reader(str(path))
    result = ReadResult(format=FORMAT, path=path, tables=_tables({}), problems=r.problems)
    try:
        data = path.read_bytes()
    except OSError as exc:
        r.error(None, None, f"cannot read the file: {exc.strerror or exc}")
        return result
    if not data.strip():
        r.error(None, None, "the file is empty")
        return result
    try:
        tree = parse_bytes(data, lean=True)
    except XmlRefusedError as exc:
        r.problems.append(Problem(r.file, exc.line, None, exc.message))
        return result

    root = tree.getroot()
    if root.tag != "Message":
        _wrong_root(r, root)
        return result
    header = _header(r, root)
    if header.other_collection:
        return result  # another DfE return: its contents mean nothing here
    result.reference_date = header.reference_date
    result.year = header.reference_date.year if header.reference_date else None

    children = None
    for sub in r.elements(root):
        if sub.tag == "Children":
            children = sub
        elif sub.tag != "Header":
            r.unknown(sub, root)
    if children is None:
        r.warn(root, "Children", "the file has no Children element: no children read")
    else:
        for sub in r.elements(children):
            if sub.tag == "Child":
                r.child(sub)
            else:
                r.unknown(sub, children)

    schema_year = header.year or result.year
    xsd = _find_xsd(xsd_dirs, schema_year) if schema_year else None
    if xsd is not None:
        r.problems.extend(_validate(r.file, tree, xsd))
    if result.ok:
        result.tables = _tables(r.rows)
    return result
