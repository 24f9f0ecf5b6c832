"""Logging by plain message: a proposal kept until the learner taps, then logged as /done logs.

A message ``plain_log`` understands becomes a proposal: the minutes, the note, and the plans it
may go to (each with the session that is next in it), stored as the learner's conversation
state (flow ``qlog``) under a fresh token, so the buttons carry only that token and a choice.
The tap logs what was stored, not what a payload says, through ``log_session`` with the
session named (refused if another one is next by then), and ends the proposal in the same
transaction: a second tap, or a tap after a newer message, finds it gone and logs nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from domain.accounts import conversations
from domain.accounts.conversations import STALE
from domain.learning.commands import LogSession
from domain.learning.model import (
    CurriculumStatus,
    LogProposal,
    PlainLog,
    PlanChoiceToLog,
    SessionLogged,
)
from domain.learning.plain_log import plans_named
from domain.learning.sessions import log_held, with_now_current
from domain.shared.clock import Clock
from domain.shared.errors import InvalidInput
from domain.unit_of_work import UnitOfWork

FLOW = "qlog"
MAX_PLANS = 8  # buttons offered at most, current plan first


async def propose(
    user_id: UUID, log: PlainLog, uow: Callable[[], UnitOfWork], clock: Clock
) -> LogProposal:
    """Keep ``log`` as the learner's pending proposal, with the active plans it may go to (the
    current one first) and which of them its note names. Raises ``InvalidInput`` when the
    learner has no active plan with a session left."""
    work = uow()
    async with work:
        curricula = await work.curricula.list_for(user_id)
        current = await work.curricula.current_id(user_id)
    live = [c for c in curricula if c.status is CurriculumStatus.ACTIVE and c.next_session]
    live.sort(key=lambda c: c.id != current)  # stable: newest first otherwise
    if not live:
        raise InvalidInput(
            f"That sounds like {log.minutes} min of study, but you have no active plan with a "
            "session left to log it on. /plans shows yours; /new plans one."
        )
    plans = tuple(
        PlanChoiceToLog(
            c.id, c.title, c.next_session.id, c.next_session.number, c.next_session.title
        )
        for c in live[:MAX_PLANS]
        if c.next_session is not None
    )
    if len(plans) == 1:
        named: list[int] = [0]
    else:
        names = [
            (c.subject, c.title, c.next_session.title) for c in live[:MAX_PLANS] if c.next_session
        ]
        named = plans_named(log.note, names)
    data: dict[str, object] = {
        "minutes": log.minutes,
        "note": log.note,
        "plans": [[p.curriculum_id.hex, p.session_id.hex] for p in plans],
    }
    saved = await conversations.save(user_id, FLOW, "confirm", data, uow(), clock)
    return LogProposal(log.minutes, log.note, plans, tuple(named), saved.token)


async def confirm(
    user_id: UUID, token: str, choice: int, uow: Callable[[], UnitOfWork], clock: Clock
) -> SessionLogged:
    """Log the pending proposal of ``token`` on its plan number ``choice``, ending it in the
    same transaction (held in the lock order: the learner's row, then the proposal's)."""
    work = uow()
    async with work:
        await work.curricula.lock_learner(user_id)
        pending = await conversations.step_of(
            work, user_id, token, (FLOW,), clock.now(), lock=True
        )
        command = _command(user_id, pending.data, choice)
        try:
            logged = await log_held(command, work, clock)
        except InvalidInput:  # refused (another session is next): the proposal is over
            await conversations.finish(work, user_id, token)
            await work.commit()
            raise
        await conversations.finish(work, user_id, token)
        await work.commit()
    return await with_now_current(logged, user_id, uow())


def _command(user_id: UUID, data: dict[str, object], choice: int) -> LogSession:
    """What the stored proposal says to log on its plan number ``choice``."""
    try:
        minutes = int(str(data["minutes"]))
        note = data.get("note")
        plans = data["plans"]
        assert isinstance(plans, list) and 0 <= choice < len(plans)
        curriculum_hex, session_hex = plans[choice]
        curriculum_id, session_id = UUID(str(curriculum_hex)), UUID(str(session_hex))
    except (KeyError, ValueError, TypeError, AssertionError):
        raise InvalidInput(STALE) from None
    return LogSession(
        user_id,
        minutes,
        None if note is None else str(note),
        curriculum_id=curriculum_id,
        session_id=session_id,
    )


async def dismiss(user_id: UUID, token: str, uow: Callable[[], UnitOfWork], clock: Clock) -> None:
    """No: forget the pending proposal of ``token`` (stale if it is gone already)."""
    pending = await conversations.current(user_id, uow(), clock)
    if pending is None or pending.flow != FLOW or pending.token != token:
        raise InvalidInput(STALE)
    await conversations.cancel(user_id, token, uow(), clock)
