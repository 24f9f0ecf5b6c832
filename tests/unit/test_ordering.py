"""One person at a time: the per-person line both chat adapters use."""

from __future__ import annotations

import asyncio

from bot.handlers.ordering import InOrder


async def test_one_persons_updates_run_one_at_a_time_in_arrival_order() -> None:
    lines, log = InOrder(), []
    running = 0

    async def update(number: int, pause: float) -> None:
        nonlocal running
        with lines.join("ada") as turn:
            log.append(f"arrived {number}")  # before waiting: e.g. a button press answered
            await turn.wait()
            running += 1
            assert running == 1
            await asyncio.sleep(pause)  # the earlier, slower ones still finish first
            log.append(f"done {number}")
            running -= 1

    await asyncio.gather(*(update(n, 0.01 * (5 - n)) for n in range(5)))
    assert log[:5] == [f"arrived {n}" for n in range(5)]  # no one waited to be seen
    assert log[5:] == [f"done {n}" for n in range(5)]
    assert len(lines) == 0  # nothing is kept once a line is empty


async def test_different_people_run_side_by_side() -> None:
    lines = InOrder()
    both_in = asyncio.Barrier(2)

    async def update(person: str) -> None:
        with lines.join(person) as turn:
            await turn.wait()
            await asyncio.wait_for(both_in.wait(), 1)  # would time out if run one by one

    await asyncio.gather(update("ada"), update("bo"))


async def test_a_cancelled_update_does_not_let_the_next_one_jump_ahead() -> None:
    lines, log = InOrder(), []
    first_may_end = asyncio.Event()

    async def first() -> None:
        with lines.join("ada") as turn:
            await turn.wait()
            await first_may_end.wait()
            log.append("first")

    async def second() -> None:
        with lines.join("ada") as turn:
            await turn.wait()
            log.append("second")

    async def third() -> None:
        with lines.join("ada") as turn:
            await turn.wait()
            log.append("third")

    one = asyncio.create_task(first())
    await asyncio.sleep(0)
    two = asyncio.create_task(second())
    await asyncio.sleep(0)
    three = asyncio.create_task(third())
    await asyncio.sleep(0.01)
    two.cancel()  # gave up while waiting for the first
    await asyncio.sleep(0.01)
    assert log == []  # the third still waits for the first
    first_may_end.set()
    await asyncio.gather(one, three)
    assert log == ["first", "third"]
    assert len(lines) == 0
