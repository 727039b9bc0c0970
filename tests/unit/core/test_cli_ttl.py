"""`parse_ttl`: the lifetimes `bbws token create --ttl` accepts."""

from __future__ import annotations

import pytest
import typer

from bbws.cli.main import parse_ttl


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("1", 1), ("3600", 3600), ("45s", 45), ("90m", 5400), ("12h", 43_200), ("30d", 2_592_000), (" 10m ", 600)],
)
def test_accepted(text: str, seconds: int) -> None:
    assert parse_ttl(text) == seconds


@pytest.mark.parametrize("text", ["0", "0h", "-5", "-5m", "", " ", "abc", "1w", "1.5h", "h", "10 m", "10M", "1e3"])
def test_refused(text: str) -> None:
    with pytest.raises(typer.BadParameter):
        parse_ttl(text)
