"""What one context does when another acts. The composition root (`bbws.app.build_hooks`) fills one `Hooks` into
the container; a context calls the hooks it is given and never imports the contexts that fill them, and importing
a module connects nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bbws.core.changes import Actor, Changes
from bbws.core.clock import Clock
from bbws.core.store import ItemStore

# An operation that ended without its job recording it (cancelled, failed, dead-lettered) lets go of what it
# held, in the changeset that ends it: (changes, store, operation).
ReleaseHook = Callable[[Changes, ItemStore, dict[str, Any]], None]
# A tenant lifecycle action (`park`, `delete`, ...) may be refused by another context before anything is queued:
# (store, tenant, action) -> raises a 409/422.
TenantPrecheck = Callable[[ItemStore, dict[str, Any], str], None]
# ... and adds that context's writes (its own operations and jobs) to the changeset that moves the tenant, so
# both happen or neither does: (changes, store, tenant, action).
TenantCascade = Callable[[Changes, ItemStore, dict[str, Any], str], None]
# Where an operation's resource sits in the tenant's tree, so whoever may see the resource may see its operations
# (the roles on a team see the operations of the team's sites): (store, operation) -> node path.
ResourceNode = Callable[[ItemStore, dict[str, Any]], str]
# What else ends with an instance once its runtime is gone (its sites): (store, clock, actor, instance).
InstanceRemoved = Callable[[ItemStore, Clock, Actor, dict[str, Any]], None]


@dataclass
class Hooks:
    release: dict[str, ReleaseHook] = field(default_factory=dict)  # resourceType -> its release
    resource_nodes: dict[str, ResourceNode] = field(default_factory=dict)  # resourceType -> its node; else ""
    tenant_prechecks: list[TenantPrecheck] = field(default_factory=list)
    tenant_cascades: list[TenantCascade] = field(default_factory=list)
    instance_removed: list[InstanceRemoved] = field(default_factory=list)
