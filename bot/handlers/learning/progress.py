"""Logging study: /done, /undo, /progress, /note, /notes."""

from __future__ import annotations

from bot.handlers.base import Ask, Command, Handler, Replies, Reply, Request
from bot.handlers.formatting import bar, duration, local_time, plural, schedule_standing
from bot.handlers.learning.cards import SESSION_OFFER, note_offer, session_offer
from bot.handlers.learning.curricula import daily_streak_words, now_current_words, streak_words
from bot.handlers.learning.editing import feeling_buttons
from bot.handlers.learning.habit_words import habit_lines, standing_lines
from domain.accounts import conversations
from domain.accounts.model import Conversation
from domain.learning.card_model import CardStats
from domain.learning.cards import card_stats
from domain.learning.commands import AddNote, LogSession, UndoLastSession
from domain.learning.curricula import NO_CURRICULUM
from domain.learning.model import Note, SessionLogged
from domain.learning.parsing import parse_done_args, parse_note
from domain.learning.sessions import (
    add_note,
    log_session,
    progress_report,
    recent_notes,
    undo_last,
)
from domain.shared.errors import InvalidInput


async def done(req: Request) -> Reply:
    """Complete the next session: /done [minutes] [note]."""
    minutes, note = parse_done_args(req.args)
    result = await log_session(
        LogSession(req.user_id, minutes, note), req.ctx.uow(), req.ctx.clock
    )
    return logged_reply(req, result)


def logged_reply(req: Request, result: SessionLogged, *, edit: bool = False) -> Reply:
    """What a logged session says (/done, a focus timer, a plain message's tap)."""
    lines = [
        f"✅ Session {result.session_number} of {result.total_sessions} done: "
        f"{result.session_title} ({duration(result.minutes)}).",
        f"{streak_words(result.streak)} · {result.sessions_completed}/{result.total_sessions} "
        f"{bar(result.sessions_completed, result.total_sessions)}",
    ]
    lines += habit_lines(result.habits)
    if result.note_saved:
        lines.append("📝 Note saved.")
    if result.curriculum_completed:
        lines.append(f"🎉 You finished “{result.curriculum_title}”!")
        lines.append(
            "/next points to your other plans; /new starts something new."
            if result.now_current is None
            else now_current_words(result.now_current)
        )
    else:
        lines.append("/next shows what's next · /undo if that was a mistake.")
    if result.session_id is None:
        return Reply("\n".join([*lines, "How did it go?"]), edit=edit)
    lines += [f"🃏 {SESSION_OFFER}", "How did it go?"]
    buttons = (*feeling_buttons(req, result.session_id), (session_offer(req, result.session_id),))
    return Reply("\n".join(lines), buttons, edit=edit)


async def undo(req: Request) -> Reply:
    """Revert the last /done (within 24 hours)."""
    result = await undo_last(UndoLastSession(req.user_id), req.ctx.uow(), req.ctx.clock)
    return Reply(
        f"↩️ Undone: session {result.session_number}, {result.session_title} "
        f"({duration(result.minutes)}) in “{result.curriculum_title}”. "
        f"Streak now {plural(result.streak, 'day')}."
    )


async def progress(req: Request) -> Reply:
    """Progress per curriculum, with streaks as they stand today."""
    report = await progress_report(req.user_id, req.ctx.uow(), req.ctx.clock)
    stats = await card_stats(req.user_id, req.ctx.uow(), req.ctx.clock)
    if not report.curricula:
        return Reply(NO_CURRICULUM if not stats.total else f"{NO_CURRICULUM}\n\n{_cards(stats)}")
    daily = daily_streak_words(report.daily_streak)
    if report.daily_at_risk and report.habits.freezes_held:
        daily += " · a session today keeps your freezes"
    elif report.daily_at_risk:
        daily += " · ⚠️ it ends tonight unless you do a session today"
    blocks = ["\n".join([daily, *standing_lines(report.habits)])]
    for item in report.curricula:
        c, p = item.curriculum, item.curriculum.progress
        lines = [
            f"{c.title} ({c.status.value})",
            f"{bar(p.sessions_completed, c.total_sessions)} {p.sessions_completed}/"
            f"{plural(c.total_sessions, 'session')} · {c.percent_done}% · "
            f"{duration(p.total_time_spent)}",
            f"{streak_words(item.streak)} in this plan · last session: "
            + local_time(p.last_session_date, report.timezone),
        ]
        if c.next_session is not None:
            lines.append(f"Next: session {c.next_session.number}, {c.next_session.title}")
        if item.schedule is not None:
            lines.append(f"📅 {schedule_standing(item.schedule)}")
        if item.at_risk:
            lines.append("⚠️ This plan's streak ends tonight unless you log a session in it today.")
        blocks.append("\n".join(lines))
    if stats.total:
        blocks.append(_cards(stats))
    return Reply("\n\n".join(blocks) + f"\n\n(times in {report.timezone}; change with /timezone)")


def _cards(stats: CardStats) -> str:
    """The review cards' line of /progress."""
    if stats.retention is None:
        retention = "retention: none yet (no reviews in the last 30 days)"
    else:
        reviews = plural(stats.reviews_30_days, "review")
        retention = f"retention {round(100 * stats.retention)}% (of {reviews} in 30 days)"
    return (
        f"🃏 Review cards: {stats.due_today} due today · {stats.reviewed_this_week} reviewed "
        f"this week · {retention} · /review"
    )


NOTE_FLOW = "note"
NOTE_QUESTION = (
    "What's your note? Your next message is saved as a note on your latest completed"
    " session. (/cancel to stop)"
)


def _note_question(token: str) -> Reply:
    return Reply(
        NOTE_QUESTION, ask=Ask("Add a note", "Your note on your latest session", token=token)
    )


async def note(req: Request) -> Reply:
    """Add a note to your latest completed session (no text: the next message is the note)."""
    if not req.args.strip():
        asked = await conversations.save(
            req.user_id, NOTE_FLOW, "text", {}, req.ctx.uow(), req.ctx.clock
        )
        return _note_question(asked.token)
    command = AddNote(req.user_id, parse_note(req.args))
    saved = await add_note(command, req.ctx.uow(), req.ctx.clock)
    return _noted(req, saved)


def _noted(req: Request, saved: Note) -> Reply:
    """The note saved; a "Q: ... A: ..." note is offered as a review card (one tap)."""
    text = f"📝 Noted on session {saved.session_number}, {saved.session_title}."
    offer = note_offer(req, saved.id, saved.content)
    if offer is None:
        return Reply(text)
    line, button = offer
    return Reply(f"{text}\n🃏 {line}", ((button,),))


async def note_answer(req: Request, conversation: Conversation, text: str | None) -> Replies:
    """The note asked for by a bare /note: saved as the question ends (one transaction). A
    note that is refused (empty, too long) is said, and the question stays open."""
    try:
        content = parse_note(text or "")
    except InvalidInput as error:
        return [Reply(error.message), _note_question(conversation.token)]
    ending = conversations.ending(req.ctx.uow, req.user_id, conversation.token)
    try:
        saved = await add_note(AddNote(req.user_id, content), ending(), req.ctx.clock)
    except InvalidInput:  # nothing to attach it to: the question ends too
        await conversations.end_step(req.user_id, conversation.token, req.ctx.uow())
        raise
    return _noted(req, saved)


async def _resume_note(req: Request, conversation: Conversation) -> Reply:
    """The note question again, after the chat restarted."""
    return _note_question(conversation.token)


async def notes(req: Request) -> Reply:
    """Your recent notes."""
    recent = await recent_notes(req.user_id, req.ctx.uow())
    if not recent.notes:
        return Reply("No notes yet. Add one with /note <text> or /done <minutes> <note>.")
    lines = ["Your recent notes:"]
    lines += [
        f"• {n.curriculum_title} · session {n.session_number} ({n.session_title}) · "
        f"{local_time(n.created_at, recent.timezone)}\n  {n.content}"
        for n in recent.notes
    ]
    return Reply("\n".join(lines))


COMMANDS = [
    Command(
        "done", done, "log the next session: /done [minutes] [note]", "/done [minutes] [note]"
    ),
    Command("undo", undo, "undo your last /done (within 24 h)"),
    Command("progress", progress, "progress, time spent and streaks"),
    Command("note", note, "note on your latest session: /note [text]", "/note [text]"),
    Command("notes", notes, "your recent notes"),
]


BUTTONS: dict[str, Handler] = {}
FLOWS = {NOTE_FLOW: note_answer}
PROMPTS = {NOTE_FLOW: _resume_note}
