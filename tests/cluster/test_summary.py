"""``bench/cluster.py --repeat``: the median line of several runs hides nothing."""

from __future__ import annotations

from bench.cluster import summary


def run(reconnect_s: float | None, lost: int, converge_ms: int) -> dict[str, object]:
    outage = {"lost": lost, "duplicated": 0, "converge_ms": converge_ms}
    return {
        "lost": lost,
        "duplicated": 0,
        "not_reconnected": 0 if reconnect_s is not None else 3,
        "failed_attempts_max": 1,
        "reconnect_s": reconnect_s,
        "reconnect_p50_s": 1.0,
        "converge_ms": converge_ms,
        "vote_p50_ms": 10.0,
        "vote_p99_ms": 90.0,
        "load_average": [1.0, 1.0, 1.0],
        "redis_outage": outage,
    }


def test_times_are_medians_and_losses_the_worst_run() -> None:
    result = summary([run(4.0, 0, 900), run(6.0, 2, 1500), run(5.0, 0, 1100)])
    assert result["reconnect_s"] == 5.0
    assert result["converge_ms"] == 1100
    assert result["lost"] == 2
    assert result["redis_outage"] == {"lost": 2, "duplicated": 0, "converge_ms": 1100}
    assert result["load_average"] == [[1.0, 1.0, 1.0]] * 3


def test_a_run_whose_phones_never_came_back_has_no_median() -> None:
    result = summary([run(4.0, 0, 900), run(None, 0, 1000), run(5.0, 0, 1100)])
    assert result["reconnect_s"] is None
    assert result["not_reconnected"] == 3
