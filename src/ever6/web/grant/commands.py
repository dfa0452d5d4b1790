"""``ever6 returns dfe --year 2024/25 --out DIR``: the data and information return to the DfE,
written from the published snapshot (suppressed) and the web service's records."""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import Annotated

import typer

returns_app = typer.Typer(help="Returns to the Department for Education.")


@returns_app.command("dfe")
def dfe_command(
    year: Annotated[str, typer.Option("--year", help="Academic year, like 2024/25 (spend: April 2024 to March 2025).")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write the CSV, metadata and Excel files into.")],
) -> None:
    """Write the return: EES CSV files with their .meta.csv files, and one Excel workbook."""
    import re

    if not re.fullmatch(r"\d{4}/\d{2}", year) or (int(year[:4]) + 1) % 100 != int(year[5:]):
        typer.echo(f"--year must be an academic year like 2024/25, not {year!r}", err=True)
        raise typer.Exit(2)
    from ever6.web.commands import setup_django

    setup_django(Path(os.environ.get("EVER6_HOME", "var")))
    from django.conf import settings

    from ever6.access import NotPublished, Role, Snapshot, Viewer
    from ever6.web.grant import dfe_return

    snapshot = Snapshot(settings.EVER6_SNAPSHOT)
    viewer = Viewer(username=f"cli:{getpass.getuser()}", role=Role.VS_HEAD)
    try:
        if year not in snapshot.academic_years():
            typer.echo(f"the published figures have no academic year {year}", err=True)
            raise typer.Exit(1)
        files = dfe_return.build(snapshot, viewer, year, dfe_return.authority(snapshot))
    except NotPublished as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    for path in dfe_return.write(files, out):
        typer.echo(path)
