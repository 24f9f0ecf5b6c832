"""The phases of a planned curriculum and the topics of its core blocks."""

from __future__ import annotations

from enum import StrEnum

from domain.learning.model import SkillLevel


class Phase(StrEnum):
    """What a session is for; ``phase_schedule`` decides the order."""

    FOCUS = "focus"  # the only session of a one-session plan
    FOUNDATION = "foundation"
    CORE = "core"
    PRACTICE = "practice"
    REVIEW = "review"
    FINAL_REVIEW = "final_review"
    CAPSTONE = "capstone"


_FOUNDATIONS = {  # (one foundation session per this many sessions, at most this many)
    SkillLevel.BEGINNER: (6, 6),
    SkillLevel.INTERMEDIATE: (10, 3),
    SkillLevel.ADVANCED: (1, 1),
}


REVIEW_AFTER = 4  # a review checkpoint is due once this many sessions followed the last one
_CORE_BLOCKS_PER_PRACTICE = {
    SkillLevel.BEGINNER: 1,
    SkillLevel.INTERMEDIATE: 2,
    SkillLevel.ADVANCED: 2,
}


def phase_schedule(total_sessions: int, level: SkillLevel) -> list[Phase]:
    """The phase of each session, index 0 being session 1 (see the module docstring)."""
    n = total_sessions
    if n == 1:
        return [Phase.FOCUS]
    if n == 2:
        return [Phase.FOUNDATION, Phase.CAPSTONE]

    per, most = _FOUNDATIONS[level]
    foundations = max(1, min(most, n // per))
    final_review = n - 1 if n >= 5 else None
    blocks_per_practice = _CORE_BLOCKS_PER_PRACTICE[level]

    phases: list[Phase] = []
    blocks_since_practice = sessions_since_review = 0
    for number in range(1, n + 1):
        if number <= foundations:
            phase = Phase.FOUNDATION
        elif number == n:
            phase = Phase.CAPSTONE
        elif number == final_review:
            phase = Phase.FINAL_REVIEW
        elif blocks_since_practice == blocks_per_practice:  # never split a block from its practice
            phase = Phase.PRACTICE
            blocks_since_practice = 0
        elif sessions_since_review >= REVIEW_AFTER and foundations + 2 < number < n - 2:
            phase = Phase.REVIEW
        else:
            phase = Phase.CORE
            blocks_since_practice += 1
        sessions_since_review = 0 if phase is Phase.REVIEW else sessions_since_review + 1
        phases.append(phase)
    return phases


# (title, first objective); "{s}" is the subject.
_LADDERS: dict[SkillLevel, tuple[tuple[str, str], ...]] = {
    SkillLevel.BEGINNER: (
        (
            "Key vocabulary and mental models",
            "Define the key terms of {s} and sketch how they fit",
        ),
        ("Core building blocks", "Name the core building blocks of {s} and what each one does"),
        ("Combining the building blocks", "Combine two building blocks of {s} in a small example"),
        ("Common patterns", "Recognise three common patterns in {s} and when to use them"),
        ("Realistic problems", "Solve a realistic beginner problem in {s} step by step"),
        ("Troubleshooting and common mistakes", "List the mistakes beginners make in {s}"),
        ("Learning from good examples", "Read a good example of {s} and explain why it works"),
        ("Speed and confidence", "Repeat the basics of {s} until they feel automatic"),
    ),
    SkillLevel.INTERMEDIATE: (
        ("Core building blocks in depth", "Explain how the building blocks of {s} interact"),
        ("Common patterns and when to use them", "Choose the right pattern in {s} for a task"),
        ("Realistic problems", "Solve a realistic, open-ended problem in {s}"),
        ("Troubleshooting and common mistakes", "Diagnose a broken example of {s} and fix it"),
        ("Trade-offs and design choices", "Compare two approaches in {s} and justify a choice"),
        ("Tools and workflows of practitioners", "Adopt one practitioner workflow for {s}"),
    ),
    SkillLevel.ADVANCED: (
        ("Edge cases of the fundamentals", "Probe the edge cases of the fundamentals of {s}"),
        ("Advanced patterns and trade-offs", "Weigh advanced patterns in {s} against each other"),
        ("Quality, performance and scale", "Assess a piece of {s} work for quality and scale"),
        ("Critiquing expert work", "Critique an expert's work in {s} point by point"),
        ("Open problems and current debates", "Summarise an open debate in {s} and take a side"),
        ("Explaining the hard parts", "Explain the hardest idea in {s} to a newcomer"),
    ),
}


_DEEPER_AREAS = (
    "first principles",
    "real-world case studies",
    "tools and workflows",
    "edge cases and failure modes",
    "history and context",
    "current practice and research",
)


def _core_topic(level: SkillLevel, block: int) -> tuple[str, str]:
    """Title and first objective of core block ``block`` (1-based)."""
    ladder = _LADDERS[level]
    if block <= len(ladder):
        return ladder[block - 1]
    extra = block - len(ladder) - 1
    area = _DEEPER_AREAS[extra % len(_DEEPER_AREAS)]
    rounds = extra // len(_DEEPER_AREAS) + 1
    title = f"Going deeper: {area}" + (f" (round {rounds})" if rounds > 1 else "")
    return title, f"Explore {area} in {{s}} and write down three insights"


# (title, first objective) of foundation sessions 2, 3, ...; "{s}" is the subject.
_MORE_FOUNDATIONS: dict[SkillLevel, tuple[tuple[str, str], ...]] = {
    SkillLevel.BEGINNER: (
        ("Key terms and first concepts", "Learn the first key terms of {s} and use each one"),
        ("The essential tools", "Set up and try the essential tools for {s}"),
        ("First guided exercises", "Complete your first guided exercises in {s}"),
        ("Reading simple examples", "Read simple examples of {s} and explain each step"),
        ("Consolidating the basics", "Retell the basics of {s} from memory"),
    ),
    SkillLevel.INTERMEDIATE: (
        ("Core concepts revisited", "Revisit the core concepts of {s} and fix the shaky ones"),
        ("Filling the gaps", "Close the gaps in {s} you found during orientation"),
    ),
    SkillLevel.ADVANCED: (),
}
