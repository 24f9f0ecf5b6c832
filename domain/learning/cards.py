"""Spaced-repetition review: making cards (/card, a "Q: ... A: ..." note, a session's
objectives), going through the due ones (/review), and the figures /progress shows.

Scheduling is FSRS behind the ``ReviewScheduler`` port (``bot.review_scheduler`` wraps the
``fsrs`` package). "Due today" is the learner's own local day: a card is due today when it is
due before the next local midnight in their zone (computed per date in the zone, then in UTC,
so a DST change or a zone change moves it correctly).

A button is a request: every service here re-reads the card or source as the asker's own
(``NotFound`` otherwise), and a rating lands only if the card is still the one shown (its
``reps`` unchanged, checked under a row lock), so a double tap rates once.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from uuid import UUID

from domain.learning.card_model import (
    CardRated,
    CardsAdded,
    CardSource,
    CardStats,
    NewCard,
    ReviewCard,
    ReviewQueue,
)
from domain.learning.commands import AddCard, CardFromNote, CardsFromSession, RateCard, ShowAnswer
from domain.learning.ports import ReviewScheduler
from domain.notifications.wallclock import local_instant
from domain.shared import timezones
from domain.shared.clock import Clock
from domain.shared.errors import Conflict, InvalidInput, NotFound
from domain.unit_of_work import UnitOfWork

MAX_FRONT = 300
MAX_BACK = 1000
CARD_USAGE = "Usage: /card <front> | <back>, e.g. /card ser (yo) | soy"
NOT_YOUR_CARD = "I can't find that card among yours. Nothing was changed; /review shows yours."
ALREADY_RATED = "That card was rated already (a second tap?); it was counted once."
_QA = re.compile(r"^\s*Q\s*[:.]\s*(?P<q>.+?)\s+A\s*[:.]\s*(?P<a>.+?)\s*$", re.S | re.I)


def parse_card(text: str) -> tuple[str, str]:
    """``front | back`` -> both sides, trimmed. Raises ``InvalidInput`` with the usage."""
    front, bar, back = text.partition("|")
    front, back = " ".join(front.split()), back.strip()
    if not bar or not front or not back:
        raise InvalidInput(CARD_USAGE)
    if "|" in back:
        raise InvalidInput(f"One “|” between the front and the back, please. {CARD_USAGE}")
    return _sides(front, back)


def _sides(front: str, back: str) -> tuple[str, str]:
    if len(front) > MAX_FRONT:
        raise InvalidInput(f"The front is {len(front)} characters; at most {MAX_FRONT}, please.")
    if len(back) > MAX_BACK:
        raise InvalidInput(f"The back is {len(back)} characters; at most {MAX_BACK}, please.")
    return front, back


def parse_question(note: str) -> tuple[str, str] | None:
    """A note written as ``Q: <question> A: <answer>`` -> (question, answer); else None."""
    match = _QA.match(note)
    if match is None:
        return None
    front, back = " ".join(match["q"].split()), match["a"].strip()
    if not front or not back or len(front) > MAX_FRONT or len(back) > MAX_BACK:
        return None
    return front, back


def day_bounds(now: datetime, zone: str) -> tuple[datetime, datetime]:
    """The UTC instants at which the learner's local today (in ``zone``) starts and ends."""
    today = timezones.local_date(now, zone)
    return local_instant(today, time(0, 0), zone), end_of_day(today, zone)


def end_of_day(day: date, zone: str) -> datetime:
    """The UTC instant of the local midnight that ends ``day`` in ``zone``."""
    return local_instant(day + timedelta(days=1), time(0, 0), zone)


def week_start(now: datetime, zone: str) -> datetime:
    """The UTC instant the learner's local week (from Monday) began."""
    today = timezones.local_date(now, zone)
    return local_instant(today - timedelta(days=today.weekday()), time(0, 0), zone)


async def add_card(cmd: AddCard, uow: UnitOfWork, clock: Clock) -> CardsAdded:
    """Add a card to the learner's current plan (none: a card of no plan), due at once."""
    front, back = _sides(cmd.front, cmd.back)
    async with uow:
        curriculum_id = await uow.curricula.current_id(cmd.user_id)
        card = NewCard(
            cmd.user_id, front, back, CardSource.CARD, clock.now(), curriculum_id=curriculum_id
        )
        await uow.cards.add([card])
        await uow.commit()
    return CardsAdded(1, front=front)


async def card_from_note(cmd: CardFromNote, uow: UnitOfWork, clock: Clock) -> CardsAdded:
    """Make one of the learner's "Q: ... A: ..." notes a card (once: a second tap adds none)."""
    async with uow:
        note = await uow.cards.note_source(cmd.note_id, owner=cmd.user_id)
        if note is None:
            raise NotFound("I can't find that note among yours. Nothing was changed.")
        sides = parse_question(note.content)
        if sides is None:
            raise InvalidInput("That note isn't written as “Q: … A: …”, so it makes no card.")
        card = NewCard(
            cmd.user_id,
            *sides,
            CardSource.NOTE,
            clock.now(),
            curriculum_id=note.curriculum_id,
            session_id=note.session_id,
            note_id=cmd.note_id,
        )
        added = await uow.cards.add([card])
        await uow.commit()
    return CardsAdded(added, skipped=1 - added, front=sides[0])


async def cards_from_session(cmd: CardsFromSession, uow: UnitOfWork, clock: Clock) -> CardsAdded:
    """A card for each objective of one of the learner's completed sessions: the objective
    on the front, the session on the back. An objective that has its card already is skipped."""
    async with uow:
        session = await uow.cards.session_source(cmd.session_id, owner=cmd.user_id)
        if session is None:
            raise NotFound("I can't find that session among yours. Nothing was changed.")
        if not session.completed:
            raise InvalidInput(f"Session {session.number} isn't done (any more): no cards.")
        objectives = list(dict.fromkeys(o for o in session.objectives if o.strip()))
        if not objectives:
            raise InvalidInput(f"Session {session.number} has no objectives to make cards of.")
        back = f"From session {session.number}, {session.title}. Say it in your own words first."
        now = clock.now()
        cards = [
            NewCard(
                cmd.user_id,
                *_sides(" ".join(objective.split())[:MAX_FRONT], back[:MAX_BACK]),
                CardSource.OBJECTIVE,
                now,
                curriculum_id=session.curriculum_id,
                session_id=cmd.session_id,
            )
            for objective in objectives
        ]
        added = await uow.cards.add(cards)
        await uow.commit()
    return CardsAdded(added, skipped=len(cards) - added)


async def _queue(user_id: UUID, zone: str, uow: UnitOfWork, now: datetime) -> ReviewQueue:
    start, end = day_bounds(now, zone)
    return ReviewQueue(*await uow.cards.queue(user_id, before=end, since=start))


async def review_queue(user_id: UUID, uow: UnitOfWork, clock: Clock) -> ReviewQueue:
    """The next card due before the end of the learner's local today, with the day's counts."""
    async with uow:
        return await _queue(user_id, await uow.cards.zone(user_id), uow, clock.now())


async def card_to_answer(cmd: ShowAnswer, uow: UnitOfWork) -> ReviewCard:
    """The card whose answer is asked for: the asker's, and still as shown (else ``Conflict``:
    it was rated meanwhile)."""
    async with uow:
        card = await uow.cards.get_owned(cmd.card_id, owner=cmd.user_id)
    if card is None:
        raise NotFound(NOT_YOUR_CARD)
    if card.reps != cmd.reps:
        raise Conflict(ALREADY_RATED + " /review goes on with the next one.")
    return card


async def rate_card(
    cmd: RateCard, uow: UnitOfWork, clock: Clock, scheduler: ReviewScheduler
) -> CardRated:
    """Rate one of the learner's cards and schedule it again (FSRS), in one transaction that
    holds the card's row: a rating lands only if the card was not rated since it was shown
    (``reps`` unchanged), so two taps (or two devices) rate it once. Returns the next card."""
    async with uow:
        zone = await uow.cards.zone(cmd.user_id)
        card = await uow.cards.get_owned(cmd.card_id, owner=cmd.user_id, lock=True)
        if card is None:
            raise NotFound(NOT_YOUR_CARD)
        now = clock.now()
        counted = card.reps == cmd.reps
        next_due = None
        if counted:
            memory = scheduler.review(card.memory, cmd.rating, now)
            await uow.cards.record_review(card, memory, cmd.rating, now)
            next_due = memory.due
        queue = await _queue(cmd.user_id, zone, uow, now)
        await uow.commit()
    return CardRated(counted, cmd.rating, next_due, queue, zone)


async def card_stats(user_id: UUID, uow: UnitOfWork, clock: Clock) -> CardStats:
    """Cards due today, ratings this (local, Monday-based) week, and retention: the share of
    the last 30 days' ratings that were not Again."""
    now = clock.now()
    async with uow:
        zone = await uow.cards.zone(user_id)
        _, end = day_bounds(now, zone)
        total, due, week, month, recalled = await uow.cards.stats(
            user_id, end, week_start(now, zone), now - timedelta(days=30)
        )
    return CardStats(total, due, week, month, recalled / month if month else None)


async def cards_due(user_id: UUID, day: date, zone: str, uow: UnitOfWork) -> int:
    """How many of the learner's cards are due before the end of local ``day`` (inside the
    caller's unit of work: the reminders read it with their other facts)."""
    end = end_of_day(day, zone)
    due, _ = await uow.cards.counts(user_id, due_before=end, since=end)
    return due
