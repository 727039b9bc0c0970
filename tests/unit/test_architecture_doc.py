"""docs/architecture.md stays the design of record: every package of the layers contract is in its layer table,
in the same order, and every package of `src/bbws` is named somewhere in the page."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGE = (ROOT / "docs" / "architecture.md").read_text()


def contract_layers() -> list[list[str]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (layers,) = [c["layers"] for c in config["contracts"] if c["type"] == "layers"]
    return [re.split(r"\s*[:|]\s*", line) for line in layers]


def test_the_layer_table_lists_the_contracts_layers_in_order() -> None:
    table = PAGE[PAGE.index("| layer | packages |"): PAGE.index("`bbws.client`")]
    cells = [re.split(r"(?<!\\)\|", line) for line in table.splitlines()[2:] if line.strip()]  # `\|` is in a cell
    rows = [re.findall(r"`(bbws\.[a-z_]+)`", row[2]) for row in cells]
    assert [sorted(row) for row in rows] == [sorted(layer) for layer in contract_layers()]


def test_every_package_is_named_on_the_page() -> None:
    packages = {f"bbws.{p.name}" for p in (ROOT / "src" / "bbws").iterdir() if (p / "__init__.py").exists()}
    packages |= {"bbws.app", "bbws.readiness"}
    assert not sorted(p for p in packages if f"`{p}`" not in PAGE)
