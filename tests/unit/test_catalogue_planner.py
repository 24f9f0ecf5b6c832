"""Planning from a catalogue subject: the level's slice, goals first, background reviewed, and
exactly the number of sessions asked for."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.learning.catalogue import CatalogueSubject
from domain.learning.catalogue_planner import plan_subject
from domain.learning.model import CurriculumSpec, SkillLevel


def _topic(key: str, title: str, level: str, requires: tuple[str, ...] = ()) -> dict[str, object]:
    return {
        "key": key,
        "title": title,
        "level": level,
        "requires": requires,
        "objectives": (f"Work three {title.lower()} exercises by hand", "Check them with NumPy"),
        "practice": f"Solve the {title.lower()} problems of the chapter",
        "resources": (
            {
                "title": f"Wikipedia: {title}",
                "kind": "reading",
                "url": "https://en.wikipedia.org/wiki/X",
            },
        ),
    }


LINALG = CatalogueSubject.model_validate(
    {
        "key": "linear-algebra",
        "name": "Linear algebra",
        "area": "mathematics",
        "aliases": ("linalg",),
        "topics": (
            _topic("vectors", "Vectors and span", "beginner"),
            _topic("systems", "Systems of linear equations", "beginner", ("vectors",)),
            _topic("matrices", "Matrix algebra", "beginner", ("vectors",)),
            _topic("determinants", "Determinants", "intermediate", ("matrices",)),
            _topic("spaces", "Vector spaces and bases", "intermediate", ("vectors",)),
            _topic("eigen", "Eigenvalues and eigenvectors", "intermediate", ("determinants",)),
            _topic("orthogonality", "Orthogonality and least squares", "intermediate"),
            _topic("svd", "Singular value decomposition (SVD)", "advanced", ("eigen",)),
            _topic("pca", "Principal component analysis (PCA)", "advanced", ("svd",)),
            _topic("tensors", "Multilinear maps and tensors", "advanced", ("spaces",)),
        ),
    }
)


def spec(sessions: int, level: SkillLevel, **extra: str) -> CurriculumSpec:
    return CurriculumSpec("Linear algebra", sessions, 60, level, **extra)  # type: ignore[arg-type]


@given(
    sessions=st.integers(min_value=1, max_value=365),
    level=st.sampled_from(list(SkillLevel)),
    goals=st.sampled_from([None, "understand PCA and SVD for machine learning", "tensors"]),
)
def test_the_plan_has_exactly_the_sessions_asked_for_with_distinct_titles(
    sessions: int, level: SkillLevel, goals: str | None
) -> None:
    plan = plan_subject(LINALG, spec(sessions, level, **({"goals": goals} if goals else {})))
    assert [s.number for s in plan] == list(range(1, sessions + 1))
    assert len({s.title for s in plan}) == sessions
    assert all(s.objectives and s.materials for s in plan)


@pytest.mark.parametrize("level", list(SkillLevel))
def test_ten_sessions_name_the_subjects_own_topics_never_a_template_slot(
    level: SkillLevel,
) -> None:
    plan = plan_subject(LINALG, spec(10, level))
    titles = [t.title for t in LINALG.topics]
    for session in plan:
        assert any(t in session.title for t in titles), session.title
        assert "Core block" not in session.title and "Orientation" not in session.title


def test_a_beginner_starts_at_the_foundations_and_an_advanced_learner_skips_them() -> None:
    beginner = plan_subject(LINALG, spec(12, SkillLevel.BEGINNER))
    advanced = plan_subject(LINALG, spec(12, SkillLevel.ADVANCED))
    assert beginner[0].title == "Vectors and span"
    assert not any("Vectors and span" in s.title for s in advanced)
    assert advanced[0].title.startswith("Review: ")  # the intermediate topics, briefly


def test_what_the_goal_names_comes_earlier_and_gets_more_sessions() -> None:
    goals = "understand PCA and SVD for machine learning"
    plain = plan_subject(LINALG, spec(16, SkillLevel.INTERMEDIATE))
    aimed = plan_subject(LINALG, spec(16, SkillLevel.INTERMEDIATE, goals=goals))

    def first(plan: list, name: str) -> int:
        return next(s.number for s in plan if name in s.title)

    def count(plan: list, name: str) -> int:
        return sum(name in s.title for s in plan)

    assert first(aimed, "(PCA)") < first(plain, "(PCA)")
    assert first(aimed, "(SVD)") < first(aimed, "(PCA)")  # its prerequisite still comes first
    assert count(aimed, "(PCA)") > count(plain, "(PCA)")
    assert "(PCA)" in aimed[-1].title  # the final project is about the goal


def test_a_goal_beyond_the_level_is_taught_with_its_prerequisites() -> None:
    plan = plan_subject(LINALG, spec(10, SkillLevel.BEGINNER, goals="get to PCA"))
    titles = " | ".join(s.title for s in plan)
    for name in ("Determinants", "Eigenvalues", "(SVD)", "(PCA)"):
        assert name in titles


def test_what_the_background_names_becomes_a_short_review() -> None:
    plan = plan_subject(
        LINALG, spec(12, SkillLevel.BEGINNER, background="I know matrix algebra well")
    )
    assert any(s.title.startswith("Review: ") and "Matrix algebra" in s.title for s in plan)
    assert not any(s.title == "Matrix algebra" for s in plan)


def test_few_sessions_merge_adjacent_topics_and_many_add_practice_reviews_and_a_project() -> None:
    few = plan_subject(LINALG, spec(3, SkillLevel.BEGINNER))
    assert len(few) == 3 and any(" and " in s.title for s in few)
    many = plan_subject(LINALG, spec(40, SkillLevel.BEGINNER))
    assert any(s.title.startswith("Practice: ") for s in many)
    assert any(s.title.startswith("Review checkpoint 1: ") for s in many)
    assert many[-1].title.startswith("Final project: ")


def test_the_session_length_shapes_its_parts() -> None:
    short = plan_subject(LINALG, CurriculumSpec("Linear algebra", 5, 15, SkillLevel.BEGINNER))
    long = plan_subject(LINALG, CurriculumSpec("Linear algebra", 5, 120, SkillLevel.BEGINNER))
    assert "Recap" not in short[0].materials and "Break" in long[0].materials
    assert short[0].resources and short[0].resources[0].url.startswith("https://")
