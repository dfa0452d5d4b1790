"""Who may do what: the one table of roles and capabilities, used by every view and export.

Permissions are data, not scattered ``if`` statements: a view names the capability it needs, and
this table says which roles have it. The Virtual School sees cohort-level figures; pupil-level rows
are seen only by a school for its own pupils, by a social worker for the children allocated to them,
and by the data manager (docs/domain.md, section 1).
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    VS_HEAD = "vs_head"
    VS_OFFICER = "vs_officer"
    DATA_MANAGER = "data_manager"
    SCHOOL_DSL = "school_dsl"
    AUDITOR = "auditor"
    SOCIAL_WORKER = "social_worker"
    FINANCE = "finance"


ROLE_LABELS = {
    Role.VS_HEAD: "Virtual School Head",
    Role.VS_OFFICER: "Virtual School officer",
    Role.DATA_MANAGER: "Data manager",
    Role.SCHOOL_DSL: "School designated safeguarding lead",
    Role.AUDITOR: "Auditor",
    Role.SOCIAL_WORKER: "Social worker",
    Role.FINANCE: "Finance officer",
}


class Capability(StrEnum):
    COHORT_FIGURES = "cohort_figures"  # the LA-wide dashboard, theme pages and the schools page
    UNSUPPRESSED_FIGURES = "unsuppressed_figures"  # figures before disclosure control (internal use)
    MANAGE_USERS = "manage_users"
    MANAGE_SETTINGS = "manage_settings"
    PARTNERSHIP = "partnership"  # schools register, agreements, tiers and the partnership records
    DATA_PAGES = "data_pages"  # imports, rollback, data quality, refresh
    PUPIL_ROWS = "pupil_rows"  # pupil-level rows across the LA: linkage review, data quality
    SCHOOL_PORTAL = "school_portal"  # one's own school(s) only
    AUDIT_LOG = "audit_log"
    # The events of the children allocated to oneself only (docs/notifications.md); no figures.
    ALLOCATED_CHILDREN = "allocated_children"
    GRANT_LEDGER = "grant_ledger"  # read the grant ledger and its progress reports (docs/grant.md)
    GRANT_EDIT = "grant_edit"  # change the ledger, generate and submit progress reports
    DFE_RETURN = "dfe_return"  # the data and information return to the DfE (suppressed figures only)
    ANNUAL_REPORT = "annual_report"  # the annual report for the Director of Children's Services


CAPABILITIES: dict[Capability, frozenset[Role]] = {
    Capability.COHORT_FIGURES: frozenset({Role.VS_HEAD, Role.VS_OFFICER, Role.DATA_MANAGER}),
    Capability.UNSUPPRESSED_FIGURES: frozenset({Role.VS_HEAD, Role.VS_OFFICER, Role.DATA_MANAGER}),
    Capability.MANAGE_USERS: frozenset({Role.VS_HEAD}),
    Capability.MANAGE_SETTINGS: frozenset({Role.VS_HEAD}),
    Capability.PARTNERSHIP: frozenset({Role.VS_HEAD, Role.VS_OFFICER}),
    Capability.DATA_PAGES: frozenset({Role.DATA_MANAGER}),
    Capability.PUPIL_ROWS: frozenset({Role.DATA_MANAGER}),
    Capability.SCHOOL_PORTAL: frozenset({Role.SCHOOL_DSL}),
    Capability.AUDIT_LOG: frozenset({Role.AUDITOR}),
    Capability.ALLOCATED_CHILDREN: frozenset({Role.SOCIAL_WORKER}),
    Capability.GRANT_LEDGER: frozenset({Role.VS_HEAD, Role.FINANCE, Role.AUDITOR}),
    Capability.GRANT_EDIT: frozenset({Role.VS_HEAD, Role.FINANCE}),
    Capability.DFE_RETURN: frozenset({Role.VS_HEAD}),
    Capability.ANNUAL_REPORT: frozenset({Role.VS_HEAD}),
}


def can(role: Role | str | None, capability: Capability) -> bool:
    """Whether ``role`` has ``capability``; an unknown or missing role has none."""
    try:
        return Role(role) in CAPABILITIES[capability] if role else False
    except ValueError:
        return False
