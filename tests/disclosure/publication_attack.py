"""The interval attacker (``interval_attacker.py``) on one publication set: a year with its terms,
every measure, as a reader receives them. Imports nothing from ``ever6.disclosure``."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise

import pyarrow as pa

from ever6.metrics.measures import MEASURES
from tests.disclosure.interval_attacker import Attack, Cell, attack

# The sums that count people, as the attacker names them (theme:component).
PEOPLE = frozenset(
    {f"{m.theme}:{m.numerator}" for m in MEASURES if m.people_numerator}
    | {f"{m.theme}:{m.denominator}" for m in MEASURES if m.people_denominator}
)

# A people numerator's people denominator (the group it counts in), by the attacker's names.
_DENOMINATOR = {
    f"{m.theme}:{m.numerator}": f"{m.theme}:{m.denominator}"
    for m in MEASURES
    if m.people_numerator and m.people_denominator
}


@dataclass
class Found:
    attack: Attack

    @property
    def narrow_primary(self) -> dict[Cell, tuple[int, int]]:
        """Suppressed counts of 1 to 5 people whose interval is narrower than the width."""
        return {c: iv for c, iv in self.attack.narrow.items() if is_primary(c, self.attack.truth[c])}

    def narrow_by_kind(self) -> dict[str, int]:
        """The suppressed sums narrower than the width, by what they are (primary or which kind of
        secondary) and whether they are pinned exactly."""
        out: dict[str, int] = {}
        for c, (low, high) in self.attack.narrow.items():
            value = self.attack.truth.get(c, 0.0)
            if c[2] not in PEOPLE:
                kind = "sessions or points " + ("1-5" if 1 <= value <= 5 else "0 or >= 6")
            elif 1 <= value <= 5:
                kind = "primary: people 1-5"
            elif value == 0:
                group = self.attack.truth.get((*c[:2], _DENOMINATOR.get(c[2], ""), *c[3:]))
                kind = "people 0 over 1-5 people" if group is not None and 1 <= group <= 5 else "people 0"
            else:
                kind = "people >= 6"
            key = f"{kind}, {'pinned' if low == high else 'narrow'}"
            out[key] = out.get(key, 0) + 1
        return dict(sorted(out.items()))

    def figures(self) -> dict[str, int]:
        return {
            "attacked": self.attack.hidden,
            "narrow": len(self.attack.narrow),
            "narrow_primary": len(self.narrow_primary),
            "small_exact": len(self.attack.small_exact),
        }


def schools_of(register: pa.Table, la_code: str) -> dict[str, tuple[str, bool]]:
    """URN -> (phase as the ``phase`` breakdown shows it, in the authority), from the register."""
    out: dict[str, tuple[str, bool]] = {}
    for r in register.to_pylist():
        if r["urn"] is None:
            continue
        phase = str(r["phase"]) if r["phase"] is not None else "unknown"
        out[str(r["urn"])] = (phase, r["la_code"] is not None and str(r["la_code"]) == str(la_code))
    return out


def is_primary(cell: Cell, value: float) -> bool:
    """A count of 1 to 5 people: what primary suppression hides (``DisclosureRules`` defaults)."""
    return cell[2] in PEOPLE and 1 <= value <= 5


def attack_publication(
    truth: pa.Table,
    published: pa.Table,
    schools: dict[str, tuple[str, bool]],
    *,
    width: int = 3,
    only_primary: bool = False,
    one_in: int = 1,
) -> Found:
    """``only_primary``: report (and spend programs) on primary sums only, as the tests do.
    ``one_in``: of those, only the sums a stable hash of the cell picks, one in ``one_in`` (for a
    test that needs *some* narrow sums, not a check of every one)."""
    only = is_primary if only_primary else None
    if one_in > 1:
        only = _sample(only, one_in)
    return Found(attack(truth.to_pylist(), published.to_pylist(), schools, width=width, only=only))


def _sample(only: Callable[[Cell, float], bool] | None, one_in: int) -> Callable[[Cell, float], bool]:
    def picked(cell: Cell, value: float) -> bool:
        chosen = zlib.crc32("|".join(cell).encode()) % one_in == 0
        return chosen and (only is None or only(cell, value))

    return picked


def cross_year_sums(truth: list[dict[str, object]]) -> dict[tuple[str, ...], tuple[float, float]]:
    """Each integer sum present in two consecutive years: (period, quantity, group, breakdown,
    value, earlier year) -> (the earlier year's value, the later year's)."""
    quantities = {
        m.name: (f"{m.theme}:{m.numerator}", m.denominator and f"{m.theme}:{m.denominator}") for m in MEASURES
    }
    values: dict[tuple[str, ...], float] = {}
    for r in truth:
        for q, x in zip(quantities[str(r["measure"])], (r["numerator"], r["denominator"]), strict=True):
            if q and x is not None and q != "attainment:a8_sum":
                key = (str(r["period"]), q, str(r["group"]), str(r["breakdown"]), str(r["breakdown_value"]))
                values[(*key, str(r["academic_year"]))] = float(x)  # type: ignore[arg-type]
    years = sorted({k[-1] for k in values})
    return {
        (*k[:-1], earlier): (x, values[(*k[:-1], later)])
        for earlier, later in pairwise(years)
        for k, x in values.items()
        if k[-1] == earlier and (*k[:-1], later) in values
    }
