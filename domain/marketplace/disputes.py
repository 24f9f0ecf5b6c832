"""After a session: did it happen? The learner's yes, a problem reported by either side, the
other side's account and an admin's decision; and the ledger row each of them moves.

A booking's ledger row (``commissions``, written when a completed session is paid) becomes
payable at the learner's yes, or ``Policy.payable_after`` after the session's end; a problem
reported (until ``Policy.dispute_window`` after the end, and never once the expert was paid
out) holds it, and the admin's decision settles it (``rules.settle``) and makes it payable.
Every step asks ``rules.refusal`` (the same rule the buttons are made from), under the
booking's row lock, then the ledger row's lock, in that order.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from uuid import UUID

from domain.marketplace.bookings import NO_BOOKING, allowed, booking_of
from domain.marketplace.dispute_model import (
    KINDS_OF,
    AnswerDispute,
    ConfirmHappened,
    Disputed,
    ProblemKind,
    ReportProblem,
    ResolveDispute,
)
from domain.marketplace.model import (
    DELETED_ACCOUNT,
    Action,
    Booking,
    BookingStatus,
    PaymentStatus,
    Policy,
    Role,
)
from domain.marketplace.notices import tell
from domain.marketplace.payments import ledger_values, record_ledger
from domain.marketplace.rules import check_allowed, payable_at
from domain.marketplace.verification import require_admin
from domain.notifications.model import NotificationKind, Planned
from domain.shared.clock import Clock
from domain.shared.errors import Conflict, InvalidInput, NotFound
from domain.shared.text import clean_text
from domain.unit_of_work import UnitOfWork

ASK = NotificationKind.SESSION_HAPPENED_ASK
PAID_OUT = (
    "The expert was already paid out for booking {ref}, so a problem can't be reported here "
    "any more. Message the other side: /message {ref}"
)


async def confirm_happened(
    cmd: ConfirmHappened, uow: UnitOfWork, clock: Clock, policy: Policy
) -> Booking:
    """The learner's yes: the session happened, so its earnings are payable now."""
    async with uow:
        booking, role = await booking_of(uow, cmd.user_id, cmd.booking_id, None, lock=True)
        now = clock.now()
        check_allowed(Action.CONFIRM_HAPPENED, booking, role, now, policy)
        await uow.bookings.update(booking.id, happened_at=now)
        if await uow.disputes.lock_ledger(booking.id) == "pending":
            after = payable_at(replace(booking, happened_at=now), policy, now)
            await uow.disputes.set_ledger(booking.id, payable_at=after)
        updated = await _reread(uow, booking)
        await uow.commit()
    return updated


async def report_problem(
    cmd: ReportProblem, uow: UnitOfWork, clock: Clock, policy: Policy
) -> Booking:
    """Either side reports a problem: the ledger row is held, the other side is asked for
    their account and the admins hear of it.

    Raises:
        NotFound: somebody else's booking.
        NotAllowed: an admin (a stranger: NotFound).
        InvalidInput: too early or too late, already reported or decided, already paid out,
            or a kind of problem that side can't report.
    """
    details = None
    if cmd.details is not None:
        details = clean_text(cmd.details, what="description", limit=500, required=False)
    async with uow:
        booking, role = await booking_of(uow, cmd.user_id, cmd.booking_id, None, lock=True)
        now = clock.now()
        check_allowed(Action.REPORT_PROBLEM, booking, role, now, policy)
        kind = problem_kind(booking, role, cmd.kind)
        if await uow.disputes.lock_ledger(booking.id) == "paid":  # paid out meanwhile
            raise InvalidInput(PAID_OUT.format(ref=booking.ref))
        if not await uow.disputes.add(booking.id, role, kind, details, now):
            raise Conflict(f"A problem with booking {booking.ref} was just reported.")
        await uow.disputes.set_ledger(booking.id, payable_at=None)  # held
        data: dict[str, object] = {"booking_id": str(booking.id)}
        other = booking.learner_id if role is Role.EXPERT else booking.expert_user_id
        await tell(uow, other, NotificationKind.DISPUTE_OPENED, data, now)
        await _tell_admins(uow, policy, NotificationKind.DISPUTE_OPENED, data, now)
        updated = await _reread(uow, booking)
        await uow.commit()
    return updated


def problem_kind(booking: Booking, role: Role, kind: ProblemKind) -> ProblemKind:
    """The kind of problem recorded: a learner's about a marked no-show disputes it; else one
    of the kinds that side may report (``KINDS_OF``)."""
    if role is Role.LEARNER and booking.status is BookingStatus.NO_SHOW:
        return ProblemKind.NO_SHOW_DISPUTED
    if kind not in KINDS_OF.get(role, ()):
        raise InvalidInput("That isn't a problem you can report about this session.")
    return kind


async def answer_dispute(
    cmd: AnswerDispute, uow: UnitOfWork, clock: Clock, policy: Policy
) -> Booking:
    """The other side's account of a reported problem; the admins hear of it."""
    text = clean_text(cmd.text, what="account", limit=1000)
    assert text is not None
    async with uow:
        booking, role = await booking_of(uow, cmd.user_id, cmd.booking_id, None, lock=True)
        now = clock.now()
        check_allowed(Action.ANSWER_DISPUTE, booking, role, now, policy)
        await uow.disputes.answer(booking.id, text, now)
        data: dict[str, object] = {"booking_id": str(booking.id)}
        await _tell_admins(uow, policy, NotificationKind.DISPUTE_ANSWERED, data, now)
        updated = await _reread(uow, booking)
        await uow.commit()
    return updated


async def resolve_dispute(
    cmd: ResolveDispute, uow: UnitOfWork, clock: Clock, policy: Policy
) -> Disputed:
    """An admin's decision (``cmd.user_id`` None: the command line): the ledger row gets the
    decision's amounts and is payable now; if the booking was paid but has no row yet (a
    no-show, or not marked yet), the row is written. Both sides and the admins are told."""
    async with uow:
        if cmd.user_id is None:
            booking = await uow.bookings.get(cmd.booking_id, lock=True)
            if booking is None:
                raise NotFound(NO_BOOKING)
            role = Role.ADMIN
        else:
            booking, role = await booking_of(uow, cmd.user_id, cmd.booking_id, policy, lock=True)
        now = clock.now()
        check_allowed(Action.RESOLVE_DISPUTE, booking, role, now, policy)
        assert booking.dispute is not None
        decided = replace(booking, dispute=replace(booking.dispute, decision=cmd.decision))
        status = await uow.disputes.lock_ledger(booking.id)
        if status == "paid":  # a held row is never paid out; refuse rather than pay twice
            raise Conflict(f"Booking {booking.ref} was already paid out; nothing was changed.")
        await uow.disputes.decide(booking.id, cmd.decision, cmd.user_id, now)
        if status is not None:
            await uow.disputes.set_ledger(booking.id, **ledger_values(decided, policy, now))
        elif booking.payment_status is PaymentStatus.PAID:
            await record_ledger(uow, decided, policy, now)
        data: dict[str, object] = {"booking_id": str(booking.id), "decision": cmd.decision.value}
        for side in (booking.learner_id, booking.expert_user_id):
            await tell(uow, side, NotificationKind.DISPUTE_DECIDED, data, now)
        await _tell_admins(
            uow, policy, NotificationKind.DISPUTE_DECIDED, data, now, but=cmd.user_id
        )
        dispute = await uow.disputes.get(booking.id)
        assert dispute is not None
        updated = await _reread(uow, booking)
        await uow.commit()
    return Disputed(dispute, updated)


async def may_report(
    user_id: UUID, booking_id: UUID, uow: UnitOfWork, clock: Clock, policy: Policy
) -> tuple[Booking, Role]:
    """⚠️ There was a problem: the booking and the reporter's side, if they may report one
    now (the kind is asked next, then its words: ``bookings.ask_about``)."""
    async with uow:
        return await allowed(uow, user_id, booking_id, Action.REPORT_PROBLEM, clock.now(), policy)


async def open_disputes(
    actor: UUID | None, uow: UnitOfWork, policy: Policy, limit: int = 20
) -> list[Disputed]:
    """Undecided disputes with their bookings, the oldest first (admins; None: an operator)."""
    async with uow:
        if actor is not None:
            await require_admin(uow, actor, policy)
        found = []
        for dispute in await uow.disputes.open(limit):
            booking = await uow.bookings.get(dispute.booking_id)
            if booking is not None:
                found.append(Disputed(dispute, booking))
        return found


async def count_open(actor: UUID, uow: UnitOfWork, policy: Policy) -> int:
    """How many disputes wait for an admin's decision (admins only)."""
    async with uow:
        await require_admin(uow, actor, policy)
        return await uow.disputes.count_open()


async def dispute_of(user_id: UUID, booking_id: UUID, uow: UnitOfWork, policy: Policy) -> Disputed:
    """The booking's dispute as one of its sides or an admin sees it."""
    async with uow:
        booking, _ = await booking_of(uow, user_id, booking_id, policy)
        dispute = await uow.disputes.get(booking_id)
        if dispute is None:
            raise NotFound(f"No problem is reported with booking {booking.ref}.")
        return Disputed(dispute, booking)


async def ask_happened(uow: UnitOfWork, clock: Clock, policy: Policy) -> int:
    """Ask each learner whose session ended (within ``payable_after``) whether it happened,
    once per session (the dedupe key); the question lapses when the row is payable anyway."""
    now = clock.now()
    async with uow:
        ended = await uow.disputes.to_ask(now, since=now - policy.payable_after)
        asks = [
            Planned(
                b.learner_id,
                ASK,
                {"booking_id": str(b.id)},
                now,
                b.ends_at + policy.payable_after,
                f"{ASK}:{b.id}",
            )
            for b in ended
            if b.learner_id != DELETED_ACCOUNT
        ]
        count = await uow.notifications.plan(asks)
        await uow.commit()
    return count


async def _reread(uow: UnitOfWork, booking: Booking) -> Booking:
    updated = await uow.bookings.get(booking.id)
    assert updated is not None
    return replace(updated, ref_length=booking.ref_length)


async def _tell_admins(
    uow: UnitOfWork,
    policy: Policy,
    kind: NotificationKind,
    data: dict[str, object],
    now: datetime,
    *,
    but: UUID | None = None,
) -> None:
    for admin in await uow.users.ids_for_identities(policy.admins):
        if admin != but:
            await tell(uow, admin, kind, dict(data), now)
