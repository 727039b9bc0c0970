"""The tenant state machine: every allowed and refused transition, lifecycle actions and the 422 they raise."""

from __future__ import annotations

import itertools

import pytest

from bbws.core.errors import InvalidTransition
from bbws.tenants.models import (
    ACTIONS,
    REASON_REQUIRED,
    TRANSITIONS,
    LifecycleAction,
    TenantStatus,
    allowed_actions,
    can_move,
    target_of,
)

S = TenantStatus
A = LifecycleAction

# The states of docs/api/tenant-api-guide.md ("Lifecycle"), spelled out once more by hand so the model cannot drift
# from them unnoticed.
EXPECTED_MOVES = {
    (S.PENDING, S.ACTIVE),
    (S.PENDING, S.FAILED),
    (S.ACTIVE, S.SUSPENDED),
    (S.ACTIVE, S.PARKED),
    (S.ACTIVE, S.DEPROVISIONED),
    (S.SUSPENDED, S.ACTIVE),
    (S.SUSPENDED, S.DEPROVISIONED),
    (S.PARKED, S.ACTIVE),
    (S.PARKED, S.DEPROVISIONED),
    (S.FAILED, S.PENDING),
}
ALL_PAIRS = list(itertools.product(S, S))

EXPECTED_ACTIONS = {
    S.PENDING: [],
    S.ACTIVE: [A.SUSPEND, A.PARK, A.DELETE],
    S.SUSPENDED: [A.RESUME, A.DELETE],
    S.PARKED: [A.UNPARK, A.DELETE],
    S.FAILED: [A.RETRY],
    S.DEPROVISIONED: [],
}
# action -> (status it requires, status it leads to); DELETE works from every status that may be deprovisioned.
EXPECTED_ACTION_MOVES = {
    A.SUSPEND: ({S.ACTIVE}, S.SUSPENDED),
    A.RESUME: ({S.SUSPENDED}, S.ACTIVE),
    A.PARK: ({S.ACTIVE}, S.PARKED),
    A.UNPARK: ({S.PARKED}, S.ACTIVE),
    A.RETRY: ({S.FAILED}, S.PENDING),
    A.DELETE: ({S.ACTIVE, S.SUSPENDED, S.PARKED}, S.DEPROVISIONED),
}


def test_transition_table_is_the_designed_one() -> None:
    assert {(a, b) for a, targets in TRANSITIONS.items() for b in targets} == EXPECTED_MOVES
    assert set(TRANSITIONS) == set(S)


@pytest.mark.parametrize(("current", "target"), ALL_PAIRS, ids=lambda s: s.value)
def test_can_move_for_every_pair(current: TenantStatus, target: TenantStatus) -> None:
    assert can_move(current, target) is ((current, target) in EXPECTED_MOVES)


def test_deprovisioned_is_terminal_and_nothing_moves_to_itself() -> None:
    assert not TRANSITIONS[S.DEPROVISIONED]
    assert not any(can_move(s, s) for s in S)


def test_every_action_is_a_designed_transition() -> None:
    for source, target in ACTIONS.values():
        assert (source, target) in EXPECTED_MOVES


@pytest.mark.parametrize(("action", "current"), list(itertools.product(A, S)), ids=lambda v: v.value)
def test_target_of_every_action_from_every_status(action: LifecycleAction, current: TenantStatus) -> None:
    sources, target = EXPECTED_ACTION_MOVES[action]
    if current in sources:
        assert target_of(action, current) is target
        return
    with pytest.raises(InvalidTransition) as caught:
        target_of(action, current)
    error = caught.value
    assert error.status == 422 and error.code == "INVALID_STATUS_TRANSITION"
    body = error.problem(instance="/v1.0/tenants/ten_x", request_id="req_1")
    assert body["currentStatus"] == current.value
    assert body["targetStatus"] == target.value
    assert body["allowedTransitions"] == sorted(s.value for s in TRANSITIONS[current])
    assert body["status"] == 422 and body["code"] == "INVALID_STATUS_TRANSITION"
    assert current.value in body["detail"] and target.value in body["detail"]


def test_refusal_from_a_terminal_status_names_no_allowed_transition() -> None:
    with pytest.raises(InvalidTransition) as caught:
        target_of(A.UNPARK, S.DEPROVISIONED)
    assert caught.value.extra["allowedTransitions"] == []
    assert "none" in caught.value.detail


@pytest.mark.parametrize("status", list(S), ids=lambda s: s.value)
def test_allowed_actions_per_status(status: TenantStatus) -> None:
    assert allowed_actions(status) == EXPECTED_ACTIONS[status]
    for action in allowed_actions(status):
        target_of(action, status)  # never a link to an action the model then refuses


def test_reason_is_required_for_suspend_and_park_only() -> None:
    assert frozenset({A.SUSPEND, A.PARK}) == REASON_REQUIRED
