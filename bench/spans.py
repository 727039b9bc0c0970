"""Where a benchmarked site operation spends its time: driver calls and the steps inside them, timed by wrapping
them for the length of one recording (put back afterwards)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from typing import Any

from bbws.instances.local import LocalDriver, wordpress
from bbws.instances.local import sites as local_sites
from bench.common import median, table


class Spans:
    """Where a timed operation spends its time: the runtime driver's calls, and inside them the PHP scripts, the
    dump, the unpacking and the file copies (not inside `run_admin`: one command is one script there), plus the
    health check's page requests. One recording per operation; the report shows the median of each over them."""

    def __init__(self) -> None:
        self.runs: list[tuple[float, dict[str, list[float]]]] = []
        self._open: list[str] = []

    def _timed(self, found: dict[str, list[float]], label_of: Callable[..., str], fn: Callable[..., Any]) -> Any:
        def timed(*args: Any, **kwargs: Any) -> Any:
            outer = self._open[-1] if self._open else None
            if outer is not None and outer.startswith("driver.run_admin"):
                return fn(*args, **kwargs)
            label = f"{outer} > {label_of(*args, **kwargs)}" if outer else label_of(*args, **kwargs)
            entry = found.setdefault(label, [0.0, 0])
            self._open.append(label)
            began = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                entry[0] += time.perf_counter() - began
                entry[1] += 1
                self._open.pop()

        return timed

    @contextlib.contextmanager
    def recording(self, driver: LocalDriver) -> Iterator[None]:
        from bbws.sites import health

        found: dict[str, list[float]] = {}
        patches: list[tuple[Any, str, Callable[..., str]]] = [
            *(
                (driver, name, lambda *a, n=name, **k: f"driver.{n}")
                for name in ("install_site", "import_site", "export_site", "copy_site", "site_info", "search_replace")
            ),
            (driver, "run_admin", lambda spec, key, command, *a, **k: f"driver.run_admin {command}"),
            (driver.db, "dump", lambda *a, **k: "mariadb-dump"),
            (driver.db, "load", lambda *a, **k: "mariadb load"),
            (driver.db, "copy_database", lambda *a, **k: "mariadb-dump | mariadb"),
            (driver.db, "create_site_database", lambda *a, **k: "CREATE DATABASE, USER"),
            (wordpress, "run_script", lambda php, script, payload, **k: f"php {script} {payload.get('command', '')}"),
            (wordpress, "new_site_files", lambda *a, **k: "link the core, place wp-content"),
            (local_sites, "_unpack", lambda *a, **k: "unpack the tar.gz"),
            (health, "_page_checks", lambda *a, **k: "health: GET the site's pages"),
        ]
        saved = [(owner, name, getattr(owner, name)) for owner, name, _ in patches]
        for (owner, name, label_of), (_, _, original) in zip(patches, saved, strict=True):
            setattr(owner, name, self._timed(found, label_of, original))
        began = time.perf_counter()
        try:
            yield
        finally:
            total = time.perf_counter() - began
            for owner, name, original in saved:
                if owner in (driver, driver.db):
                    delattr(owner, name)  # the class's method again
                else:
                    setattr(owner, name, original)
            self.runs.append((total, found))

    def report(self, title: str) -> str:
        """A table of the medians per label (nested ones indented), then what is left for the API and the jobs;
        the recordings are cleared."""
        runs, self.runs = self.runs, []
        labels = list(dict.fromkeys(label for _, found in runs for label in found))
        rows = []
        for label in labels:
            seconds = median([found.get(label, [0.0, 0])[0] for _, found in runs])
            calls = median([found.get(label, [0.0, 0])[1] for _, found in runs])
            rows.append(["  " * label.count(" > ") + label.rsplit(" > ", 1)[-1], f"{seconds * 1000:.0f}", f"{calls:g}"])
        rest = median([total - sum(v[0] for k, v in found.items() if " > " not in k) for total, found in runs])
        rows.append(["the rest: API, queue, store, polling, wait for 200", f"{rest * 1000:.0f}", ""])
        rows.append(["total", f"{median([total for total, _ in runs]) * 1000:.0f}", ""])
        return table([f"{title} (median of {len(runs)})", "ms", "calls"], rows)
