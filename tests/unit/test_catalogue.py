"""The shipped subject catalogue: it loads and passes its schema, it is as broad as promised,
every subject plans well at every level, and people find subjects however they type them."""

from __future__ import annotations

from collections import Counter
from urllib.parse import urlsplit

import pytest

from domain.learning.catalogue import AREAS, CatalogueSubject, catalogue
from domain.learning.catalogue_planner import plan_subject
from domain.learning.matching import find_subject, spelled
from domain.learning.model import CurriculumSpec, SkillLevel

TEMPLATE_WORDS = ("Core block", "Orientation", "Capstone", "Foundations")


def test_the_catalogue_loads_and_passes_its_schema() -> None:
    assert catalogue()  # load errors raise CatalogueError naming the file and the rule


def test_the_catalogue_covers_at_least_eighty_subjects_across_every_area() -> None:
    subjects = catalogue()
    areas = Counter(s.area for s in subjects)
    assert len(subjects) >= 80, len(subjects)
    assert areas["language"] >= 10, areas
    assert set(areas) == set(AREAS), areas


@pytest.mark.parametrize("subject", catalogue(), ids=lambda s: s.key)
def test_every_subject_spans_the_levels_and_points_to_specific_pages(
    subject: CatalogueSubject,
) -> None:
    levels = {t.level for t in subject.topics}
    assert levels == {"beginner", "intermediate", "advanced"}, levels
    for topic in subject.topics:
        for resource in topic.resources:
            parts = urlsplit(resource.url)
            home = parts.path in ("", "/") and not parts.query
            assert not home or resource.kind in ("course", "book", "tool"), resource.url


@pytest.mark.parametrize("level", list(SkillLevel))
@pytest.mark.parametrize("subject", catalogue(), ids=lambda s: s.key)
def test_a_ten_session_plan_names_the_subjects_own_topics_and_what_the_goal_names(
    subject: CatalogueSubject, level: SkillLevel
) -> None:
    goal_topic = subject.topics[len(subject.topics) // 2]
    spec = CurriculumSpec(subject.name, 10, 45, level, goals=f"get good at {goal_topic.title}")
    plan = plan_subject(subject, spec)
    titles = [s.title for s in plan]
    topic_titles = [t.title for t in subject.topics]
    assert len(set(titles)) == 10
    for title in titles:
        assert any(t in title for t in topic_titles), title
        assert not any(word in title for word in TEMPLATE_WORDS), title
    assert any(goal_topic.title in title for title in titles)
    assert all(r.url and r.url.startswith("https://") for s in plan for r in s.resources)


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("Python", "python"),
        ("pyhton", "python"),
        ("PYTHON 3", "python"),
        ("Python for data analysis", "python"),
        ("linear algerba", "linear-algebra"),
        ("Linear Algebra", "linear-algebra"),
        ("ML", "machine-learning"),
        ("machine lerning", "machine-learning"),
        ("JS", "javascript"),
        ("Spanish for travel", "spanish"),
        ("español", "spanish"),
        ("Deutsch", "german"),
        ("calc", "calculus"),
        ("DSA", "data-structures-algorithms"),
        ("IELTS preparation", "ielts"),
    ],
)
def test_a_subject_is_found_whatever_way_it_is_typed(typed: str, key: str) -> None:
    found = find_subject(typed)
    assert found is not None and found.key == key, (typed, found and found.key)


@pytest.mark.parametrize("typed", ["Underwater basket weaving", "gardening tips", "x", ""])
def test_something_the_catalogue_does_not_hold_is_not_forced_onto_a_subject(typed: str) -> None:
    assert find_subject(typed) is None


def test_a_subject_found_through_a_typo_takes_its_catalogue_name() -> None:
    assert spelled("pyhton") == "Python"
    assert spelled("Spanish for travel") == "Spanish for travel"  # the learner's own words
    assert spelled("Dinghy sailing") == "Dinghy sailing"
