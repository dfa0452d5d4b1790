"""The ``ever6`` command line. Thin: each command calls :mod:`ever6.publish.pipeline` and reports.

Exit codes: 0 done; 1 refused or failed (the problems are on stderr and nothing changed);
2 usage errors (Typer's own).
"""

from __future__ import annotations

import inspect
import json
import logging
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from typer._click.core import Context as ClickContext
from typer.core import TyperArgument, TyperGroup, TyperOption
from typer.exceptions import TyperException

from ever6 import __version__
from ever6.config import ENGINES, ConfigError, LinkageSettingsError, Settings, load_settings
from ever6.dates import academic_year_label, parse_academic_year
from ever6.errors import DataConditionError, Refused
from ever6.formats import FORMATS, Format
from ever6.formats.dfe_rules import validators_available
from ever6.formats.problems import ImportRefused, Severity
from ever6.metrics import PERIODS
from ever6.private import fixed_message, restrict_umask, secure_workspace
from ever6.publish.imports import Progress as ProgressCallback
from ever6.publish.imports import import_sources
from ever6.warehouse import ImportOutcome, RollbackError, Warehouse
from ever6.warehouse.linkage_store import DecisionError, LinkageStore
from ever6.warehouse.opening import busy_message, damaged_message, is_busy, is_damage, open_warehouse
from ever6.web.audit.commands import audit_app
from ever6.web.commands import web_app
from ever6.web.documents.commands import packs_app
from ever6.web.grant.commands import returns_app

if TYPE_CHECKING:
    from ever6.publish.pipeline import RulesOutcome

# The analytics (ever6.publish.pipeline: Ibis and its DuckDB backend) are imported by the
# commands that use them, so that an import or a listing does not pay for loading them.

out = Console()
err = Console(stderr=True)

_state: dict[str, Any] = {}


def _message(exc: BaseException) -> list[str] | None:
    """What the data manager is told about a known error, line by line; None for a bug.

    The one place where errors become messages: a data condition or a user error is a clear
    message and exit code 1, never a traceback (``--debug`` shows it).
    """
    if isinstance(exc, ImportRefused):
        return [
            f"Refused: {len(exc.problems)} problem(s); the warehouse is unchanged.",
            *(str(problem) for problem in exc.problems),
        ]
    if isinstance(exc, ConfigError):
        return [f"configuration error: {exc}"]
    if isinstance(exc, Refused | RollbackError | DecisionError | LinkageSettingsError):
        return [str(exc)]
    if isinstance(exc, LookupError) and not isinstance(exc, KeyError):
        return [str(exc)]
    if is_busy(exc):
        return [busy_message(_settings().warehouse_path, exc)]
    if is_damage(exc):  # found part-way through reading, after the file opened
        return [damaged_message(_settings().warehouse_path, exc)]
    if isinstance(exc, OSError) and exc.strerror:
        return [f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror]
    return None


# Typer's help shows a type beside every parameter, "<bool>" on each flag too, and a required
# argument as "{files}..." in the usage line. A flag takes no value, so it shows none; an argument
# reads as Click writes it, "FILES...". (Typer offers no setting for either.)
_option_type = TyperOption.display_type_rich


def _flag_without_type(self: TyperOption, ctx: ClickContext) -> str | None:
    return None if self.is_flag else _option_type(self, ctx)


_argument_type = TyperArgument.display_type_rich


def _argument_name(self: TyperArgument) -> str:
    return self.metavar or (self.name or "").upper()


def _argument_usage(self: TyperArgument, ctx: ClickContext) -> list[str]:
    name = _argument_name(self) + ("..." if self.nargs != 1 else "")
    return [name if self.required else f"[{name}]"]


def _argument_type_of_each(self: TyperArgument, ctx: ClickContext) -> str | None:
    """An argument taking many values shows the type of each ("FILES... <path>")."""
    shown = _argument_type(self, ctx)
    if shown and shown.startswith("<list[") and shown.endswith("]>"):
        return f"<{shown[6:-2].lower()}>"
    return shown


setattr(TyperOption, "display_type_rich", _flag_without_type)  # noqa: B010
setattr(TyperArgument, "display_name_raw", property(_argument_name))  # noqa: B010
setattr(TyperArgument, "get_usage_pieces", _argument_usage)  # noqa: B010
setattr(TyperArgument, "display_type_rich", _argument_type_of_each)  # noqa: B010


class _Ever6Group(TyperGroup):
    """Every command runs inside :func:`_message`'s handling (the group invokes its subcommands)."""

    def invoke(self, ctx: ClickContext) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, TyperException):
            raise  # Typer's own: exit codes and usage errors, already worded
        except Exception as exc:
            if _state.get("debug"):
                raise
            lines = _message(exc)
            if lines is None:
                lines = [
                    f"unexpected error: {type(exc).__name__}: {exc}",
                    "This is a fault in ever6, not in your data: run the command again with --debug "
                    "and report the traceback.",
                ]
            for i, line in enumerate(lines):
                err.print(
                    f"[red]{escape(line)}[/red]" if i == 0 else line, markup=i == 0, highlight=False, soft_wrap=True
                )
            raise typer.Exit(1) from exc


app = typer.Typer(cls=_Ever6Group, help="ever6: the Ever6 CWSW cohort for a Virtual School.", no_args_is_help=True)
import_app = typer.Typer(help="Import a source file into the warehouse (one atomic batch per file).")
imports_app = typer.Typer(help="List, inspect and roll back import batches.")
cohort_app = typer.Typer(help="The Ever6 CWSW cohort.")
metrics_app = typer.Typer(help="The cohort's education measures.")
link_app = typer.Typer(help="Link children with a social worker to their school records. Alone: run linkage.")
review_app = typer.Typer(help="The clerical review queue: pairs between the review and accept thresholds.")
link_app.add_typer(review_app, name="review")
app.add_typer(import_app, name="import")
app.add_typer(imports_app, name="imports")
app.add_typer(cohort_app, name="cohort")
app.add_typer(metrics_app, name="metrics")
app.add_typer(link_app, name="link")
app.add_typer(web_app, name="web")
app.add_typer(audit_app, name="audit")
app.add_typer(packs_app, name="packs")
app.add_typer(returns_app, name="returns")

HomeOption = Annotated[
    Path | None,
    typer.Option("--home", envvar="EVER6_HOME", help="Workspace folder (default ./var).", show_default=False),
]
FilesArgument = Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, readable=True)]


def _version(value: bool) -> None:
    if value:
        out.print(f"ever6 {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    home: HomeOption = None,
    config: Annotated[
        Path | None, typer.Option("--config", envvar="EVER6_CONFIG", help="Settings file (TOML).")
    ] = None,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True)] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show the libraries' own messages.")] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the traceback of an error, not only its message.")
    ] = False,
    wait: Annotated[
        float,
        typer.Option(
            "--wait",
            envvar="EVER6_WAIT",
            metavar="SECONDS",
            help="When another ever6 process holds the warehouse, wait up to this long for it.",
        ),
    ] = 0.0,
) -> None:
    _state["debug"] = debug
    _state["wait"] = wait
    # Splink explains every training step on the console; a data manager needs the outcome.
    logging.getLogger("splink").setLevel(logging.INFO if verbose else logging.ERROR)
    settings = load_settings(home, config)
    _state["settings"] = settings
    # Whatever the umask: every file written from here on is its owner's only (ever6.private).
    restrict_umask()
    fixed = secure_workspace(settings.home)
    if fixed:
        err.print(fixed_message(settings.home, fixed), markup=False, highlight=False, soft_wrap=True)


def _settings() -> Settings:
    settings: Settings | None = _state.get("settings")
    return settings or load_settings()


def _open(purpose: str, *, read_only: bool = False) -> Warehouse:
    """The warehouse; busy or damaged is a clear message, and ``--wait`` waits for a busy one."""
    return open_warehouse(
        _settings().warehouse_path, read_only=read_only, purpose=purpose, wait=float(_state.get("wait") or 0.0)
    )


@contextmanager
def _progress(description: str) -> Iterator[ProgressCallback]:
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=1.0)

        def update(message: str, fraction: float) -> None:
            bar.update(task, description=message, completed=fraction)

        yield update


def _run_import(
    fmt: str, files: list[Path], *, mapping: Path | None = None, year: int | None = None
) -> list[ImportOutcome]:
    settings = _settings()
    with _open("an import") as wh, _progress(f"importing {fmt}") as progress:
        outcomes = import_sources(wh, settings, fmt, files, mapping=mapping, year=year, progress=progress)
    for outcome in outcomes:
        b = outcome.batch
        if not outcome.created:
            out.print(f"{b.source_file}: already imported as batch {b.batch_id}; nothing changed.")
            continue
        rows = ", ".join(f"{n} {t}" for t, n in b.row_counts.items() if n)
        out.print(f"Imported {b.source_file} as batch {b.batch_id}: {rows or 'no rows'}.")
        if outcome.warnings:
            err.print(f"  {len(outcome.warnings)} warning(s) recorded with the batch:")
            for problem in outcome.warnings[:20]:
                err.print(f"  {problem}", markup=False, highlight=False)
            if len(outcome.warnings) > 20:
                err.print(f"  ... see `ever6 imports problems {b.batch_id}` for all of them")
    return outcomes


RulesOption = Annotated[
    str,
    typer.Option(
        "--dfe-rules",
        envvar="EVER6_DFE_RULES",
        help="Run the year's DfE rules on the new batches: in the background (default), wait for them, or off.",
    ),
]


def _print_rules(outcomes: list[RulesOutcome]) -> None:
    for o in outcomes:
        for note in o.notes:
            err.print(f"  batch {o.batch_id}: {note}", markup=False, highlight=False, soft_wrap=True)
        total = sum(o.by_rule.values())
        rules = ", ".join(f"{rule} ({n})" for rule, n in o.by_rule.items())
        out.print(
            f"DfE rules on batch {o.batch_id} ({Path(o.source_file).name}): {total} issue(s) recorded as warnings"
            + (f": {rules}" if rules else "."),
            markup=False,
            highlight=False,
            soft_wrap=True,
        )


def _dfe_rules(outcomes: list[ImportOutcome], mode: str) -> None:
    """The DfE rules on the batches just imported: they warn, never refuse (docs/importing.md)."""
    if mode not in ("background", "wait", "off"):
        err.print(f"[red]--dfe-rules must be background, wait or off, not {mode!r}[/red]")
        raise typer.Exit(2)
    ids = [o.batch.batch_id for o in outcomes if o.created]
    if not ids or mode == "off":
        return
    settings = _settings()
    if mode == "wait" or not validators_available():  # missing: say so now, with the batch
        from ever6.publish.pipeline import validate_batches

        _print_rules(validate_batches(settings, ids))
        return
    logs = settings.home / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"dfe-rules-{'-'.join(map(str, ids))}.log"
    command = [sys.executable, "-m", "ever6", "--home", str(settings.home), "validate", *map(str, ids)]
    with log.open("ab") as sink:
        subprocess.Popen(command, stdout=sink, stderr=sink, stdin=subprocess.DEVNULL, start_new_session=True)
    out.print(
        f"The DfE rules are running in the background on batch(es) {', '.join(map(str, ids))} (log: {log}); "
        f"their issues appear in `ever6 imports problems BATCH` when done.",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


@app.command("validate")
def validate(
    batches: Annotated[
        list[int] | None, typer.Argument(help="Batch ids; default every CIN census and SSDA903 batch.")
    ] = None,
) -> None:
    """Run the year's DfE rules (Data to Insight's validators) on CIN census and SSDA903 batches
    and record their issues as warnings of each batch, replacing an earlier run's."""
    from ever6.publish.pipeline import validate_batches

    settings = _settings()
    if not settings.warehouse_path.exists():
        out.print(f"No imports yet in the workspace {settings.home}.", markup=False, highlight=False)
        out.print(_workspace_hint(settings.home), markup=False, highlight=False, soft_wrap=True)
        return
    try:
        outcomes = validate_batches(settings, batches or None)
    except RollbackError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    if not outcomes:
        out.print("No active CIN census or SSDA903 batch to validate.")
    _print_rules(outcomes)


MappingOption = Annotated[Path | None, typer.Option(exists=True, dir_okay=False, help="TOML mapping of column names.")]
YearOption = Annotated[int | None, typer.Option(help="Collection year (31 March); inferred if omitted.")]


def _import_command(fmt: Format) -> None:
    """``ever6 import NAME``, with the options its registry entry says the format takes."""

    def command(
        files: FilesArgument,
        mapping: MappingOption = None,
        year: YearOption = None,
        dfe_rules: RulesOption = "background",
    ) -> None:
        outcomes = _run_import(fmt.name, files, mapping=mapping, year=year)
        if fmt.dfe_rules:
            _dfe_rules(outcomes, dfe_rules)

    takes = {"files": True, "mapping": fmt.mapping, "year": fmt.year, "dfe_rules": fmt.dfe_rules}
    signature = inspect.signature(command, eval_str=True)  # Typer reads the options from it
    params = [p for p in signature.parameters.values() if takes[p.name]]
    setattr(command, "__signature__", signature.replace(parameters=params))  # noqa: B010
    import_app.command(fmt.name, help=fmt.help)(command)


for _format in FORMATS.values():
    _import_command(_format)


DEMO_HOME = Path("var/demo")  # where `make demo` builds its workspace


def _workspace_hint(home: Path) -> str:
    """How to name the workspace meant, when the one in use is empty."""
    hint = "Name another workspace with --home or EVER6_HOME"
    if home != DEMO_HOME and (DEMO_HOME / "warehouse.duckdb").exists():
        hint += f"; the demo's is {DEMO_HOME}: ever6 --home {DEMO_HOME} imports list"
    return hint + "."


@imports_app.command("list")
def imports_list() -> None:
    """Every import batch, with its provenance."""
    settings = _settings()
    if not settings.warehouse_path.exists():
        out.print(f"No imports yet in the workspace {settings.home}.", markup=False, highlight=False)
        out.print(_workspace_hint(settings.home), markup=False, highlight=False, soft_wrap=True)
        return
    with _open("a listing", read_only=True) as wh:
        batches = wh.batches()
    table = Table("batch", "format", "file", "year", "rows", "warnings", "imported", "by", "status", "sha256")
    for b in batches:
        status = b.status if b.active else f"rolled back {b.rolled_back_at} by {b.rolled_back_by}"
        table.add_row(
            str(b.batch_id),
            b.format,
            ", ".join(Path(p).name for p in b.source_files),
            str(b.year or ""),
            str(sum(b.row_counts.values())),
            str(b.warning_count),
            f"{b.imported_at:%Y-%m-%d %H:%M}",
            b.imported_by,
            status,
            b.sha256[:12],
        )
    out.print(table)


@imports_app.command("problems")
def imports_problems(batch: int) -> None:
    """The problems a batch's reader recovered from, with file, line and field."""
    with _reading() as wh:
        wh.batch(batch)
        problems = wh.problems(batch)
    for p in problems:
        out.print(str(p), markup=False, highlight=False)
    out.print(f"{len(problems)} problem(s), {sum(p.severity is Severity.WARNING for p in problems)} warning(s).")
    by_rule = Counter(p.rule for p in problems if p.rule is not None)
    if by_rule:
        messages = {p.rule: p.message for p in problems if p.rule is not None}
        table = Table("DfE rule", "issues", "message", title="DfE rules, by rule")
        for rule, n in by_rule.most_common():
            table.add_row(rule, str(n), messages[rule])
        out.print(table)


@imports_app.command("rollback")
def imports_rollback(batch: int) -> None:
    """Remove every row a batch brought in; its provenance is kept, marked rolled back."""
    with _open("a rollback") as wh:
        b = wh.rollback(batch)
    out.print(f"Rolled back batch {b.batch_id} ({Path(b.source_file).name}).")


def _parse_date(text: str) -> date:
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError as exc:
        raise typer.BadParameter(f"{text!r} is not a date as YYYY-MM-DD") from exc


@cohort_app.command("export")
def cohort_export(
    as_at: Annotated[str, typer.Option("--as-at", help="Reference date R, YYYY-MM-DD.")],
    output: Annotated[Path, typer.Option("--out", help="CSV file to write.")],
    strict: Annotated[bool, typer.Option("--strict/--default", help="Count only CIN/CP plan periods.")] = False,
) -> None:
    """One row per child in the output at R: Ever6 CWSW, or looked after at R."""
    from ever6.publish.pipeline import export_cohort

    settings = _settings()
    reference = _parse_date(as_at)
    _require_warehouse(settings.warehouse_path)
    cohort_settings = replace(settings.cohort, strict=strict or settings.cohort.strict)
    with _open("an export", read_only=True) as wh:
        summary = export_cohort(wh, reference, cohort_settings, output)
    _print_summary(summary.by_status, summary.rows, summary.cwsw, reference, cohort_settings.strict)
    out.print(f"Wrote {output}.")


@cohort_app.command("counts")
def cohort_counts() -> None:
    """The latest refresh's cohort, linked, not linked and on roll: the figures the web pages show."""
    from ever6.access.counts import workspace_counts
    from ever6.warehouse.store import current_user

    settings = _settings()
    counts = workspace_counts(settings.snapshot_path, current_user())
    if counts is None:
        out.print("No counts yet: they are published by the next refresh (`ever6 refresh --as-at YYYY-MM-DD`).")
        return
    table = Table("count", "children", "definition", title=f"Cohort counts at {counts.as_at} (run {counts.run_id})")
    for name, value in counts.items():
        table.add_row(name.label, f"{value:,}", name.definition)
    out.print(table)


@app.command("refresh")
def refresh_command(
    as_at: Annotated[str, typer.Option("--as-at", help="Reference date R, YYYY-MM-DD.")],
    strict: Annotated[bool, typer.Option("--strict/--default", help="Count only CIN/CP plan periods.")] = False,
    engine: Annotated[
        str | None, typer.Option(help="duckdb, or spark for national scale (default: [engine] name).")
    ] = None,
    full: Annotated[
        bool, typer.Option(help="Compute everything, reusing nothing of the previous run new data cannot change.")
    ] = False,
) -> None:
    """Rebuild the cohort, the links and the measures at R, and publish them."""
    from ever6.publish.pipeline import refresh

    settings = _settings()
    reference = _parse_date(as_at)
    if engine is not None and engine not in ENGINES:
        raise typer.BadParameter(f"engine must be one of {', '.join(ENGINES)}")
    settings = replace(settings, cohort=replace(settings.cohort, strict=strict or settings.cohort.strict))
    with _open("a refresh") as wh:
        with _progress("refreshing") as progress:
            run = refresh(wh, settings, reference, progress=progress, engine=engine, full=full)
        skipped = LinkageStore(wh).probabilistic_skipped()
    counts = ", ".join(f"{n:,} {name} rows" for name, n in run.row_counts.items())
    out.print(f"Published run {run.run_id} as at {run.as_at}: {counts}.")
    if skipped:
        out.print(f"Linked by the deterministic passes only; the probabilistic pass was skipped: {skipped}.")


@metrics_app.command("export")
def metrics_export(
    year: Annotated[str, typer.Option("--year", help="Academic year, e.g. 2024/25.")],
    output: Annotated[Path, typer.Option("--out", help="CSV file, or .xlsx for Excel.")],
    suppress: Annotated[bool, typer.Option("--suppress/--no-suppress", help="Apply disclosure control.")] = False,
    period: Annotated[str, typer.Option(help="year, autumn, spring or summer.")] = "year",
    school: Annotated[
        str | None, typer.Option(help="Only what this school (URN) may see: its own and the LA's figures, suppressed.")
    ] = None,
) -> None:
    """The latest published measures for a year, in long format."""
    from ever6.publish.pipeline import export_metrics

    label, period = _year_and_period(year, period)
    settings = _settings()
    with _reading() as wh:
        n = export_metrics(
            wh,
            output,
            academic_year=label,
            period=period,
            suppress=suppress,
            school=school,
            cla_in_cwsw=settings.measures.cla_in_cwsw,
            protection_width=settings.disclosure.protection_width,
            localities=settings.localities.load(settings.home),
            snapshot=settings.snapshot_path,
        )
    out.print(f"Wrote {n:,} figures to {output}{' (suppressed)' if suppress or school else ''}.")


@metrics_app.command("gaps")
def metrics_gaps(
    year: Annotated[str, typer.Option("--year", help="Academic year, e.g. 2024/25.")],
    output: Annotated[Path, typer.Option("--out", help="CSV file to write.")],
    suppress: Annotated[bool, typer.Option("--suppress/--no-suppress", help="Apply disclosure control.")] = False,
    period: Annotated[str, typer.Option(help="year, autumn, spring or summer.")] = "year",
) -> None:
    """Each group against pupils never CWSW and against the national figures (with their sources)."""
    from ever6.publish.pipeline import export_gaps

    label, period = _year_and_period(year, period)
    settings = _settings()
    with _reading() as wh:
        n = export_gaps(
            wh,
            output,
            academic_year=label,
            period=period,
            suppress=suppress,
            cla_in_cwsw=settings.measures.cla_in_cwsw,
            protection_width=settings.disclosure.protection_width,
            localities=settings.localities.load(settings.home),
            snapshot=settings.snapshot_path,
        )
    out.print(f"Wrote {n:,} comparisons to {output}.")


def _year_and_period(year: str, period: str) -> tuple[str, str]:
    try:
        label = academic_year_label(parse_academic_year(year))
    except ValueError as exc:
        raise typer.BadParameter(f"{year!r} is not an academic year such as 2024/25") from exc
    if period not in PERIODS:
        raise typer.BadParameter(f"period must be one of {', '.join(PERIODS)}")
    return label, period


@contextmanager
def _reading() -> Iterator[Warehouse]:
    """The warehouse, read-only; something not there yet is a clear message, not a traceback."""
    path = _settings().warehouse_path
    _require_warehouse(path)
    with _open("a read", read_only=True) as wh:
        yield wh


def _require_warehouse(path: Path) -> None:
    if not path.exists():
        raise DataConditionError(f"No warehouse at {path}; import some data first.")


@link_app.callback(invoke_without_command=True)
def link_command(
    ctx: typer.Context,
    engine: Annotated[str, typer.Option(help="duckdb, or spark for national scale.")] = "duckdb",
    retrain: Annotated[bool, typer.Option(help="Train the probabilistic model again.")] = False,
) -> None:
    """Link every child to pupil records: UPN, former UPN, exact demographics, then Splink."""
    if ctx.invoked_subcommand is not None:
        return
    from ever6.linkage import run_linkage

    if engine not in ENGINES:
        raise typer.BadParameter(f"engine must be one of {', '.join(ENGINES)}")
    settings = _settings()
    from ever6.engines import engine_for

    session = engine_for(engine).session(settings.engine)
    with _open("linkage") as wh, _progress("linking"):
        result = run_linkage(wh, settings.linkage, engine=engine, spark_session=session, retrain=retrain)
    methods = Counter(r["method"] for r in result.links.to_pylist())
    out.print(
        f"Linked {len({r['la_child_id'] for r in result.links.to_pylist()}):,} children: "
        + ", ".join(f"{n:,} by {m}" for m, n in sorted(methods.items()))
        + f"; {result.review.num_rows:,} pairs for review."
    )
    if result.probabilistic_skipped:
        skipped = result.probabilistic_skipped
        out.print(f"Linked by the deterministic passes only; the probabilistic pass was skipped: {skipped}.")


@link_app.command("export")
def link_export(output: Annotated[Path, typer.Option("--out", help="CSV file to write.")]) -> None:
    """The links: la_child_id,upn,urn,method,match_probability."""
    from ever6.linkage import export_links

    with _reading() as wh:
        n = export_links(wh, output)
    out.print(f"Wrote {n:,} links to {output}.")


@link_app.command("report")
def link_report(
    as_at: Annotated[str, typer.Option("--as-at", help="Reference date R of the cohort, YYYY-MM-DD.")],
) -> None:
    """Match rates overall, by method, status, age band and school; unmatched children by reason (counts)."""
    from ever6.linkage import match_report

    settings = _settings()
    with _reading() as wh:
        report = match_report(wh, _parse_date(as_at), settings.linkage, settings.cohort)
    out.print_json(json.dumps(report.to_dict(), default=str))


@review_app.command("list")
def review_list() -> None:
    """Children awaiting a decision, each with up to 3 candidate pupils and the evidence for each."""
    from ever6.linkage import review_queue
    from ever6.linkage.review import describe_evidence

    with _reading() as wh:
        queue = review_queue(wh)
    if queue.num_rows == 0:
        out.print("The review queue is empty.")
        return
    table = Table(
        "child",
        "#",
        "UPN",
        "URN",
        "p",
        "why",
        "child: name, DOB, sex, postcode",
        "pupil: name, DOB, sex, postcode",
        "evidence: field, level, match weight",
    )
    for r in queue.to_pylist():
        table.add_row(
            r["la_child_id"],
            str(r["rank"] or ""),
            r["upn"],
            r["urn"] or "",
            f"{r['match_probability']:.3f}" if r["match_probability"] is not None else "",
            f"{r['candidate'] or ''}: {r['reason'] or ''}",
            _identity(r, "child"),
            _identity(r, "pupil"),
            describe_evidence(r["evidence"]),
        )
    out.print(table)
    out.print("Accepting one candidate rejects the child's others.")


def _identity(row: dict[str, object], side: str) -> str:
    parts = [row.get(f"{side}_{k}") for k in ("forename", "surname", "birth_date", "sex", "postcode")]
    return ", ".join(str(p) for p in parts if p not in (None, ""))


def _decide(decision: str, la_child_id: str, upn: str, reason: str) -> None:
    from ever6.linkage import decide

    if not reason.strip():
        raise typer.BadParameter("give the reason for the decision")
    with _open("a review decision") as wh:
        decide(wh, la_child_id, upn, decision, reason)
    out.print(f"Recorded: {decision} {la_child_id} ~ {upn} ({reason}).")


ReasonOption = Annotated[str, typer.Option("--reason", help="Why (kept with the decision).")]


@review_app.command("accept")
def review_accept(la_child_id: str, upn: str, reason: ReasonOption) -> None:
    """Accept a pair: the child is the pupil with this UPN."""
    _decide("accept", la_child_id, upn, reason)


@review_app.command("reject")
def review_reject(la_child_id: str, upn: str, reason: ReasonOption) -> None:
    """Reject a pair: the child is not this pupil (kept across refreshes)."""
    _decide("reject", la_child_id, upn, reason)


def _print_summary(by_status: dict[str, int], rows: int, cwsw: int, as_at: date, strict: bool) -> None:
    table = Table("status", "children", title=f"Cohort at {as_at} ({'strict' if strict else 'default'} rule)")
    for status, n in by_status.items():
        table.add_row(status, f"{n:,}")
    table.add_row("all in output", f"{rows:,}")
    table.add_row("Ever6 CWSW", f"{cwsw:,}")
    out.print(table)


@app.command("check")
def check_command() -> None:
    """Verify the workspace: files readable and private, the warehouse readable to its last block,
    no refresh left half-done, the web snapshot holding the latest run, the web database sound."""
    from ever6.workspace import check

    findings = check(_settings())
    for finding in findings:
        mark = "ok     " if finding.ok else "PROBLEM"
        out.print(f"{mark} {finding.what}", markup=False, highlight=False, soft_wrap=True)
    problems = sum(not f.ok for f in findings)
    if problems:
        err.print(f"[red]{problems} problem(s) in {escape(str(_settings().home))}[/red]", highlight=False)
        raise typer.Exit(1)
    out.print("The workspace is sound.")


@app.command("backup")
def backup_command(
    dest: Annotated[Path, typer.Argument(help="A new (or empty) folder, outside the workspace.")],
) -> None:
    """Copy the warehouse, the web snapshot, the web database, the uploads and the settings into
    DEST, consistently (imports and refreshes wait meanwhile), with a manifest of digests."""
    from ever6.workspace import backup

    summary = backup(_settings(), dest, wait=float(_state.get("wait") or 0.0))
    total = sum(summary.files.values())
    run = f"latest run {summary.run_id}" if summary.run_id is not None else "nothing published yet"
    out.print(f"Backed up {len(summary.files)} file(s), {total:,} bytes, to {dest} ({run}).")
    for note in summary.notes:
        err.print(f"note: {note}", markup=False, highlight=False)


@app.command("restore")
def restore_command(
    src: Annotated[Path, typer.Argument(exists=True, file_okay=False, help="A folder `ever6 backup` wrote.")],
) -> None:
    """Replace the workspace's files by a backup's, after checking every digest; the files replaced
    are kept in a before-restore-<time> folder of the workspace. Stop the web service first."""
    from ever6.workspace import restore

    summary = restore(_settings(), src, wait=float(_state.get("wait") or 0.0))
    run = f"latest run {summary.run_id}" if summary.run_id is not None else "nothing published"
    out.print(f"Restored {len(summary.restored)} file(s) from {src} ({run}).")
    if summary.set_aside is not None:
        out.print(f"The files it replaced are in {summary.set_aside}; delete that folder once satisfied.")
    out.print("Run `ever6 check` to verify, and restart the web service.")


@app.command("synth")
def synth(
    output: Annotated[Path, typer.Option("--out", help="Folder to write the files into.")],
    scale: Annotated[
        str, typer.Option(help="tiny, small (~20,000 pupils), la (~250,000) or region (~500,000).")
    ] = "small",
    seed: Annotated[int, typer.Option(help="Same seed, same files.")] = 2026,
) -> None:
    """Write a synthetic local authority's files; ground truth goes to OUT/truth/."""
    from ever6.synth import SCALES, generate

    if scale not in SCALES:
        raise typer.BadParameter(f"scale must be one of {', '.join(SCALES)}")
    with _progress("generating") as progress:
        manifest = generate(scale, seed, output, progress=progress)
    out.print(f"Wrote a synthetic authority ({scale}, seed {seed}) to {output}: {manifest.summary()}")


@app.command("demo")
def demo(
    scale: Annotated[str, typer.Option(help="Synthetic authority size.")] = "small",
    seed: Annotated[int, typer.Option()] = 2026,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve the web app afterwards.")] = True,
    host: Annotated[str, typer.Option(help="Address to serve on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8000,
) -> None:
    """Build a synthetic authority into a fresh workspace and run everything on it."""
    from ever6.demo import build_demo

    settings = _settings()
    with _progress("building the demo") as progress:
        summary = build_demo(settings, scale=scale, seed=seed, progress=progress)
    c = summary.cohort
    out.print(f"Demo workspace: {summary.home} ({summary.batches} import batches; files in {summary.data_dir}).")
    _print_summary(c.by_status, c.rows, c.cwsw, c.as_at, c.strict)
    from ever6.web.commands import seed_demo
    from ever6.web.commands import serve as serve_web

    logins = seed_demo(summary.home)
    table = Table(title="Demo sign-ins (passwords are new each time the demo is built)")
    for column in ("role", "username", "password", "schools"):
        table.add_column(column)
    for login in logins:
        table.add_row(login.role.value, login.username, login.password, ", ".join(login.schools))
    out.print(table)
    # Other commands read ./var unless told: say how to point them at this workspace.
    out.print(
        f"Commands on this workspace: ever6 --home {summary.home} imports list (or export EVER6_HOME={summary.home}).",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    if serve:
        out.print(f"Open http://{host}:{port}/ and sign in with one of the accounts above (Ctrl+C to stop).")
        serve_web(summary.home, host, port)
    else:
        out.print(f"Serve it with: EVER6_HOME={summary.home} ever6 web serve")


if __name__ == "__main__":  # pragma: no cover
    app()
