"""``ever6 audit``: check the audit log's hash chain from the command line."""

from __future__ import annotations

import typer

audit_app = typer.Typer(help="The web service's audit log.", no_args_is_help=True)


@audit_app.command("verify")
def verify_command() -> None:
    """Check that no audit entry was changed or deleted in the database (exit 1 if one was)."""
    from ever6.web.commands import _home, setup_django

    setup_django(_home())
    from ever6.web.audit.chain import verify

    result = verify()
    for problem in result.problems:
        typer.echo(problem, err=True)
    if not result.intact:
        typer.echo(f"The audit log does NOT verify: {len(result.problems)} problem(s) in {result.entries} entries.")
        raise typer.Exit(1)
    typer.echo(f"The audit log verifies: {result.entries} entries, none changed or deleted.")
