"""The restart policy of the local runtime's supervisor: at once, then doubling up to a cap, forgiven after a
stable run."""

from __future__ import annotations

from bbws.instances.local.processes import Backoff, restart_delay


def test_the_first_restart_is_immediate_then_the_delay_doubles_up_to_the_cap() -> None:
    assert [restart_delay(n) for n in range(8)] == [0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    assert restart_delay(10_000) == 10.0  # no overflow however often it died
    assert restart_delay(3, base=1.0, cap=3.0) == 3.0


def test_deaths_in_a_row_push_the_next_restart_back_and_a_stable_run_resets_them() -> None:
    backoff = Backoff(stable=30.0)
    backoff.started(100.0)
    backoff.died(101.0)
    assert backoff.due(101.0)  # the first death: restart at once
    backoff.started(101.0)
    backoff.died(102.0)
    assert not backoff.due(102.0) and backoff.due(102.5)
    backoff.failed(102.5)  # the restart itself failed
    assert not backoff.due(103.4) and backoff.due(103.5)
    backoff.started(103.5)
    backoff.died(200.0)  # ran longer than `stable`: its earlier failures are forgotten
    assert backoff.failures == 1 and backoff.due(200.0)
