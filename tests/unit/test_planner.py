"""The offline template planner: shape of the plan, progression, level, goals, and limits."""

from __future__ import annotations

import re
from urllib.parse import quote_plus

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.learning.model import CurriculumSpec, PlannedSession, SkillLevel
from domain.learning.phases import Phase, phase_schedule
from domain.learning.planner import RESOURCE_KINDS, TemplatePlanner, shorten

LEVELS = list(SkillLevel)
MINUTES = re.compile(r"(\d+) min\b")
LONG_GOAL = (
    "Automate the weekly sales report at work so that nobody has to copy numbers into "
    "spreadsheets by hand every Monday morning ever again"
)


def make_plan(
    total: int = 12,
    level: SkillLevel = SkillLevel.BEGINNER,
    *,
    subject: str = "Photography",
    minutes: int = 45,
    goals: str | None = None,
    background: str | None = None,
) -> list[PlannedSession]:
    spec = CurriculumSpec(subject, total, minutes, level, goals=goals, background=background)
    return TemplatePlanner().plan(spec)


def numbers_of(phases: list[Phase], wanted: Phase) -> list[int]:
    return [number for number, phase in enumerate(phases, start=1) if phase is wanted]


def text_of(session: PlannedSession) -> str:
    return " ".join((session.title, *session.objectives, session.materials))


# -- count, numbering, determinism ---------------------------------------------------------------


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("total", [1, 2, 3, 7, 30, 365])
def test_plan_has_exactly_n_sessions_numbered_1_to_n(total: int, level: SkillLevel) -> None:
    plan = make_plan(total, level)

    assert [s.number for s in plan] == list(range(1, total + 1))
    assert len(phase_schedule(total, level)) == total


def test_same_spec_gives_the_same_plan_every_time() -> None:
    spec = CurriculumSpec("Jazz piano", 40, 30, SkillLevel.INTERMEDIATE, "Play a gig", "Guitar")

    assert TemplatePlanner().plan(spec) == TemplatePlanner().plan(spec)


def test_every_title_in_a_long_plan_is_distinct() -> None:
    for level in LEVELS:
        titles = [s.title for s in make_plan(365, level)]
        assert len(set(titles)) == 365, level


# -- progression -------------------------------------------------------------------------------


def test_single_session_plan_orients_and_practises() -> None:
    (only,) = make_plan(1, goals="Take sharp portraits", background="I draw a lot")

    assert phase_schedule(1, SkillLevel.BEGINNER) == [Phase.FOCUS]
    assert only.objectives[0].startswith("Skim the key ideas of Photography")
    assert any(o.startswith("Practise") for o in only.objectives)
    assert any("Take sharp portraits" in o for o in only.objectives)
    assert any("I draw a lot" in o for o in only.objectives)


def test_two_session_plan_is_foundations_then_capstone() -> None:
    for level in LEVELS:
        assert phase_schedule(2, level) == [Phase.FOUNDATION, Phase.CAPSTONE]
    first, last = make_plan(2)
    assert first.title.startswith("Getting started")
    assert last.title.startswith("Capstone")


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("total", [2, 3, 4, 5, 7, 30, 365])
def test_last_session_is_the_only_capstone(total: int, level: SkillLevel) -> None:
    phases = phase_schedule(total, level)
    plan = make_plan(total, level)

    assert numbers_of(phases, Phase.CAPSTONE) == [total]
    assert plan[-1].title.startswith("Capstone")
    assert not any(s.title.startswith("Capstone") for s in plan[:-1])


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("total", [2, 3, 7, 30, 365])
def test_plan_starts_with_foundations(total: int, level: SkillLevel) -> None:
    phases = phase_schedule(total, level)

    assert phases[0] is Phase.FOUNDATION
    foundations = numbers_of(phases, Phase.FOUNDATION)
    assert foundations == list(range(1, len(foundations) + 1))  # one unbroken run from 1


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("total", [5, 6, 7, 30, 365])
def test_a_final_review_comes_right_before_the_capstone(total: int, level: SkillLevel) -> None:
    phases = phase_schedule(total, level)

    assert numbers_of(phases, Phase.FINAL_REVIEW) == [total - 1]
    assert make_plan(total, level)[-2].title.startswith("Final review")


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("total", [3, 4])
def test_short_plans_have_a_core_block_and_no_review(total: int, level: SkillLevel) -> None:
    phases = phase_schedule(total, level)

    assert phases[1] is Phase.CORE
    assert Phase.REVIEW not in phases
    assert Phase.FINAL_REVIEW not in phases


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("total", [30, 60, 365])
def test_review_checkpoints_come_every_four_to_six_sessions(total: int, level: SkillLevel) -> None:
    reviews = numbers_of(phase_schedule(total, level), Phase.REVIEW)

    assert len(reviews) >= total // 7
    assert reviews[0] <= 10
    gaps = [later - earlier for earlier, later in zip(reviews, reviews[1:], strict=False)]
    assert all(4 <= gap <= 6 for gap in gaps), gaps


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("total", range(1, 41))
def test_reviews_never_open_a_plan_or_sit_next_to_another_review(
    total: int, level: SkillLevel
) -> None:
    phases = phase_schedule(total, level)
    reviews = numbers_of(phases, Phase.REVIEW) + numbers_of(phases, Phase.FINAL_REVIEW)

    assert 1 not in reviews
    assert all(number + 1 not in reviews for number in reviews)
    for number in numbers_of(phases, Phase.REVIEW):  # something to review since the foundations
        assert Phase.CORE in phases[: number - 1]


@pytest.mark.parametrize("level", LEVELS)
def test_practice_always_follows_the_core_block_it_practises(level: SkillLevel) -> None:
    phases = phase_schedule(365, level)

    for number in numbers_of(phases, Phase.PRACTICE):
        assert phases[number - 2] is Phase.CORE


def test_core_blocks_are_numbered_and_climb_the_topic_ladder() -> None:
    plan = make_plan(30, SkillLevel.BEGINNER)
    cores = [s.title for s in plan if s.title.startswith("Core block")]

    assert cores[0].startswith("Core block 1: Key vocabulary")
    assert cores[1].startswith("Core block 2: Core building blocks")
    assert [int(t.split()[2].rstrip(":")) for t in cores] == list(range(1, len(cores) + 1))


def test_core_blocks_past_the_ladder_go_deeper_in_rounds() -> None:
    cores = [s.title for s in make_plan(365, SkillLevel.ADVANCED) if "Core block" in s.title]

    assert any("Going deeper: first principles — " in t for t in cores)
    assert any("Going deeper: first principles (round 2)" in t for t in cores)


def test_practice_sessions_name_the_blocks_they_practise() -> None:
    plan = make_plan(12, SkillLevel.INTERMEDIATE)
    practice = next(s for s in plan if s.title.startswith("Practice 1"))

    assert "core blocks 1–2" in practice.title
    assert any("core blocks 1–2" in o for o in practice.objectives)


def test_review_checkpoints_name_the_sessions_they_cover() -> None:
    plan = make_plan(30, SkillLevel.BEGINNER)
    reviews = [s for s in plan if s.title.startswith("Review checkpoint")]

    first, second = reviews[0], reviews[1]
    assert f"sessions 1–{plan.index(first)}" in first.title
    assert f"sessions {plan.index(first) + 2}–{plan.index(second)}" in second.title


# -- level ---------------------------------------------------------------------------------------


def test_beginners_get_more_foundations_than_advanced_learners() -> None:
    def foundations(level: SkillLevel) -> int:
        return phase_schedule(30, level).count(Phase.FOUNDATION)

    assert foundations(SkillLevel.BEGINNER) > foundations(SkillLevel.INTERMEDIATE)
    assert foundations(SkillLevel.INTERMEDIATE) > foundations(SkillLevel.ADVANCED) == 1


def test_beginners_practise_more_often_than_advanced_learners() -> None:
    beginner = phase_schedule(60, SkillLevel.BEGINNER)
    advanced = phase_schedule(60, SkillLevel.ADVANCED)

    assert beginner.count(Phase.PRACTICE) > advanced.count(Phase.PRACTICE)
    assert advanced.count(Phase.CORE) > beginner.count(Phase.CORE)


def test_level_changes_titles_and_objectives() -> None:
    plans = {level: make_plan(12, level) for level in LEVELS}

    first_titles = {plan[0].title for plan in plans.values()}
    capstone_titles = {plan[-1].title for plan in plans.values()}
    core_objectives = {
        next(s for s in plan if s.title.startswith("Core block 1")).objectives
        for plan in plans.values()
    }
    assert len(first_titles) == len(capstone_titles) == len(core_objectives) == 3


def test_advanced_learners_do_project_sprints_and_critique() -> None:
    plan = make_plan(12, SkillLevel.ADVANCED)

    assert any(s.title.startswith("Project sprint 1") for s in plan)
    assert any(r.kind == "project" for s in plan for r in s.resources)
    assert "critique" in plan[-1].title.lower()


# -- goals and background ------------------------------------------------------------------------


def test_goals_appear_in_practice_sessions_and_the_capstone() -> None:
    plan = make_plan(12, goals="Sell prints at the local market")
    practices = [s for s in plan if "practice" in s.title.lower()]

    assert practices
    for session in [*practices, plan[-1]]:
        assert any("your goal: Sell prints at the local market" in o for o in session.objectives)


def test_without_goals_no_objective_mentions_a_goal() -> None:
    plan = make_plan(30)

    assert not any("goal" in o for s in plan for o in s.objectives)


def test_long_goals_are_shortened_at_a_word_boundary_with_an_ellipsis() -> None:
    capstone = make_plan(5, goals=LONG_GOAL)[-1]
    (line,) = [o for o in capstone.objectives if "your goal:" in o]
    quoted = line.split("your goal: ", 1)[1]

    assert quoted.endswith("…")
    assert len(quoted) <= 80
    assert LONG_GOAL.startswith(quoted[:-1])
    assert LONG_GOAL[len(quoted) - 1] == " "  # the cut fell between two words


def test_background_shapes_the_first_session_only() -> None:
    plan = make_plan(12, background="Ten years of oil painting")
    mentions = [s.number for s in plan if "Ten years of oil painting" in text_of(s)]

    assert mentions == [1]
    assert "Connect Photography to what you already know: Ten years of oil painting" in (
        plan[0].objectives
    )


def test_blank_goals_and_background_are_ignored() -> None:
    assert make_plan(7, goals="   ", background="\n") == make_plan(7)


# -- limits and formats --------------------------------------------------------------------------


def test_a_200_character_subject_is_shortened_inside_titles() -> None:
    subject = "Quantum " * 24 + "chromodynamics!"  # 207 characters, one long line
    subject = subject[:200]
    plan = make_plan(30, SkillLevel.ADVANCED, subject=subject)

    assert all(len(s.title) <= 255 for s in plan)
    assert all(s.title.endswith("…") for s in plan)


def test_materials_split_long_sessions_with_breaks() -> None:
    long_session = make_plan(3, minutes=240)[1].materials
    short_session = make_plan(3, minutes=45)[1].materials

    assert "Breaks" in long_session
    assert "Breaks" not in short_session
    assert sum(map(int, MINUTES.findall(long_session))) == 240


def test_resource_urls_are_search_links_built_from_the_subject() -> None:
    subject = 'Ελληνικά "quotes" & more'
    urls = [r.url for s in make_plan(7, subject=subject) for r in s.resources if r.url]

    assert f"https://en.wikipedia.org/w/index.php?search={quote_plus(subject)}" in urls
    youtube = [u for u in urls if u.startswith("https://www.youtube.com/results?search_query=")]
    assert youtube
    assert all(quote_plus(subject) in u for u in youtube)
    assert all(" " not in u and '"' not in u for u in urls)


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 10, "short"),
        ("  spaced \n out\ttext ", 20, "spaced out text"),
        ("one two three four five", 12, "one two…"),
        ("a" * 30, 10, "a" * 9 + "…"),
        ("words, then more words", 14, "words, then…"),
    ],
)
def test_shorten_cuts_at_a_word_boundary(text: str, limit: int, expected: str) -> None:
    assert shorten(text, limit) == expected


# -- properties over any valid spec --------------------------------------------------------------

free_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=200
).filter(str.strip)
subjects = st.one_of(
    st.sampled_from(
        [
            "Python 🐍",
            "עברית למתחילים",
            "اللغة العربية",
            'The "Quoted" subject\'s <tags> & 100% min',
            "x",
            "z" * 200,
            "word " * 40,
        ]
    ),
    free_text,
)
optional_text = st.one_of(
    st.none(),
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=2000),
)
specs = st.builds(
    CurriculumSpec,
    subject=subjects.map(str.strip),
    total_sessions=st.one_of(st.integers(1, 12), st.integers(1, 365)),
    session_minutes=st.integers(5, 480),
    level=st.sampled_from(LEVELS),
    goals=optional_text,
    background=optional_text,
)


@settings(max_examples=150, deadline=None)
@given(spec=specs)
def test_every_session_of_any_plan_is_well_formed(spec: CurriculumSpec) -> None:
    plan = TemplatePlanner().plan(spec)

    assert [s.number for s in plan] == list(range(1, spec.total_sessions + 1))
    for session in plan:
        assert 0 < len(session.title.strip()) <= 255
        assert 2 <= len(session.objectives) <= 4
        assert all(o.strip() and o[0].isupper() for o in session.objectives)
        assert session.materials.strip()
        assert 1 <= len(session.resources) <= 3
        for resource in session.resources:
            assert resource.title.strip()
            assert resource.kind in RESOURCE_KINDS
            assert resource.url is None or re.fullmatch(r"https://\S+", resource.url)


@settings(max_examples=300, deadline=None)
@given(
    minutes=st.integers(5, 480),
    total=st.integers(1, 40),
    level=st.sampled_from(LEVELS),
    subject=subjects.map(str.strip),
)
def test_materials_minutes_add_up_exactly_to_the_session_length(
    minutes: int, total: int, level: SkillLevel, subject: str
) -> None:
    plan = make_plan(total, level, subject=subject, minutes=minutes)

    for session in plan:
        parts = [int(m) for m in MINUTES.findall(session.materials)]
        assert len(parts) >= 3
        assert all(part >= 1 for part in parts)
        assert sum(parts) == minutes


@settings(max_examples=100, deadline=None)
@given(spec=specs)
def test_any_plan_is_deterministic(spec: CurriculumSpec) -> None:
    assert TemplatePlanner().plan(spec) == TemplatePlanner().plan(spec)
