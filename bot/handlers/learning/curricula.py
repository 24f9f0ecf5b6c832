"""Curricula: the /new wizard or one-line form, /plans, /plan, /next, /pause, /resume, /archive."""

from __future__ import annotations

import re

from bot.handlers import payloads
from bot.handlers.base import (
    Button,
    Command,
    Handler,
    Replies,
    Reply,
    Request,
    rows,
)
from bot.handlers.formatting import bar, duration, plural
from bot.handlers.learning import editing
from bot.handlers.wizard import Step, Wizard
from domain.learning.catalogue_planner import plan_source
from domain.learning.commands import ChangeCurriculumStatus, CreateCurriculum, OpenCurriculum
from domain.learning.curricula import (
    LIVE,
    NO_CURRICULUM,
    change_status,
    create_curriculum,
    current_curriculum,
    open_curriculum,
    other_plans,
    plan_page,
)
from domain.learning.matching import find_subject
from domain.learning.model import (
    CurriculumCreated,
    CurriculumOverview,
    CurriculumSpec,
    CurriculumStatus,
    PlannedBy,
    PlanPage,
    SkillLevel,
    StudySession,
)
from domain.learning.parsing import (
    MINUTES_RANGE,
    NEW_USAGE,
    SESSIONS_RANGE,
    parse_level,
    parse_minutes,
    parse_new_one_line,
    parse_optional_text,
    parse_sessions,
    parse_subject,
    parse_topics,
    spec_from_answers,
)
from domain.learning.sessions import plans_overview
from domain.shared.errors import InvalidInput
from domain.shared.text import parse_int

FLOW = "new"


async def _levels(req: Request) -> list[tuple[str, str]]:
    return [(level.value.capitalize(), level.value) for level in SkillLevel]


async def _create(req: Request, answers: dict[str, object]) -> Reply:
    spec = spec_from_answers(answers)
    command = CreateCurriculum(req.user_id, spec)  # the wizard's unit of work ends it
    created = await create_curriculum(command, req.ctx.uow(), req.ctx.planner)
    return _created(created, spec)


WIZARD = Wizard(
    FLOW,
    "wz",
    "New curriculum",
    {
        "subject": Step(
            "What do you want to learn? For example: Spanish, linear algebra, watercolour.",
            parse_subject,
        ),
        "topics": Step(
            "I don't know that subject's topics yet. List what you want to cover, one per line "
            "or numbered (“1. Knots 2. Sails 3. Tides”), and I'll plan them in that order; or "
            "press Skip for a general structure.",
            parse_topics,
            skippable=True,
            form="Your topics, one per line",
            when=lambda answers: (
                "subject" in answers and find_subject(str(answers["subject"])) is None
            ),
        ),
        "sessions": Step(
            f"How many sessions should the plan have? ({SESSIONS_RANGE[0]}–{SESSIONS_RANGE[1]})",
            parse_sessions,
        ),
        "minutes": Step(
            f"How many minutes per session? ({MINUTES_RANGE[0]}–{MINUTES_RANGE[1]})",
            parse_minutes,
        ),
        "level": Step(
            "What is your level?", lambda text: parse_level(text).value, choices=_levels
        ),
        "goals": Step(
            "What do you want to be able to do at the end? (or press Skip)",
            lambda text: parse_optional_text(text, what="goals"),
            skippable=True,
        ),
        "background": Step(
            "Anything I should know about your background? (or press Skip)",
            lambda text: parse_optional_text(text, what="background"),
            skippable=True,
        ),
    },
    _create,
)


async def new(req: Request) -> Replies:
    """Start the wizard, or create a curriculum in one line."""
    if req.args.strip():
        spec = parse_new_one_line(req.args)
        command = CreateCurriculum(req.user_id, spec)
        created = await create_curriculum(command, req.ctx.uow(), req.ctx.planner)
        return _created(created, spec)
    return await WIZARD.start(req)


SOURCES = {
    "catalogue": "planned from my notes on this subject",
    "syllabus": "planned from your own topics, in your order",
    "general": (
        "I don't know this subject's topics, so the plan follows a general structure. For a "
        "real one, start /new again and list the topics you want to cover"
    ),
}


BY_MODEL = "planned by the language model"
OFFLINE = "planned offline (the language model did not answer)"


def _planned(created: CurriculumCreated, spec: CurriculumSpec) -> str:
    """Which planner made the plan, and from what."""
    if created.planned_by is PlannedBy.MODEL:
        return BY_MODEL
    if created.fallback is not None:  # a language model was asked, the offline planner answered
        return f"{OFFLINE}, {SOURCES[plan_source(spec)]}"
    return SOURCES[plan_source(spec)]


def _created(created: CurriculumCreated, spec: CurriculumSpec) -> Reply:
    overview = created.overview
    first = overview.next_session
    lines = [
        f"📚 Created “{overview.title}”: {plural(overview.total_sessions, 'session')} × "
        f"{duration(overview.session_minutes)}, {_planned(created, spec)}.",
    ]
    if first is not None:
        lines.append(f"First up: session 1, {first.title}.")
    lines.append("/next shows what to do, /plan the whole plan, /done logs a finished session.")
    return Reply("\n".join(lines))


def streak_words(days: int) -> str:
    """ "🔥 3-day streak", or "no streak yet"."""
    return f"🔥 {days}-day streak" if days else "no streak yet"


def daily_streak_words(days: int) -> str:
    """The daily streak across all plans, said apart from each plan's own."""
    return (
        f"🔥 Daily streak: {plural(days, 'day')} in a row with a session in any plan"
        if days
        else "Daily streak: none yet (a day counts when you do a session in any plan)"
    )


async def plans(req: Request) -> Reply:
    """All curricula with their progress and own streak, the current one marked, the daily
    streak across them, and buttons to open one."""
    listing = await plans_overview(req.user_id, req.ctx.uow(), req.ctx.clock)
    if not listing.curricula:
        return Reply(NO_CURRICULUM)
    lines = ["Your curricula:"]
    buttons = []
    for number, item in enumerate(listing.curricula, start=1):
        c = item.curriculum
        done = c.progress.sessions_completed
        current = c.id == listing.current_id
        lines.append(
            f"{number}. {'▶ ' if current else ''}{c.title} · {c.status.value}"
            f"{' · current' if current else ''} · {done}/{c.total_sessions} "
            f"{bar(done, c.total_sessions)} {c.percent_done}% · {streak_words(item.streak)}"
        )
        if number <= 10:
            label = f"Open {number}. {c.title}"[:40]  # which plan, as the switch buttons say
            buttons.append(Button(label, payloads.encode(req.user_id, "co", c.id.hex)))
    lines += ["", daily_streak_words(listing.daily_streak)]
    lines.append("▶ marks your current plan: /next, /plan and /done act on it; /switch <n>.")
    return Reply("\n".join(lines), rows(*buttons, per_row=2))


async def switch(req: Request) -> Reply:
    """/switch <n>: make plan n (as /plans numbers them) the current one; without n, choose."""
    if not req.args.strip():
        listing = await plans_overview(req.user_id, req.ctx.uow(), req.ctx.clock)
        choices = [
            (number, item.curriculum)
            for number, item in enumerate(listing.curricula, start=1)
            if item.curriculum.status in LIVE and item.curriculum.id != listing.current_id
        ]
        if not choices:
            return Reply(
                "You have no other active or paused plan to switch to. /new creates one."
                if listing.curricula
                else NO_CURRICULUM
            )
        return Reply(
            "Which plan should be your current one?",
            switch_buttons(req, choices),
        )
    number = parse_int(req.args, what="plan number", low=1, high=999)
    result = await open_curriculum(OpenCurriculum(req.user_id, number=number), req.ctx.uow())
    return _plan_reply(req, result)


def switch_buttons(
    req: Request, choices: list[tuple[int, CurriculumOverview]]
) -> tuple[tuple[Button, ...], ...]:
    """One "Switch to" button per plan, carrying its name (the press is checked again)."""
    return rows(
        *(
            Button(
                f"Switch to {number}. {c.title}"[:60], payloads.encode(req.user_id, "co", c.id.hex)
            )
            for number, c in choices[:10]
        ),
        per_row=1,
    )


def session_line(session: StudySession) -> str:
    mark = "✅" if session.completed_at else "⬜"
    return f"{mark} {session.number}. {session.title}"


def _plan_reply(req: Request, page: PlanPage, *, edit: bool = False) -> Reply:
    c = page.curriculum
    header = (
        f"{c.title} · {c.status.value} · {c.progress.sessions_completed}/{c.total_sessions} done"
        f" · page {page.page + 1} of {page.pages}"
    )
    lines = [header, *(session_line(s) for s in page.sessions)]
    if page.became_current:
        lines.insert(0, f"▶ “{c.title}” is now your current plan: /next and /done act on it.")
    elif c.status is CurriculumStatus.ARCHIVED:
        lines.append(f"“{c.title}” is archived; /resume <its number in /plans> brings it back.")
    elif c.status is CurriculumStatus.COMPLETED:
        lines.append(f"Every session of “{c.title}” is done; /switch to another plan or /new.")
    buttons = []
    if page.page > 0:
        buttons.append(
            Button("◀ Previous", payloads.encode(req.user_id, "pp", c.id.hex, str(page.page - 1)))
        )
    if page.page + 1 < page.pages:
        buttons.append(
            Button("Next ▶", payloads.encode(req.user_id, "pp", c.id.hex, str(page.page + 1)))
        )
    return Reply("\n".join(lines), rows(*buttons), edit=edit)


async def plan(req: Request) -> Reply:
    """The sessions of the current curriculum, a page at a time; /plan edit changes them."""
    words = req.args.split(maxsplit=1)
    if words and words[0].lower() == "edit":
        return await editing.plan_edit(req, words[1] if len(words) > 1 else "")
    page = None  # the page that holds the next session
    if req.args.strip():
        word = req.args.strip()
        if not re.fullmatch(r"[+-]?\d{1,6}", word):
            raise InvalidInput(
                f"The page must be a whole number, not “{word[:20]}”: /plan [page] · /plan edit"
            )
        page = int(word) - 1  # the domain answers a page out of range with the real range
    result = await plan_page(req.user_id, req.ctx.uow(), page=page, strict=True)
    return _plan_reply(req, result)


async def plan_page_button(req: Request) -> Reply:
    """◀ / ▶ under a plan."""
    if len(req.button_args) != 2:
        raise InvalidInput(payloads.STALE)
    curriculum_id = payloads.uuid_arg(req.button_args[0])
    page = payloads.int_arg(req.button_args[1], low=0, high=999)
    result = await plan_page(req.user_id, req.ctx.uow(), curriculum_id=curriculum_id, page=page)
    return _plan_reply(req, result, edit=True)


async def open_button(req: Request) -> Reply:
    """ "Open N" under /plans, "Switch to N": make it current and show its plan."""
    if len(req.button_args) != 1:
        raise InvalidInput(payloads.STALE)
    command = OpenCurriculum(req.user_id, payloads.uuid_arg(req.button_args[0]))
    result = await open_curriculum(command, req.ctx.uow())
    return _plan_reply(req, result, edit=True)


async def open_link(req: Request) -> Reply:
    """Deep link ``/start c_<curriculum hex>``: open one of the learner's own curricula."""
    command = OpenCurriculum(req.user_id, payloads.uuid_arg(req.args))
    result = await open_curriculum(command, req.ctx.uow())
    return _plan_reply(req, result)


def session_details(session: StudySession) -> str:
    lines = [f"Session {session.number}: {session.title}", "", "Objectives:"]
    lines += [f"• {objective}" for objective in session.objectives]
    if session.materials:
        lines += ["", f"Plan: {session.materials}"]
    if session.resources:
        lines += ["", "Resources:"]
        for resource in session.resources:
            link = f" {resource.url}" if resource.url else ""
            lines.append(f"• [{resource.kind}] {resource.title}{link}")
    return "\n".join(lines)


async def next_session(req: Request) -> Reply:
    """The next session of the current curriculum."""
    c = await current_curriculum(req.user_id, req.ctx.uow())
    if c.next_session is None:
        return await finished_reply(req, c)
    footer = "When you've finished it, send /done [minutes] [note]."
    if c.status in (CurriculumStatus.PAUSED, CurriculumStatus.ARCHIVED):
        footer = f"“{c.title}” is {c.status.value}; /resume it to log sessions."
    return Reply(f"{c.title}\n{session_details(c.next_session)}\n\n{footer}")


async def finished_reply(req: Request, c: CurriculumOverview) -> Reply:
    """Every session of ``c`` is done: point to the learner's other plans (buttons), or /new."""
    others = await other_plans(req.user_id, req.ctx.uow(), besides=c.id)
    text = f"Every session of “{c.title}” is done. 🎉"
    if not others:
        return Reply(f"{text} Start something new with /new.")
    listed = ", ".join(f"{o.number}. {o.curriculum.title}" for o in others)
    return Reply(
        f"{text} Your other plans: {listed}. Switch to one (/switch <n>), or start something "
        "new with /new.",
        switch_buttons(req, [(o.number, o.curriculum) for o in others]),
    )


def now_current_words(c: CurriculumOverview) -> str:
    """What the learner is told when a plan became current because another one ended."""
    return f"▶ “{c.title}” is now your current plan: /next shows its next session."


def _status_command(target: CurriculumStatus, verb: str) -> Handler:
    async def change(req: Request) -> Reply:
        number = None
        if req.args.strip():
            number = parse_int(req.args, what="plan number", low=1, high=999)
        command = ChangeCurriculumStatus(req.user_id, target, number=number)
        changed = await change_status(command, req.ctx.uow())
        c = changed.curriculum
        lines = [f"“{c.title}” is now {c.status.value}. {verb}"]
        if changed.now_current is not None:
            lines.append(now_current_words(changed.now_current))
        return Reply("\n".join(lines))

    return change


COMMANDS = [
    Command("new", new, "create a curriculum (wizard, or in one line)", NEW_USAGE),
    Command("plans", plans, "all your curricula, with progress; ▶ marks the current one"),
    Command("switch", switch, "make another plan the current one", "/switch <n>"),
    Command(
        "plan",
        plan,
        "the sessions of your current curriculum, at the next one; /plan edit changes them",
        "/plan [page] · /plan edit",
    ),
    Command("next", next_session, "what to study next"),
    Command(
        "pause",
        _status_command(CurriculumStatus.PAUSED, "/resume when you're ready."),
        "pause the current curriculum (or plan n of /plans)",
        "/pause [n]",
    ),
    Command(
        "resume",
        _status_command(CurriculumStatus.ACTIVE, "/next shows what's next."),
        "resume a paused or archived curriculum",
        "/resume [n]",
    ),
    Command(
        "archive",
        _status_command(CurriculumStatus.ARCHIVED, "It is kept, out of the way; see /plans."),
        "archive the current curriculum (or plan n of /plans)",
        "/archive [n]",
    ),
]


BUTTONS = {"wz": WIZARD.button, "pp": plan_page_button, "co": open_button}


FLOWS = {FLOW: WIZARD.answer}


PROMPTS = {FLOW: WIZARD.prompt}


DEEP_LINKS = {"c": open_link}
