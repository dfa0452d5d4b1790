"""What disclosure control is told: the thresholds and symbols, each measure's make-up, the group sums.

The defaults are the DfE's official-statistics conventions (``docs/domain.md`` §6); a local authority may
change them (**configurable**).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

Kind = Literal["count", "rate", "average", "per_1000"]

CWSW_STATUSES: tuple[str, ...] = ("cpp", "cinp", "cin_other", "ever6_previous")


@dataclass(frozen=True)
class DisclosureRules:
    """Thresholds and symbols.

    A count of people ``x`` is suppressed (primary) when ``min_count <= x <= max_suppressed_count``,
    and also when it is 0 if ``suppress_zero``. The symbols are the DfE's: ``c`` confidential
    (suppressed), ``z`` not applicable (a rate over nobody), ``x`` not available (no figure), ``low``
    a figure that rounds to zero but is not zero.

    ``shared_reason`` is the one reason a shared output gives for every suppressed cell: the
    detailed reason (primary or secondary, numerator or denominator) would tell an attacker whether
    a count is 1 to 5, so it stays in the internal version (``suppress(..., reasons="internal")``).

    ``protection_width``: every primary sum (a count of 1 to 5 people) keeps a feasible interval at
    least this wide, given everything published together and every relation that holds (3: no
    count of 1 to 5 is pinned within plus or minus 1; :mod:`ever6.disclosure.linked`). 0 turns
    this off (exact recovery within one publication is still prevented); ever6's outputs take
    ``[disclosure] protection_width``.
    """

    min_count: int = 1
    max_suppressed_count: int = 5
    suppress_zero: bool = False
    suppressed: str = "c"
    not_applicable: str = "z"
    not_available: str = "x"
    low: str = "low"
    shared_reason: str = "confidential"
    protection_width: int = 0

    def __post_init__(self) -> None:
        if self.min_count < 1 or self.max_suppressed_count < self.min_count:
            raise ValueError("need 1 <= min_count <= max_suppressed_count (use suppress_zero for zeros)")
        symbols = (self.suppressed, self.not_applicable, self.not_available, self.low)
        if len(set(symbols)) != len(symbols) or not all(symbols):
            raise ValueError(f"the symbols must be distinct and non-empty: {symbols}")
        if not self.shared_reason:
            raise ValueError("the shared reason must be non-empty")
        if self.protection_width < 0:
            raise ValueError("protection_width must be >= 0")

    def is_small(self, people: float) -> bool:
        """Whether a count of people is suppressed on its own (primary suppression)."""
        if people == 0:
            return self.suppress_zero
        return self.min_count <= people <= self.max_suppressed_count

    def describe_small(self, people: float) -> str:
        return "0" if people == 0 else f"{self.min_count}-{self.max_suppressed_count}"


@dataclass(frozen=True)
class MeasureSpec:
    """What a measure's figures are made of.

    ``people_numerator`` / ``people_denominator`` say which of the two sums counts people (and so is
    suppressed at 1 to 5) rather than sessions or points. A ``count`` has only a numerator.

    ``numerator_quantity`` / ``denominator_quantity`` name the quantity summed (e.g. ``"roll"``) when
    another published measure shows the same sum: measures sharing a quantity are suppressed with one
    pattern (unless one follows the other), so that one cannot give away what the other hides.
    ``None`` means the sum is this measure's own.

    ``follows`` names the measures whose suppressed cells this measure's cells are suppressed at too:
    by default the ``pupils`` count, the people behind every figure, so that a session-based rate
    for 1 to 5 pupils is suppressed, and a rate never shows a count that ``pupils`` hides. A measure
    listed here that is not in the table is an error when this measure counts no people itself
    (nothing would protect it), and is ignored otherwise.

    ``decimals``: the figure's rounding for display; 0 for a count and 1 otherwise when ``None``.

    ``shared_denominator`` names a denominator that other measures publish too, each with its own
    pattern (the roll under every exclusion rate, possible sessions under every absence rate):
    not a family, but one unknown to the linked check, known wherever any of them shows it.
    """

    name: str
    kind: Kind
    people_numerator: bool
    people_denominator: bool
    numerator_quantity: str | None = None
    denominator_quantity: str | None = None
    follows: tuple[str, ...] = ("pupils",)
    decimals: int | None = None
    shared_denominator: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("count", "rate", "average", "per_1000"):
            raise ValueError(f"{self.name}: unknown kind {self.kind!r}")
        if self.kind == "count" and (self.people_denominator or self.denominator_quantity is not None):
            raise ValueError(f"{self.name}: a count has no denominator")
        if self.decimals is not None and self.decimals < 0:
            raise ValueError(f"{self.name}: decimals must be >= 0")
        if isinstance(self.follows, str):
            raise TypeError(f"{self.name}: follows is a tuple of measure names, not a string")

    @property
    def display_decimals(self) -> int:
        if self.decimals is not None:
            return self.decimals
        return 0 if self.kind == "count" else 1

    @property
    def counts_people(self) -> bool:
        return self.people_numerator or self.people_denominator

    def quantities(self) -> tuple[tuple[str, bool], ...]:
        """(quantity, counts people) for each sum the measure publishes."""
        num = (self.numerator_quantity or f"{self.name}#numerator", self.people_numerator)
        if self.kind == "count":
            return (num,)
        return (num, (self.denominator_quantity or f"{self.name}#denominator", self.people_denominator))

    def sums(self) -> tuple[str, ...]:
        """The name of each sum the measure publishes, as the linked check knows it."""
        names = [q for q, _ in self.quantities()]
        if self.kind != "count" and self.denominator_quantity is None and self.shared_denominator is not None:
            names[1] = self.shared_denominator
        return tuple(names)


def group_sums(cla_in_cwsw: bool = False) -> Mapping[str, tuple[str, ...]]:
    """The additive relations between published groups: total -> disjoint parts.

    Every child has exactly one status at R (``CLA`` outranks the CWSW statuses) and pupils with
    no status are ``not_cwsw``, so the status groups are disjoint and exhaust all pupils:

    * ``cwsw`` = ``cpp`` + ``cinp`` + ``cin_other`` + ``ever6_previous``;
    * ``all_pupils`` = ``cwsw`` + ``cla`` + ``not_cwsw`` (``cla`` is beside ``cwsw``, not inside it).

    When looked-after children who meet the CWSW rule are counted inside CWSW (``[measures]
    cla_in_cwsw``), ``cla`` overlaps ``cwsw``: the sums then go through the unpublished parts
    ``cla_cwsw`` and ``cla_only``, which disclosure control treats as unknowns that the attacker
    may still solve for.

    Declaring a relation that does not quite hold only costs extra suppression; leaving out one
    that does hold lets a differencing attack through. That is why ``all_pupils`` is declared.
    """
    if cla_in_cwsw:
        return MappingProxyType(
            {
                "cwsw": (*CWSW_STATUSES, "cla_cwsw"),
                "cla": ("cla_cwsw", "cla_only"),
                "all_pupils": ("cwsw", "cla_only", "not_cwsw"),
            }
        )
    return MappingProxyType({"cwsw": CWSW_STATUSES, "all_pupils": ("cwsw", "cla", "not_cwsw")})


DEFAULT_GROUP_SUMS: Mapping[str, tuple[str, ...]] = group_sums(cla_in_cwsw=False)
