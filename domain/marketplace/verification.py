"""Admins and expert profiles: every expert listed, new profiles and verified experts'
changes reviewed (approved, or rejected with a reason), suspension and reinstatement.

The rules of who is listed live on ``Verification`` (``model.py``): only a verified expert is
found by search and can be booked, so suspending one takes them out of both at once.
"""

from __future__ import annotations

from uuid import UUID

from domain.marketplace.commands import ReinstateExpert, Reviewed, SuspendExpert, VerifyExpert
from domain.marketplace.model import Expert, Policy, Verification
from domain.notifications.model import NotificationKind
from domain.shared.clock import Clock
from domain.shared.errors import InvalidInput, NotAllowed, NotFound
from domain.shared.text import clean_text
from domain.unit_of_work import UnitOfWork

REASON_LIMIT = 500
# What ``/admin <status>`` and ``syllabot admin experts --status`` list; "all" lists everyone.
STATUS_CHOICES = ("all", *(status.value for status in Verification))


def needs_review(expert: Expert) -> bool:
    """A new profile waiting for verification, or a verified expert's pending changes."""
    return expert.status is Verification.PENDING or bool(expert.changes_pending)


async def require_admin(uow: UnitOfWork, user_id: UUID, policy: Policy) -> None:
    """Refuse a non-admin (inside an open unit of work)."""
    if user_id not in await uow.users.ids_for_identities(policy.admins):
        raise NotAllowed("Only admins can do that. Nothing was changed.")


async def tell_admins(uow: UnitOfWork, expert_id: UUID, clock: Clock, policy: Policy) -> None:
    """Tell every admin that an expert waits for review (inside an open unit of work)."""
    for admin in await uow.users.ids_for_identities(policy.admins):
        await uow.notifications.add(
            admin, NotificationKind.EXPERT_PENDING, {"expert_id": str(expert_id)}, clock.now()
        )


def statuses_of(choice: str) -> tuple[Verification, ...]:
    """``"verified"`` -> (VERIFIED,); ``"all"`` -> every status."""
    word = choice.strip().lower() or "all"
    if word == "all":
        return tuple(Verification)
    try:
        return (Verification(word),)
    except ValueError:
        raise InvalidInput(f"List experts by status: {', '.join(STATUS_CHOICES)}.") from None


async def list_experts(
    actor: UUID | None, uow: UnitOfWork, policy: Policy, status: str = "all"
) -> list[Expert]:
    """Every expert in ``status`` ("all" by default), those waiting for review first, then
    the newest profile first. ``actor`` None means the command line (an operator)."""
    statuses = statuses_of(status)
    async with uow:
        if actor is not None:
            await require_admin(uow, actor, policy)
        found = await uow.experts.listing(statuses)
    return sorted(found, key=lambda e: not needs_review(e))


async def expert_for_admin(
    actor: UUID, expert_id: UUID, uow: UnitOfWork, policy: Policy
) -> Expert:
    async with uow:
        await require_admin(uow, actor, policy)
        expert = await uow.experts.get(expert_id, changes=True)
    if expert is None:
        raise NotFound("There is no such expert.")
    return expert


def rejection_reason(text: str | None) -> str:
    """The admin's reason for a rejection: required, one short message."""
    reason = clean_text(text or "", what="reason", limit=REASON_LIMIT, required=False)
    if not reason or reason.strip() in ("-", "—"):
        raise InvalidInput(
            "A rejection needs a reason the expert can act on, e.g. “Add your teaching "
            "certificate to the credentials.” Nothing was changed."
        )
    return reason


async def verify_expert(
    cmd: VerifyExpert, uow: UnitOfWork, clock: Clock, policy: Policy
) -> Reviewed:
    """Approve or reject what an expert submitted: a new (or resubmitted) profile, or a
    verified expert's changes to reviewed fields. A rejection carries the admin's reason, which
    the expert is shown. ``actor`` None means the command line (an operator).

    Raises:
        InvalidInput: nothing of the expert waits for review, or a rejection without reason.
    """
    async with uow:
        if cmd.actor is not None:
            await require_admin(uow, cmd.actor, policy)
        reason = None if cmd.approve else rejection_reason(cmd.reason)
        await uow.experts.lock(cmd.expert_id)  # two admins deciding at once: one decides
        expert = await uow.experts.get(cmd.expert_id, changes=True)
        if expert is None:
            raise NotFound("There is no such expert.")
        now = clock.now()
        fields: tuple[str, ...] = ()
        if expert.status is Verification.PENDING:
            target = Verification.VERIFIED if cmd.approve else Verification.REJECTED
            await uow.experts.set_verification(
                expert.id, target, now if cmd.approve else None, reason=reason
            )
        elif expert.changes_pending:
            fields = tuple(c.field for c in expert.changes_pending)
            if cmd.approve:
                for change in expert.changes_pending:
                    if change.field == "specialties":
                        await uow.experts.replace_specialties(expert.id, change.specialties)
                    else:
                        await uow.experts.update(expert.id, credentials=change.credentials)
                await uow.experts.drop_changes(expert.id)
            else:
                assert reason is not None
                await uow.experts.reject_changes(expert.id, reason)
        else:
            raise InvalidInput(
                f"{expert.display_name} is {expert.status.value}; nothing waits for review."
            )
        data: dict[str, object] = {"changes": list(fields)}
        if reason is not None:
            data["reason"] = reason
        told = (
            NotificationKind.EXPERT_VERIFIED if cmd.approve else NotificationKind.EXPERT_REJECTED
        )
        await uow.notifications.add(expert.user_id, told, data, now)
        updated = await uow.experts.get(expert.id, changes=True)
        await uow.commit()
    assert updated is not None
    return Reviewed(updated, cmd.approve, fields)


async def resubmit(user_id: UUID, uow: UnitOfWork, clock: Clock, policy: Policy) -> Expert:
    """The expert sends a rejected profile (or rejected changes) for review again."""
    async with uow:
        expert = await uow.experts.by_user(user_id)
        if expert is None:
            raise NotFound("You don't have an expert profile yet. Create one with /become_expert.")
        rejected = [c for c in expert.changes if c.rejected]
        if expert.status is Verification.REJECTED:
            await uow.experts.set_verification(expert.id, Verification.PENDING, None)
        elif rejected:
            for change in rejected:
                await uow.experts.put_change(expert.id, change)
        elif needs_review(expert):
            raise InvalidInput("Your profile is already waiting for an admin's review.")
        else:
            raise InvalidInput(f"Your profile is {expert.status.value}; nothing to resubmit.")
        await tell_admins(uow, expert.id, clock, policy)
        updated = await uow.experts.by_user(user_id)
        await uow.commit()
    assert updated is not None
    return updated


async def suspend_expert(
    cmd: SuspendExpert, uow: UnitOfWork, clock: Clock, policy: Policy
) -> Expert:
    """Take a verified expert out of search and booking (their bookings stay as they are)."""
    return await _move(cmd.actor, cmd.expert_id, True, uow, clock, policy)


async def reinstate_expert(
    cmd: ReinstateExpert, uow: UnitOfWork, clock: Clock, policy: Policy
) -> Expert:
    """List a suspended expert again."""
    return await _move(cmd.actor, cmd.expert_id, False, uow, clock, policy)


async def _move(
    actor: UUID | None,
    expert_id: UUID,
    suspend: bool,
    uow: UnitOfWork,
    clock: Clock,
    policy: Policy,
) -> Expert:
    source, target = (
        (Verification.VERIFIED, Verification.SUSPENDED)
        if suspend
        else (Verification.SUSPENDED, Verification.VERIFIED)
    )
    async with uow:
        if actor is not None:
            await require_admin(uow, actor, policy)
        await uow.experts.lock(expert_id)
        expert = await uow.experts.get(expert_id, changes=True)
        if expert is None:
            raise NotFound("There is no such expert.")
        if expert.status is not source:
            verb = "suspended" if suspend else "reinstated"
            raise InvalidInput(
                f"{expert.display_name} is {expert.status.value}; only a {source.value} expert "
                f"can be {verb}. Nothing was changed."
            )
        await uow.experts.set_verification(expert.id, target, None)
        kind = NotificationKind.EXPERT_SUSPENDED if suspend else NotificationKind.EXPERT_REINSTATED
        await uow.notifications.add(expert.user_id, kind, {}, clock.now())
        updated = await uow.experts.get(expert.id, changes=True)
        await uow.commit()
    assert updated is not None
    return updated
