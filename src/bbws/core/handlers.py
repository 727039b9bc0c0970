"""The handler registry: job name -> handler, shared by the local worker and the SQS consumer. Each context lists
its handlers in a `HANDLERS` table; the composition root (`bbws.app.build_handlers`) puts the tables together."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from bbws.core.changes import Actor, Changes
from bbws.core.queue import Job
from bbws.core.store import ItemStore

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
    """What a handler gets besides its job: the container's ports, its Operation, progress reporting, the acting
    user (who asked for the Operation) and a changeset in their name."""

    container: Container
    report: Callable[[int, str], None]
    operation: dict[str, Any] | None = None

    @property
    def actor(self) -> Actor:
        return Actor.of_operation(self.operation)

    def changes(self) -> Changes:
        return Changes(actor=self.actor, now=self.container.clock.now())


Handler = Callable[[Job, JobContext], "dict[str, Any] | None"]


class ClaimedJob(ABC):
    """The one sequence of every job that works on a resource its Operation claimed (`pendingOperationId`):
    load the resource; when an earlier delivery already recorded this operation (`lastOperationId`) return its
    result; refuse when the resource no longer waits for this operation; else run, which does the work and
    settles the resource (ending the claim) in one changeset. What an operation that ends without its job held
    is let go by `release`, which the composition root hands to the operations as the resource type's hook."""

    kind: ClassVar[str]  # the Operation's resourceType ("site"), also named in refusals

    def __call__(self, job: Job, ctx: JobContext) -> dict[str, Any]:
        item = self.load(job, ctx)
        if item is None:
            raise PermanentFailure(f"{self.kind} {self.name_of(job, None)} no longer exists")
        operation_id = str(job.operation_id)
        if item.get("lastOperationId") == operation_id:
            return self.done(item)  # applied by an earlier delivery of this job
        if item.get("pendingOperationId") != operation_id:
            raise PermanentFailure(
                f"{self.kind} {self.name_of(job, item)} is no longer waiting for operation {operation_id}"
            )
        return self.run(job, ctx, item)

    @abstractmethod
    def load(self, job: Job, ctx: JobContext) -> dict[str, Any] | None:
        """The resource as stored now (None: it is gone)."""

    @abstractmethod
    def name_of(self, job: Job, item: dict[str, Any] | None) -> str:
        """How refusals name the resource."""

    @abstractmethod
    def done(self, item: dict[str, Any]) -> dict[str, Any]:
        """The result of the operation that the resource records as applied."""

    @abstractmethod
    def run(self, job: Job, ctx: JobContext, item: dict[str, Any]) -> dict[str, Any]:
        """Do the work and settle the resource; returns the Operation's result."""

    @staticmethod
    @abstractmethod
    def release(changes: Changes, store: ItemStore, operation: dict[str, Any]) -> None:
        """Let the resource go when its operation ended without this job recording it (cancelled, failed)."""


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

    def claimed(self) -> list[ClaimedJob]:
        """The handlers of jobs on a claimed resource, one per kind of resource."""
        kinds = {h.kind: h for h in self._handlers.values() if isinstance(h, ClaimedJob)}
        return list(kinds.values())

