"""`python -m bbws.cli`: the `bbws` command."""

from bbws.cli.main import app

app()
