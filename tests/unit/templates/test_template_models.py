"""Template rules without I/O: version status moves, references, which version is used, key order."""

from __future__ import annotations

import itertools
import random

import pytest

from bbws.core.errors import InvalidTransition, NotFound, UnprocessableEntity
from bbws.core.ids import new_id
from bbws.templates import keys
from bbws.templates.models import (
    TRANSITIONS,
    TemplateRef,
    TemplateStatus,
    check_transition,
    current_version,
    parse_ref,
    shown_version,
    statuses_of,
    template_status,
    usable_version,
    visible,
)

T = TemplateStatus
ALLOWED = {(T.DRAFT, T.PUBLISHED), (T.PUBLISHED, T.ARCHIVED), (T.ARCHIVED, T.PUBLISHED)}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(T, T)))
def test_versions_move_draft_to_published_to_archived_and_back_to_published_only(
    current: TemplateStatus, target: TemplateStatus
) -> None:
    if (current, target) in ALLOWED:
        check_transition(1, current, target)
        assert target in TRANSITIONS[current]
        return
    with pytest.raises(InvalidTransition) as caught:
        check_transition(3, current, target)
    problem = caught.value.problem(instance="/x", request_id="r")
    assert problem["status"] == 422 and problem["code"] == "INVALID_STATUS_TRANSITION"
    assert problem["currentStatus"] == current.value and problem["targetStatus"] == target.value
    assert "version 3" in problem["detail"]


def test_references_name_a_slug_or_an_id_and_optionally_a_version() -> None:
    tid = new_id("tpl")
    assert parse_ref("business") == TemplateRef("business")
    assert parse_ref("my-shop-2@12") == TemplateRef("my-shop-2", 12)
    assert parse_ref(tid) == TemplateRef(tid) and parse_ref(tid).is_id
    assert parse_ref(f"{tid}@1") == TemplateRef(tid, 1)
    assert not parse_ref("tpl-shop").is_id  # a slug that merely starts like an id


@pytest.mark.parametrize(
    "ref",
    [
        "",
        "b",
        "Business",
        "bu_siness",
        "-shop",
        "shop@",
        "shop@0",
        "shop@x",
        "shop@12345",
        "shop@1@2",
        "a" * 42,
        "tpl_short",
        "shop/../x",
        "shop ",
        "ünïcode",
    ],
)
def test_a_reference_that_cannot_name_a_template_is_not_found(ref: str) -> None:
    with pytest.raises(NotFound) as caught:
        parse_ref(ref)
    assert caught.value.code == "TEMP_001" and caught.value.status == 404


def test_version_sort_keys_sort_like_their_numbers() -> None:
    tid = new_id("tpl")
    numbers = list(range(1, 1200))
    shuffled = random.sample(numbers, len(numbers))
    by_key = sorted(shuffled, key=lambda n: keys.version_sk(tid, n))
    assert by_key == numbers
    assert all(keys.version_sk(tid, n).startswith(keys.versions_prefix(tid)) for n in (1, 9999))
    assert not keys.preview_sk(tid, 1).startswith(keys.versions_prefix(tid))  # previews never list as versions


def test_without_a_number_the_newest_published_version_is_used() -> None:
    statuses = {1: T.ARCHIVED, 2: T.PUBLISHED, 3: T.PUBLISHED, 4: T.DRAFT}
    assert usable_version(statuses, None, ref="x", platform_admin=False) == 3
    assert current_version(statuses) == 3 and shown_version(statuses) == 3
    assert usable_version(statuses, 2, ref="x@2", platform_admin=False) == 2


def test_drafts_are_usable_only_by_platform_admins_naming_them() -> None:
    statuses = {1: T.PUBLISHED, 2: T.DRAFT, 3: T.ARCHIVED}
    assert usable_version(statuses, 2, ref="x@2", platform_admin=True) == 2
    with pytest.raises(UnprocessableEntity) as caught:  # an admin sees the archived version: told why
        usable_version(statuses, 3, ref="x@3", platform_admin=True)
    assert caught.value.code == "TEMP_002"
    for number in (2, 3):  # a user cannot see it: not found, as GET /templates/x@N answers
        with pytest.raises(NotFound) as hidden:
            usable_version(statuses, number, ref=f"x@{number}", platform_admin=False)
        assert hidden.value.code == "TEMP_001"
    with pytest.raises(NotFound) as missing:
        usable_version(statuses, 9, ref="x@9", platform_admin=True)
    assert missing.value.code == "TEMP_001"


def test_a_template_with_nothing_published_is_not_usable_and_not_visible_to_users() -> None:
    for statuses in ({}, {1: T.DRAFT}, {1: T.ARCHIVED, 2: T.DRAFT}):
        with pytest.raises(UnprocessableEntity) as caught:
            usable_version(statuses, None, ref="x", platform_admin=True)
        assert caught.value.code == "TEMP_002"
        assert not visible(statuses, platform_admin=False) and visible(statuses, platform_admin=True)
        with pytest.raises(NotFound):  # users are not told it exists
            usable_version(statuses, None, ref="x", platform_admin=False)


def test_one_status_per_template_for_listing() -> None:
    assert template_status({}) is T.DRAFT  # its first version is still being made
    assert template_status({1: T.DRAFT}) is T.DRAFT
    assert template_status({1: T.ARCHIVED, 2: T.DRAFT}) is T.DRAFT
    assert template_status({1: T.ARCHIVED, 2: T.PUBLISHED, 3: T.DRAFT}) is T.PUBLISHED
    assert template_status({1: T.ARCHIVED}) is T.ARCHIVED
    assert shown_version({1: T.ARCHIVED, 2: T.DRAFT}) == 2  # nothing current: the newest describes it


def test_statuses_are_stored_with_string_keys_and_read_back_as_numbers() -> None:
    stored = {"versionStatuses": {"1": "ARCHIVED", "10": "PUBLISHED", "2": "DRAFT"}}
    assert statuses_of(stored) == {1: T.ARCHIVED, 10: T.PUBLISHED, 2: T.DRAFT}
    assert current_version(statuses_of(stored)) == 10


def test_index_keys_follow_status_and_category() -> None:
    indexes = keys.template_indexes("shop", "PUBLISHED", "business")
    assert indexes["GSI1PK"] == "TEMPLATES#PUBLISHED" and indexes["GSI3PK"] == "TEMPLATES#PUBLISHED#CAT#business"
    assert indexes["GSI2PK"] == keys.ALL and {indexes["GSI1SK"], indexes["GSI2SK"], indexes["GSI3SK"]} == {"shop"}
    assert "GSI3PK" not in keys.template_indexes("shop", "DRAFT", None)
    assert keys.artifact_key("shop", 2, "tpl_x") == "templates/shop/2/tpl_x.tar.gz"
