"""The loopback port of each local instance, chosen once and recorded in its state."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bbws.core.driver import DriverError
from bbws.core.files import file_lock
from bbws.instances.local import layout, naming, processes
from bbws.instances.local.layout import InstanceFiles


def claim(root: Path, files: InstanceFiles, port_range: range, *, wanted: Any, fresh: dict[str, Any]) -> dict[str, Any]:
    """The instance's state with its port: the one it recorded, `wanted` (a port asked for), or a free one of
    `port_range`. A new choice is recorded (with `fresh` as the rest of the state) before the lock is let go, so
    the next choice, in this process or another sharing `root` (`bbws serve`, `bbws worker`), sees it taken."""
    state = files.read_state()
    if isinstance(state.get("port"), int):
        return state
    with file_lock(root / "ports.lock"):
        taken = layout.recorded_ports(root / "instances", besides=files.root)
        if isinstance(wanted, int):
            if wanted in taken:
                raise DriverError(f"port {wanted} belongs to another instance", code="CONFLICT")
            port: int | None = wanted
        else:
            port = naming.choose_port(port_range, taken=taken, is_free=processes.port_is_free)
        if port is None:
            raise DriverError(f"no free port left in {port_range.start}-{port_range.stop - 1}", code="NO_CAPACITY")
        state = {**fresh, "port": port}
        files.write_state(state)
    return state
