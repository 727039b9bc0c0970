"""Storage keys are spelled only in `keys` modules: no other source module writes a key prefix (`TENANT#`,
`SITE#`, ...) or builds a `pk` / `sk` / GSI key value out of literal text. The item-store adapters (`bbws.store`)
are generic and exempt."""

from __future__ import annotations

import ast
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "bbws"
PREFIX = re.compile(r"(?<![A-Za-z0-9_])[A-Z][A-Z0-9_]*#")  # `TENANT#`, `SITE#`, `GSI1#` ...
KEY_FIELDS = re.compile(r"^(pk|sk|GSI\d+(PK|SK))$")


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the constants that are docstrings (they may describe a layout)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def _literal_text(node: ast.AST) -> bool:
    """A string literal, or an f-string with literal text in it (not a bare `f"{x}"`)."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    return isinstance(node, ast.JoinedStr) and any(isinstance(v, ast.Constant) for v in node.values)


def _spelled_key(node: ast.AST, docs: set[int]) -> str | None:
    """The text of a string literal (not a docstring) that spells a key prefix."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
        return node.value if PREFIX.search(node.value) else None
    return None


def findings(path: Path, root: Path = SRC) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    docs = _docstrings(tree)
    where = f"src/bbws/{path.relative_to(root)}"
    found = []
    for node in ast.walk(tree):
        text = _spelled_key(node, docs)
        if text is not None:
            found.append(f"{where}:{getattr(node, 'lineno', 0)}: key prefix in {text!r}")
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
                    continue
                if KEY_FIELDS.match(key.value) and _literal_text(value):
                    found.append(f"{where}:{value.lineno}: {key.value} spelled inline")
    return found


def modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if p.name != "keys.py" and p.relative_to(SRC).parts[0] != "store")


def test_storage_keys_are_spelled_only_in_keys_modules() -> None:
    found = [f for p in modules() for f in findings(p)]
    assert not found, "spell these keys in the context's keys module:\n" + "\n".join(found)


def test_the_scan_sees_prefixes_and_inline_keys_but_not_docstrings_or_named_keys(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        '"""A docstring may say TENANT#{t}."""\n'
        'ITEM = {"pk": f"{a}#{b}", "sk": "X", "GSI1PK": keys.index(a), "type": "SITE#x"}\n'
    )
    shown = sorted(line.split(": ", 1)[1] for line in findings(sample, tmp_path))
    assert shown == ["key prefix in 'SITE#x'", "pk spelled inline", "sk spelled inline"]
