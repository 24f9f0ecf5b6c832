"""``retry_transient``: a use case rolled back for a transient reason runs again, later."""

from __future__ import annotations

import pytest

from bot.handlers.retry import retry_transient
from domain.shared.errors import InvalidInput, TransientConflict


class Flaky:
    """Fails with ``error`` the first ``failures`` times it runs, then answers ``"done"``."""

    def __init__(self, failures: int, error: Exception | None = None) -> None:
        self.failures, self.error, self.runs = failures, error or TransientConflict(), 0

    async def __call__(self) -> str:
        self.runs += 1
        if self.runs <= self.failures:
            raise self.error
        return "done"


async def test_a_transient_conflict_runs_the_use_case_again_until_it_goes_through() -> None:
    flaky = Flaky(failures=3)
    assert await retry_transient(flaky, attempts=5, backoff=0) == "done"
    assert flaky.runs == 4


async def test_after_the_last_attempt_the_transient_conflict_propagates() -> None:
    flaky = Flaky(failures=9)
    with pytest.raises(TransientConflict):
        await retry_transient(flaky, attempts=3, backoff=0)
    assert flaky.runs == 3


async def test_any_other_error_is_not_retried() -> None:
    flaky = Flaky(failures=1, error=InvalidInput("no"))
    with pytest.raises(InvalidInput):
        await retry_transient(flaky, attempts=5, backoff=0)
    assert flaky.runs == 1


def test_a_transient_conflict_is_a_conflict_with_a_friendly_message() -> None:
    assert "Nothing was changed" in TransientConflict().message
