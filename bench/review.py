"""How long from a rating button press in /review to the next card's reply?

Simulated learners, each with a deck of new cards made with ``/card``, go through
``/review``: Show answer, then a rating (Good on every other card, Easy on the rest, so each
card leaves today's queue or comes back once). The time measured is the rating press through
the real ``Dispatcher`` (identity lookup, routing, payload decoding, the rating service: the
user's zone, the card's row lock, FSRS, the new state and its log row in one statement, the
next due card and today's counts, commit) until its reply, which shows the next card. In the
same run, on the same dispatcher and learners, interleaved with the ratings, a plain ``/help``
(no database work after the identity), ``/review`` (the next card's read without the
rating's write) and ``/progress`` (a read-only report) are the baselines; the p95 of each is
printed beside the rating's, with the machine's load average.

    python -m bench.review                          # embedded PostgreSQL in a temp dir
    BENCH_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/postgres \\
        python -m bench.review --learners 8 --cards 25   # an existing server
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid

from bench.common import bench_database
from bot.bootstrap import bootstrap
from bot.handlers.base import Incoming, Reply
from bot.handlers.router import Dispatcher
from db.engine import create_engine
from domain.accounts.model import Identity

# /help: routing only (the identity is cached, no database work); /review: the same read of
# the next card and today's counts without the rating's write; /progress: a read-only report.
BASELINES = ("/help", "/review", "/progress")


def _payload(reply: Reply, label: str) -> str:
    for row in reply.buttons:
        for button in row:
            if button.label == label and button.payload:
                return button.payload
    raise RuntimeError(f"no {label!r} button under {reply.text[:80]!r}")


async def _one(dispatcher: Dispatcher, identity: Identity, text: str) -> Reply:
    replies = await dispatcher.handle(Incoming(identity, text=text))
    return replies[0]


async def _press(dispatcher: Dispatcher, identity: Identity, payload: str) -> Reply:
    return (await dispatcher.handle(Incoming(identity, payload=payload)))[0]


async def learner(
    dispatcher: Dispatcher, identity: Identity, cards: int, timings: dict[str, list[float]]
) -> None:
    for number in range(cards):
        reply = await _one(dispatcher, identity, f"/card bench front {number} | back {number}")
        if "Card added" not in reply.text:
            raise RuntimeError(reply.text)
    reply = await _one(dispatcher, identity, "/review")
    rated = 0
    while "Show answer" in [b.label for row in reply.buttons for b in row]:
        answer = await _press(dispatcher, identity, _payload(reply, "Show answer"))
        label = "Good" if rated % 2 else "Easy"
        started = time.perf_counter()
        reply = await _press(dispatcher, identity, _payload(answer, label))
        timings["rating"].append(time.perf_counter() - started)
        if "✓" not in reply.text:
            raise RuntimeError(reply.text)
        rated += 1
        for command in BASELINES:  # interleaved with the ratings, so under the same load
            started = time.perf_counter()
            await _one(dispatcher, identity, command)
            timings[command].append(time.perf_counter() - started)
    if "All done for today" not in reply.text:
        raise RuntimeError(reply.text)


def cut(seconds: list[float], percent: int) -> float:
    return statistics.quantiles(seconds, n=100)[percent - 1] * 1000


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


async def run(url: str, learners: int, cards: int) -> None:
    engine = create_engine(url, pool_size=learners)
    dispatcher = bootstrap(engine)
    names = [f"bench-{uuid.uuid4().hex[:10]}" for _ in range(learners)]
    identities = [Identity("bench", n, n, n) for n in names]
    warm: dict[str, list[float]] = {"rating": [], **{b: [] for b in BASELINES}}
    await asyncio.gather(*(learner(dispatcher, i, 3, warm) for i in identities))  # warm-up
    timings: dict[str, list[float]] = {"rating": [], **{b: [] for b in BASELINES}}
    print(f"{learners} learners at once, {cards} new cards each; {_load()}")
    try:
        await asyncio.gather(*(learner(dispatcher, i, cards, timings) for i in identities))
    finally:
        await engine.dispose()
    rating = timings["rating"]
    print(
        f"rating -> next card: p50 {cut(rating, 50):5.1f} ms, p95 {cut(rating, 95):5.1f} ms "
        f"({len(rating)} ratings)"
    )
    for baseline in BASELINES:
        seconds = timings[baseline]
        print(
            f"{baseline:>9} baseline: p50 {cut(seconds, 50):5.1f} ms, p95 "
            f"{cut(seconds, 95):5.1f} ms ({len(seconds)} messages) | rating p95 / this p95 "
            f"{cut(rating, 95) / cut(seconds, 95):4.2f}"
        )
    print(f"done; {_load()}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=8)
    parser.add_argument("--cards", type=int, default=25)
    args = parser.parse_args()
    async with bench_database() as url:
        await run(url, args.learners, args.cards)


if __name__ == "__main__":
    asyncio.run(main())
