"""``ever6 packs ...``: write the documents for the people who act on the figures."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer

packs_app = typer.Typer(
    help="Documents: the governors' pack for every school, the annual report.", no_args_is_help=True
)


@packs_app.command("governors")
def governors_command(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the packs and their zip into.")],
    year: Annotated[
        str | None, typer.Option(help="Academic year, e.g. 2024/25 (default: the latest published).")
    ] = None,
    school: Annotated[
        list[str] | None, typer.Option("--school", help="Only this school's pack (URN; repeat for more).")
    ] = None,
    jobs: Annotated[int, typer.Option(help="Worker processes (0: one per processor).", min=0)] = 0,
) -> None:
    """A governors' pack (PDF, suppressed figures) for every school in the authority, and a zip of them."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ever6.web.commands import _home, setup_django

    setup_django(_home())
    from ever6.access import AuditEntry, NotPublished, Role, Viewer
    from ever6.web.audit.models import record
    from ever6.web.documents.batch import write_governors_packs

    who = Viewer(f"command line ({getpass.getuser()})", Role.VS_OFFICER)
    console = Console(stderr=True)
    with Progress(
        TextColumn("[bold]governors' packs"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("packs", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            written = write_governors_packs(who, out, year=year, urns=school or None, jobs=jobs, progress=update)
        except (NotPublished, ValueError) as exc:
            typer.echo(f"ever6 packs: {exc}", err=True)
            raise typer.Exit(2) from exc
    record(
        None,
        who,
        AuditEntry(
            action="download",
            what="governors_pack",
            object_id=written.year,
            rows=len(written.packs),
            detail={"schools": len(written.packs), "by": "command line"},
        ),
    )
    typer.echo(
        f"{len(written.packs)} governors' packs for {written.year} in {out} "
        f"({written.seconds:.1f} s); all of them in {written.archive.name}."
    )


@packs_app.command("annual")
def annual_command(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the report (PDF) and its tables (Excel) into.")],
    year: Annotated[
        str | None, typer.Option(help="Academic year, e.g. 2024/25 (default: the latest published).")
    ] = None,
    internal: Annotated[
        bool,
        typer.Option(
            "--internal/--shared",
            help="Figures without disclosure control, for the Virtual School only (default: shared, suppressed).",
        ),
    ] = False,
) -> None:
    """The annual report for the Director of Children's Services: a PDF and its tables as Excel."""
    from ever6.web.commands import _home, setup_django

    setup_django(_home())
    from ever6.access import AuditEntry, NotPublished, Role, Viewer
    from ever6.web.audit.models import record
    from ever6.web.documents import annual
    from ever6.web.guard import snapshot

    who = Viewer(f"command line ({getpass.getuser()})", Role.VS_HEAD)
    snap = snapshot()
    try:
        with snap.pinned():
            published = snap.academic_years()
            chosen = year or (published[-1] if published else "")
            if chosen not in published:
                raise ValueError(f"no figures were published for {chosen!r} (published: {', '.join(published)})")
            ctx = annual.build(snap, who, chosen, internal=internal)
    except (NotPublished, ValueError) as exc:
        typer.echo(f"ever6 packs: {exc}", err=True)
        raise typer.Exit(2) from exc
    out.mkdir(parents=True, exist_ok=True)
    pdf = out / annual.filename(chosen, "pdf")
    xlsx = out / annual.filename(chosen, "xlsx")
    pdf.write_bytes(annual.render(ctx))
    xlsx.write_bytes(annual.tables_workbook(ctx))
    record(
        None,
        who,
        AuditEntry(action="download", what="annual_report", object_id=chosen, detail={"internal": internal}),
    )
    typer.echo(f"The annual report for {chosen}: {pdf} and its tables in {xlsx}.")
