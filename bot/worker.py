"""The notification worker: claims due notifications from the outbox and sends them.

Any number of workers may run against one database (inside ``syllabot run`` and
``syllabot chat``, and as separate ``syllabot worker`` processes);
``domain.notifications.delivery`` makes sure each notification is sent once.
A ``Courier`` per platform does the sending (the Telegram, Discord and terminal adapters).

Pacing: the worker sends a batch concurrently, but through one :class:`Pacer` per platform,
which lets messages out evenly spaced a little under the platform's limit (``PACES``), and at
most one a second to one chat. A user's notifications go out in order, one at a
time. A 429 holds the whole platform for its ``retry_after`` and the message is sent again; a
wait too long for the batch reschedules the message (and the platform's others) instead. A
batch is no bigger than half a lease's worth of sending at the platform's pace, nothing is
sent once less than a quarter of the lease is left (it goes back to the queue at once), and
outcomes are recorded every ``SETTLE_EVERY`` messages, so a lease never runs out on a message
that was sent.

Several workers (processes) on one bot token: each send also takes its slot from the token's
shared budget (``budgets``, ``db.budget``), so together they keep within the platform's limit.
A sent message is recorded at once (with whatever else waits to be), so a worker killed
mid-batch leaves at most the messages in flight at that moment unrecorded; the rest of its
batch goes to another worker when the lease runs out.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from bot.handlers.base import Context
from bot.handlers.courier import Courier, SendBudget
from bot.handlers.notifications import notices
from domain.notifications import delivery
from domain.notifications.model import Audience, Due, Outcome

logger = logging.getLogger(__name__)


MAX_ATTEMPTS = 5


CONCURRENCY = 8  # notifications on their way at once: enough for any pace, within the DB pool


SETTLE_EVERY = 30  # record outcomes this often (about a second of Telegram's pace)


WAIT_AT_MOST = 10.0  # seconds of 429 the batch waits out; a longer one reschedules


SEND_TRIES = 3  # sends of one message within a batch (each after its 429 was waited out)


Settled = tuple[Due, Outcome, datetime | None, str | None]


@dataclass(frozen=True)
class Pace:
    """How fast a platform takes messages: overall (None: unlimited) and to one chat."""

    per_second: float | None = None
    chat_interval: float = 0.0  # seconds between two messages to one chat


# Under the published limits, so that network jitter never puts one second over them.
# Telegram: about 30 messages a second overall and one a second per chat. Discord: 50
# requests a second, and a direct message takes two the first time (opening the DM channel,
# then the message). A platform not named here is not paced.
PACES: dict[str, Pace] = {
    "telegram": Pace(per_second=29.0, chat_interval=1.0),
    "discord": Pace(per_second=24.0, chat_interval=1.0),
}

# What one notification takes from a platform's shared budget (counted in requests): a Discord
# direct message may need two (opening the DM channel, then the message).
COSTS: dict[str, float] = {"discord": 2.0}


class Pacer:
    """Lets sends through no faster than a :class:`Pace`: evenly spaced and per chat;
    :meth:`hold` stops every send for a while (after a 429).

    Sends keep to a grid one gap apart, so a little lateness (a timer firing late) is made up
    and the pace holds; one later than half a gap starts the grid afresh from itself, so a
    stalled loop never lets a backlog out in a burst. Either way two sends are at least half a
    gap apart and any n + 1 sends span at least n gaps less half a gap. A wake-up later than
    half a gap means the loop (or the process) was held up, and the previous send, let through
    just before, may have been held up with it and be leaving only now: the next waits a
    whole gap more, so that the two do not reach the platform together.
    """

    PRUNE_AT = 1024  # chats remembered before the ones free again are forgotten

    def __init__(
        self,
        pace: Pace,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._gap = 1 / pace.per_second if pace.per_second else 0.0
        self._slack = self._gap / 2
        self._chat_gap = pace.chat_interval
        self._monotonic, self._sleep = monotonic, sleep
        self._next = -math.inf  # when the next send may go
        self._chats: dict[str, float] = {}  # when each chat may get its next one
        self._lock = asyncio.Lock()

    async def wait(self, chat: str) -> None:
        """Return when a message to ``chat`` may be sent now (and count it as sent)."""
        await self._until(lambda: self._chats.get(chat, -math.inf))
        async with self._lock:
            if await self._until(lambda: self._next):
                self._next = self._monotonic() + self._gap
                await self._until(lambda: self._next)
            now = self._monotonic()
            on_time = now - self._next <= self._slack
            self._next = (self._next if on_time else now) + self._gap
            if self._chat_gap:
                if len(self._chats) >= self.PRUNE_AT:
                    self._chats = {c: at for c, at in self._chats.items() if at > now}
                self._chats[chat] = now + self._chat_gap

    def hold(self, seconds: float) -> None:
        """Send nothing for ``seconds`` from now (the waits in progress wait longer)."""
        self._next = max(self._next, self._monotonic() + seconds)

    async def _until(self, moment: Callable[[], float]) -> bool:
        """Sleep until ``moment()``; True if the wake-up came over half a gap late."""
        late = False
        while (delay := moment() - self._monotonic()) > 0:  # re-read: a hold may move it
            await self._sleep(delay)
            late = self._monotonic() - moment() > self._slack
        return late


class NotificationWorker:
    """Delivers the outbox through ``couriers`` (one per platform). It takes only what they
    can deliver (``Audience``): notifications of people with a chat on those platforms (and of
    people reachable nowhere, to drop them), or, given ``chats``, only of the people at those
    chats (``syllabot chat`` serves the person at the terminal)."""

    def __init__(
        self,
        ctx: Context,
        couriers: dict[str, Courier],
        *,
        chats: Collection[str] | None = None,
        batch: int = 500,
        lease: timedelta = delivery.LEASE,
        paces: dict[str, Pace] | None = None,
        concurrency: int = CONCURRENCY,
        budgets: dict[str, SendBudget] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        paces = PACES if paces is None else paces
        self.budgets = budgets or {}
        self._sleep = sleep
        self.ctx, self.couriers, self.lease = ctx, couriers, lease
        self.audience = Audience(frozenset(couriers), None if chats is None else frozenset(chats))
        self.concurrency, self._monotonic = concurrency, monotonic
        self.pacers = {
            platform: Pacer(paces.get(platform, Pace()), monotonic=monotonic, sleep=sleep)
            for platform in couriers
        }
        # No more than the slowest platform sends in half a lease: the rest is for 429s.
        rates = [paces[p].per_second or math.inf for p in couriers if p in paces]
        slowest = min(rates, default=math.inf)
        half_lease = slowest * lease.total_seconds() / 2
        self.batch = batch if math.isinf(half_lease) else max(1, min(batch, int(half_lease)))
        self._throttled: dict[str, datetime] = {}  # platform: until when (a long 429)

    async def run_once(self) -> int:
        """Claim one batch, deliver it, record the outcomes; returns how many were claimed."""
        claimed = await delivery.claim(
            self.ctx.uow(),
            self.ctx.clock,
            limit=self.batch,
            lease=self.lease,
            audience=self.audience,
        )
        if not claimed:
            return 0
        # Nothing is sent with less than a quarter of the lease left: settling must come first.
        deadline = self._monotonic() + self.lease.total_seconds() * 3 / 4
        unsettled: list[Settled] = []

        async def record(outcome: Settled | None) -> None:
            if outcome is not None:
                unsettled.append(outcome)
            sent = outcome is not None and outcome[1] is Outcome.SENT  # recorded at once
            if unsettled and (outcome is None or sent or len(unsettled) >= SETTLE_EVERY):
                done = unsettled[:]
                unsettled.clear()
                await delivery.settle(self.ctx.uow(), self.ctx.clock, done)

        # A user's notifications in order: their first ones, then their second ones, ...
        rounds: list[list[Due]] = []
        seen: dict[UUID, int] = {}
        for due in claimed:
            position = seen[due.user_id] = seen.get(due.user_id, -1) + 1
            if position == len(rounds):
                rounds.append([])
            rounds[position].append(due)
        slots = asyncio.Semaphore(self.concurrency)

        async def deliver(due: Due) -> None:
            async with slots:
                outcome = await self._deliver(due, deadline)
            await record(outcome)  # the slot is free for the next send meanwhile

        try:
            for dues in rounds:
                await asyncio.gather(*(deliver(due) for due in dues))
        finally:  # also when cancelled (shutting down): what was sent is recorded as sent
            await record(None)
        return len(claimed)

    async def drain(self) -> int:
        """Deliver batches until nothing is due; returns how many were claimed in all."""
        total = 0
        while claimed := await self.run_once():
            total += claimed
        return total

    async def _deliver(self, due: Due, deadline: float) -> Settled:
        now = self.ctx.clock.now()
        meter, platform = self.ctx.meter, "none"  # "none": failed before a platform was chosen
        if due.expires_at is not None and now > due.expires_at:
            meter.dropped("expired")
            return due, Outcome.DROPPED, None, "too late"
        try:
            reply = await notices.render(self.ctx, due.user_id, due.kind, due.data)
            if reply is None:
                meter.dropped("obsolete")
                return due, Outcome.DROPPED, None, "no longer applies"
            destinations = await delivery.destinations(due.user_id, self.audience, self.ctx.uow())
            if not destinations:
                meter.dropped("unreachable")
                return due, Outcome.DROPPED, None, "no reachable chat"
            platform, chat_id = destinations[0]
            pacer = self.pacers[platform]
            for _ in range(SEND_TRIES):
                throttled = self._throttled.get(platform)
                if throttled is not None and throttled > self.ctx.clock.now():
                    return due, Outcome.RETRY, throttled, f"{platform} asked to wait"
                await pacer.wait(chat_id)
                budget, cost = self.budgets.get(platform), COSTS.get(platform, 1.0)
                if budget is not None and (wait := await budget.take(cost)):
                    if self._monotonic() + wait > deadline:  # give the slot back: too late
                        await budget.take(-cost)
                        return due, Outcome.RETRY, None, "the lease was running out"
                    await self._sleep(wait)  # this send's slot among every process's
                if self._monotonic() > deadline:  # back to the queue, for anyone to take
                    return due, Outcome.RETRY, None, "the lease was running out"
                result = await self.couriers[platform].send(chat_id, reply)
                if result.retry_after is None:
                    break
                meter.rate_limited(platform)
                meter.sent(platform, "throttled")
                wait = max(result.retry_after, 0.0)
                if wait > WAIT_AT_MOST or self._monotonic() + wait > deadline:
                    break
                logger.info("%s: 429, holding its messages for %g s", platform, wait)
                pacer.hold(wait)
        except Exception as error:  # a bug or an outage: retry a few times, then give up
            logger.exception("delivering notification %s failed", due.id)
            meter.sent(platform, "failed")
            if due.attempts >= MAX_ATTEMPTS:
                return due, Outcome.FAILED, None, repr(error)[:500]
            return due, Outcome.RETRY, now + timedelta(minutes=due.attempts), repr(error)[:500]
        if result.sent:
            meter.sent(platform, "sent")
            return due, Outcome.SENT, None, None
        if result.blocked:
            meter.sent(platform, "blocked")
            meter.dropped("blocked")
            await delivery.mark_blocked(due.user_id, platform, chat_id, self.ctx.uow(), now)
            return due, Outcome.DROPPED, None, f"blocked on {platform}"
        wait = max(result.retry_after or 1.0, 1.0)
        until = self.ctx.clock.now() + timedelta(seconds=wait)
        self._throttled[platform] = max(self._throttled.get(platform, until), until)
        return due, Outcome.RETRY, until, f"retry after {wait:g} s"
