"""What every benchmark shares: goals and their verdict lines, medians, the results folder, seeded tenants."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class Goal:
    """One measured ratio (or count, per `unit`) against its goal (`>=` or `<=` a target)."""

    name: str
    ratio: float
    op: Literal[">=", "<="]
    target: float
    unit: str = "ratio"

    @property
    def met(self) -> bool:
        return self.ratio >= self.target if self.op == ">=" else self.ratio <= self.target

    def line(self) -> str:
        verdict = "PASS" if self.met else "FAIL"
        value = f"{self.ratio:.2f}" if self.unit == "ratio" else f"{self.ratio:g}"
        return f"{self.name}: {self.unit} {value} (goal {self.op} {self.target:g}): {verdict}"


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values: Sequence[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def micros(seconds: float) -> str:
    return f"{seconds * 1e6:,.0f} us"


def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain, aligned text table."""
    cells = [[str(c) for c in header], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
