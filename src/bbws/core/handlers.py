"""The handler registry: job name -> handler, shared by the local worker and the SQS consumer. Each context lists
its handlers in a `HANDLERS` table; the composition root (`bbws.app.build_handlers`) puts the tables together."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bbws.core.queue import Job

if TYPE_CHECKING:  # the container names the registry; the registry's context names the container
    from bbws.core.container import Container


class PermanentFailure(Exception):
    """A business failure: retrying cannot help, so the job fails at once (no retries, no DLQ). `code` is the
    Operation error's code (`JOB_FAILED` unless the handler names the failure)."""

    def __init__(self, reason: str, *, code: str = "JOB_FAILED") -> None:
        super().__init__(reason)
        self.code = code


@dataclass(frozen=True)
class JobContext:
    """What a handler gets besides its job: the container's ports, its Operation, and progress reporting."""

    container: Container
    report: Callable[[int, str], None]
    operation: dict[str, Any] | None = None


Handler = Callable[[Job, JobContext], "dict[str, Any] | None"]


class HandlerRegistry:
    def __init__(self, *tables: Mapping[str, Handler]) -> None:
        self._handlers: dict[str, Handler] = {}
        for table in tables:
            self.add(table)

    def add(self, table: Mapping[str, Handler]) -> None:
        for name, handler in table.items():
            self.register(name)(handler)

    def register(self, name: str) -> Callable[[Handler], Handler]:
        def decorate(handler: Handler) -> Handler:
            if name in self._handlers:
                raise ValueError(f"a handler for {name} is already registered")
            self._handlers[name] = handler
            return handler

        return decorate

    def handler_for(self, name: str) -> Handler:
        try:
            return self._handlers[name]
        except KeyError:
            raise PermanentFailure(f"no handler is registered for job {name}") from None

    def names(self) -> list[str]:
        return sorted(self._handlers)

