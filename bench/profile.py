"""Where a server's time goes: py-spy samples of the thread holding the GIL, summed per function."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

_FRAME = re.compile(r"(?P<func>.*) \((?P<file>.*?):\d+\)$")
# Frames that sit under every sample (interpreter, event loop, thread start-up) say nothing about the cost.
_PLUMBING = ("runpy", "asyncio/", "threading.py", "uvicorn/server.py", "uvicorn/_compat.py", "bench/servers.py")
_ROUTE = "get_route_handler.<locals>.handler"  # ApiRoute's wrapper: every API request passes through it
_PREFIXES = (r".*/site-packages/", r".*/src/", r".*/lib/python3\.\d+/", r".*/(?=bench/)")


def py_spy() -> str | None:
    """The py-spy executable (next to this Python first), or None when it is not installed."""
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


def record(pid: int, seconds: int, out: Path) -> subprocess.Popen[bytes]:
    """Start sampling `pid` for `seconds` (GIL holder only, raw collapsed stacks into `out`)."""
    exe = py_spy()
    if exe is None:
        raise RuntimeError("profiling needs py-spy: pip install py-spy")
    command = [exe, "record", "--pid", str(pid), "--gil", "--nonblocking", "--rate", "250"]
    command += ["--duration", str(seconds), "--format", "raw", "--output", str(out)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _name(frame: str) -> str:
    match = _FRAME.match(frame)
    if not match:
        return frame
    path = match["file"]
    for prefix in _PREFIXES:
        path = re.sub(prefix, "", path)
    return f"{match['func']} ({path})"


def summarize(raw: Path, top: int = 25) -> str:
    """The functions with the largest share of samples, inclusive (with callees) and self."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    chain: set[str] = set()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples = int(count)
        total += samples
        names = [_name(f) for f in stack.split(";")]
        route = next((i for i, n in enumerate(names) if _ROUTE in n), None)
        if route is not None:
            chain.update(names[:route])
        for name in set(names):
            inclusive[name] += samples
        own[names[-1]] += samples
    if not total:
        return "no samples"
    # The frames above our route handler are the server's and the framework's call chain: no news there.
    useful = [(n, c) for n, c in inclusive.most_common() if n not in chain and not any(p in n for p in _PLUMBING)]
    lines = [f"{total} samples of the thread holding the GIL; inclusive share (function with its callees):"]
    lines += [f"  {100 * c / total:5.1f}%  {n}" for n, c in useful[:top]]
    lines.append("self share (the function's own code, C calls included):")
    lines += [f"  {100 * c / total:5.1f}%  {n}" for n, c in own.most_common(top // 2)]
    return "\n".join(lines)
