"""The worker's pacer lets messages out evenly, per chat, and not at all during a 429's wait."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta
from typing import Any

from bot.worker import PACES, NotificationWorker, Pace, Pacer


class FakeTime:
    """A monotonic clock that only moves when someone sleeps (to when they would wake)."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        wake = self.now + seconds
        self.slept.append(seconds)
        await asyncio.sleep(0)
        self.now = max(self.now, wake)


def pacer(pace: Pace, time: FakeTime) -> Pacer:
    return Pacer(pace, monotonic=time, sleep=time.sleep)


async def released(pacer: Pacer, time: FakeTime, chats: list[str]) -> list[float]:
    """When each message (to these chats, in order) was let out, from the first one."""
    times = []
    for chat in chats:
        await pacer.wait(chat)
        times.append(round(time.now - 100.0, 6))
    return times


async def test_messages_leave_evenly_spaced_at_the_pace_without_a_first_burst() -> None:
    time = FakeTime()
    assert await released(pacer(Pace(per_second=10), time), time, list("abcde")) == [
        0.0,
        0.1,
        0.2,
        0.3,
        0.4,
    ]


async def test_one_chat_gets_one_message_a_second_while_the_others_go_on() -> None:
    time = FakeTime()
    assert await released(
        pacer(Pace(per_second=10, chat_interval=1.0), time), time, ["a", "b", "a", "c"]
    ) == [0.0, 0.1, 1.0, 1.1]


async def test_a_little_lateness_is_made_up_so_the_pace_holds() -> None:
    time = FakeTime()
    paced = pacer(Pace(per_second=10), time)

    async def oversleep(seconds: float) -> None:  # every timer fires 10 ms late
        await time.sleep(seconds + 0.01)

    paced._sleep = oversleep
    assert await released(paced, time, list("abcde")) == [0.0, 0.11, 0.21, 0.31, 0.41]


async def test_however_late_timers_fire_no_second_gets_more_than_its_share() -> None:
    time, lateness = FakeTime(), random.Random(7)
    paced = pacer(Pace(per_second=29), time)

    async def jittery(seconds: float) -> None:  # late by 0 to 40 ms, now and then by 300 ms
        late = lateness.choice((0.3, *[lateness.uniform(0, 0.04)] * 9))
        await time.sleep(seconds + late)

    paced._sleep = jittery
    times = await released(paced, time, ["x"] * 300)
    gap = 1 / 29
    assert min(b - a for a, b in zip(times, times[1:], strict=False)) >= gap / 2 - 1e-9
    assert min(b - a for a, b in zip(times, times[29:], strict=False)) >= 29 * gap - gap / 2
    assert min(b - a for a, b in zip(times, times[30:], strict=False)) > 1.0  # 30 a second


async def test_after_a_wake_up_held_up_by_the_loop_the_next_send_keeps_a_gap_from_it() -> None:
    time = FakeTime()
    paced = pacer(Pace(per_second=10), time)

    async def stalled(seconds: float) -> None:  # the first timer fires 300 ms late
        await time.sleep(seconds + (0.3 if len(time.slept) == 0 else 0.0))

    paced._sleep = stalled
    # "a" went at 0, but may have left only at 0.4 with "b": "b" waits a gap from there.
    assert await released(paced, time, ["a", "b", "c"]) == [0.0, 0.5, 0.6]


async def test_a_stalled_loop_does_not_let_a_backlog_out_at_once() -> None:
    time = FakeTime()
    paced = pacer(Pace(per_second=10), time)
    await paced.wait("a")
    time.now += 5.0  # the loop was busy elsewhere for five seconds
    assert await released(paced, time, ["b", "c", "d"]) == [5.0, 5.1, 5.2]


async def test_a_hold_stops_every_send_even_one_already_waiting() -> None:
    time = FakeTime()
    paced = pacer(Pace(per_second=10), time)
    await paced.wait("a")

    async def sleep_through_a_429(seconds: float) -> None:
        if not time.slept:  # while the next one waits its 0.1 s, a 429 says "wait 2 s"
            paced.hold(2.0)
        await time.sleep(seconds)

    paced._sleep = sleep_through_a_429
    assert await released(paced, time, ["b"]) == [2.0]
    assert await released(paced, time, ["c"]) == [2.1]


async def test_concurrent_senders_share_one_pace() -> None:
    time = FakeTime()
    paced = pacer(Pace(per_second=4), time)
    times: list[float] = []

    async def send(chat: str) -> None:
        await paced.wait(chat)
        times.append(time.now - 100.0)

    await asyncio.gather(*(send(str(n)) for n in range(8)))
    assert sorted(times) == [n * 0.25 for n in range(8)]


async def test_an_unpaced_platform_never_waits() -> None:
    time = FakeTime()
    assert await released(pacer(Pace(), time), time, ["a"] * 5) == [0.0] * 5
    assert time.slept == []


def test_telegram_and_discord_are_paced_just_under_their_limits() -> None:
    telegram, discord = PACES["telegram"], PACES["discord"]
    assert telegram.per_second is not None and 0.95 * 30 <= telegram.per_second < 30
    assert telegram.chat_interval >= 1.0
    assert discord.per_second is not None and 0.9 * 50 <= 2 * discord.per_second < 50


def test_a_batch_is_at_most_half_a_lease_of_sending_at_the_slowest_platform_pace() -> None:
    ctx: Any = None  # not used before a batch is claimed
    courier: Any = object()
    lease = timedelta(seconds=20)
    paced = NotificationWorker(ctx, {"telegram": courier}, lease=lease)
    assert paced.batch == int(29.0 * 10)  # Telegram's pace, 10 s of a 20 s lease
    both = NotificationWorker(ctx, {"telegram": courier, "discord": courier}, lease=lease)
    assert both.batch == int(24.0 * 10)  # the slower platform decides
    assert NotificationWorker(ctx, {"fake": courier}, batch=500, lease=lease).batch == 500
