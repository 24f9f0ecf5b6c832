"""An offline, deterministic curriculum planner.

``TemplatePlanner`` turns a ``CurriculumSpec`` into sessions numbered 1..N without any network
access, randomness or clock: the same spec always gives the same plan. It knows nothing about
the subject itself, so it climbs a generic topic ladder and fills in the learner's own words
(subject, goals, background) where they help.

The progression, as ``phase_schedule`` lays it out for N sessions:

1. **Foundations**, sessions 1..F. Session 1 orients (and connects the subject to the learner's
   background, if given). Beginners get about one session in six, up to 6; intermediate
   learners one in ten, up to 3; advanced learners just the orientation.
2. **Core blocks and practice.** The middle climbs the topic ladder ("Core block 3: Common
   patterns"). A practice session follows every core block for beginners (guided practice)
   and every two core blocks for intermediate and advanced learners (advanced learners get
   project sprints). Practice sessions refer to the learner's goals.
3. **Review checkpoints** once ``REVIEW_AFTER`` (4) sessions have passed since the last one
   (or the start), as soon as no practice is due: so every 5 or 6 sessions, never between a
   core block and its practice, not in the first two sessions after the foundations, and
   never right before the final review.
4. **Final review** on session N-1 (when N >= 5) and a **capstone** on session N (when N >= 2).

Small plans: N=1 is one focused session that orients and practises; N=2 is foundations then
capstone; N=3 is foundations, one core block, capstone; N=4 adds a practice (beginners) or a
second core block; N=5 adds the final review.

Each session's minutes are split into named parts ("Warm-up 5 min · Study 20 min · ...") that
add up exactly to ``session_minutes``.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote_plus

from domain.learning.model import (
    CurriculumSpec,
    Plan,
    PlannedBy,
    PlannedSession,
    Resource,
    SkillLevel,
)
from domain.learning.phases import (
    _MORE_FOUNDATIONS,
    Phase,
    _core_topic,
    phase_schedule,
)

TITLE_MAX = 255
SUBJECT_IN_TITLE_MAX = 80
SUBJECT_IN_TEXT_MAX = 60
USER_TEXT_MAX = 80
RESOURCE_KINDS = frozenset({"reading", "video", "exercise", "project", "review", "tool"})


def shorten(text: str, limit: int) -> str:
    """Collapse whitespace and cut ``text`` to ``limit`` characters at a word, adding "…"."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,.;:-–—") + "…"


def _title(label: str, subject: str) -> str:
    """``"<label> — <subject>"``, the subject shortened so the title fits ``TITLE_MAX``."""
    room = TITLE_MAX - len(label) - len(" — ")
    return f"{label} — {shorten(subject, min(SUBJECT_IN_TITLE_MAX, room))}"


def _split_minutes(total: int, parts: tuple[tuple[str, int], ...]) -> list[tuple[str, int]]:
    """Share ``total`` minutes among weighted parts: at least 1 each, summing exactly.

    Largest-remainder rounding; ties go to the earlier part, so the result is deterministic.
    """
    weights = [weight for _, weight in parts]
    spare = total - len(parts)
    shares = [spare * weight // sum(weights) for weight in weights]
    by_remainder = sorted(
        range(len(parts)), key=lambda i: (-(spare * weights[i] % sum(weights)), i)
    )
    for i in by_remainder[: spare - sum(shares)]:
        shares[i] += 1
    return [(name, 1 + share) for (name, _), share in zip(parts, shares, strict=True)]


_PARTS: dict[Phase, tuple[tuple[str, int], ...]] = {
    Phase.FOCUS: (("Orientation", 2), ("Study", 3), ("Practice", 4), ("Recap", 1)),
    Phase.FOUNDATION: (("Warm-up", 1), ("Study", 4), ("Practice", 3), ("Recap", 1)),
    Phase.CORE: (("Warm-up", 1), ("Study", 4), ("Practice", 3), ("Recap", 1)),
    Phase.PRACTICE: (("Warm-up", 1), ("Exercises", 6), ("Check and correct", 2), ("Recap", 1)),
    Phase.REVIEW: (("Recall from memory", 3), ("Redo hard exercises", 4), ("Plan ahead", 1)),
    Phase.FINAL_REVIEW: (("Recall from memory", 3), ("Retest", 3), ("Plan the capstone", 2)),
    Phase.CAPSTONE: (("Plan", 1), ("Build", 6), ("Present and reflect", 2)),
}


_HINTS = {
    Phase.FOCUS: "Skim the overview, spend most of the time doing, and end by noting what "
    "to learn next.",
    Phase.FOUNDATION: "Take notes in your own words; they feed the review checkpoints.",
    Phase.CORE: "Use the reading and video for the study part, then try the exercises before "
    "checking any answers.",
    Phase.PRACTICE: "Work without notes first; look things up only when stuck, and mark what "
    "you had to look up.",
    Phase.REVIEW: "Close your notes for the recall part: retrieving, not rereading, is what "
    "makes it stick.",
    Phase.FINAL_REVIEW: "Finish with a one-paragraph brief for your capstone.",
    Phase.CAPSTONE: "Keep the scope small enough to finish today; a finished small project "
    "beats an unfinished big one.",
}


def _materials(phase: Phase, minutes: int) -> str:
    parts = _PARTS[phase] + ((("Breaks", 1),) if minutes >= 90 else ())
    plan = " · ".join(f"{name} {share} min" for name, share in _split_minutes(minutes, parts))
    return f"{plan}. {_HINTS[phase]}"


def _wikipedia(subject: str) -> Resource:
    url = "https://en.wikipedia.org/w/index.php?search=" + quote_plus(subject, errors="replace")
    return Resource(f"Wikipedia: {shorten(subject, SUBJECT_IN_TITLE_MAX)}", "reading", url)


def _videos(subject: str, about: str) -> Resource:
    query = quote_plus(f"{subject} {about}", errors="replace")
    title = f"Videos: {shorten(subject, SUBJECT_IN_TITLE_MAX)} — {about}"
    return Resource(title, "video", "https://www.youtube.com/results?search_query=" + query)


@dataclass(frozen=True)
class _Slot:
    """One session as the schedule sees it, before any text is written."""

    number: int
    phase: Phase
    ordinal: int  # 1 for the first session of this phase, 2 for the second, ...
    covers: tuple[int, int] = (0, 0)  # practice: core blocks; review: session numbers


def _slots(phases: list[Phase]) -> list[_Slot]:
    """Number the sessions of each phase and note what each practice and review covers."""
    seen: dict[Phase, int] = {}
    slots: list[_Slot] = []
    blocks_done = blocks_practised = 0
    reviewed_up_to = 0
    for number, phase in enumerate(phases, start=1):
        seen[phase] = seen.get(phase, 0) + 1
        covers = (0, 0)
        if phase is Phase.CORE:
            blocks_done += 1
        elif phase is Phase.PRACTICE:
            covers = (blocks_practised + 1, blocks_done)
            blocks_practised = blocks_done
        elif phase is Phase.REVIEW:
            covers = (reviewed_up_to + 1, number - 1)
            reviewed_up_to = number
        slots.append(_Slot(number, phase, seen[phase], covers))
    return slots


class OfflinePlanning:
    """``make_plan`` for a planner whose ``plan`` is offline: its plan, made offline."""

    def plan(self, spec: CurriculumSpec) -> list[PlannedSession]:
        raise NotImplementedError

    async def make_plan(self, spec: CurriculumSpec) -> Plan:
        return Plan(tuple(self.plan(spec)), PlannedBy.OFFLINE)


class TemplatePlanner(OfflinePlanning):
    """Plans a curriculum from templates, offline and deterministically.

    Implements the ``CurriculumPlanner`` port. The plan runs from foundations through numbered
    core blocks with practice sessions and review checkpoints to a final review and a capstone;
    the module docstring gives the exact rules. The level changes how long the foundations
    last, how often practice comes, and the wording and depth of every session.
    Goals, when given, show up in practice sessions, reviews and the capstone; background,
    when given, shapes the first session.

    Example:
        >>> spec = CurriculumSpec("Python", 10, 45, SkillLevel.BEGINNER, goals="Automate reports")
        >>> sessions = TemplatePlanner().plan(spec)
        >>> [s.number for s in sessions] == list(range(1, 11))
        True
    """

    def plan(self, spec: CurriculumSpec) -> list[PlannedSession]:
        """Design ``spec.total_sessions`` sessions numbered 1..N.

        Args:
            spec: A validated spec (1..365 sessions of 5..480 minutes).

        Returns:
            The sessions in order; the same spec always gives the same list.
        """
        writer = _SessionWriter(spec)
        return [
            writer.write(slot) for slot in _slots(phase_schedule(spec.total_sessions, spec.level))
        ]


class _SessionWriter:
    """Writes the title, objectives, materials and resources of each slot for one spec."""

    def __init__(self, spec: CurriculumSpec) -> None:
        self.spec = spec
        self.level = spec.level
        self.subject = " ".join(spec.subject.split()) or "your subject"
        self.s = shorten(self.subject, SUBJECT_IN_TEXT_MAX)
        self.goal = shorten(spec.goals, USER_TEXT_MAX) if spec.goals else ""
        self.background = shorten(spec.background, USER_TEXT_MAX) if spec.background else ""

    def write(self, slot: _Slot) -> PlannedSession:
        design = {
            Phase.FOCUS: self._focus,
            Phase.FOUNDATION: self._foundation,
            Phase.CORE: self._core,
            Phase.PRACTICE: self._practice,
            Phase.REVIEW: self._review,
            Phase.FINAL_REVIEW: self._final_review,
            Phase.CAPSTONE: self._capstone,
        }[slot.phase]
        label, objectives, resources = design(slot)
        return PlannedSession(
            number=slot.number,
            title=_title(label, self.subject),
            objectives=tuple(objectives),
            materials=_materials(slot.phase, self.spec.session_minutes),
            resources=tuple(resources),
        )

    # Each method below returns (title label, objectives, resources) for one phase.

    def _focus(self, slot: _Slot) -> tuple[str, list[str], list[Resource]]:
        label = {
            SkillLevel.BEGINNER: "Crash course: orientation and first practice",
            SkillLevel.INTERMEDIATE: "Focused session: refresh and apply",
            SkillLevel.ADVANCED: "Focused session: deep dive and critique",
        }[self.level]
        objectives = [f"Skim the key ideas of {self.s} and note the three that matter most"]
        if self.background:
            objectives.append(f"Connect {self.s} to what you already know: {self.background}")
        if self.goal:
            objectives.append(f"Apply {self.s} towards your goal: {self.goal}")
        objectives.append("Practise one core skill with a short exercise and check the result")
        resources = [_wikipedia(self.subject), _videos(self.subject, "crash course")]
        return label, objectives, resources

    def _foundation(self, slot: _Slot) -> tuple[str, list[str], list[Resource]]:
        if slot.ordinal > 1:
            topic, first = _MORE_FOUNDATIONS[self.level][slot.ordinal - 2]
            objectives = [
                first.format(s=self.s),
                "Write a short glossary entry for each new term",
                "Complete a guided exercise and compare it with a worked solution",
            ]
            resources = [_wikipedia(self.subject), _videos(self.subject, topic.lower())]
            return f"Foundations {slot.ordinal}: {topic}", objectives, resources

        label, first, second = {
            SkillLevel.BEGINNER: (
                "Getting started: orientation and first steps",
                f"Describe in two sentences what {self.s} is and what it is used for",
                "Set up what you need and try a first, guided exercise",
            ),
            SkillLevel.INTERMEDIATE: (
                "Orientation: refreshing the foundations",
                f"Recall the core ideas of {self.s} you already use",
                "Identify the gaps this plan should close",
            ),
            SkillLevel.ADVANCED: (
                "Orientation: mapping the landscape and your gaps",
                f"Map the main areas of {self.s} and where experts disagree",
                "Diagnose your weak spots with a hard self-test",
            ),
        }[self.level]
        objectives = [first]
        if self.background:
            objectives.append(f"Connect {self.s} to what you already know: {self.background}")
        objectives.append(second)
        if self.goal:
            objectives.append(f"Write down how you will know you reached your goal: {self.goal}")
        intro = "for beginners" if self.level is SkillLevel.BEGINNER else "overview"
        resources = [_wikipedia(self.subject), _videos(self.subject, intro)]
        if self.level is SkillLevel.BEGINNER:
            resources.append(Resource("A glossary you start today and keep adding to", "tool"))
        return label, objectives, resources

    def _core(self, slot: _Slot) -> tuple[str, list[str], list[Resource]]:
        topic, first = _core_topic(self.level, slot.ordinal)
        objectives = [first.format(s=self.s)] + {
            SkillLevel.BEGINNER: [
                "Work through two examples step by step and note what surprised you",
                "Summarise the block in five sentences from memory",
            ],
            SkillLevel.INTERMEDIATE: [
                "Solve three short exercises without looking at the solutions",
                "Link this block to the earlier ones in a short mind map",
            ],
            SkillLevel.ADVANCED: [
                "Critique an expert's example and propose a better version",
                "Write down open questions to investigate later",
            ],
        }[self.level]
        resources = [
            _wikipedia(self.subject),
            _videos(self.subject, topic.lower()),
            Resource(f"Exercises: {topic}", "exercise"),
        ]
        return f"Core block {slot.ordinal}: {topic}", objectives, resources

    def _practice(self, slot: _Slot) -> tuple[str, list[str], list[Resource]]:
        first, last = slot.covers
        blocks = f"core block {last}" if first == last else f"core blocks {first}–{last}"
        topic = _core_topic(self.level, last)[0]
        what = f"{blocks} ({topic})" if first == last else blocks
        if self.level is SkillLevel.BEGINNER:
            label = f"Guided practice {slot.ordinal}: {topic}"
            objectives = [
                f"Complete guided exercises on {what}, checking each answer",
                "Redo every exercise you got wrong without looking at the solution",
            ]
            work = Resource(f"Exercise set: {blocks}", "exercise")
        elif self.level is SkillLevel.INTERMEDIATE:
            label = f"Practice {slot.ordinal}: {blocks}"
            objectives = [
                f"Solve unguided exercises on {what}",
                "Time yourself and note where you slowed down",
            ]
            work = Resource(f"Exercise set: {blocks}", "exercise")
        else:
            label = f"Project sprint {slot.ordinal}: {blocks}"
            objectives = [
                f"Build one piece of a project using {what}",
                "Review your work critically against an expert example",
            ]
            work = Resource(f"Project sprint brief: {blocks}", "project")
        if self.goal:
            objectives.append(f"Apply what you practised towards your goal: {self.goal}")
        else:
            objectives.append("Write down one question to bring to the next session")
        return label, objectives, [work, Resource(f"Your notes from {blocks}", "review")]

    def _review(self, slot: _Slot) -> tuple[str, list[str], list[Resource]]:
        first, last = slot.covers
        kind = "Review and critique" if self.level is SkillLevel.ADVANCED else "Review"
        label = f"{kind} checkpoint {slot.ordinal}: sessions {first}–{last}"
        objectives = [
            f"Recall the main ideas of sessions {first}–{last} from memory, then check notes",
            "Redo the exercises you found hardest",
            {
                SkillLevel.BEGINNER: "List what still feels unclear and revisit it",
                SkillLevel.INTERMEDIATE: "Connect the blocks so far in a one-page summary",
                SkillLevel.ADVANCED: "Critique your earlier work with fresh eyes",
            }[self.level],
        ]
        if self.goal:
            objectives.append(f"Check your progress towards your goal: {self.goal}")
        resources = [
            Resource(f"Your notes from sessions {first}–{last}", "review"),
            Resource("Flashcards with spaced repetition", "tool"),
        ]
        return label, objectives, resources

    def _final_review(self, slot: _Slot) -> tuple[str, list[str], list[Resource]]:
        objectives = [
            f"Summarise everything you learned about {self.s} on one page",
            "Retest yourself on the hardest topics so far",
            "Choose and scope your capstone project",
        ]
        if self.goal:
            objectives.append(f"Make sure the capstone serves your goal: {self.goal}")
        resources = [
            Resource("Your notes from the whole plan", "review"),
            Resource("Capstone brief (one paragraph)", "project"),
        ]
        return "Final review: consolidating before the capstone", objectives, resources

    def _capstone(self, slot: _Slot) -> tuple[str, list[str], list[Resource]]:
        label, build, close = {
            SkillLevel.BEGINNER: (
                "Capstone: a small project from start to finish",
                f"Build a small project that uses the essentials of {self.s}",
                "Present your result to someone and note what to learn next",
            ),
            SkillLevel.INTERMEDIATE: (
                "Capstone: a realistic project",
                f"Build a realistic project in {self.s} that combines several blocks",
                "Document your design choices and what you would do differently",
            ),
            SkillLevel.ADVANCED: (
                "Capstone: an ambitious project with critique",
                f"Deliver an ambitious piece of work in {self.s}",
                "Critique your own work the way an expert reviewer would",
            ),
        }[self.level]
        objectives = [build]
        if self.goal:
            objectives.append(f"Apply {self.s} towards your goal: {self.goal}")
        objectives.append(close)
        about = "case study" if self.level is SkillLevel.ADVANCED else "project ideas"
        resources = [
            Resource(
                f"Capstone project: {shorten(self.subject, SUBJECT_IN_TITLE_MAX)}", "project"
            ),
            _videos(self.subject, about),
        ]
        return label, objectives, resources
