"""The instance state machine and actions (no I/O)."""

from __future__ import annotations

import itertools

import pytest

from bbws.core.errors import InvalidTransition
from bbws.instances.models import (
    ACTIONS,
    AWAITING,
    IN_FLIGHT,
    SETTLED,
    TRANSITIONS,
    InstanceAction,
    InstanceStatus,
    allowed_actions,
    can_move,
    check_action,
    working_status,
)

S, A = InstanceStatus, InstanceAction


def test_every_status_has_transitions_and_deprovisioned_is_terminal() -> None:
    assert set(TRANSITIONS) == set(InstanceStatus)
    assert TRANSITIONS[S.DEPROVISIONED] == frozenset()
    for targets in TRANSITIONS.values():
        assert S.PENDING_PROVISIONING not in targets  # only a create makes it


@pytest.mark.parametrize(
    ("path"),
    [
        [S.PENDING_PROVISIONING, S.PROVISIONING, S.ACTIVE],
        [S.PENDING_PROVISIONING, S.COMMITTING, S.WORKFLOW_QUEUED, S.WORKFLOW_RUNNING, S.PROVISIONING, S.ACTIVE],
        [S.ACTIVE, S.SCALING, S.ACTIVE],
        [S.ACTIVE, S.SUSPENDING, S.SUSPENDED, S.RESUMING, S.ACTIVE],
        [S.ACTIVE, S.PENDING_DEPROVISIONING, S.DEPROVISIONING, S.DEPROVISIONED],
        [S.WORKFLOW_RUNNING, S.WORKFLOW_FAILED, S.PENDING_DEPROVISIONING],
    ],
)
def test_bbws_paths_are_allowed(path: list[InstanceStatus]) -> None:
    for current, target in itertools.pairwise(path):
        assert can_move(current, target), (current, target)


def test_action_in_flight_statuses_are_reachable_from_their_sources() -> None:
    for sources, showing in ACTIONS.values():
        assert showing in IN_FLIGHT
        for source in sources:
            assert can_move(source, showing), (source, showing)


@pytest.mark.parametrize("gitops", [False, True])
def test_every_action_walks_the_state_machine(gitops: bool) -> None:
    """request (in-flight status) -> worker (working status) -> settled or awaiting ECS: every step is allowed."""
    for action in InstanceAction:
        _, showing = ACTIONS.get(action, (frozenset({S.PENDING_PROVISIONING}), S.PENDING_PROVISIONING))
        working = working_status(action, gitops=gitops) or showing
        assert working == showing or can_move(showing, working), (action, showing, working)
        end = AWAITING[action] if gitops else SETTLED[action]
        assert end == working or can_move(working, end), (action, working, end)


def test_stopping_a_stopped_instance_names_what_is_allowed() -> None:
    with pytest.raises(InvalidTransition) as caught:
        check_action(A.STOP, S.SUSPENDED)
    assert caught.value.extra["allowedTransitions"] == ["delete", "start"]
    assert caught.value.status == 422


def test_allowed_actions_by_status() -> None:
    assert set(allowed_actions(S.ACTIVE)) == {A.UPDATE, A.STOP, A.SCALE, A.DELETE}
    assert set(allowed_actions(S.SUSPENDED)) == {A.START, A.DELETE}
    assert set(allowed_actions(S.FAILED)) == {A.UPDATE, A.DELETE}
    for busy in IN_FLIGHT:
        assert allowed_actions(busy) == [], busy
    assert allowed_actions(S.DEPROVISIONED) == []
