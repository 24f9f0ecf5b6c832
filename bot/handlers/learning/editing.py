"""Changing a plan: /plan edit (typed or with buttons), /replan, and the how-did-it-go tap."""

from __future__ import annotations

from uuid import UUID

from bot.handlers import payloads
from bot.handlers.base import Button, Command, Handler, Reply, Request, rows
from bot.handlers.formatting import plural
from domain.learning.commands import EditPlan, ReplanCurriculum, SayHowItWent
from domain.learning.editing import edit_plan, open_sessions, replan, say_how_it_went
from domain.learning.model import Feeling, PlanAction, PlanEdited, SessionRated
from domain.learning.plan_edits import REPLAN_USAGE, parse_replan
from domain.shared.errors import InvalidInput
from domain.shared.text import parse_int

EDIT_USAGE = (
    "Edit the open sessions (completed ones keep their number, notes and streak):\n"
    "/plan edit rename <n> <title>\n/plan edit move <n> <to>\n"
    "/plan edit insert <after n> <title>\n/plan edit delete <n>\n"
    "/plan edit merge <n> <m>\n/plan edit split <n>\n"
    "or tap a session below."
)
SHOWN = 20  # session buttons under /plan edit
_ACTIONS = {action.value: action for action in PlanAction}
# Button letter -> (action, step) for the session card.
_PRESSES = {
    "u": (PlanAction.MOVE, -1),
    "d": (PlanAction.MOVE, 1),
    "s": (PlanAction.SPLIT, 0),
    "m": (PlanAction.MERGE, 0),
    "x": (PlanAction.DELETE, 0),
}
_CARD = (("⬆ Up", "u"), ("⬇ Down", "d"), ("✂ Split", "s"), ("⊕ Merge with next", "m"))
_FEELINGS = {"e": Feeling.EASY, "f": Feeling.FINE, "h": Feeling.HARD}
_FEELING_LABELS = (("😌 Easy", "e"), ("🙂 Fine", "f"), ("😓 Hard", "h"))


def _number(value: str) -> int:
    return parse_int(value, what="session number", low=0, high=9999)


async def plan_edit(req: Request, args: str) -> Reply:
    """/plan edit [rename|move|insert|delete|merge|split ...]."""
    words = args.split(maxsplit=2)
    if not words:
        return await _sessions_list(req)
    action = _ACTIONS.get(words[0].lower())
    if action is None or len(words) < 2:
        raise InvalidInput(EDIT_USAGE)
    rest = words[2] if len(words) > 2 else ""
    other: int | None = None
    title: str | None = None
    if action in (PlanAction.RENAME, PlanAction.INSERT):
        title = rest
    elif action in (PlanAction.MOVE, PlanAction.MERGE):
        target = rest.removeprefix("to ").strip() if rest else ""
        if not target:
            raise InvalidInput(EDIT_USAGE)
        other = _number(target)
    elif rest:
        raise InvalidInput(EDIT_USAGE)
    command = EditPlan(req.user_id, action, _number(words[1]), other=other, title=title)
    return Reply(_edited(await edit_plan(command, req.ctx.uow())), _edit_more(req))


async def _sessions_list(req: Request, *, intro: str = "", edit: bool = False) -> Reply:
    title, tail = await open_sessions(req.user_id, req.ctx.uow())
    if not tail:
        return Reply(f"Every session of “{title}” is done; nothing to edit.", edit=edit)
    lines = [intro, f"{title}: open sessions"] if intro else [f"{title}: open sessions"]
    lines += [f"⬜ {s.number}. {s.title}" for s in tail[:SHOWN]]
    if len(tail) > SHOWN:
        lines.append(f"… and {len(tail) - SHOWN} more (edit them by number).")
    buttons = [
        Button(f"✎ {s.number}", payloads.encode(req.user_id, "pe", s.id.hex)) for s in tail[:SHOWN]
    ]
    return Reply("\n".join([*lines, "", EDIT_USAGE]), rows(*buttons, per_row=5), edit=edit)


def _edit_more(req: Request) -> tuple[tuple[Button, ...], ...]:
    return rows(Button("Edit more", payloads.encode(req.user_id, "pe", "list")))


def _edited(result: PlanEdited) -> str:
    n, title = result.number, result.title
    said = {
        PlanAction.RENAME: f"Session {n} is now “{title}”.",
        PlanAction.MOVE: f"“{title}” is now session {n}.",
        PlanAction.INSERT: f"Inserted session {n}: “{title}”.",
        PlanAction.DELETE: f"Deleted “{result.other}”.",
        PlanAction.MERGE: f"Merged “{result.other}” into session {n}: “{title}”.",
        PlanAction.SPLIT: f"Split session {n} in two: “{title}” and the next one.",
    }[result.action]
    return f"✏️ {said} “{result.curriculum_title}” has {plural(result.total_sessions, 'session')}."


async def session_card(req: Request) -> Reply:
    """✎ N under /plan edit: what can be done to that session."""
    if len(req.button_args) != 1:
        raise InvalidInput(payloads.STALE)
    if req.button_args[0] == "list":
        return await _sessions_list(req)
    session_id = payloads.uuid_arg(req.button_args[0])
    title, tail = await open_sessions(req.user_id, req.ctx.uow())
    session = next((s for s in tail if s.id == session_id), None)
    if session is None:
        raise InvalidInput("That session is no longer open in your plan; /plan edit shows it now.")
    hex_id = session.id.hex
    buttons = [
        Button(label, payloads.encode(req.user_id, "px", letter, hex_id))
        for label, letter in _CARD
    ]
    buttons.append(Button("🗑 Delete", payloads.encode(req.user_id, "px", "x", hex_id)))
    n = session.number
    text = (
        f"{title} · session {n}: {session.title}\n\n"
        f"Rename: /plan edit rename {n} <title>\nInsert after it: /plan edit insert {n} <title>\n"
        f"Move: /plan edit move {n} <to> · Merge: /plan edit merge {n} <m>"
    )
    return Reply(text, rows(*buttons, per_row=2), edit=True)


async def session_press(req: Request) -> Reply:
    """Up / Down / Split / Merge with next / Delete on a session card."""
    if len(req.button_args) != 2 or req.button_args[0] not in _PRESSES:
        raise InvalidInput(payloads.STALE)
    action, step = _PRESSES[req.button_args[0]]
    session: int | UUID = payloads.uuid_arg(req.button_args[1])
    result = await edit_plan(EditPlan(req.user_id, action, session, step=step), req.ctx.uow())
    return await _sessions_list(req, intro=_edited(result), edit=True)


async def replan_command(req: Request) -> Reply:
    """Re-plan the open sessions: /replan <sessions> | <level> | <goals>."""
    if not req.args.strip():
        return Reply(REPLAN_USAGE)
    total, level, goals = parse_replan(req.args)
    command = ReplanCurriculum(req.user_id, total, level, goals)
    result = await replan(command, req.ctx.uow(), req.ctx.planner)
    lines = [
        f"🔁 Re-planned “{result.curriculum_title}”: {plural(result.total_sessions, 'session')}; "
        + (
            "your completed session stays as it is."
            if result.kept == 1
            else f"your {plural(result.kept, 'completed session')} stay as they are."
        )
    ]
    if result.next_session is not None:
        lines.append(f"Next: session {result.next_session.number}, {result.next_session.title}")
    lines.append("/plan shows the whole plan.")
    return Reply("\n".join(lines))


def feeling_buttons(req: Request, session_id: UUID) -> tuple[tuple[Button, ...], ...]:
    """How did it go? under a /done reply."""
    return rows(
        *(
            Button(label, payloads.encode(req.user_id, "hw", letter, session_id.hex))
            for label, letter in _FEELING_LABELS
        )
    )


async def feeling_press(req: Request) -> Reply:
    """Easy / Fine / Hard under a /done reply."""
    if len(req.button_args) != 2 or req.button_args[0] not in _FEELINGS:
        raise InvalidInput(payloads.STALE)
    command = SayHowItWent(
        req.user_id, payloads.uuid_arg(req.button_args[1]), _FEELINGS[req.button_args[0]]
    )
    return Reply(_rated(await say_how_it_went(command, req.ctx.uow())))


def _rated(result: SessionRated) -> str:
    about = f"session {result.session_number}, {result.session_title}"
    if result.feeling is Feeling.EASY:
        return f"😌 Easy: good to know ({about}). Keep going with /next."
    if result.feeling is Feeling.FINE:
        return f"🙂 Fine ({about}). /next shows what's next."
    if result.already:
        return f"😓 Hard: the review of {about} is already in your plan as session " + (
            f"{result.review_number}."
        )
    if result.review_number is None:
        return f"😓 Hard ({about}). That was the last session; /replan to add more."
    return (
        f"😓 Hard ({about}): I added a review as session {result.review_number}, "
        f"before “{result.before}”."
    )


COMMANDS = [
    Command(
        "replan",
        replan_command,
        "re-plan the open sessions: /replan <sessions> | <level> | <goals>",
        "/replan <sessions> | <level> | <goals>",
    ),
]


BUTTONS: dict[str, Handler] = {"pe": session_card, "px": session_press, "hw": feeling_press}
