"""The rules of changing a plan: edits touch open sessions only, a hard session's review goes
before the next checkpoint, and /replan's one-line form and new specs."""

from __future__ import annotations

import uuid

import pytest

from domain.learning.model import CurriculumSpec, PlanAction, SkillLevel, StudySession
from domain.learning.plan_edits import (
    apply,
    locate,
    parse_replan,
    replan_specs,
    review_place,
    topics_of,
)
from domain.shared.errors import InvalidInput


def _tail(first: int, *titles: str) -> list[StudySession]:
    return [
        StudySession(uuid.uuid4(), first + i, t, (f"{t} a", f"{t} b", f"{t} c"), f"do {t}", ())
        for i, t in enumerate(titles)
    ]


def _titles(drafts: object) -> list[str]:
    return [d.title for d in drafts]  # type: ignore[attr-defined]


def test_a_completed_session_cannot_be_addressed_by_an_edit() -> None:
    tail = _tail(4, "D", "E")
    with pytest.raises(InvalidInput, match="Session 3 is completed"):
        locate(tail, 4, 3)
    with pytest.raises(InvalidInput, match="ends at session 5"):
        locate(tail, 4, 6)
    assert locate(tail, 4, 5) == 1
    assert locate(tail, 4, tail[0].id) == 0
    with pytest.raises(InvalidInput, match="no longer open"):
        locate(tail, 4, uuid.uuid4())


def test_moving_reorders_the_open_sessions_and_keeps_their_ids() -> None:
    tail = _tail(4, "D", "E", "F")
    drafts, focus, _ = apply(tail, 4, PlanAction.MOVE, 0, other=6)
    assert _titles(drafts) == ["E", "F", "D"] and focus == 2
    assert {d.id for d in drafts} == {s.id for s in tail}
    drafts, focus, _ = apply(tail, 4, PlanAction.MOVE, 1, step=-1)
    assert _titles(drafts) == ["E", "D", "F"] and focus == 0
    with pytest.raises(InvalidInput, match="further"):
        apply(tail, 4, PlanAction.MOVE, 0, step=-1)
    with pytest.raises(InvalidInput, match="completed"):  # nothing moves before a completed one
        apply(tail, 4, PlanAction.MOVE, 0, other=3)


def test_insert_puts_a_new_session_after_the_named_one() -> None:
    drafts, focus, _ = apply(_tail(1, "A", "B"), 1, PlanAction.INSERT, 0, title="  Knots ")
    assert _titles(drafts) == ["A", "Knots", "B"] and focus == 1 and drafts[1].id is None
    with pytest.raises(InvalidInput):
        apply(_tail(1, "A"), 1, PlanAction.INSERT, 0, title="   ")


def test_delete_refuses_the_only_open_session() -> None:
    drafts, _, gone = apply(_tail(1, "A", "B"), 1, PlanAction.DELETE, 0)
    assert _titles(drafts) == ["B"] and gone == "A"
    with pytest.raises(InvalidInput, match="only open session"):
        apply(_tail(1, "A"), 1, PlanAction.DELETE, 0)


def test_merging_two_sessions_keeps_both_objectives_in_the_earlier_place() -> None:
    tail = _tail(2, "B", "C", "D")
    drafts, focus, gone = apply(tail, 2, PlanAction.MERGE, 2, other=2)
    assert _titles(drafts) == ["B + D", "C"] and focus == 0 and gone == "D"
    assert drafts[0].id == tail[0].id
    assert drafts[0].objectives == ("B a", "B b", "B c", "D a", "D b", "D c")
    with pytest.raises(InvalidInput, match="two different"):
        apply(tail, 2, PlanAction.MERGE, 2)  # the last one has no next one
    with pytest.raises(InvalidInput, match="two different"):
        apply(tail, 2, PlanAction.MERGE, 0, other=2)


def test_splitting_shares_out_the_objectives() -> None:
    drafts, _, _ = apply(_tail(1, "A", "B"), 1, PlanAction.SPLIT, 0)
    assert _titles(drafts) == ["A (part 1 of 2)", "A (part 2 of 2)", "B"]
    assert drafts[0].objectives == ("A a", "A b") and drafts[1].objectives == ("A c",)
    assert drafts[1].id is None


def test_a_plan_never_grows_past_365_sessions() -> None:
    with pytest.raises(InvalidInput, match="at most 365"):
        apply(_tail(365, "Last"), 365, PlanAction.SPLIT, 0)


def test_a_review_goes_before_the_next_checkpoint_else_first() -> None:
    tail = _tail(3, "Eigenvalues", "Review checkpoint 1: Matrices", "PCA")
    assert review_place(tail) == 1
    assert review_place(_tail(3, "Eigenvalues", "PCA")) == 0


def test_replan_one_line_form_takes_its_parts_in_any_order() -> None:
    assert parse_replan("20 | advanced | PCA and SVD") == (20, SkillLevel.ADVANCED, "PCA and SVD")
    assert parse_replan("beginner") == (None, SkillLevel.BEGINNER, None)
    assert parse_replan(" travel phrases | 12") == (12, None, "travel phrases")
    for bad in ("", " | ", "10 | 12", "advanced | beginner"):
        with pytest.raises(InvalidInput):
            parse_replan(bad)


def test_replan_plans_only_the_open_sessions_and_tells_the_planner_what_was_done() -> None:
    spec = CurriculumSpec("Linear algebra", 10, 60, SkillLevel.BEGINNER, "PCA", "Python")
    new, rest = replan_specs(spec, ["Vectors", "Matrices"], total=6, level=None, goals=None)
    assert (new.total_sessions, new.level, new.goals) == (6, SkillLevel.BEGINNER, "PCA")
    assert rest.total_sessions == 4
    assert rest.background == "Python\nAlready studied: Vectors; Matrices"
    with pytest.raises(InvalidInput, match="between 3 and 365"):
        replan_specs(spec, ["Vectors", "Matrices"], total=2, level=None, goals=None)


def test_a_syllabus_comes_back_from_the_open_session_titles() -> None:
    titles = [
        "Knots and Sails",
        "Practice: Knots",
        "Tides (part 1 of 2)",
        "Tides (part 2 of 2)",
        "Weather + Navigation",
        "Review checkpoint 1: Knots, Sails",
        "Final project: Navigation and Racing",
    ]
    assert topics_of(titles) == ("Knots", "Sails", "Tides", "Weather", "Navigation", "Racing")


def test_a_review_of_a_review_is_not_titled_review_review() -> None:
    from domain.learning.plan_edits import review_title

    assert review_title("Knots") == "Review: Knots"
    assert review_title("Review: Knots + Sails") == "Review again: Knots + Sails"
