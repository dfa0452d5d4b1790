"""The canonical model: one Arrow schema per warehouse table.

Readers produce tables with exactly these columns (the warehouse adds ``batch_id``), the
warehouse creates its tables from them, and the cohort engine reads them. This module is the
one place a column is named.

Conventions: identifiers are strings as the source wrote them (trimmed); dates are ``date32``;
sex is normalised to ``M`` / ``F`` / ``U``; booleans are real booleans; an absent value is null.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

_STR = pa.string()
_DATE = pa.date32()
_BOOL = pa.bool_()
_INT = pa.int32()


@dataclass(frozen=True)
class TableSpec:
    """A canonical table: its schema, and the columns that identify one record in a source.

    ``key`` is what identifies "the same record" across overlapping files (for example a CIN
    episode is the same episode in every year's census file); the newest batch's version wins.
    ``parent`` names the record a row belongs to: an episode's assessments and plans are the union
    over every file that holds the episode, each identified by its own start date (a census return
    holds only its year's activity, so a plan missing from a later file has not been removed).
    ``seq`` is a block's order within its episode in one file: not an identity across files.
    """

    name: str
    schema: pa.Schema
    key: tuple[str, ...]
    parent: str | None = None
    description: str = ""


def _spec(
    name: str, key: tuple[str, ...], fields: list[pa.Field], parent: str | None = None, description: str = ""
) -> TableSpec:
    return TableSpec(name, pa.schema(fields), key, parent, description)


# --- CIN census -------------------------------------------------------------------------------

CIN_CHILD = _spec(
    "cin_child",
    ("la_child_id",),
    [
        pa.field("la_child_id", _STR, nullable=False),
        pa.field("upn", _STR),
        pa.field("former_upn", _STR),
        pa.field("upn_unknown", _STR),
        pa.field("birth_date", _DATE),
        pa.field("expected_birth_date", _DATE),
        pa.field("sex", _STR),
        pa.field("death_date", _DATE),
        pa.field("ethnicity", _STR),
        pa.field("disabilities", pa.list_(_STR)),
    ],
    description="One child as a CIN census file describes them (ChildIdentifiers, ChildCharacteristics).",
)

CIN_EPISODE = _spec(
    "cin_episode",
    ("la_child_id", "referral_date"),
    [
        pa.field("la_child_id", _STR, nullable=False),
        pa.field("referral_date", _DATE, nullable=False),
        pa.field("referral_source", _STR),
        pa.field("primary_need", _STR),
        pa.field("closure_date", _DATE),
        pa.field("closure_reason", _STR),
        pa.field("referral_nfa", _BOOL),
        pa.field("date_initial_cpc", _DATE),
    ],
    description="A CINdetails block: one episode of need, from referral to closure.",
)

CIN_ASSESSMENT = _spec(
    "cin_assessment",
    ("la_child_id", "referral_date", "start_date"),
    [
        pa.field("la_child_id", _STR, nullable=False),
        pa.field("referral_date", _DATE, nullable=False),
        pa.field("seq", _INT, nullable=False),
        pa.field("start_date", _DATE),
        pa.field("internal_review_date", _DATE),
        pa.field("authorisation_date", _DATE),
        pa.field("factors", pa.list_(_STR)),
    ],
    parent="cin_episode",
    description="An Assessments block of an episode; seq is its order within the episode (0-based).",
)

CIN_PLAN = _spec(
    "cin_plan",
    ("la_child_id", "referral_date", "start_date"),
    [
        pa.field("la_child_id", _STR, nullable=False),
        pa.field("referral_date", _DATE, nullable=False),
        pa.field("seq", _INT, nullable=False),
        pa.field("start_date", _DATE),
        pa.field("end_date", _DATE),
    ],
    parent="cin_episode",
    description="A CINPlanDates block of an episode.",
)

CIN_SECTION47 = _spec(
    "cin_section47",
    ("la_child_id", "referral_date", "start_date"),
    [
        pa.field("la_child_id", _STR, nullable=False),
        pa.field("referral_date", _DATE, nullable=False),
        pa.field("seq", _INT, nullable=False),
        pa.field("start_date", _DATE),
        pa.field("initial_cpc_target", _DATE),
        pa.field("date_initial_cpc", _DATE),
        pa.field("icpc_not_required", _BOOL),
    ],
    parent="cin_episode",
    description="A Section47 enquiry of an episode.",
)

CP_PLAN = _spec(
    "cp_plan",
    ("la_child_id", "referral_date", "start_date"),
    [
        pa.field("la_child_id", _STR, nullable=False),
        pa.field("referral_date", _DATE, nullable=False),
        pa.field("seq", _INT, nullable=False),
        pa.field("start_date", _DATE),
        pa.field("end_date", _DATE),
        pa.field("initial_category", _STR),
        pa.field("latest_category", _STR),
        pa.field("number_previous_cpp", _INT),
        pa.field("review_dates", pa.list_(_DATE)),
    ],
    parent="cin_episode",
    description="A ChildProtectionPlans block of an episode.",
)

# --- SSDA903 (looked-after children) ----------------------------------------------------------

LA_CHILD = _spec(
    "la_child",
    ("la_child_id",),
    [
        pa.field("la_child_id", _STR, nullable=False),
        pa.field("sex", _STR),
        pa.field("birth_date", _DATE),
        pa.field("ethnicity", _STR),
        pa.field("upn", _STR),
    ],
    description="An SSDA903 header row: a child looked after at some time in the year.",
)

LA_EPISODE = _spec(
    "la_episode",
    ("la_child_id", "start_date"),
    [
        pa.field("la_child_id", _STR, nullable=False),
        pa.field("start_date", _DATE, nullable=False),  # DECOM
        pa.field("reason_new_episode", _STR),  # RNE
        pa.field("legal_status", _STR),  # LS
        pa.field("cin_code", _STR),  # CIN
        pa.field("placement", _STR),  # PLACE
        pa.field("placement_provider", _STR),  # PLACE_PROVIDER
        pa.field("end_date", _DATE),  # DEC
        pa.field("reason_episode_ceased", _STR),  # REC
        pa.field("reason_place_change", _STR),  # REASON_PLACE_CHANGE
        pa.field("home_postcode", _STR),  # HOME_POST
        pa.field("placement_postcode", _STR),  # PL_POST
        pa.field("urn", _STR),  # URN (of the placement provider, not a school)
    ],
    description="An SSDA903 episode of care (DECOM to DEC).",
)

# --- Case-management extract ------------------------------------------------------------------

CM_IDENTITY = _spec(
    "cm_identity",
    ("la_child_id",),
    [
        pa.field("la_child_id", _STR, nullable=False),
        pa.field("forename", _STR),
        pa.field("surname", _STR),
        pa.field("birth_date", _DATE),
        pa.field("sex", _STR),
        pa.field("postcode", _STR),
        pa.field("upn", _STR),
        pa.field("former_upn", _STR),
        # Who is allocated (optional columns, docs/notifications.md): where events are sent.
        pa.field("worker_name", _STR),
        pa.field("worker_email", _STR),
        pa.field("team", _STR),
        pa.field("team_email", _STR),
        # The child's current or latest plans, as live as the extract (optional columns): the flow
        # counts those dated after the newest CIN census return (docs/cohort.md, Flow per month).
        pa.field("cin_plan_start", _DATE),
        pa.field("cin_plan_end", _DATE),
        pa.field("cp_plan_start", _DATE),
        pa.field("cp_plan_end", _DATE),
    ],
    description="A child's identity from the case-management system: what makes linkage possible, "
    "and who the allocated social worker and team are.",
)

# --- Kinship register and early help (optional cohorts, docs/cohort.md) ------------------------

KINSHIP_REGISTER = _spec(
    "kinship_register",
    ("la_child_id",),
    [
        pa.field("la_child_id", _STR, nullable=False),
        pa.field("upn", _STR),
        pa.field("forename", _STR),
        pa.field("surname", _STR),
        pa.field("birth_date", _DATE),
        # sgo, cao, kinship_foster or other_kinship (ever6.cohort.kinship.ARRANGEMENTS)
        pa.field("arrangement", _STR, nullable=False),
        pa.field("start_date", _DATE),
        pa.field("end_date", _DATE),
    ],
    description="A child in a kinship arrangement, from the authority's own kinship register.",
)

EARLY_HELP_EPISODE = _spec(
    "early_help_episode",
    ("la_child_id", "start_date"),
    [
        pa.field("la_child_id", _STR, nullable=False),
        pa.field("upn", _STR),
        pa.field("forename", _STR),
        pa.field("surname", _STR),
        pa.field("birth_date", _DATE),
        pa.field("start_date", _DATE, nullable=False),
        pa.field("end_date", _DATE),
    ],
    description="An early-help episode, from the authority's early-help (family support) system.",
)

# --- School data -------------------------------------------------------------------------------

ESTABLISHMENT = _spec(
    "establishment",
    ("urn",),
    [
        pa.field("urn", _STR, nullable=False),
        pa.field("la_code", _STR),
        pa.field("la_name", _STR),
        pa.field("establishment_number", _STR),
        pa.field("name", _STR),
        pa.field("type_code", _STR),
        pa.field("type_name", _STR),
        pa.field("type_group", _STR),
        pa.field("status", _STR),
        pa.field("phase_code", _STR),
        pa.field("phase", _STR),
        pa.field("low_age", _INT),
        pa.field("high_age", _INT),
        pa.field("postcode", _STR),
    ],
    description="A school or setting from the Get Information About Schools (GIAS) extract.",
)

PUPIL_ENROLMENT = _spec(
    "pupil_enrolment",
    ("urn", "upn", "entry_date"),
    [
        pa.field("urn", _STR, nullable=False),
        pa.field("upn", _STR, nullable=False),
        pa.field("former_upn", _STR),
        pa.field("forename", _STR),
        pa.field("surname", _STR),
        pa.field("birth_date", _DATE),
        pa.field("sex", _STR),
        pa.field("postcode", _STR),
        pa.field("ncyear", _STR),  # "N1", "N2", "R", "1" ... "14"
        pa.field("entry_date", _DATE, nullable=False),
        pa.field("leaving_date", _DATE),
        pa.field("fsm_ever6", _BOOL),
        pa.field("sen", _STR),  # N, K (SEN support), E (EHC plan)
        pa.field("ethnicity", _STR),
    ],
    description="A pupil on a school's roll from entry to leaving: the unit of attendance measures.",
)

ATTENDANCE_MARK = _spec(
    "attendance_mark",
    ("urn", "upn", "date", "session"),
    [
        pa.field("urn", _STR, nullable=False),
        pa.field("upn", _STR, nullable=False),
        pa.field("date", _DATE, nullable=False),
        pa.field("session", _STR, nullable=False),  # AM or PM
        pa.field("code", _STR, nullable=False),
    ],
    description="One session's attendance mark (the DfE daily attendance data, or a school's MIS).",
)

ATTENDANCE_TERMLY = _spec(
    "attendance_termly",
    ("urn", "upn", "academic_year", "term", "code"),
    [
        pa.field("urn", _STR, nullable=False),
        pa.field("upn", _STR, nullable=False),
        pa.field("academic_year", _INT, nullable=False),  # the year it starts: 2024 is 2024/25
        pa.field("term", _STR, nullable=False),  # autumn, spring, summer
        # A mark code (school census per-code counts), or one of the summary rows
        # "*possible", "*authorised", "*unauthorised" when only totals are held.
        pa.field("code", _STR, nullable=False),
        pa.field("sessions", _INT, nullable=False),
    ],
    description="Sessions per attendance code (or totals) for a pupil at a school in a term.",
)

EXCLUSION = _spec(
    "exclusion",
    ("urn", "upn", "start_date", "category"),
    [
        pa.field("urn", _STR, nullable=False),
        pa.field("upn", _STR, nullable=False),
        pa.field("start_date", _DATE, nullable=False),
        pa.field("category", _STR, nullable=False),  # SUSP / FIXD (suspension), PERM, LNCH (lunchtime)
        pa.field("sessions", pa.float64()),
        pa.field("reasons", pa.list_(_STR)),
    ],
    description="A suspension or permanent exclusion.",
)

ATTAINMENT = _spec(
    "attainment",
    ("upn", "academic_year", "measure"),
    [
        pa.field("upn", _STR, nullable=False),
        pa.field("urn", _STR),
        pa.field("academic_year", _INT, nullable=False),
        # eyfs_gld, ks2_rwm_expected, ks4_attainment8, ks4_em_grade4, ks4_em_grade5
        pa.field("measure", _STR, nullable=False),
        pa.field("value", pa.float64()),  # 1/0 for the standards, points for Attainment 8
    ],
    description="A pupil's result in one attainment measure in one year.",
)

TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        CIN_CHILD,
        CIN_EPISODE,
        CIN_ASSESSMENT,
        CIN_PLAN,
        CIN_SECTION47,
        CP_PLAN,
        LA_CHILD,
        LA_EPISODE,
        CM_IDENTITY,
        KINSHIP_REGISTER,
        EARLY_HELP_EPISODE,
        ESTABLISHMENT,
        PUPIL_ENROLMENT,
        ATTENDANCE_MARK,
        ATTENDANCE_TERMLY,
        EXCLUSION,
        ATTAINMENT,
    )
}


def empty_table(name: str) -> pa.Table:
    """An empty table with the canonical schema of ``name``.

    Not ``Schema.empty_table()``, which imports pandas (half a second of every import's start-up)."""
    return pa.Table.from_batches([], schema=TABLES[name].schema)
