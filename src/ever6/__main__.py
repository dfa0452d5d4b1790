"""``python -m ever6`` runs the command line."""

from ever6.cli import app

app(prog_name="ever6")
