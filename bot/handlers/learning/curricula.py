"""Curricula: the /new wizard or one-line form, /plans, /plan, /next, /pause, /resume, /archive."""

from __future__ import annotations

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
from bot.handlers.formatting import bar, duration
from bot.handlers.learning import editing
from bot.handlers.wizard import Step, Wizard
from domain.learning.catalogue_planner import plan_source
from domain.learning.commands import ChangeCurriculumStatus, CreateCurriculum, OpenCurriculum
from domain.learning.curricula import (
    NO_CURRICULUM,
    change_status,
    create_curriculum,
    current_curriculum,
    list_curricula,
    open_curriculum,
    plan_page,
)
from domain.learning.matching import find_subject
from domain.learning.model import (
    CurriculumCreated,
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
        f"📚 Created “{overview.title}”: {overview.total_sessions} sessions × "
        f"{duration(overview.session_minutes)}, {_planned(created, spec)}.",
    ]
    if first is not None:
        lines.append(f"First up: session 1, {first.title}.")
    lines.append("/next shows what to do, /plan the whole plan, /done logs a finished session.")
    return Reply("\n".join(lines))


async def plans(req: Request) -> Reply:
    """All curricula with their progress, and buttons to open one."""
    curricula = await list_curricula(req.user_id, req.ctx.uow())
    if not curricula:
        return Reply(NO_CURRICULUM)
    lines = ["Your curricula:"]
    buttons = []
    for number, c in enumerate(curricula, start=1):
        done = c.progress.sessions_completed
        lines.append(
            f"{number}. {c.title} · {c.status.value} · {done}/{c.total_sessions} "
            f"{bar(done, c.total_sessions)} {c.percent_done}%"
        )
        if number <= 10:
            buttons.append(Button(f"Open {number}", payloads.encode(req.user_id, "co", c.id.hex)))
    return Reply("\n".join(lines), rows(*buttons, per_row=5))


def _session_line(session: StudySession) -> str:
    mark = "✅" if session.completed_at else "⬜"
    return f"{mark} {session.number}. {session.title}"


def _plan_reply(req: Request, page: PlanPage, *, edit: bool = False) -> Reply:
    c = page.curriculum
    header = (
        f"{c.title} · {c.status.value} · {c.progress.sessions_completed}/{c.total_sessions} done"
        f" · page {page.page + 1} of {page.pages}"
    )
    lines = [header, *(_session_line(s) for s in page.sessions)]
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
    page = 0
    if req.args.strip():
        page = parse_int(req.args, what="page", low=1, high=999) - 1
    result = await plan_page(req.user_id, req.ctx.uow(), page=page)
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
    """ "Open N" under /plans: make it current and show its plan."""
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
        return Reply(f"Every session of “{c.title}” is done. 🎉 Start something new with /new.")
    footer = "When you've finished it, send /done [minutes] [note]."
    if c.status is CurriculumStatus.PAUSED:
        footer = f"“{c.title}” is paused; /resume it to log sessions."
    return Reply(f"{c.title}\n{session_details(c.next_session)}\n\n{footer}")


def _status_command(target: CurriculumStatus, verb: str) -> Handler:
    async def change(req: Request) -> Reply:
        c = await change_status(ChangeCurriculumStatus(req.user_id, target), req.ctx.uow())
        return Reply(f"“{c.title}” is now {c.status.value}. {verb}")

    return change


COMMANDS = [
    Command("new", new, "create a curriculum (wizard, or in one line)", NEW_USAGE),
    Command("plans", plans, "all your curricula, with progress"),
    Command(
        "plan",
        plan,
        "the sessions of your current curriculum; /plan edit changes them",
        "/plan [page] · /plan edit",
    ),
    Command("next", next_session, "what to study next"),
    Command(
        "pause",
        _status_command(CurriculumStatus.PAUSED, "/resume when you're ready."),
        "pause the current curriculum",
    ),
    Command(
        "resume",
        _status_command(CurriculumStatus.ACTIVE, "/next shows what's next."),
        "resume a paused curriculum",
    ),
    Command(
        "archive",
        _status_command(CurriculumStatus.ARCHIVED, "It is kept, out of the way; see /plans."),
        "archive the current curriculum",
    ),
]


BUTTONS = {"wz": WIZARD.button, "pp": plan_page_button, "co": open_button}


FLOWS = {FLOW: WIZARD.answer}


PROMPTS = {FLOW: WIZARD.prompt}


DEEP_LINKS = {"c": open_link}
