"""/export (your data as files) and /delete_me (your account deleted, after a confirming press)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID

from bot.handlers import payloads
from bot.handlers.base import (
    Attachment,
    Button,
    Command,
    Handler,
    Prompt,
    Reply,
    Request,
    flow_of_button,
    rows,
)
from bot.handlers.formatting import plural, short_time
from domain.accounts import conversations
from domain.accounts.data_rights import (
    CANCEL_STEP,
    FLOW,
    OpenAsExpert,
    ask_to_delete,
    cancel_open_as_expert,
    delete_account,
    export_data,
    holdings,
)
from domain.accounts.model import Conversation, Holdings, PersonalData
from domain.accounts.registration import get_user
from domain.marketplace.model import booking_ref
from domain.shared.errors import InvalidInput

CSV_COLUMNS = (
    "curriculum_id",
    "curriculum",
    "session_number",
    "title",
    "completed_at",
    "completed_local_date",
    "minutes_spent",
    "notes",
)


def _plain(value: Any) -> Any:
    """JSON for the values the export holds: ids, instants (UTC, ISO 8601), dates, money."""
    if isinstance(value, UUID | Decimal):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    raise TypeError(f"not exportable: {type(value).__name__}")


def export_files(data: PersonalData) -> tuple[Attachment, Attachment]:
    """The export as a JSON file and a CSV of study sessions."""
    stamp = data.taken_at.strftime("%Y%m%d-%H%M%S")
    document = json.dumps(data.document, default=_plain, ensure_ascii=False, indent=2)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for s in data.study_sessions:
        writer.writerow(
            (
                s.curriculum_id,
                s.curriculum,
                s.number,
                s.title,
                s.completed_at.isoformat() if s.completed_at else "",
                s.completed_local_date.isoformat() if s.completed_local_date else "",
                "" if s.minutes_spent is None else s.minutes_spent,
                s.notes or "",
            )
        )
    return (
        Attachment(f"syllabot-export-{stamp}.json", document.encode(), "application/json"),
        Attachment(f"syllabot-sessions-{stamp}.csv", out.getvalue().encode(), "text/csv"),
    )


async def export(req: Request) -> list[Reply]:
    """Everything I hold about you, as a JSON file and a CSV of your study sessions."""
    data = await export_data(req.user_id, req.ctx.uow(), req.ctx.clock)
    document, sessions = export_files(data)
    d = data.document
    bookings = len(d["bookings_as_learner"]) + len(d["bookings_as_expert"])
    summary = (
        f"📦 Your data: {plural(len(d['curricula']), 'curriculum', 'curricula')}, "
        f"{plural(len(d['notes']), 'note')}, {plural(bookings, 'booking')}"
        + (", your expert profile" if d["expert_profile"] else "")
        + ". Everything is in the JSON file; the CSV lists your study sessions."
    )
    return [
        Reply(summary, attachment=document),
        Reply(
            f"🗒 {plural(len(data.study_sessions), 'study session')} as CSV.",
            attachment=sessions,
        ),
    ]


def _what_goes(found: Holdings) -> str:
    lines = ["⚠️ Deleting your account removes, for good:"]
    if found.curricula:
        lines.append(
            f"• {plural(found.curricula, 'curriculum', 'curricula')} with sessions and "
            f"progress ({plural(found.sessions_done, 'session')} done)"
        )
    if found.notes:
        lines.append(f"• {plural(found.notes, 'note')}")
    lines.append("• your reminders, settings and time zone")
    lines.append(
        f"• {plural(found.identities, 'chat account')} linked to you (Telegram, Discord, terminal)"
    )
    if found.is_expert:
        lines.append("• your expert profile, weekly hours and time off")
    open_as_learner = [b for b in found.open_bookings if not b.as_expert]
    if open_as_learner:
        lines.append(
            f"• your {plural(len(open_as_learner), 'upcoming booking')}: cancelled, and the "
            "experts are told"
        )
    if found.bookings:
        lines.append(
            f"{plural(found.bookings, 'past booking')}: kept for the other side (the expert or "
            "learner you met) without your name; reviews and notes you wrote on them are removed."
        )
    lines.append("Send /export first to keep a copy. This can't be undone.")
    return "\n".join(lines)


async def delete_me(req: Request) -> Reply:
    """Explain what deleting your account removes, and ask to confirm with a button."""
    found, token = await ask_to_delete(req.user_id, req.ctx.uow(), req.ctx.clock)
    return await _question(req, found, token)


async def _question(req: Request, found: Holdings, token: str, *, edit: bool = False) -> Reply:
    """The confirmation with its buttons or, while sessions as expert are open, the refusal
    with the button that cancels them."""
    if found.blocking:
        return await _refused(req, found, token, edit=edit)
    buttons = (
        Button("🗑 Delete everything", payloads.encode(req.user_id, "dm", "go", token)),
        Button("Keep my account", payloads.encode(req.user_id, "dm", "no", token)),
    )
    return Reply(_what_goes(found), rows(*buttons, per_row=2), edit=edit)


async def _refused(req: Request, found: Holdings, token: str, *, edit: bool) -> Reply:
    zone = (await get_user(req.user_id, req.ctx.uow())).timezone
    blocking = found.blocking
    lines = [
        f"I can't delete your account yet: you are the expert of "
        f"{plural(len(blocking), 'upcoming session')}:",
        *(
            f"• {booking_ref(b.id)} with {b.other_name}, {short_time(b.starts_at, zone)}"
            for b in blocking
        ),
        f"Cancel {'it' if len(blocking) == 1 else 'them'} first (your learners are told), "
        "then send /delete_me again.",
    ]
    label = f"Cancel {plural(len(blocking), 'session')}"
    button = Button(label, payloads.encode(req.user_id, "dm", "cx", token))
    return Reply("\n".join(lines), rows(button), edit=edit)


async def delete_me_button(req: Request) -> Reply:
    """A press on /delete_me's buttons: confirm, keep, or cancel the upcoming sessions first."""
    action, *rest = req.button_args or ("",)
    if len(rest) != 1 or action not in ("go", "no", "cx"):
        raise InvalidInput(payloads.STALE)
    (token,) = rest
    if action == "cx":
        cancelled, refused = await cancel_open_as_expert(
            req.user_id, token, req.ctx.uow, req.ctx.clock, req.ctx.policy, req.ctx.payments
        )
        lines = [f"Cancelled {plural(cancelled, 'session')}; the learners are told."]
        lines += [f"• {ref}: {why}" for ref, why in refused]
        lines.append("Send /delete_me again when you're ready.")
        return Reply("\n".join(lines), edit=True)
    if action == "no":
        await flow_of_button(req, token, FLOW)
        await conversations.end_step(req.user_id, token, req.ctx.uow())
        return Reply("Kept. Nothing was deleted.", edit=True)
    try:
        deleted = await delete_account(
            req.user_id, token, req.ctx.uow(), req.ctx.clock, req.ctx.payments
        )
    except OpenAsExpert:  # booked as expert since the question: ask again
        found, token = await ask_to_delete(req.user_id, req.ctx.uow(), req.ctx.clock)
        return await _question(req, found, token, edit=True)
    req.ctx.forget_user(req.user_id)
    text = "🗑 Your account and everything in it is deleted."
    if deleted.cancelled:
        text += f" {plural(deleted.cancelled, 'upcoming booking')} cancelled; experts are told."
    if deleted.kept_bookings:
        text += f" {plural(deleted.kept_bookings, 'past booking')} kept for the other side."
    return Reply(text + " If you write to me again, you start afresh.", edit=True)


async def delete_me_prompt(req: Request, conversation: Conversation) -> Reply:
    """The open /delete_me question again (after a restart), with its buttons."""
    found = await holdings(req.user_id, req.ctx.uow())
    if conversation.step == CANCEL_STEP and found.blocking:
        return await _refused(req, found, conversation.token, edit=False)
    if conversation.step == CANCEL_STEP or found.blocking:  # things changed: ask afresh
        found, token = await ask_to_delete(req.user_id, req.ctx.uow(), req.ctx.clock)
        return await _question(req, found, token)
    return await _question(req, found, conversation.token)


COMMANDS = [
    Command("export", export, "your data as files (JSON, and a CSV of your study sessions)"),
    Command("delete_me", delete_me, "delete your account and your data, after you confirm"),
]


BUTTONS: dict[str, Handler] = {"dm": delete_me_button}
PROMPTS: dict[str, Prompt] = {FLOW: delete_me_prompt}
