"""Admins: /admin lists every expert; review cards (Approve, or Reject with a reason that is
asked and confirmed); Suspend and Reinstate. Also what the expert is told about each."""

from __future__ import annotations

from collections import Counter
from typing import Any
from uuid import UUID

from bot.handlers import payloads
from bot.handlers.base import (
    Ask,
    Button,
    Command,
    Context,
    Replies,
    Reply,
    Request,
    flow_of_button,
    rows,
)
from bot.handlers.formatting import plural
from bot.handlers.marketplace import disputes
from bot.handlers.marketplace.profile_text import changes_text, describe
from domain.accounts import conversations
from domain.accounts.model import Conversation
from domain.marketplace import disputes as trust
from domain.marketplace import verification
from domain.marketplace.commands import ReinstateExpert, SuspendExpert, VerifyExpert
from domain.marketplace.model import Expert, Verification
from domain.shared.errors import InvalidInput

REJECT = "reject"
LISTED_MAX = 30  # experts named (with a button each) in one /admin answer
CARDS_MAX = 10  # review cards under it
ADMIN_USAGE = "Usage: /admin [pending|verified|rejected|suspended|all|disputes]"


def _label(expert: Expert) -> str:
    name = expert.display_name
    return name if len(name) <= 30 else name[:29] + "…"


def _status(expert: Expert) -> str:
    if expert.changes_pending:
        return f"{expert.status.value}, changes waiting for review"
    return expert.status.value


async def admin(req: Request) -> Replies:
    """Every expert (or those of one status), with review cards for what waits (admins only)."""
    choice = req.args.strip().lower() or "all"
    if choice == "disputes":
        return await disputes.admin_disputes(req)
    found = await verification.list_experts(req.user_id, req.ctx.uow(), req.ctx.policy, choice)
    if not found:
        return Reply("No experts yet." if choice == "all" else f"No {choice} experts.")
    waiting = [e for e in found if verification.needs_review(e)]
    counts = Counter(e.status.value for e in found)
    summary = " · ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    lines = [
        f"Experts ({choice}): {plural(len(found), 'expert')} · {summary}"
        f" · {len(waiting)} waiting for review",
    ]
    for number, e in enumerate(found[:LISTED_MAX], start=1):
        subjects = ", ".join(s.subject for s in e.specialties[:3]) or "—"
        lines.append(f"{number}. {e.display_name} — {_status(e)} · {subjects}")
    if len(found) > LISTED_MAX:
        lines.append(
            f"…and {len(found) - LISTED_MAX} more; narrow the list with {ADMIN_USAGE[7:]}"
        )
    open_disputes = await trust.count_open(req.user_id, req.ctx.uow(), req.ctx.policy)
    if open_disputes:
        lines.append(f"⚖️ {plural(open_disputes, 'open dispute')} to decide: /admin disputes")
    lines.append("Press a name for that expert's card and what you can do.")
    buttons = [
        Button(_label(e), payloads.encode(req.user_id, "ax", e.id.hex)) for e in found[:LISTED_MAX]
    ]
    listing = Reply("\n".join(lines), rows(*buttons, per_row=2))
    # The cards first, the list last: its buttons are the ones a terminal's #N presses.
    return [*(admin_card(req.user_id, e) for e in waiting[:CARDS_MAX]), listing]


def admin_card(admin_id: UUID, expert: Expert) -> Reply:
    """An expert as an admin sees them, with what the admin can do now."""
    if expert.status is Verification.PENDING:
        head = "Waiting for verification:"
    elif expert.changes_pending:
        head = "Changes waiting for review:"
    else:
        head = f"{expert.status.value.capitalize()}:"
    lines = [head, describe(expert), f"id {expert.id}"]
    if expert.rejection_reason:
        lines.append(f"Rejected because: {expert.rejection_reason}")
    if expert.changes:
        lines.append(changes_text(expert))
    hex_id = expert.id.hex
    if verification.needs_review(expert):
        buttons = rows(
            Button("✅ Approve", payloads.encode(admin_id, "av", hex_id, "y")),
            Button("❌ Reject", payloads.encode(admin_id, "av", hex_id, "n")),
        )
    elif expert.status is Verification.VERIFIED:
        buttons = rows(Button("⛔ Suspend", payloads.encode(admin_id, "as", hex_id, "s")))
    elif expert.status is Verification.SUSPENDED:
        buttons = rows(Button("↩️ Reinstate", payloads.encode(admin_id, "as", hex_id, "r")))
    else:
        buttons = ()
        lines.append("Waiting for the expert to edit the profile and resubmit it.")
    return Reply("\n".join(lines), buttons)


async def expert_button(req: Request) -> Reply:
    """A name under /admin: that expert's card."""
    if len(req.button_args) != 1:
        raise InvalidInput(payloads.STALE)
    expert_id = payloads.uuid_arg(req.button_args[0])
    found = await verification.expert_for_admin(
        req.user_id, expert_id, req.ctx.uow(), req.ctx.policy
    )
    return admin_card(req.user_id, found)


async def verify_button(req: Request) -> Reply:
    """Approve, or Reject (which asks the reason first), under an expert waiting for review."""
    if len(req.button_args) != 2 or req.button_args[1] not in ("y", "n"):
        raise InvalidInput(payloads.STALE)
    expert_id = payloads.uuid_arg(req.button_args[0])
    ctx = req.ctx
    if req.button_args[1] == "y":
        command = VerifyExpert(req.user_id, expert_id, True)
        done = await verification.verify_expert(command, ctx.uow(), ctx.clock, ctx.policy)
        what = (
            f"{done.expert.display_name}'s changes ({', '.join(done.changes)}) are approved and "
            "public now."
            if done.changes
            else f"{done.expert.display_name} is now {done.expert.status.value}."
        )
        return Reply(f"{what} The expert has been told.", edit=True)
    found = await verification.expert_for_admin(req.user_id, expert_id, ctx.uow(), ctx.policy)
    if not verification.needs_review(found):
        raise InvalidInput(f"{found.display_name} is {found.status.value}; nothing waits.")
    data: dict[str, object] = {"expert": expert_id.hex, "name": found.display_name}
    conversation = await conversations.save(
        req.user_id, REJECT, "reason", data, ctx.uow(), ctx.clock
    )
    return _reason_question(req.user_id, conversation)


def _what(conversation: Conversation) -> str:
    return f"{conversation.data['name']}'s submission"


def _reason_question(admin_id: UUID, conversation: Conversation) -> Reply:
    token = conversation.token
    return Reply(
        f"Why don't you approve {_what(conversation)}? The expert reads your reason as you "
        "write it, so say what to change.",
        rows(Button("Cancel", payloads.encode(admin_id, "ar", token, "x"))),
        ask=Ask("Reason for the rejection", "What should the expert change?", token),
    )


async def reason_answer(req: Request, conversation: Conversation, text: str | None) -> Replies:
    """The admin's reason for a rejection: shown back for confirmation before anything."""
    if conversation.step != "reason":
        return _confirmation(req.user_id, conversation)  # typed at the confirmation: ask again
    reason = verification.rejection_reason(text)
    moved = await conversations.save(
        req.user_id,
        REJECT,
        "confirm",
        {**conversation.data, "reason": reason},
        req.ctx.uow(),
        req.ctx.clock,
    )
    return _confirmation(req.user_id, moved)


def _confirmation(admin_id: UUID, conversation: Conversation) -> Reply:
    token = conversation.token
    return Reply(
        f"Reject {_what(conversation)} with this reason?\n“{conversation.data['reason']}”",
        rows(
            Button("❌ Reject", payloads.encode(admin_id, "ar", token, "y")),
            Button("✏️ Change reason", payloads.encode(admin_id, "ar", token, "e")),
            Button("Cancel", payloads.encode(admin_id, "ar", token, "x")),
        ),
    )


async def reject_button(req: Request) -> Reply:
    """❌ Reject / ✏️ Change reason / Cancel while a rejection is asked."""
    if len(req.button_args) != 2 or req.button_args[1] not in ("y", "e", "x"):
        raise InvalidInput(payloads.STALE)
    token, choice = req.button_args
    conversation = await flow_of_button(req, token, REJECT)
    ctx = req.ctx
    if choice == "x":
        await conversations.end(req.user_id, ctx.uow())
        return Reply("Cancelled. Nothing was changed.", edit=True)
    if choice == "e":
        again = await conversations.save(
            req.user_id, REJECT, "reason", conversation.data, ctx.uow(), ctx.clock
        )
        return _reason_question(req.user_id, again)
    if conversation.step != "confirm":
        raise InvalidInput(payloads.STALE)
    expert_id = payloads.uuid_arg(str(conversation.data["expert"]))
    command = VerifyExpert(req.user_id, expert_id, False, str(conversation.data["reason"]))
    ending = conversations.ending(ctx.uow, req.user_id, token)
    done = await verification.verify_expert(command, ending(), ctx.clock, ctx.policy)
    what = f"changes ({', '.join(done.changes)})" if done.changes else "profile"
    return Reply(
        f"Rejected {done.expert.display_name}'s {what}. The expert has been told your reason.",
        edit=True,
    )


async def _resume_reject(req: Request, conversation: Conversation) -> Reply:
    """The rejection's question again, after the chat restarted."""
    if conversation.step == "confirm":
        return _confirmation(req.user_id, conversation)
    return _reason_question(req.user_id, conversation)


async def suspension_button(req: Request) -> Reply:
    """⛔ Suspend / ↩️ Reinstate on an expert's admin card."""
    if len(req.button_args) != 2 or req.button_args[1] not in ("s", "r"):
        raise InvalidInput(payloads.STALE)
    expert_id, ctx = payloads.uuid_arg(req.button_args[0]), req.ctx
    if req.button_args[1] == "s":
        done = await verification.suspend_expert(
            SuspendExpert(req.user_id, expert_id), ctx.uow(), ctx.clock, ctx.policy
        )
        text = f"{done.display_name} is suspended: not searchable or bookable until reinstated."
    else:
        done = await verification.reinstate_expert(
            ReinstateExpert(req.user_id, expert_id), ctx.uow(), ctx.clock, ctx.policy
        )
        text = f"{done.display_name} is reinstated: searchable and bookable again."
    card = admin_card(req.user_id, done)
    return Reply(f"{text} The expert has been told.\n\n{card.text}", card.buttons, edit=True)


# -- what the expert is told ------------------------------------------------------------------


def _fields(data: dict[str, Any]) -> str:
    return " and ".join(str(field) for field in data.get("changes") or ())


async def verified_notice(ctx: Context, user_id: UUID, data: dict[str, Any]) -> Reply | None:
    if data.get("changes"):
        return Reply(f"✅ Your changes to your {_fields(data)} are approved and public now.")
    return Reply("🎉 Your expert profile is verified. Learners can now find and book you.")


async def rejected_notice(ctx: Context, user_id: UUID, data: dict[str, Any]) -> Reply | None:
    reason = data.get("reason")
    said = f"\nThe admin's reason: “{reason}”" if reason else ""
    if data.get("changes"):
        return Reply(
            f"Your changes to your {_fields(data)} were not approved; your profile keeps the "
            f"approved values.{said}\nEdit them again with /expert <field> <value> (that goes "
            "back for review), or send them unchanged with /expert resubmit."
        )
    return Reply(
        f"Your expert profile was not approved.{said}\nEdit it with /expert <field> <value>, "
        "then send it for review again with /expert resubmit."
    )


async def suspended_notice(ctx: Context, user_id: UUID, data: dict[str, Any]) -> Reply | None:
    return Reply(
        "⛔ An admin suspended your expert profile: learners can't find or book you for now. "
        "Bookings you already have stay as they are."
    )


async def reinstated_notice(ctx: Context, user_id: UUID, data: dict[str, Any]) -> Reply | None:
    return Reply("✅ Your expert profile is listed again: learners can find and book you.")


COMMANDS = [
    Command(
        "admin",
        admin,
        "(admins) every expert: review, suspend, reinstate; open disputes",
        ADMIN_USAGE,
    )
]
BUTTONS = {
    "av": verify_button,
    "ax": expert_button,
    "ar": reject_button,
    "as": suspension_button,
}
FLOWS = {REJECT: reason_answer}
PROMPTS = {REJECT: _resume_reject}
