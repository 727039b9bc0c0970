"""An in-memory RuntimeDriver for API and service tests (the real drivers have their own integration tests)."""

from __future__ import annotations

from pathlib import Path

from bbws.instances.driver import DriverError, DriverResult, InstanceSpec, RuntimeDriver, RuntimeStatus, Versions


class FakeDriver(RuntimeDriver):
    """Records calls; `fail_next[action] = reason` makes the next such call fail (retryable with `retryable`)."""

    name = "local"

    def __init__(self) -> None:
        self.running: dict[tuple[str, str], int] = {}
        self.calls: list[tuple[str, str, str]] = []
        self.fail_next: dict[str, str] = {}
        self.retryable: set[str] = set()
        self.provisioned: set[tuple[str, str]] = set()

    def _call(self, action: str, spec: InstanceSpec) -> None:
        self.calls.append((action, spec.tenant_id, spec.environment))
        reason = self.fail_next.pop(action, None)
        if reason:
            raise DriverError(reason, retryable=action in self.retryable)

    def _result(self, spec: InstanceSpec) -> DriverResult:
        port = 20000 + len(self.provisioned)
        resources = {"port": spec.resources.get("port", port), "filesPath": f"instances/{spec.tenant_id}"}
        return DriverResult(resources=resources, url=f"http://127.0.0.1:{resources['port']}/")

    def versions(self) -> Versions:
        return Versions(wordpress=("6.1.9",), php=("8.2",), database="10.11.0-MariaDB")

    def missing(self) -> list[str]:
        return []

    def provision(self, spec: InstanceSpec) -> DriverResult:
        self._call("provision", spec)
        key = (spec.tenant_id, spec.environment)
        self.provisioned.add(key)
        self.running[key] = spec.desired_count
        return self._result(spec)

    def update(self, spec: InstanceSpec) -> DriverResult:
        self._call("update", spec)
        self.running[(spec.tenant_id, spec.environment)] = spec.desired_count
        return self._result(spec)

    def start(self, spec: InstanceSpec) -> DriverResult:
        self._call("start", spec)
        self.running[(spec.tenant_id, spec.environment)] = spec.desired_count
        return self._result(spec)

    def stop(self, spec: InstanceSpec) -> DriverResult:
        self._call("stop", spec)
        self.running.pop((spec.tenant_id, spec.environment), None)
        return self._result(spec)

    def scale(self, spec: InstanceSpec) -> DriverResult:
        return self.start(spec)

    def deprovision(self, spec: InstanceSpec, *, export_dir: Path | None) -> DriverResult:
        self._call("deprovision", spec)
        self.running.pop((spec.tenant_id, spec.environment), None)
        self.provisioned.discard((spec.tenant_id, spec.environment))
        return DriverResult(resources={}, details={"exports": []})

    def status(self, spec: InstanceSpec) -> RuntimeStatus:
        running = self.running.get((spec.tenant_id, spec.environment), 0)
        return RuntimeStatus(running_count=running, answering=running > 0, url=None)
