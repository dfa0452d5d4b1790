"""The import formats: one registry entry per format, the one place a format is described.

An entry says what the format is called (the ``ever6 import`` command and every batch's
``format``), which canonical tables it fills, what kind of data it is (which decides what a
refresh may reuse after it is imported), how its files make batches, what its import command
takes and says, and how its reader is called. The readers take their name and tables from their
entry; the pipeline, the CLI, the warehouse, the size limits, the DfE rules, the refresh's reuse
and the demo all iterate :data:`FORMATS`. A new format is one entry here and its reader module
(``docs/formats.md``, "Adding a format").

Readers are imported only when called, so that this module stays light: the settings and the
permission-checked interface read the registry without loading any reader.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ever6.formats.problems import ReadResult


class Kind(StrEnum):
    """What a format's data is about, which decides what a refresh recomputes after an import."""

    SOCIAL_CARE = "social care"  # who has a social worker: the cohort is built from it
    REGISTER = "register"  # which pupil is at which school: linkage reads it
    EDUCATION = "education"  # what happened at school: only the measures read it


@dataclass(frozen=True)
class ReadOptions:
    """What an import gives a reader besides its files: the data manager's command-line options
    and the settings a reader needs (``la_codes`` None: the built-in LA numbers)."""

    mapping: Path | None = None  # a TOML column mapping (``--mapping``)
    year: int | None = None  # the collection year (``--year``)
    la_codes: frozenset[str] | None = None  # the LA numbers a UPN may carry
    xsd_dirs: tuple[Path, ...] = ()  # where the CIN census schemas are


# A reader as the registry calls it: the files of one batch and the options.
Reader = Callable[[Sequence[Path], ReadOptions], "ReadResult"]

_GB = 1000**3


@dataclass(frozen=True)
class Format:
    """One import format."""

    name: str  # the import command and the batch's format, e.g. "cin-census"
    tables: tuple[str, ...]  # the canonical tables it fills (ever6.model.TABLES)
    kind: Kind
    read: Reader
    help: str  # the import command's help text
    max_bytes: int  # the default largest file read ([imports] max_bytes overrides it)
    one_batch: bool = False  # all the files of one import make one batch (else one batch per file)
    streamed: bool = False  # read while the warehouse writes it (a StreamedResult): too big to hold
    mapping: bool = False  # its import takes a TOML column mapping (--mapping)
    year: bool = False  # its import takes the collection year (--year)
    dfe_rules: bool = False  # the DfE rules run on its batches (--dfe-rules)
    synthetic: str = ""  # the synthetic authority's files of it (a glob under its folder), for the demo


def _one(paths: Sequence[Path]) -> Path:
    """The one file of a format read one file per batch."""
    (path,) = paths
    return path


def _cin_census(paths: Sequence[Path], options: ReadOptions) -> ReadResult:
    from ever6.formats import cin_census

    return cin_census.read_cin_census(_one(paths), xsd_dirs=options.xsd_dirs)


def _ssda903(paths: Sequence[Path], options: ReadOptions) -> ReadResult:
    from ever6.formats import ssda903

    return ssda903.read_ssda903(paths, year=options.year)


def _case_management(paths: Sequence[Path], options: ReadOptions) -> ReadResult:
    from ever6.formats import case_management

    mapping = case_management.load_mapping(options.mapping) if options.mapping else None
    return case_management.read_case_management(_one(paths), mapping=mapping)


def _kinship_register(paths: Sequence[Path], options: ReadOptions) -> ReadResult:
    from ever6.formats import kinship_register

    mapping = kinship_register.load_mapping(options.mapping) if options.mapping else None
    return kinship_register.read_kinship_register(_one(paths), mapping=mapping)


def _early_help(paths: Sequence[Path], options: ReadOptions) -> ReadResult:
    from ever6.formats import early_help

    mapping = early_help.load_mapping(options.mapping) if options.mapping else None
    return early_help.read_early_help(_one(paths), mapping=mapping)


def _schools(paths: Sequence[Path], options: ReadOptions) -> ReadResult:
    from ever6.formats import gias

    return gias.read_gias(_one(paths))


def _attendance(paths: Sequence[Path], options: ReadOptions) -> ReadResult:
    from ever6.formats import attendance_marks

    return attendance_marks.stream_attendance_marks(_one(paths))


def _attendance_termly(paths: Sequence[Path], options: ReadOptions) -> ReadResult:
    from ever6.formats import attendance_termly

    return attendance_termly.read_attendance_termly(_one(paths))


def _exclusions(paths: Sequence[Path], options: ReadOptions) -> ReadResult:
    from ever6.formats import exclusions

    return exclusions.read_exclusions(_one(paths))


def _attainment(paths: Sequence[Path], options: ReadOptions) -> ReadResult:
    from ever6.formats import attainment

    return attainment.read_attainment(_one(paths))


def _school_census(paths: Sequence[Path], options: ReadOptions) -> ReadResult:
    from ever6.formats import school_census
    from ever6.upn import LA_CODES

    return school_census.read_school_census(paths, la_codes=options.la_codes or LA_CODES)


def _pupils(paths: Sequence[Path], options: ReadOptions) -> ReadResult:
    from ever6.formats import pupils
    from ever6.upn import LA_CODES

    mapping = pupils.load_mapping(options.mapping) if options.mapping else None
    return pupils.read_pupils(_one(paths), mapping=mapping, la_codes=options.la_codes or LA_CODES)


CIN_CENSUS = Format(
    name="cin-census",
    tables=("cin_child", "cin_episode", "cin_assessment", "cin_plan", "cin_section47", "cp_plan"),
    kind=Kind.SOCIAL_CARE,
    read=_cin_census,
    help="DfE CIN census XML files (any year 2017-2026); all are imported or none. The year's DfE\n"
    "rules then run on each new batch, and their issues are recorded as its warnings.",
    max_bytes=1 * _GB,
    dfe_rules=True,
    synthetic="cin_census/cin_census_*.xml",
)
SSDA903 = Format(
    name="ssda903",
    tables=("la_child", "la_episode"),
    kind=Kind.SOCIAL_CARE,
    read=_ssda903,
    help="SSDA903 header and episodes CSV tables of one return, as one batch; the year's DfE rules\n"
    "then run on it, and their issues are recorded as its warnings.",
    max_bytes=1 * _GB,
    one_batch=True,
    year=True,
    dfe_rules=True,
    synthetic="ssda903/ssda903_*_*.csv",
)
CASE_MANAGEMENT = Format(
    name="case-management",
    tables=("cm_identity",),
    kind=Kind.SOCIAL_CARE,
    read=_case_management,
    help="A case-management extract CSV (LA child id, names, DOB, sex, postcode, UPN).",
    max_bytes=1 * _GB,
    mapping=True,
    synthetic="case_management.csv",
)
KINSHIP_REGISTER = Format(
    name="kinship-register",
    tables=("kinship_register",),
    kind=Kind.SOCIAL_CARE,
    read=_kinship_register,
    help="The authority's kinship register CSV (LA child id, arrangement: SGO, CAO, kinship foster\n"
    "care or other; optional UPN, names, DOB, start and end), for [cohort] kinship.",
    max_bytes=1 * _GB,
    mapping=True,
    synthetic="kinship_register.csv",
)
EARLY_HELP = Format(
    name="early-help",
    tables=("early_help_episode",),
    kind=Kind.SOCIAL_CARE,
    read=_early_help,
    help="An early-help extract CSV (LA child id, episode start and end; optional UPN, names, DOB),\n"
    "for [cohort] early_help.",
    max_bytes=1 * _GB,
    mapping=True,
    synthetic="early_help.csv",
)
SCHOOLS = Format(
    name="schools",
    tables=("establishment",),
    kind=Kind.REGISTER,
    read=_schools,
    help="The GIAS establishments extract (edubasealldata CSV).",
    max_bytes=1 * _GB,
    synthetic="schools.csv",
)
ATTENDANCE = Format(
    name="attendance",
    tables=("attendance_mark",),
    kind=Kind.EDUCATION,
    read=_attendance,
    help="Attendance session marks: urn,upn,date,session,code.",
    # Marks stream in bounded memory: the limit only guards against the wrong file (a national
    # year of marks is about 130 GB of CSV).
    max_bytes=500 * _GB,
    streamed=True,
    synthetic="attendance/attendance_[0-9]*.csv",
)
ATTENDANCE_TERMLY = Format(
    name="attendance-termly",
    tables=("attendance_termly",),
    kind=Kind.EDUCATION,
    read=_attendance_termly,
    help="Termly attendance totals or per-code session counts.",
    max_bytes=2 * _GB,
    synthetic="attendance/attendance_termly_*.csv",
)
EXCLUSIONS = Format(
    name="exclusions",
    tables=("exclusion",),
    kind=Kind.EDUCATION,
    read=_exclusions,
    help="Suspensions and permanent exclusions: urn,upn,start_date,category,sessions,reason.",
    max_bytes=1 * _GB,
    synthetic="exclusions.csv",
)
ATTAINMENT = Format(
    name="attainment",
    tables=("attainment",),
    kind=Kind.EDUCATION,
    read=_attainment,
    help="Attainment results: upn,urn,academic_year,measure,value.",
    max_bytes=2 * _GB,
    synthetic="attainment.csv",
)
SCHOOL_CENSUS = Format(
    name="school-census",
    tables=("pupil_enrolment", "attendance_termly", "exclusion"),
    kind=Kind.REGISTER,
    read=_school_census,
    help="One term's LIIA flattened school census CSVs, as one batch.",
    max_bytes=2 * _GB,
    one_batch=True,
)
PUPILS = Format(
    name="pupils",
    tables=("pupil_enrolment",),
    kind=Kind.REGISTER,
    read=_pupils,
    help="Pupils on roll: urn,upn,former_upn,forename,surname,dob,sex,postcode,ncyear,entry_date,... .",
    max_bytes=2 * _GB,
    mapping=True,
    synthetic="pupils*.csv",
)

# Every format, in the order ``ever6 import --help`` lists them and the demo imports them.
FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        CIN_CENSUS,
        SSDA903,
        CASE_MANAGEMENT,
        KINSHIP_REGISTER,
        EARLY_HELP,
        SCHOOLS,
        ATTENDANCE,
        ATTENDANCE_TERMLY,
        EXCLUSIONS,
        ATTAINMENT,
        SCHOOL_CENSUS,
        PUPILS,
    )
}


def format_named(name: str) -> Format:
    """The format called ``name``; a ValueError naming every format when there is none."""
    try:
        return FORMATS[name]
    except KeyError:
        raise ValueError(f"unknown format {name!r}; expected one of {', '.join(FORMATS)}") from None


def of_kind(kind: Kind) -> Iterator[Format]:
    """The formats of one kind, in registry order."""
    return (f for f in FORMATS.values() if f.kind is kind)
