"""How long does understanding a plain message take? ``parse_plain_log`` (is it a session
done? how long? which note?) per message, over the phrasings of its unit test (logs and
messages that must not be taken as one), against the ``/done`` argument parser
(``parse_done_args``) on the same messages, in the same run, as the baseline.

    python -m bench.parsing
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from domain.learning.parsing import parse_done_args
from domain.learning.plain_log import parse_plain_log
from domain.shared.errors import InvalidInput
from tests.unit.test_plain_log import LOGS, NOT_LOGS

ROUNDS = 200


def _done(message: str) -> object:
    try:
        return parse_done_args(message)
    except InvalidInput:
        return None


def timed(parse: Callable[[str], object], messages: list[str]) -> list[float]:
    """Seconds per message, each message parsed once per round."""
    seconds = []
    for _ in range(ROUNDS):
        for message in messages:
            started = time.perf_counter()
            parse(message)
            seconds.append(time.perf_counter() - started)
    return seconds


def line(name: str, seconds: list[float]) -> str:
    cuts = statistics.quantiles(seconds, n=100)
    return (
        f"{name:<34} mean {statistics.fmean(seconds) * 1e6:7.1f} µs, p95 {cuts[94] * 1e6:7.1f} µs"
    )


def main() -> None:
    messages = [message for message, _, _ in LOGS] + NOT_LOGS
    for message in messages:  # warm up: compiled patterns, the catalogue's index
        parse_plain_log(message)
        _done(message)
    print(f"{len(messages)} phrasings × {ROUNDS} rounds, per message:")
    print(line("plain message (parse_plain_log)", timed(parse_plain_log, messages)))
    print(line("baseline: /done args (parse_done)", timed(_done, messages)))


if __name__ == "__main__":
    main()
