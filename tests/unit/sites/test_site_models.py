"""Site rules without I/O: the state machine, subdomains, promotion order and the promotion plan's diff."""

from __future__ import annotations

import itertools

import pytest

from bbws.core.errors import InvalidTransition, UnprocessableEntity
from bbws.sites.models import (
    IN_FLIGHT,
    RULES,
    TRANSITIONS,
    SiteAction,
    SiteStatus,
    allowed_actions,
    check_action,
    check_promotion,
    settled_status,
    subdomain_problem,
)
from bbws.sites.promotion import diff

A, S = SiteAction, SiteStatus


def test_every_action_walks_allowed_transitions() -> None:
    for action, (sources, working, settled) in RULES.items():
        for source in sources:
            path = [source] + [s for s in (working, settled) if s is not None and s != source]
            for before, after in itertools.pairwise(path):
                assert after in TRANSITIONS[before], (action, before, after)


def test_busy_states_take_no_new_action_and_deleted_is_terminal() -> None:
    for status in IN_FLIGHT:
        assert allowed_actions(status) == []
    assert TRANSITIONS[S.DELETED] == frozenset() and allowed_actions(S.DELETED) == []


def test_check_action_shows_the_working_status_or_refuses_with_site_005() -> None:
    assert check_action(A.CLONE, S.ACTIVE) is S.CLONING
    assert check_action(A.BACKUP, S.SUSPENDED) is S.SUSPENDED  # a backup does not change what the site shows
    assert check_action(A.RESTORE, S.FAILED) is S.RESTORING
    with pytest.raises(InvalidTransition) as refused:
        check_action(A.SUSPEND, S.SUSPENDED)
    assert refused.value.code == "SITE_005" and refused.value.extra["allowedTransitions"] == sorted(
        a.value for a in allowed_actions(S.SUSPENDED)
    )
    with pytest.raises(InvalidTransition):
        check_action(A.PROMOTE, S.FAILED)


def test_settled_status() -> None:
    assert settled_status(A.SUSPEND, S.ACTIVE) is S.SUSPENDED
    assert settled_status(A.BACKUP, S.SUSPENDED) is S.SUSPENDED
    assert settled_status(A.DELETE, S.FAILED) is S.DELETED
    assert settled_status(A.CREATE, S.PROVISIONING) is S.ACTIVE


@pytest.mark.parametrize(
    ("subdomain", "ok"),
    [
        ("acme", True),
        ("a", True),
        ("a-b-9", True),
        ("9lives", True),
        ("a" * 63, True),
        ("a" * 64, False),
        ("-a", False),
        ("a-", False),
        ("A", False),
        ("a_b", False),
        ("a.b", False),
        ("", False),
        ("www", False),
        ("api", False),
        ("wp-admin", False),
        ("xn--bcher-kva", False),
        ("ab--c", False),
    ],
)
def test_subdomains_are_dns_labels_not_reserved(subdomain: str, ok: bool) -> None:
    assert (subdomain_problem(subdomain) is None) is ok


def test_promotion_goes_one_step_up_only() -> None:
    check_promotion("dev", "sit")
    check_promotion("sit", "prod")
    for source, target in (("dev", "prod"), ("sit", "dev"), ("prod", "prod"), ("prod", "dev"), ("dev", "dev")):
        with pytest.raises(UnprocessableEntity) as refused:
            check_promotion(source, target)
        assert refused.value.code == "SITE_006"


def inventory(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "wordpress": "6.1.9",
        "php": "8.2",
        "database": "10.11",
        "theme": {"slug": "twentytwentythree", "version": "1.0"},
        "plugins": [
            {"slug": "akismet", "version": "5.0", "active": False},
            {"slug": "shop", "version": "2.0", "active": True},
        ],
        "tables": [
            {"name": "wp_posts", "rows": 10, "checksum": "1"},
            {"name": "wp_options", "rows": 5, "checksum": "2"},
        ],
        "files": {"themes/x/style.css": "a", "uploads/1.jpg": "b"},
    }
    return {**base, **changes}


def test_the_plan_lists_what_the_copy_changes_in_the_target() -> None:
    source = inventory(
        php="8.3",
        plugins=[
            {"slug": "akismet", "version": "5.0", "active": True},
            {"slug": "shop", "version": "2.1", "active": True},
            {"slug": "new", "version": "1", "active": True},
        ],
        tables=[{"name": "wp_posts", "rows": 12, "checksum": "9"}, {"name": "wp_options", "rows": 5, "checksum": "2"}],
        files={"themes/x/style.css": "a", "uploads/1.jpg": "c", "uploads/2.jpg": "d"},
    )
    target = inventory(
        plugins=[*inventory()["plugins"], {"slug": "old", "version": "1", "active": True}],
        files={"themes/x/style.css": "a", "uploads/1.jpg": "b", "uploads/gone.jpg": "e"},
    )
    plan = diff(source, target)
    assert plan["tables"] == [
        {"table": "wp_posts", "sourceRows": 12, "targetRows": 10, "changed": True},
        {"table": "wp_options", "sourceRows": 5, "targetRows": 5, "changed": False},
    ]
    assert {p["slug"]: p["change"] for p in plan["plugins"]} == {
        "akismet": "activate",
        "shop": "version",
        "new": "add",
        "old": "remove",
    }
    assert plan["files"]["added"] == 1 and plan["files"]["removed"] == 1 and plan["files"]["changed"] == 1
    assert plan["files"]["unchanged"] == 1 and plan["files"]["sample"]["removed"] == ["uploads/gone.jpg"]
    assert [v["component"] for v in plan["versions"] if v["differs"]] == ["php"]
    assert plan["theme"] is None


def test_a_new_target_gets_everything() -> None:
    plan = diff(inventory(), None)
    assert all(t["targetRows"] is None and t["changed"] for t in plan["tables"])
    assert plan["files"]["added"] == 2 and {p["change"] for p in plan["plugins"]} == {"add"}


def test_the_published_statuses_are_the_models_enums() -> None:
    """Backup and promotion statuses have one home (the enums); the response schemas list exactly those."""
    from typing import get_args

    from bbws.sites.models import BackupStatus, PromotionStatus
    from bbws.sites.schemas import BackupPublic, PromotionPublic

    assert set(get_args(BackupPublic.model_fields["status"].annotation)) == {s.value for s in BackupStatus}
    assert set(get_args(PromotionPublic.model_fields["status"].annotation)) == {s.value for s in PromotionStatus}
