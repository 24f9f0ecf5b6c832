"""A person's own data: take it with them (/export) or have it deleted (/delete_me).

The export reads one snapshot, so what it shows is consistent even while the person (or
somebody booking them) keeps using Syllabot. Deletion is one transaction: it locks the user,
re-reads what holds it back, cancels the person's open requests and sessions as a learner (the
experts are told), clears what they wrote on bookings the other side keeps, and deletes the
user with everything that is only theirs. Past bookings stay with the other side, without the
deleted person (``DELETED_NAME``).

An expert's open bookings hold deletion back: their learners must hear of the cancellation
through the usual notices, so ``cancel_open_as_expert`` cancels them first with the booking
service's own cancellation.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from domain.accounts import conversations
from domain.accounts.model import AccountDeleted, Holdings, PersonalData
from domain.marketplace import bookings, invites
from domain.marketplace.commands import ActOnBooking
from domain.marketplace.model import (
    HOLDS_TIME,
    Action,
    BookingStatus,
    PaymentStatus,
    Policy,
    booking_ref,
)
from domain.marketplace.payments import PaymentProvider
from domain.marketplace.waitlist import freed
from domain.notifications.model import NotificationKind
from domain.notifications.services import replan_booking
from domain.shared.clock import Clock
from domain.shared.errors import Conflict, DomainError, InvalidInput, NotFound
from domain.unit_of_work import UnitOfWork

FLOW = "delete_me"
CONFIRM_STEP = "confirm"  # its button deletes
CANCEL_STEP = "cancel_first"  # its button cancels the open bookings as expert it listed
OPEN = tuple(sorted(status.value for status in HOLDS_TIME))  # pending and scheduled
LEARNER_GONE = "the learner deleted their account"
EXPERT_CANCELLED = "the expert is leaving Syllabot"
FORMAT = "syllabot-export/1"


class OpenAsExpert(Conflict):
    """Deletion refused: the person is the expert of bookings still pending or scheduled."""

    def __init__(self, holdings: Holdings) -> None:
        super().__init__("You still have upcoming sessions as an expert.")
        self.holdings = holdings


async def export_data(user_id: UUID, uow: UnitOfWork, clock: Clock) -> PersonalData:
    """Everything Syllabot holds about ``user_id``, read from one snapshot.

    Returns:
        The JSON-shaped document and the study sessions (for the CSV).
    """
    now = clock.now()
    async with uow:
        await uow.data_rights.take_snapshot()
        document = await uow.data_rights.document(user_id)
        sessions = await uow.data_rights.study_sessions(user_id)
    if document["profile"] is None:
        raise NotFound("I don't hold anything about you.")
    return PersonalData(
        taken_at=now,
        document={"format": FORMAT, "exported_at": now, **document},
        study_sessions=tuple(sessions),
    )


async def holdings(user_id: UUID, uow: UnitOfWork) -> Holdings:
    """What deleting ``user_id``'s account would remove, and what holds it back."""
    async with uow:
        return await uow.data_rights.holdings(user_id, OPEN)


async def ask_to_delete(user_id: UUID, uow: UnitOfWork, clock: Clock) -> tuple[Holdings, str]:
    """Start the question: what would go, and the token its buttons carry.

    When nothing holds deletion back the step is ``CONFIRM_STEP`` (its button deletes);
    otherwise ``CANCEL_STEP``, whose button cancels exactly the open bookings as expert shown
    now (``found.blocking``), so an old button never cancels bookings made after it.
    """
    async with uow:
        found = await uow.data_rights.holdings(user_id, OPEN)
        step, data = CONFIRM_STEP, dict[str, object]()
        if found.blocking:
            step, data = CANCEL_STEP, {"bookings": [b.id.hex for b in found.blocking]}
        conversation = await conversations.move(uow, user_id, FLOW, step, data, clock.now())
        await uow.commit()
    return found, conversation.token


async def delete_account(
    user_id: UUID, token: str, uow: UnitOfWork, clock: Clock, payments: PaymentProvider
) -> AccountDeleted:
    """Delete ``user_id``'s account, confirmed by the button of the step ``token`` names.

    One transaction: a press of a stale or forged button, or a failure anywhere, changes
    nothing. Open bookings as learner are cancelled (the experts are told); past bookings stay
    with the other side without the person's name.

    Raises:
        InvalidInput: the button is stale (another step, expired, already used, not theirs).
        OpenAsExpert: open bookings as expert appeared since the question was asked.
    """
    async with uow:
        now = clock.now()
        if not await lock_for_deletion(uow, user_id):
            raise NotFound("There is no account to delete any more.")
        step = await conversations.step_of(uow, user_id, token, (FLOW,), now, lock=True)
        if step.step != CONFIRM_STEP:
            raise InvalidInput(conversations.STALE)
        deleted = await erase(uow, user_id, now, payments)
        await uow.commit()
    return deleted


async def lock_for_deletion(uow: UnitOfWork, user_id: UUID) -> bool:
    """Take the locks deletion needs, in the booking path's order: the expert's advisory
    lock, then the user's row (held, no booking of theirs is decided meanwhile). False when
    there is no such user."""
    expert = await uow.experts.by_user(user_id)
    if expert is not None:
        await uow.experts.lock(expert.id)
    return await uow.data_rights.lock_user(user_id)


async def erase(
    uow: UnitOfWork, user_id: UUID, now: datetime, payments: PaymentProvider
) -> AccountDeleted:
    """Delete the account, inside the caller's transaction after :func:`lock_for_deletion`
    (``/delete_me`` and the deletion of inactive accounts): open bookings as learner are
    cancelled (the experts are told), past ones stay with the other side without the name.

    Raises:
        OpenAsExpert: the person is the expert of open bookings.
    """
    found = await uow.data_rights.holdings(user_id, OPEN)
    if found.blocking:
        raise OpenAsExpert(found)
    for open_booking in found.open_bookings:
        await _cancel_as_learner(uow, open_booking.id, now, payments)
    await uow.data_rights.forget_texts_on_kept_bookings(user_id)
    kept = await uow.data_rights.delete_user(user_id)
    return AccountDeleted(cancelled=len(found.open_bookings), kept_bookings=kept)


async def _cancel_as_learner(
    uow: UnitOfWork, booking_id: UUID, now: datetime, payments: PaymentProvider
) -> None:
    """Cancel a learner's open booking because their account goes, and tell the expert."""
    booking = await uow.bookings.get(booking_id, lock=True)
    assert booking is not None
    values: dict[str, object] = {"cancel_reason": LEARNER_GONE, "expires_at": None}
    values |= invites.next_invite(booking, now)  # a confirmed one's invite is cancelled
    if booking.payment_status is PaymentStatus.PAID:
        await payments.refund(booking)
        values["payment_status"] = PaymentStatus.REFUNDED.value
    await uow.bookings.update(booking_id, status=BookingStatus.CANCELLED.value, **values)
    await uow.notifications.add(
        booking.expert_user_id,
        NotificationKind.BOOKING_CANCEL,
        {"booking_id": str(booking_id), **invites.told(values)},
        now,
    )
    updated = await uow.bookings.get(booking_id)
    assert updated is not None
    await replan_booking(updated, uow, now)
    await freed(uow, booking, now)  # the waitlist of its day


async def cancel_open_as_expert(
    user_id: UUID,
    token: str,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    policy: Policy,
    payments: PaymentProvider,
) -> tuple[int, list[tuple[str, str]]]:
    """Cancel the open bookings as expert that the question of step ``token`` listed, each
    with the booking service's own cancellation (so each learner is told by the usual notice).

    The step ends first (a second press of its button is stale); a booking that is no longer
    open, or that the rules refuse to cancel now, is reported rather than cancelled.

    Returns:
        How many were cancelled, and (reference, why) of those that could not be.

    Raises:
        InvalidInput: the button is stale.
    """
    async with (uow := uow_factory()):
        step = await conversations.step_of(uow, user_id, token, (FLOW,), clock.now(), lock=True)
        if step.step != CANCEL_STEP:
            raise InvalidInput(conversations.STALE)
        await conversations.finish(uow, user_id, token)
        await uow.commit()
    listed = step.data.get("bookings")
    ids = [UUID(hex=h) for h in listed if isinstance(h, str)] if isinstance(listed, list) else []
    cancelled, refused = 0, []
    for booking_id in ids:
        command = ActOnBooking(user_id, booking_id, Action.CANCEL, EXPERT_CANCELLED)
        try:
            await bookings.act(command, uow_factory(), clock, policy, payments)
        except DomainError as error:
            refused.append((booking_ref(booking_id), error.message))
        else:
            cancelled += 1
    return cancelled, refused
