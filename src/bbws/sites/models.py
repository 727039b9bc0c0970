"""Site domain: statuses, the state machine, actions, subdomain and promotion rules (no I/O)."""

from __future__ import annotations

import re
from enum import StrEnum

from bbws.core.errors import ApiError, InvalidTransition, UnprocessableEntity


class WordPressFailed(ApiError):
    """WP_001: a site's WordPress (through the runtime driver) refused or failed what was asked; what the platform
    records of the site was left as it was."""

    status, code, title = 502, "WP_001", "WordPress could not do it"


class SiteStatus(StrEnum):
    PROVISIONING = "PROVISIONING"
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"
    UPDATING = "UPDATING"
    CLONING = "CLONING"
    RESTORING = "RESTORING"
    PROMOTING = "PROMOTING"
    DEPROVISIONING = "DEPROVISIONING"
    DELETED = "DELETED"
    FAILED = "FAILED"


class HealthStatus(StrEnum):
    HEALTHY = "HEALTHY"
    DEGRADED = "DEGRADED"
    UNHEALTHY = "UNHEALTHY"
    UNKNOWN = "UNKNOWN"


class BackupStatus(StrEnum):
    PENDING = "PENDING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


class PromotionStatus(StrEnum):
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    ROLLED_BACK = "ROLLED_BACK"
    FAILED = "FAILED"


class SiteAction(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    SUSPEND = "suspend"
    ACTIVATE = "activate"
    CLONE = "clone"
    BACKUP = "backup"
    RESTORE = "restore"
    PROMOTE = "promote"  # on the source; the target is written by the promotion itself
    APPLY_TEMPLATE = "apply-template"
    DELETE = "delete"
    INSTALL_PLUGIN = "install-plugin"  # the plugin actions change plugins and themes (the `kind` in their params)
    SET_PLUGIN_STATUS = "set-plugin-status"
    CONFIGURE_PLUGIN = "configure-plugin"
    UPDATE_PLUGIN = "update-plugin"
    REMOVE_PLUGIN = "remove-plugin"


S, A = SiteStatus, SiteAction
PLUGIN_ACTIONS = (A.INSTALL_PLUGIN, A.SET_PLUGIN_STATUS, A.CONFIGURE_PLUGIN, A.UPDATE_PLUGIN, A.REMOVE_PLUGIN)
TRANSITIONS: dict[SiteStatus, frozenset[SiteStatus]] = {
    S.PROVISIONING: frozenset({S.ACTIVE, S.FAILED}),
    S.ACTIVE: frozenset({S.SUSPENDED, S.UPDATING, S.CLONING, S.RESTORING, S.PROMOTING, S.DEPROVISIONING}),
    S.SUSPENDED: frozenset({S.ACTIVE, S.DEPROVISIONING}),
    S.UPDATING: frozenset({S.ACTIVE, S.FAILED}),
    S.CLONING: frozenset({S.ACTIVE, S.FAILED}),
    S.RESTORING: frozenset({S.ACTIVE, S.FAILED}),
    S.PROMOTING: frozenset({S.ACTIVE, S.FAILED}),
    S.DEPROVISIONING: frozenset({S.DELETED, S.FAILED}),
    S.DELETED: frozenset(),
    S.FAILED: frozenset({S.RESTORING, S.DEPROVISIONING}),
}

# action -> (statuses it may start from, the status shown while it runs (None: unchanged), where it ends)
RULES: dict[SiteAction, tuple[frozenset[SiteStatus], SiteStatus | None, SiteStatus | None]] = {
    A.CREATE: (frozenset(), S.PROVISIONING, S.ACTIVE),  # a new record, never an action on an existing site
    A.UPDATE: (frozenset({S.ACTIVE}), S.UPDATING, S.ACTIVE),
    A.SUSPEND: (frozenset({S.ACTIVE}), None, S.SUSPENDED),
    A.ACTIVATE: (frozenset({S.SUSPENDED}), None, S.ACTIVE),
    A.CLONE: (frozenset({S.ACTIVE}), S.CLONING, S.ACTIVE),
    A.BACKUP: (frozenset({S.ACTIVE, S.SUSPENDED}), None, None),
    A.RESTORE: (frozenset({S.ACTIVE, S.FAILED}), S.RESTORING, S.ACTIVE),
    A.PROMOTE: (frozenset({S.ACTIVE}), S.PROMOTING, S.ACTIVE),
    A.APPLY_TEMPLATE: (frozenset({S.ACTIVE}), S.UPDATING, S.ACTIVE),
    A.DELETE: (frozenset({S.ACTIVE, S.SUSPENDED, S.FAILED}), S.DEPROVISIONING, S.DELETED),
    # the site keeps serving while one plugin or theme changes; the hold keeps every other action out meanwhile
    **dict.fromkeys(PLUGIN_ACTIONS, (frozenset({S.ACTIVE}), None, None)),
}
# Sites whose files and database exist and are not being changed: what the health job checks.
SERVING = frozenset({S.ACTIVE})
# Busy sites: another action waits until the operation ends.
IN_FLIGHT = frozenset({S.PROVISIONING, S.UPDATING, S.CLONING, S.RESTORING, S.PROMOTING, S.DEPROVISIONING})


def check_action(action: SiteAction, current: SiteStatus) -> SiteStatus:
    """The status the site shows once `action` is accepted; SITE_005 when its state does not allow it."""
    allowed_from, working, settled = RULES[action]
    if current not in allowed_from:
        target = working or settled or current
        raise InvalidTransition(
            resource="Site",
            current=current.value,
            target=f"{target.value} ({action.value})",
            allowed=[a.value for a in allowed_actions(current)],
            code="SITE_005",
        )
    return working or current


def allowed_actions(current: SiteStatus) -> list[SiteAction]:
    return [action for action, (sources, _, _) in RULES.items() if current in sources]


def settled_status(action: SiteAction, before: SiteStatus) -> SiteStatus:
    return RULES[action][2] or before


# -- subdomains -----------------------------------------------------------------------------------------------
SUBDOMAIN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
RESERVED_SUBDOMAINS = frozenset(
    {
        "www",
        "api",
        "admin",
        "app",
        "mail",
        "smtp",
        "imap",
        "pop",
        "ftp",
        "ns1",
        "ns2",
        "dns",
        "cdn",
        "static",
        "assets",
        "status",
        "docs",
        "help",
        "support",
        "billing",
        "login",
        "auth",
        "sso",
        "portal",
        "dashboard",
        "console",
        "bbws",
        "wp-admin",
        "wp-content",
        "wp-includes",
        "wp-json",
        "localhost",
        "dev",
        "sit",
        "prod",
        "staging",
        "test",
        "root",
        "system",
        "platform",
        "internal",
    }
)


def subdomain_problem(subdomain: str) -> str | None:
    """Why `subdomain` cannot name a site (None when it can): a DNS label, lower case, not reserved."""
    if not SUBDOMAIN.match(subdomain):
        return "must be a DNS label: 1-63 lower-case letters, digits and hyphens, not starting or ending with '-'"
    if "--" in subdomain[2:4]:
        return "must not look like an internationalized label (xn--)"
    if subdomain in RESERVED_SUBDOMAINS:
        return f"'{subdomain}' is reserved by the platform"
    return None


# -- promotion ------------------------------------------------------------------------------------------------
NEXT_ENVIRONMENT = {"dev": "sit", "sit": "prod"}


def check_promotion(source_env: str, target_env: str) -> None:
    """DEV -> SIT and SIT -> PROD only, one step at a time (SITE_006)."""
    expected = NEXT_ENVIRONMENT.get(source_env)
    if expected is None:
        raise UnprocessableEntity(
            f"A {source_env} site cannot be promoted: {source_env} is the last environment.",
            code="SITE_006",
            sourceEnvironment=source_env,
            targetEnvironment=target_env,
        )
    if target_env != expected:
        raise UnprocessableEntity(
            f"A {source_env} site is promoted to {expected} only (not {target_env}): DEV -> SIT -> PROD, in order.",
            code="SITE_006",
            sourceEnvironment=source_env,
            targetEnvironment=target_env,
        )
