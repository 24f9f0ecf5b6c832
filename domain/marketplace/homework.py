"""Homework: after a completed session, the booked expert sends a session for the plan the
learner shared (📝 Send homework: a title, then objectives or Skip); the learner accepts it
(the session is inserted into the plan after its next one, by the plan editing service) or
declines it, once. Both answers tell the expert.

Who may send and answer is the state machine's (``Action.SEND_HOMEWORK``,
``ANSWER_HOMEWORK``, which also says a homework is answered once). A button
carries only the homework's id: each press re-reads the homework and its booking and asks the
rules again, so another booking's expert, a stranger or a forged press changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import replace
from uuid import UUID

from domain.accounts import conversations
from domain.accounts.model import Conversation
from domain.learning.editing import insert_after_next, insert_position
from domain.learning.planner import TITLE_MAX
from domain.marketplace.bookings import allowed, ask_about, booking_of
from domain.marketplace.model import Action, Booking, Policy
from domain.marketplace.notices import tell
from domain.marketplace.rules import check_allowed
from domain.marketplace.share_commands import AnswerHomework, SendHomework
from domain.marketplace.share_model import Homework, HomeworkAnswered, HomeworkSent
from domain.notifications.model import NotificationKind
from domain.shared.clock import Clock
from domain.shared.errors import InvalidInput, NotFound
from domain.shared.text import clean_text
from domain.unit_of_work import UnitOfWork

NO_HOMEWORK = "I can't find that homework among yours."
OBJECTIVES_MAX = 8
_SEPARATORS = re.compile(r"\s*(?:\n|;)\s*")


def objectives_of(text: str | None) -> tuple[str, ...]:
    """The objectives an expert typed: one per line (or separated by ";"), at most eight."""
    if text is None:
        return ()
    cleaned = clean_text(text, what="objectives", limit=1500, required=False)
    parts = [p.strip(" -•*") for p in _SEPARATORS.split(cleaned or "")]
    found = tuple(p for p in parts if p)
    if len(found) > OBJECTIVES_MAX:
        raise InvalidInput(f"Give at most {OBJECTIVES_MAX} objectives, one per line.")
    return found


def title_of(text: str) -> str:
    title = clean_text(text, what="homework title", limit=TITLE_MAX)
    assert title is not None
    return title


async def compose(
    user_id: UUID, booking_id: UUID, flow: str, uow: UnitOfWork, clock: Clock, policy: Policy
) -> tuple[Booking, Conversation]:
    """📝 Send homework: check the expert may send it now, then ask for its title
    (``ask_about``)."""
    booking, _, asked = await ask_about(
        user_id, booking_id, Action.SEND_HOMEWORK, flow, "title", uow, clock, policy
    )
    return booking, asked


async def give_title(
    user_id: UUID, token: str, text: str, flow: str, uow: UnitOfWork, clock: Clock
) -> Conversation:
    """The homework's title, typed at the wizard's first step: then its objectives (or Skip)."""
    title = title_of(text)
    now = clock.now()
    async with uow:
        asked = await conversations.step_of(uow, user_id, token, (flow,), now, lock=True)
        if asked.step != "title":
            raise InvalidInput(conversations.STALE)
        data = {**asked.data, "title": title}
        conversation = await conversations.advance(uow, user_id, asked, "objectives", data, now)
        await uow.commit()
    return conversation


async def send(cmd: SendHomework, uow: UnitOfWork, clock: Clock, policy: Policy) -> HomeworkSent:
    """Store the homework (once per booking) and tell the learner, in one transaction."""
    title, objectives = title_of(cmd.title), objectives_of(cmd.objectives)
    now = clock.now()
    async with uow:
        booking, role = await booking_of(uow, cmd.user_id, cmd.booking_id, None, lock=True)
        check_allowed(Action.SEND_HOMEWORK, booking, role, now, policy)
        assert booking.shared_curriculum_id is not None
        plan = await uow.curricula.get_owned(
            booking.shared_curriculum_id, owner=booking.learner_id
        )
        tail = await uow.plans.open_sessions(plan.id)
        homework = await uow.homework.add(
            booking_id=booking.id,
            curriculum_id=plan.id,
            title=title,
            description="\n".join(objectives) or None,
            position=insert_position(plan, tail),
            now=now,
        )
        if homework is None:  # a second send that raced the first
            raise InvalidInput(f"You already sent homework for booking {booking.ref}.")
        data = {"homework_id": str(homework.id)}
        await tell(uow, booking.learner_id, NotificationKind.HOMEWORK_SENT, data, now)
        await uow.commit()
    return HomeworkSent(homework, booking, plan.title)


async def answer(
    cmd: AnswerHomework, uow: UnitOfWork, clock: Clock, policy: Policy
) -> HomeworkAnswered:
    """Accept (insert the session into the shared plan) or decline the homework, once; tell
    the expert. Only the learner of its booking answers it."""
    now = clock.now()
    async with uow:
        await uow.curricula.lock_learner(cmd.user_id)  # the learning context's lock order
        homework, booking = await _homework_of(uow, cmd.user_id, cmd.homework_id, lock=True)
        check_allowed(Action.ANSWER_HOMEWORK, booking, booking.role_of(cmd.user_id), now, policy)
        number, plan_title = None, "your plan"
        if homework.curriculum_id is None:
            if cmd.accept:
                raise InvalidInput("The plan this homework was for is gone; nothing was added.")
        else:
            plan = await uow.curricula.get_owned(homework.curriculum_id, owner=cmd.user_id)
            plan_title = plan.title
            if cmd.accept:
                number = await insert_after_next(
                    uow,
                    cmd.user_id,
                    plan.id,
                    homework.title,
                    objectives_of(homework.description),
                )
        if not await uow.homework.answer(homework.id, accepted=cmd.accept, now=now):
            raise InvalidInput(f"You already answered the homework “{homework.title}”.")
        data = {"homework_id": str(homework.id)}
        await tell(uow, booking.expert_user_id, NotificationKind.HOMEWORK_ANSWERED, data, now)
        await uow.commit()
    answered = replace(homework, answered_at=now, accepted=cmd.accept)
    return HomeworkAnswered(answered, booking, plan_title, cmd.accept, number)


async def offer_of(
    user_id: UUID, booking_id: UUID, uow: UnitOfWork, clock: Clock, policy: Policy
) -> tuple[Homework, Booking, str | None]:
    """📝 Homework under the learner's booking: its homework, still to answer (the rules of
    ``Action.ANSWER_HOMEWORK``), with its plan's title."""
    async with uow:
        now = clock.now()
        booking, _ = await allowed(uow, user_id, booking_id, Action.ANSWER_HOMEWORK, now, policy)
        assert booking.homework_id is not None
    return await homework_of(user_id, booking.homework_id, uow)


async def homework_of(
    user_id: UUID, homework_id: UUID, uow: UnitOfWork
) -> tuple[Homework, Booking, str | None]:
    """A homework as one of its booking's two sides sees it, with its plan's title (None: the
    plan is gone); anyone else: not found."""
    async with uow:
        homework, booking = await _homework_of(uow, user_id, homework_id)
        title = None
        if homework.curriculum_id is not None:
            try:
                plan = await uow.curricula.get_owned(
                    homework.curriculum_id, owner=booking.learner_id
                )
                title = plan.title
            except NotFound:
                title = None
    return homework, booking, title


async def _homework_of(
    uow: UnitOfWork, user_id: UUID, homework_id: UUID, *, lock: bool = False
) -> tuple[Homework, Booking]:
    homework = await uow.homework.get(homework_id, lock=lock)
    if homework is None:
        raise NotFound(NO_HOMEWORK)
    try:
        booking, _ = await booking_of(uow, user_id, homework.booking_id, None)
    except NotFound:
        raise NotFound(NO_HOMEWORK) from None
    return homework, booking
