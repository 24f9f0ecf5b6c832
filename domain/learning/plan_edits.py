"""The rules for changing a plan after it was made: ``/plan edit``, ``/replan`` and the review a
hard session earns. Pure functions over the *open* part of a plan; no I/O.

The one rule that keeps history intact: **completed sessions are never touched.** ``/done``
always completes the lowest-numbered open session and ``/undo`` reverts the latest one, so the
completed sessions are always sessions 1..k and the open ones k+1..N. Every edit works on that
open tail only: a completed session cannot be renamed, moved, deleted, merged or split, nothing
can be moved or inserted before it, and so its number, title, minutes, notes and streak days
stay exactly as they were. An edit renumbers the open sessions k+1..N' in their new order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from uuid import UUID

from domain.learning.model import (
    CurriculumSpec,
    PlanAction,
    PlannedSession,
    Resource,
    SessionDraft,
    SkillLevel,
    StudySession,
)
from domain.learning.parsing import (
    SESSIONS_RANGE,
    TOPIC_MAX,
    TOPICS_MAX,
    parse_level,
    parse_optional_text,
)
from domain.learning.planner import TITLE_MAX, shorten
from domain.shared.errors import InvalidInput
from domain.shared.text import clean_text, plural

MAX_SESSIONS = SESSIONS_RANGE[1]
REPLAN_USAGE = (
    "Usage: /replan <sessions> | <level> | <goals>, any of them, in any order, e.g. "
    "/replan 20 | advanced | PCA and SVD. Your completed sessions stay as they are; the open "
    "ones are planned again."
)
_CHECKPOINT = re.compile(r"\bcheckpoint\b", re.IGNORECASE)
_NUMBER = re.compile(r"^\s*\d+\s*$")
_PLANNED_PREFIX = re.compile(r"^(?:practice|review|final project|review checkpoint \d+):\s*", re.I)
_PART = re.compile(r"\s*\((?:part )?\d+ of \d+\)$")


def draft(session: StudySession | PlannedSession) -> SessionDraft:
    """A stored (or freshly planned) session as an editable draft."""
    sid = session.id if isinstance(session, StudySession) else None
    return SessionDraft(
        sid, session.title, session.objectives, session.materials, session.resources
    )


def locate(tail: Sequence[StudySession], first: int, session: int | UUID) -> int:
    """The index in ``tail`` (open sessions numbered from ``first``) of a number or an id.

    Raises:
        InvalidInput: the session is completed, does not exist, or is no longer open.
    """
    if isinstance(session, UUID):
        for index, item in enumerate(tail):
            if item.id == session:
                return index
        raise InvalidInput("That session is no longer open in your plan; /plan edit shows it now.")
    return _index(len(tail), first, session)


def _index(count: int, first: int, number: int) -> int:
    if number < first:
        raise InvalidInput(
            f"Session {number} is completed: completed sessions keep their number, title, "
            f"notes and streak. Open sessions start at {first}."
        )
    if number >= first + count:
        last = first + count - 1
        raise InvalidInput(f"There is no session {number}; your plan ends at session {last}.")
    return number - first


def title_of(text: str | None) -> str:
    """A session title the learner typed, cleaned; refuses an empty one."""
    value = clean_text(text or "", what="session title", limit=TITLE_MAX, required=True)
    assert value is not None
    return value


def apply(
    tail: Sequence[StudySession],
    first: int,
    action: PlanAction,
    index: int,
    *,
    other: int | None = None,
    step: int = 0,
    title: str | None = None,
) -> tuple[list[SessionDraft], int, str | None]:
    """Apply one edit to the open sessions ``tail`` (numbered from ``first``).

    Returns the new open sessions, the index of the session in focus afterwards, and the title
    of a session that went (deleted, or merged into the focus).
    """
    drafts = [draft(s) for s in tail]
    count = len(drafts)
    if action is PlanAction.RENAME:
        drafts[index] = replace(drafts[index], title=title_of(title))
        return drafts, index, None
    if action is PlanAction.MOVE:
        target = index + step if other is None else _index(count, first, other)
        if not 0 <= target < count:
            raise InvalidInput("That session can't move further that way.")
        drafts.insert(target, drafts.pop(index))
        return drafts, target, None
    if action is PlanAction.INSERT:
        drafts, focus = inserted(tail, first, index, title)
        return drafts, focus, None
    if action is PlanAction.DELETE:
        if count == 1:
            raise InvalidInput(
                "That is the only open session; a plan needs one. Rename it, /replan, or /archive."
            )
        gone = drafts.pop(index)
        return drafts, min(index, count - 2), gone.title
    if action is PlanAction.MERGE:
        partner = index + 1 if other is None else _index(count, first, other)
        if partner == index or not 0 <= partner < count:
            raise InvalidInput("Merging needs two different open sessions.")
        a, b = sorted((index, partner))
        merged = merge(drafts[a], drafts[b])
        merged_in = drafts[b].title
        drafts[a] = merged
        del drafts[b]
        return drafts, a, merged_in
    if action is PlanAction.SPLIT:
        room(first, count, 1)
        drafts[index : index + 1] = split(drafts[index])
        return drafts, index, None
    raise InvalidInput("Unknown edit.")  # pragma: no cover - the enum is exhaustive


def inserted(
    tail: Sequence[StudySession],
    first: int,
    after: int,
    title: str | None,
    objectives: Sequence[str] = (),
) -> tuple[list[SessionDraft], int]:
    """The open sessions ``tail`` with a new one after index ``after`` (-1: before them all;
    an empty tail: the plan's last), and the new one's index. ``/plan edit``'s insert and an
    expert's accepted homework (``homework``) both add a session this way."""
    drafts = [draft(s) for s in tail]
    room(first, len(drafts), 1)
    name = title_of(title)
    new = SessionDraft(
        None,
        name,
        tuple(objectives) or (f"Work through {name} and note what you'd explain to someone else",),
        "Your own session: study, practise, then recap in a few lines.",
    )
    drafts.insert(after + 1, new)
    return drafts, after + 1


def room(first: int, count: int, more: int) -> None:
    if first - 1 + count + more > MAX_SESSIONS:
        raise InvalidInput(f"A plan has at most {MAX_SESSIONS} sessions.")


def merge(a: SessionDraft, b: SessionDraft) -> SessionDraft:
    """Two sessions as one: both titles, objectives and resources; the first keeps its id."""
    resources = tuple(dict.fromkeys((*a.resources, *b.resources)))
    return SessionDraft(
        a.id,
        shorten(f"{a.title} + {b.title}", TITLE_MAX),
        tuple(dict.fromkeys((*a.objectives, *b.objectives))),
        " ".join(m for m in (a.materials, b.materials) if m),
        resources,
    )


def split(session: SessionDraft) -> list[SessionDraft]:
    """One session as two parts, its objectives shared out (each part keeps at least one)."""
    objectives = session.objectives
    half = max(1, (len(objectives) + 1) // 2)
    first_half = objectives[:half] or objectives
    second_half = objectives[half:] or objectives
    base = shorten(session.title, TITLE_MAX - 14)
    return [
        replace(session, title=f"{base} (part 1 of 2)", objectives=first_half),
        SessionDraft(
            None,
            f"{base} (part 2 of 2)",
            second_half,
            session.materials,
            session.resources,
        ),
    ]


def review_title(session_title: str) -> str:
    """The title of a review of a session (a review of a review is "Review again: …")."""
    if session_title.startswith("Review: "):
        return shorten(f"Review again: {session_title.removeprefix('Review: ')}", TITLE_MAX)
    return shorten(f"Review: {session_title}", TITLE_MAX)


def review_of(session: StudySession) -> SessionDraft:
    """The review session a session marked hard earns."""
    return SessionDraft(
        None,
        review_title(session.title),
        (
            f"Without notes, redo the exercise of session {session.number} that went worst",
            f"Explain {shorten(session.title, 80)} in five sentences, then check them",
            "Write down what still feels unclear and look it up in the session's resources",
        ),
        "Review of a session you found hard: recall first, then practise, then recap.",
        tuple(r for r in session.resources if r.url)[:2]
        or (Resource("Your notes from that session", "review"),),
    )


def review_place(tail: Sequence[StudySession]) -> int:
    """Where a review goes: right before the next review checkpoint, else as the next session."""
    for index, session in enumerate(tail):
        if _CHECKPOINT.search(session.title):
            return index
    return 0


def topics_of(titles: Sequence[str]) -> tuple[str, ...]:
    """The learner's own topics back from their open sessions' titles (a syllabus is not
    stored): "Practice: Knots" and "Knots (part 2 of 2)" are "Knots"; "Knots and Sails" and
    "Knots + Sails" (merged) are two topics, in plan order."""
    topics: dict[str, None] = {}
    for title in titles:
        core = _PART.sub("", _PLANNED_PREFIX.sub("", title))
        for name in re.split(r"\s+\+\s+|\s+and\s+|,\s*", core):
            if name.strip():
                topics.setdefault(shorten(name, TOPIC_MAX), None)
    return tuple(topics)[:TOPICS_MAX]


def parse_replan(args: str) -> tuple[int | None, SkillLevel | None, str | None]:
    """``/replan 20 | advanced | goals``: each part is a number of sessions, a level or goals.

    Raises:
        InvalidInput: nothing given, or a part given twice.
    """
    total: int | None = None
    level: SkillLevel | None = None
    goals: str | None = None
    for part in (p.strip() for p in args.split("|")):
        if not part:
            continue
        if _NUMBER.match(part):
            if total is not None:
                raise InvalidInput("Give the number of sessions once. " + REPLAN_USAGE)
            total = int(part)
            continue
        try:
            parsed = parse_level(part)
        except InvalidInput:
            if goals is not None:
                raise InvalidInput("Give the goals once. " + REPLAN_USAGE) from None
            goals = parse_optional_text(part, what="goals")
            continue
        if level is not None:
            raise InvalidInput("Give the level once. " + REPLAN_USAGE)
        level = parsed
    if total is None and level is None and goals is None:
        raise InvalidInput(REPLAN_USAGE)
    return total, level, goals


def replan_specs(
    spec: CurriculumSpec,
    completed: Sequence[str],
    *,
    total: int | None,
    level: SkillLevel | None,
    goals: str | None,
) -> tuple[CurriculumSpec, CurriculumSpec]:
    """The curriculum's new spec and the spec to plan its open sessions with.

    The open sessions are planned as a plan of their own (total minus the completed ones), with
    what the completed sessions covered added to the background, so the planner reviews it
    briefly instead of teaching it again.

    Raises:
        InvalidInput: the new total leaves no open session or is out of range.
    """
    done = len(completed)
    new_total = spec.total_sessions if total is None else total
    if not done < new_total <= MAX_SESSIONS:
        raise InvalidInput(
            f"You've completed {plural(done, 'session')}, so the plan needs between {done + 1} "
            f"and {MAX_SESSIONS} sessions."
        )
    new = replace(
        spec,
        total_sessions=new_total,
        level=level or spec.level,
        goals=spec.goals if goals is None else goals,
    )
    background = spec.background or ""
    if completed:
        studied = "; ".join(shorten(t, 60) for t in completed[-30:])
        background = f"{background}\nAlready studied: {studied}".strip()
    return new, replace(new, total_sessions=new_total - done, background=background or None)
