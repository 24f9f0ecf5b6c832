"""Changing a plan through the real handlers, services and PostgreSQL: /plan edit, /replan and
the how-did-it-go tap after /done. Completed sessions never change."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.handlers import payloads
from bot.handlers.base import Button
from bot.handlers.router import Dispatcher
from tests.support import FakeClock, Learner

_SESSIONS = text(
    """SELECT s.session_number, s.title, s.completed_at IS NOT NULL AS done, s.minutes_spent,
              (SELECT count(*) FROM user_notes n WHERE n.session_id = s.id) AS notes, s.id
         FROM sessions s
         JOIN curricula c ON c.id = s.curriculum_id
         JOIN platform_identities i ON i.user_id = c.user_id
        WHERE i.platform = 'terminal' AND i.external_id = :name
        ORDER BY s.session_number"""
)


async def user_of(engine: AsyncEngine, learner: Learner) -> UUID:
    async with engine.connect() as conn:
        user_id = await conn.scalar(
            text("SELECT user_id FROM platform_identities WHERE external_id = :name"),
            {"name": learner.name},
        )
    assert isinstance(user_id, UUID)
    return user_id


async def press_payload(learner: Learner, payload: str) -> str:
    """Press a button carrying ``payload`` (one the learner's chat did not necessarily show)."""
    learner.chat._buttons = [Button("pressed", payload)]
    return await learner.say("#1")


async def sessions(engine: AsyncEngine, learner: Learner) -> list[tuple[object, ...]]:
    async with engine.connect() as conn:
        return [tuple(row) for row in await conn.execute(_SESSIONS, {"name": learner.name})]


async def curriculum(engine: AsyncEngine, learner: Learner) -> tuple[object, ...]:
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    """SELECT c.total_sessions, c.skill_level, c.goals, c.status, c.title
                         FROM curricula c JOIN platform_identities i ON i.user_id = c.user_id
                        WHERE i.external_id = :name"""
                ),
                {"name": learner.name},
            )
        ).one()
    return tuple(row)


async def _started(dispatcher: Dispatcher, clock: FakeClock, done: int) -> Learner:
    """A learner with a 6-session plan of their own topics, ``done`` of them completed: Knots and
    Sails, Tides, Weather, Navigation, Racing, Final project: Navigation + Racing."""
    learner = Learner(dispatcher)
    for answer in (
        "/new",
        "Sailing",
        "1. Knots 2. Sails 3. Tides 4. Weather 5. Navigation 6. Racing",
        "6",
        "30",
        "#1",
        "#1",
    ):
        await learner.say(answer)
    assert "Created" in await learner.say("#1"), learner.last[0].text
    for day in range(done):
        clock.advance(days=1)
        await learner.say(f"/done 20 note {day}")
    return learner


async def test_editing_open_sessions_never_touches_completed_ones(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    ada = await _started(dispatcher, clock, done=2)
    before = await sessions(engine, ada)
    history = before[:2]
    assert [r[2] for r in before] == [True, True, False, False, False, False]

    listed = await ada.say("/plan edit")
    assert "open sessions" in listed and ada.buttons() == ["✎ 3", "✎ 4", "✎ 5", "✎ 6"]
    assert "completed" in await ada.say("/plan edit rename 2 Ropes")
    assert "completed" in await ada.say("/plan edit move 4 1")
    assert "no session 9" in await ada.say("/plan edit delete 9")
    assert "/plan edit rename <n> <title>" in await ada.say("/plan edit twist 3")

    assert "Session 3 is now “Harbour rules”" in await ada.say("/plan edit rename 3 Harbour rules")
    assert "is now session 6" in await ada.say("/plan edit move 3 6")
    assert "Inserted session 4" in await ada.say("/plan edit insert 3 Anchoring")
    assert "Merged" in await ada.say("/plan edit merge 5 6")
    assert "Split session 3" in await ada.say("/plan edit split 3")
    deleted = await ada.say("/plan edit delete 7")
    assert "Deleted “Harbour rules”" in deleted and "has 6 sessions" in deleted

    after = await sessions(engine, ada)
    assert after[:2] == history  # numbers, titles, minutes, notes and ids as they were
    assert [r[0] for r in after] == list(range(1, 7))
    assert [r[1] for r in after[2:]] == [
        "Navigation (part 1 of 2)",
        "Navigation (part 2 of 2)",
        "Anchoring",
        "Racing + Final project: Navigation + Racing",
    ]
    assert (await curriculum(engine, ada))[0] == 6
    assert "Session 3 of 6 done: Navigation (part 1 of 2)" in await ada.say("/done")


async def test_session_buttons_move_merge_and_delete(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    bo = await _started(dispatcher, clock, done=1)
    await bo.say("/plan edit")
    card = await bo.press("✎ 3")
    assert "session 3: Weather" in card and "🗑 Delete" in bo.buttons()
    moved = await bo.press("⬆ Up")
    assert "“Weather” is now session 2" in moved and bo.last[0].edit
    await bo.press("✎ 2")
    merged = await bo.press("⊕ Merge with next")
    assert "Merged “Tides” into session 2: “Weather + Tides”" in merged
    await bo.press("✎ 2")
    delete = bo.payloads()[bo.buttons().index("🗑 Delete")]
    assert "Deleted “Weather + Tides”" in await bo.press("🗑 Delete")
    titles = [r[1] for r in await sessions(engine, bo)]
    assert titles == [
        "Knots + Sails",
        "Navigation",
        "Racing",
        "Final project: Navigation + Racing",
    ]
    # The same Delete pressed again names a session that is gone: nothing else is deleted.
    assert "no longer open" in await press_payload(bo, delete)
    assert [r[1] for r in await sessions(engine, bo)] == titles


async def test_replan_changes_level_goals_and_length_of_the_open_sessions_only(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    cy = Learner(dispatcher)
    await cy.say("/new Linear algebra | 10 | 60 | beginner")
    for _ in range(3):
        clock.advance(days=1)
        await cy.say("/done 45 worked")
    before = await sessions(engine, cy)

    assert "Usage: /replan" in await cy.say("/replan")
    assert "between 4 and 365" in await cy.say("/replan 3")
    assert (await sessions(engine, cy)) == before  # a refused /replan changes nothing

    replanned = await cy.say("/replan 8 | intermediate | understand PCA and SVD")
    assert "Re-planned “Linear algebra (intermediate)”: 8 sessions" in replanned
    assert "3 completed sessions stay" in replanned and "Next: session 4" in replanned
    after = await sessions(engine, cy)
    assert after[:3] == before[:3]
    assert [r[0] for r in after] == list(range(1, 9))
    assert not any(r[2] for r in after[3:])
    open_titles = " ".join(str(r[1]) for r in after[3:])
    assert "Principal component" in open_titles or "PCA" in open_titles
    assert (await curriculum(engine, cy))[:3] == (
        8,
        "intermediate",
        "understand PCA and SVD",
    )
    report = await cy.say("/progress")
    assert "3/8 sessions" in report


async def test_replanning_a_finished_curriculum_reopens_it(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    di = Learner(dispatcher)
    await di.say("/new Chess | 1 | 30 | advanced")
    assert "You finished" in await di.say("/done")
    assert "nothing to edit" in await di.say("/plan edit")
    assert "Next: session 2" in await di.say("/replan 3")
    assert (await curriculum(engine, di))[3] == "active"
    assert "Session 2 of 3 done" in await di.say("/done")


async def test_a_hard_session_gets_a_review_before_the_next_checkpoint(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    ed = Learner(dispatcher)
    await ed.say("/new Linear algebra | 30 | 60 | beginner")
    titles = [str(r[1]) for r in await sessions(engine, ed)]
    checkpoint = next(i for i, t in enumerate(titles) if "checkpoint" in t.lower()) + 1
    assert checkpoint > 2

    done = await ed.say("/done")
    assert "How did it go?" in done and ed.buttons() == [
        "😌 Easy",
        "🙂 Fine",
        "😓 Hard",
        "🃏 Make review cards",
    ]
    reply = await ed.press("😓 Hard")
    assert f"added a review as session {checkpoint}" in reply
    assert f"before “{titles[checkpoint - 1]}”" in reply
    after = await sessions(engine, ed)
    assert after[checkpoint - 1][1] == f"Review: {titles[0]}"
    assert after[checkpoint][1] == titles[checkpoint - 1] and len(after) == 31

    assert "already in your plan" in await ed.say(f"#{3}")  # the same tap again: once only
    assert len(await sessions(engine, ed)) == 31

    await ed.say("/done")
    assert "Easy" in await ed.press("😌 Easy")
    assert len(await sessions(engine, ed)) == 31  # easy and fine change nothing


async def test_a_hard_session_without_a_checkpoint_ahead_is_reviewed_next(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    fi = await _started(dispatcher, clock, done=1)
    reply = await fi.press("😓 Hard")
    assert "review as session 2, before “Tides”" in reply
    assert [r[1] for r in (await sessions(engine, fi))[:3]] == [
        "Knots + Sails",
        "Review: Knots + Sails",
        "Tides",
    ]
    assert "Session 2 of 7 done: Review: Knots + Sails" in await fi.say("/done")


async def test_nobody_edits_or_rates_another_learners_plan(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    gu = await _started(dispatcher, clock, done=1)
    before = await sessions(engine, gu)
    done_id, open_id = before[0][5], before[1][5]
    ha = Learner(dispatcher)
    await ha.say("/new Piano | 3 | 30 | beginner")
    ha_id = await user_of(engine, ha)
    # Buttons addressed to ha, naming gu's sessions: the service refuses them.
    hard = payloads.encode(ha_id, "hw", "h", done_id.hex)
    assert "not one of your completed sessions" in await press_payload(ha, hard)
    delete = payloads.encode(ha_id, "px", "x", open_id.hex)
    assert "no longer open" in await press_payload(ha, delete)
    assert "meant for someone else" in await press_payload(ha, gu.payloads()[0])
    assert await sessions(engine, gu) == before


async def test_replanning_the_learners_own_syllabus_keeps_their_topics(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    ju = await _started(dispatcher, clock, done=2)
    assert "8 sessions" in await ju.say("/replan 8 | reach the next harbour")
    titles = [str(r[1]) for r in await sessions(engine, ju)]
    assert titles[:2] == ["Knots + Sails", "Tides"]
    assert len(titles) == 8 and not [t for t in titles if "Core block" in t]
    assert {"Weather", "Navigation", "Racing"} <= {t for t in titles[2:]}
