"""Linking children with a social worker to their school records (issue 4).

``link`` is the pure core (Ibis tables in, Arrow out, DuckDB or Spark); the ``commands``
functions are what the CLI calls. See ``docs/linkage.md``.
"""

from ever6.config import Engine
from ever6.linkage.commands import export_links, model_path, run_linkage
from ever6.linkage.core import LINKS_SCHEMA, METHODS, LinkResult, link
from ever6.linkage.report import MatchReport, match_report
from ever6.linkage.review import decide, review_queue
from ever6.linkage.settings import LinkageSettings, LinkageSettingsError
from ever6.linkage.upn import UpnCheck, UpnKind, UpnProblem, check_upn

__all__ = [
    "LINKS_SCHEMA",
    "METHODS",
    "Engine",
    "LinkResult",
    "LinkageSettings",
    "LinkageSettingsError",
    "MatchReport",
    "UpnCheck",
    "UpnKind",
    "UpnProblem",
    "check_upn",
    "decide",
    "export_links",
    "link",
    "match_report",
    "model_path",
    "review_queue",
    "run_linkage",
]
