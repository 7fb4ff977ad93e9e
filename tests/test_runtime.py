"""Process tuning: once per process, however many apps the process starts."""

from __future__ import annotations

import gc

from app.runtime import tune_process


def test_tuning_freezes_the_heap_once_per_process() -> None:
    tune_process()
    frozen = gc.get_freeze_count()
    made_later = [{"n": number} for number in range(1_000)]  # e.g. the next test's app
    tune_process()  # a second app starting in the same process
    assert gc.get_freeze_count() == frozen  # what exists later stays collectable
    assert len(made_later) == 1_000
