"""Planning from the subject catalogue: the subject's own topics, in teaching order, bent toward
the learner's level, goals and background, in exactly the number of sessions asked for.

- **Level** picks the slice: a beginner starts at the foundations and, unless there is room
  for two sessions a topic, stops before the advanced topics; an intermediate learner gets the
  beginner topics as one short review; an advanced learner skips them and reviews the
  intermediate ones.
- **Goals** pull topics in and forward: a topic the goals name (by its title, or by the
  abbreviation in its title, "PCA") is taught whatever the level, as early as its prerequisites
  allow, and gets three times the sessions. **Background** makes what it names a short review.
- **The number of sessions** is met exactly. Few sessions: adjacent topics merge, the smallest
  pair first. Many: topics take several sessions (the last one practice), review sessions come
  after every few topics, and a final project closes the plan.
- **Session length** shapes each session's parts (study, practice, recap; a break in long ones).

Deterministic and offline: the same spec always gives the same plan.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from rapidfuzz import fuzz

from domain.learning.catalogue import CatalogueSubject, CatalogueTopic
from domain.learning.matching import find_subject, normalize
from domain.learning.model import CurriculumSpec, PlannedSession, Resource, SkillLevel
from domain.learning.planner import (
    TITLE_MAX,
    OfflinePlanning,
    TemplatePlanner,
    _split_minutes,
    shorten,
)
from domain.learning.ports import CurriculumPlanner

_RANK = {"beginner": 0, "intermediate": 1, "advanced": 2}
_LEVEL_RANK = {SkillLevel.BEGINNER: 0, SkillLevel.INTERMEDIATE: 1, SkillLevel.ADVANCED: 2}
_ABBREVIATION = re.compile(r"\(([^)]{2,12})\)")
NAMED = 90.0  # rapidfuzz partial ratio at which the goals name a topic's title
REVIEW_EVERY = 5  # topic sessions between two review sessions, when sessions are many


@dataclass(frozen=True)
class _Unit:
    """Topics taught together in one or more sessions."""

    topics: tuple[CatalogueTopic, ...]
    weight: float  # the share of sessions it deserves
    review: bool = False  # already known: a short review
    goal: bool = False


class CataloguePlanner(OfflinePlanning):
    """Implements ``CurriculumPlanner``: catalogue subjects from the catalogue, anything else
    by ``fallback`` (the template planner)."""

    def __init__(self, fallback: CurriculumPlanner | None = None) -> None:
        self._fallback = fallback or TemplatePlanner()

    def plan(self, spec: CurriculumSpec) -> list[PlannedSession]:
        source = plan_source(spec)
        if source == "general":
            return self._fallback.plan(spec)
        subject = find_subject(spec.subject) if source == "catalogue" else None
        return plan_subject(subject or syllabus(spec), spec)


def plan_source(spec: CurriculumSpec) -> Literal["catalogue", "syllabus", "general"]:
    """Where the plan's topics come from: the catalogue, the learner's own list, or (neither)
    the general structure of the template planner."""
    if spec.topics:
        return "syllabus"
    return "catalogue" if find_subject(spec.subject) is not None else "general"


def syllabus(spec: CurriculumSpec) -> CatalogueSubject:
    """The learner's own topics as a subject, in their order, at their level, with objectives
    made from each topic's name (there is nothing else to go on)."""
    level = spec.level.value
    topics = [
        CatalogueTopic.model_construct(
            key=f"t{i}",
            title=shorten(name, 90),
            level=level,
            requires=(),
            objectives=(
                f"Explain the main ideas of {name} in your own words, without notes",
                f"Work through three exercises or examples on {name} and check them",
            ),
            practice=f"Find or make three problems on {name}, solve them, then check a source",
            resources=(),
        )
        for i, name in enumerate(spec.topics, start=1)
    ]
    return CatalogueSubject.model_construct(
        key="own", name=spec.subject, area="humanities", aliases=(), topics=tuple(topics)
    )


def plan_subject(subject: CatalogueSubject, spec: CurriculumSpec) -> list[PlannedSession]:
    """``spec.total_sessions`` sessions of ``subject`` (rules above)."""
    units = _units(subject, spec)
    total = spec.total_sessions
    project = 1 if total >= 4 else 0
    reviews = max(0, (total - project - len(units)) // (REVIEW_EVERY + 2))
    taught = total - project - reviews
    per_unit = _shares(units, taught)
    if per_unit is None:  # fewer sessions than units: merge, then one session each
        units = _merge(units, taught)
        per_unit = [1] * len(units)
    step = taught // (reviews + 1)  # a review after every ``step`` topic sessions
    sessions: list[tuple[str, list[str], CatalogueTopic | None, str]] = []
    covered: list[CatalogueTopic] = []
    count = 0
    for unit, share in zip(units, per_unit, strict=True):
        covered.extend(t for t in unit.topics if t not in covered)
        for part in range(share):
            sessions.append(_topic_session(unit, part, share))
            count += 1
            if reviews and count % step == 0 and count // step <= reviews:
                sessions.append(_review_session(covered or list(unit.topics), count // step))
                covered = []
    if project:
        sessions.append(_project_session(subject, units, spec))
    assert len(sessions) == total, (len(sessions), total)
    return [
        _write(number, title, objectives, topic, practice, spec.session_minutes)
        for number, (title, objectives, topic, practice) in enumerate(sessions, start=1)
    ]


def _units(subject: CatalogueSubject, spec: CurriculumSpec) -> list[_Unit]:
    """The topics to teach, in order, with their weights (level, goals, background)."""
    goals = {t.key for t in subject.topics if _names(normalize(spec.goals or ""), t)}
    background = normalize(spec.background or "")
    known = {t.key for t in subject.topics if _names(background, t)} - goals
    needed = set(goals)
    for topic in reversed(subject.topics):  # prerequisites of what the goals need, transitively
        if topic.key in needed:
            needed.update(topic.requires)
    level = _LEVEL_RANK[spec.level]
    # A beginner's plan reaches the advanced topics only with room for them (two sessions a
    # topic) or when the goals name them; the other levels go to the end of the subject.
    roomy = spec.total_sessions >= 2 * len(subject.topics)
    top = 2 if level > 0 or roomy else 1
    chosen = [t for t in subject.topics if t.key in needed or (level - 1 <= _RANK[t.level] <= top)]
    below = {t.key for t in subject.topics if _RANK[t.level] < level} - goals
    order = _goals_first(chosen or list(subject.topics), needed, below)
    units: list[_Unit] = []
    for topic in order:
        review = topic.key in below or topic.key in known
        unit = _Unit((topic,), 0.5 if review else 3.0 if topic.key in goals else 1.0, review)
        unit = replace(unit, goal=topic.key in goals)
        if review and units and units[-1].review:  # consecutive reviews are one session
            last = units.pop()
            unit = _Unit(last.topics + unit.topics, last.weight + 0.25, review=True)
        units.append(unit)
    return units


def _goals_first(
    topics: list[CatalogueTopic], needed: set[str], below: set[str]
) -> list[CatalogueTopic]:
    """Teaching order: the review of what lies below the level first, then what the goals need
    as early as its prerequisites allow, then the rest."""
    position = {t.key: i for i, t in enumerate(topics)}
    placed: list[CatalogueTopic] = []
    done: set[str] = set()
    waiting = list(topics)
    while waiting:
        ready = [t for t in waiting if all(r in done or r not in position for r in t.requires)]
        pick = min(
            ready,
            key=lambda t: (0 if t.key in below else 1 if t.key in needed else 2, position[t.key]),
        )
        placed.append(pick)
        done.add(pick.key)
        waiting.remove(pick)
    return placed


def _names(text: str, topic: CatalogueTopic) -> bool:
    """Whether ``text`` (the goals or the background, normalized) names ``topic``."""
    if not text:
        return False
    words = set(text.split())
    for abbreviation in _ABBREVIATION.findall(topic.title):
        if any(normalize(a) in words for a in re.split(r"[,/]", abbreviation) if a.strip()):
            return True
    title = normalize(_ABBREVIATION.sub("", topic.title))
    return len(title) >= 6 and fuzz.partial_ratio(title, text) >= NAMED


def _shares(units: Sequence[_Unit], sessions: int) -> list[int] | None:
    """Sessions per unit by weight, each at least one, summing exactly; None if too few."""
    if sessions < len(units):
        return None
    spare = sessions - len(units)
    grows = [not u.review for u in units]  # a review stays one session
    weights = [u.weight if g or not any(grows) else 0.0 for u, g in zip(units, grows, strict=True)]
    raw = [spare * w / sum(weights) for w in weights]
    shares = [int(r) for r in raw]
    by_remainder = sorted(range(len(units)), key=lambda i: (-(raw[i] - shares[i]), i))
    for i in by_remainder[: spare - sum(shares)]:
        shares[i] += 1
    return [1 + share for share in shares]


def _merge(units: list[_Unit], sessions: int) -> list[_Unit]:
    """Merge adjacent units, the lightest pair first, until there are ``sessions`` of them."""
    units = list(units)
    while len(units) > max(1, sessions):
        i = min(
            range(len(units) - 1),
            key=lambda k: (
                units[k].goal or units[k + 1].goal,
                units[k].weight + units[k + 1].weight,
                k,
            ),
        )
        a, b = units[i], units[i + 1]
        units[i : i + 2] = [
            _Unit(
                a.topics + b.topics, a.weight + b.weight, a.review and b.review, a.goal or b.goal
            )
        ]
    return units


def _listed(titles: Sequence[str]) -> str:
    """Topic titles shown together: "A + B + C" (titles often hold "and" themselves)."""
    return " + ".join(titles)


def _topic_session(
    unit: _Unit, part: int, count: int
) -> tuple[str, list[str], CatalogueTopic | None, str]:
    topic = unit.topics[0]
    names = _listed([t.title for t in unit.topics])
    objectives = [o for t in unit.topics for o in t.objectives]
    practice = "; then ".join(t.practice.rstrip(".") for t in unit.topics)
    if unit.review:
        shown = _listed([t.title for t in unit.topics[:3]])
        more = len(unit.topics) - 3
        title = f"Review: {shown}" + (f" + {more} more" if more > 0 else "")
        title += "" if count == 1 else f" ({part + 1} of {count})"
        objectives = [o for t in unit.topics for o in t.objectives[:1]]
    elif count == 1:
        title = names
    elif part == count - 1:
        title = (
            f"Practice: {names}" if count == 2 else f"Practice: {names} ({part + 1} of {count})"
        )
        objectives = [f"Do it unaided: {topic.practice}", *objectives[-1:]]
    else:
        title = names if count == 2 else f"{names} ({part + 1} of {count})"
        share = max(1, len(objectives) // max(1, count - 1))
        objectives = objectives[part * share : (part + 1) * share] or objectives[-1:]
    return title, objectives[:4], topic, practice


def _review_session(
    topics: Sequence[CatalogueTopic], ordinal: int
) -> tuple[str, list[str], CatalogueTopic | None, str]:
    names = _listed([t.title for t in topics[-3:]])
    title = f"Review checkpoint {ordinal}: {names}"
    objectives = [
        f"Explain {t.title.lower()} from memory in two minutes, then check your notes"
        for t in topics[-3:]
    ]
    practice = "Redo one exercise from each topic without looking at the solution"
    return title, [*objectives, "Redo one exercise per topic without notes"][:4], None, practice


def _project_session(
    subject: CatalogueSubject, units: Sequence[_Unit], spec: CurriculumSpec
) -> tuple[str, list[str], CatalogueTopic | None, str]:
    goal_topics = [t for u in units if u.goal for t in u.topics]
    focus = goal_topics or [t for u in units for t in u.topics][-2:]
    names = _listed([t.title for t in focus[-2:]])
    goal = shorten(spec.goals, 80) if spec.goals else None
    objectives = [
        f"Build one small piece of work that uses {names}",
        goal and f"Show it moves you toward your goal: {goal}",
        "Write down what still feels shaky and plan one session on it",
    ]
    practice = f"A final project in {subject.name}: {focus[-1].practice}"
    title = f"Final project: {names}"
    return title, [o for o in objectives if o], focus[-1], practice


def _write(
    number: int,
    title: str,
    objectives: list[str],
    topic: CatalogueTopic | None,
    practice: str,
    minutes: int,
) -> PlannedSession:
    parts: tuple[tuple[str, int], ...]
    if minutes <= 20:
        parts = (("Study", 1), ("Practice", 1))
    elif minutes < 90:
        parts = (("Study", 4), ("Practice", 5), ("Recap", 1))
    else:
        parts = (("Study", 8), ("Break", 1), ("Practice", 10), ("Recap", 2))
    plan = " · ".join(f"{name} {share} min" for name, share in _split_minutes(minutes, parts))
    resources = tuple(
        Resource(title=r.title, kind=r.kind, url=r.url) for r in (topic.resources if topic else ())
    )
    return PlannedSession(
        number=number,
        title=shorten(title, TITLE_MAX),
        objectives=tuple(objectives),
        materials=f"{plan}\nPractice: {practice}",
        resources=resources,
    )
