"""A learner's plan shared with a booking's expert: 📎 Share a plan (while booking, or on the
booking's card), Stop sharing, and what the expert sees (📖 Learner's plan).

Who may do each, and until when, is the state machine's (``Action.SHARE_PLAN``,
``UNSHARE_PLAN``, ``VIEW_PLAN`` in ``rules``): every service re-reads the booking and asks it,
whatever button was pressed. The expert sees only the shared plan (its page of sessions, its
progress and its own notes) and the learner's daily streak, through the same services
``/plan`` and ``/progress`` use, and only until the session ends. Read-only for the expert.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from domain.learning.curricula import plan_page_in
from domain.learning.model import CurriculumOverview
from domain.learning.sessions import progress_in
from domain.marketplace.bookings import allowed, booking_of
from domain.marketplace.model import Action, Booking, Policy
from domain.marketplace.notices import tell
from domain.marketplace.rules import check_allowed
from domain.marketplace.share_commands import SharePlan, ViewSharedPlan
from domain.marketplace.share_model import SHAREABLE, SharedPlan
from domain.notifications.model import NotificationKind
from domain.shared.clock import Clock
from domain.shared.errors import InvalidInput
from domain.unit_of_work import UnitOfWork

NOTES_SHOWN = 5
NO_PLAN = "You have no active plan to share. Start one with /new, or /resume a paused one."


async def shareable(uow: UnitOfWork, user_id: UUID) -> list[CurriculumOverview]:
    """The learner's plans that can be shared (active ones), newest first, in an open unit of
    work."""
    return [c for c in await uow.curricula.list_for(user_id) if c.status in SHAREABLE]


async def plans_to_share(
    user_id: UUID, booking_id: UUID, uow: UnitOfWork, clock: Clock, policy: Policy
) -> tuple[Booking, list[CurriculumOverview]]:
    """📎 Share a plan on a booking's card: the booking and the plans it may share now."""
    now = clock.now()
    async with uow:
        booking, _ = await allowed(uow, user_id, booking_id, Action.SHARE_PLAN, now, policy)
        plans = await shareable(uow, user_id)
    if not plans:
        raise InvalidInput(NO_PLAN)
    return booking, plans


async def share(cmd: SharePlan, uow: UnitOfWork, clock: Clock, policy: Policy) -> Booking:
    """Share a plan on a booking (or stop sharing, ``cmd.plan`` None) and tell the expert."""
    now = clock.now()
    async with uow:
        if cmd.plan is None:
            booking, role = await booking_of(uow, cmd.user_id, cmd.booking_id, None, lock=True)
            check_allowed(Action.UNSHARE_PLAN, booking, role, now, policy)
            await uow.bookings.update(booking.id, shared_curriculum_id=None)
            updated, _ = await booking_of(uow, cmd.user_id, cmd.booking_id, None)
        else:
            updated = await share_in(
                uow, cmd.user_id, cmd.booking_id, cmd.plan, now, policy, tell_expert=True
            )
        await uow.commit()
    return updated


async def share_in(
    uow: UnitOfWork,
    user_id: UUID,
    booking_id: UUID,
    plan: str,
    now: datetime,
    policy: Policy,
    *,
    tell_expert: bool = False,
) -> Booking:
    """Share ``user_id``'s plan ``plan`` on the booking in an open unit of work (the booking
    walk's ✅ Confirm, whose request notice shows it, or a 📎 press, which tells the expert:
    ``tell_expert``); the booking as it is then. Only the asker's own active plans."""
    booking, role = await booking_of(uow, user_id, booking_id, None, lock=True)
    check_allowed(Action.SHARE_PLAN, booking, role, now, policy)
    chosen = [c for c in await shareable(uow, booking.learner_id) if c.id.hex.startswith(plan)]
    if len(plan) < 8 or len(chosen) != 1:
        raise InvalidInput("That plan isn't one of your active plans any more. See /plans.")
    await uow.bookings.update(booking.id, shared_curriculum_id=chosen[0].id)
    if tell_expert:
        data = {"booking_id": str(booking.id)}
        await tell(uow, booking.expert_user_id, NotificationKind.PLAN_SHARED, data, now)
    updated, _ = await booking_of(uow, user_id, booking_id, None)
    return updated


async def shared_plan(
    cmd: ViewSharedPlan, uow: UnitOfWork, clock: Clock, policy: Policy
) -> SharedPlan:
    """📖 Learner's plan: what the booked expert sees of the shared plan, if the rules let
    them see it now (the expert of this booking, while it is shared and not over)."""
    now = clock.now()
    async with uow:
        booking, role = await booking_of(uow, cmd.user_id, cmd.booking_id, None)
        check_allowed(Action.VIEW_PLAN, booking, role, now, policy)
        assert booking.shared_curriculum_id is not None
        learner = booking.learner_id
        curriculum = await uow.curricula.get_owned(booking.shared_curriculum_id, owner=learner)
        page = await plan_page_in(uow, curriculum, cmd.page)
        report = await progress_in(uow, learner, now)
        streak = next((p.streak for p in report.curricula if p.curriculum.id == curriculum.id), 0)
        notes = await uow.notes.recent(learner, NOTES_SHOWN, curriculum_id=curriculum.id)
    return SharedPlan(
        booking, page, streak, report.daily_streak, tuple(notes), booking.expert_timezone
    )
