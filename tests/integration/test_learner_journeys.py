"""Learner journeys through the real handlers, services and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.handlers.router import Dispatcher
from tests.support import FakeClock, Learner, snapshot


async def progress_row(engine: AsyncEngine, learner: Learner) -> dict[str, object]:
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    """SELECT p.* FROM user_progress p
                        JOIN platform_identities i ON i.user_id = p.user_id
                       WHERE i.platform = 'terminal' AND i.external_id = :name
                       ORDER BY p.created_at DESC LIMIT 1"""
                ),
                {"name": learner.name},
            )
        ).one()
    return dict(row._mapping)


async def test_a_learner_plans_studies_and_sees_progress(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    ada = Learner(dispatcher)
    assert "Syllabot" in await ada.say("/start")
    assert "Europe/Berlin" in await ada.say("/timezone europe/berlin")

    assert "step 1 of 6" in await ada.say("/new")
    assert "step 2" in await ada.say("Spanish 🇪🇸")
    assert "from 1 to 365" in await ada.say("0")  # refused, same step asked again
    assert "step 2" in ada.last[-1].text
    assert "step 3" in await ada.say("10")
    assert "What is your level?" in await ada.say("45")
    assert ada.buttons() == ["Beginner", "Intermediate", "Advanced", "◀ Back", "✖ Cancel"]
    assert "step 5" in await ada.say("#1")
    assert "step 6" in await ada.say("order food in Madrid")
    assert ada.buttons() == ["Skip", "◀ Back", "✖ Cancel"]
    created = await ada.say("#1")
    assert "Created “Spanish 🇪🇸 (beginner)”: 10 sessions × 45 min" in created

    page = await ada.say("/plan")
    assert "page 1 of 2" in page and "⬜ 1." in page
    assert "page 2 of 2" in await ada.say("#1")  # Next ▶
    assert ada.last[0].edit

    nxt = await ada.say("/next")
    assert "Session 1:" in nxt and "Objectives:" in nxt

    done = await ada.say("/done 30 learned greetings <b>&</b>")
    assert "Session 1 of 10 done" in done and "1-day streak" in done and "Note saved" in done
    row = await progress_row(engine, ada)
    assert (row["sessions_completed"], row["total_time_spent"], row["current_streak"]) == (
        1,
        30,
        1,
    )

    clock.advance(days=1)
    assert "2-day streak" in await ada.say("/done")  # default minutes: 45
    row = await progress_row(engine, ada)
    assert (row["sessions_completed"], row["total_time_spent"]) == (2, 75)

    assert "Noted on session 2" in await ada.say("/note verbs are hard")
    notes = await ada.say("/notes")
    assert "verbs are hard" in notes and "learned greetings <b>&</b>" in notes

    report = await ada.say("/progress")
    assert "2/10 sessions · 20%" in report and "1 h 15 min" in report
    assert "Europe/Berlin" in report

    undone = await ada.say("/undo")
    assert "Undone: session 2" in undone and "Streak now 1" in undone
    row = await progress_row(engine, ada)
    assert (row["sessions_completed"], row["total_time_spent"], row["current_streak"]) == (
        1,
        30,
        1,
    )


async def test_one_line_new_and_finishing_the_last_session_completes_the_curriculum(
    dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    bo = Learner(dispatcher)
    assert "Created" in await bo.say("/new Chess | 2 | 30 | advanced | win a club game")
    await bo.say("/done")
    finished = await bo.say("/done")
    assert "You finished" in finished
    assert "already done" in await bo.say("/done")
    async with engine.connect() as conn:
        status = await conn.scalar(
            text(
                "SELECT c.status FROM curricula c JOIN platform_identities i "
                "ON i.user_id = c.user_id WHERE i.external_id = :n"
            ),
            {"n": bo.name},
        )
    assert status == "completed"
    assert "Undone" in await bo.say("/undo")
    assert "active" in await bo.say("/plans")


async def test_streak_counts_local_days_across_the_spring_forward_in_new_york(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    cy = Learner(dispatcher)
    await cy.say("/timezone America/New_York")
    await cy.say("/new Piano | 10 | 30 | beginner")
    # 21:30 local on Sat 7 Mar (EST), Sun 8 Mar (EDT, after the jump) and Mon 9 Mar.
    for moment in (
        datetime(2026, 3, 8, 2, 30, tzinfo=UTC),
        datetime(2026, 3, 9, 1, 30, tzinfo=UTC),
        datetime(2026, 3, 10, 1, 30, tzinfo=UTC),
    ):
        clock.set(moment)
        reply = await cy.say("/done")
    assert "3-day streak" in reply
    clock.set(datetime(2026, 3, 10, 15, 0, tzinfo=UTC))  # Tue 11:00 local: at risk
    assert "streak ends tonight" in await cy.say("/progress")
    clock.set(datetime(2026, 3, 11, 15, 0, tzinfo=UTC))  # Wed: a day was missed
    assert "no streak yet" in await cy.say("/progress")
    assert "1-day streak" in await cy.say("/done")


async def test_changing_time_zone_keeps_a_streak_kept_on_local_days(
    dispatcher: Dispatcher, clock: FakeClock
) -> None:
    di = Learner(dispatcher)
    await di.say("/timezone Europe/Berlin")
    await di.say("/new Go | 5 | 30 | intermediate")
    clock.set(datetime(2026, 6, 1, 21, 0, tzinfo=UTC))  # Mon 23:00 in Berlin
    await di.say("/done")
    await di.say("/timezone Asia/Tokyo")
    clock.set(datetime(2026, 6, 2, 11, 0, tzinfo=UTC))  # Tue 20:00 in Tokyo
    assert "2-day streak" in await di.say("/done")


async def test_undo_is_refused_after_24_hours(dispatcher: Dispatcher, clock: FakeClock) -> None:
    ed = Learner(dispatcher)
    await ed.say("/new Go | 5 | 30 | beginner")
    await ed.say("/done")
    clock.advance(hours=24, minutes=1)
    assert "more than 24 hours ago" in await ed.say("/undo")
    assert "1/5" in await ed.say("/progress")


async def test_pause_resume_archive(dispatcher: Dispatcher) -> None:
    fe = Learner(dispatcher)
    await fe.say("/new Go | 5 | 30 | beginner")
    assert "now paused" in await fe.say("/pause")
    assert "paused" in await fe.say("/done") and "/resume" in fe.last[0].text
    assert "already paused" in await fe.say("/pause")
    assert "now active" in await fe.say("/resume")
    assert "now archived" in await fe.say("/archive")
    assert "archived. /resume it first" in await fe.say("/done")  # it stays the one named
    assert "archived" in await fe.say("/plans")
    await fe.say("#1")  # open the archived curriculum again
    assert "archived. /resume it first" in await fe.say("/done")
    assert "now active" in await fe.say("/resume")
    assert "Session 1 of 5 done" in await fe.say("/done")


async def test_concurrent_dones_of_one_learner_count_each_session_once(
    dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    gu = Learner(dispatcher)
    await gu.say("/new Go | 5 | 20 | beginner")
    replies = await asyncio.gather(*(gu.chat.enter("/done") for _ in range(12)))
    texts = [r[0].text for r in replies]
    assert sum("done:" in t for t in texts) == 5
    row = await progress_row(engine, gu)
    assert (row["sessions_completed"], row["total_time_spent"]) == (5, 100)
    async with engine.connect() as conn:
        completed = await conn.scalar(
            text(
                "SELECT count(*) FROM sessions s JOIN user_progress p "
                "ON p.curriculum_id = s.curriculum_id WHERE p.id = :id "
                "AND s.completed_at IS NOT NULL"
            ),
            {"id": row["id"]},
        )
    assert completed == 5


BAD_INPUTS = [
    ("/new | 0 | -5 | expert", "can't be empty"),
    ("/new " + "x" * 9_000 + " | 3 | 30 | beginner", "too long"),
    ("/timezone Mars/Base", "not a time zone"),
    ("/done", "no curriculum"),
    ("/undo", "no completed session"),
    ("/frobnicate", "I don't know"),
    ("/new Robert'); DROP TABLE users;-- | 3 | x | beginner", "from 5 to 480 minutes"),
    ("/plan abc", "whole number"),
    ("مرحبا 👋 שלום", "/help"),
    ("x" * 10_001, "too long"),
    ("#7", ""),  # no such button: the adapter says so, nothing is sent
]


@pytest.mark.parametrize(("line", "expected"), BAD_INPUTS)
async def test_bad_input_gets_a_clear_message_and_changes_nothing(
    dispatcher: Dispatcher, engine: AsyncEngine, line: str, expected: str
) -> None:
    ha = Learner(dispatcher)
    await ha.say("/start")
    before = await snapshot(engine)
    reply = await ha.say(line)
    assert expected in reply
    assert "Traceback" not in reply and "Error" not in reply
    assert await snapshot(engine) == before


async def test_forged_stale_and_foreign_buttons_change_nothing(
    dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    owner, other = Learner(dispatcher), Learner(dispatcher)
    await owner.say("/new Go | 12 | 30 | beginner")
    await other.say("/start")
    await owner.say("/plans")
    open_payload = owner.payloads()[0]
    before = await snapshot(engine)

    from bot.handlers.base import Incoming

    async def press(learner: Learner, payload: str) -> str:
        replies = await dispatcher.handle(Incoming(learner.chat._identity, payload=payload))
        return replies[0].text

    assert "meant for someone else" in await press(other, open_payload)
    tag = open_payload.split(":")[1]
    forged_for_other = open_payload.replace(tag, other_tag := (await _tag(other, dispatcher)))
    assert other_tag != tag
    assert "can't find that curriculum" in await press(other, forged_for_other)
    for forged in ("", "garbage", "2:" + open_payload[2:], open_payload + ":extra:parts:x" * 9):
        assert "Nothing was changed" in await press(owner, forged)
    assert "isn't valid" in await press(owner, open_payload.replace(":co:", ":zz:"))
    # A wizard button from a finished wizard is stale.
    await owner.say("/new")
    await owner.say("Go")
    await owner.say("3")
    await owner.say("30")
    level_button = owner.payloads()[0]
    await owner.say("/cancel")
    after_cancel = await snapshot(engine)
    assert "expired" in await press(owner, level_button)
    assert await snapshot(engine) == after_cancel
    before["conversation_states"] = after_cancel["conversation_states"]
    assert after_cancel == before


async def _tag(learner: Learner, dispatcher: Dispatcher) -> str:
    await learner.say("/timezone Mars/Base")  # offers buttons carrying the learner's tag
    return learner.payloads()[0].split(":")[1]


async def test_a_subject_outside_the_catalogue_is_planned_from_the_learners_own_topics(
    dispatcher: Dispatcher,
) -> None:
    jo = Learner(dispatcher)
    await jo.say("/new")
    asked = await jo.say("Dinghy sailing")
    assert "step 2 of 7" in asked and "List what you want to cover" in asked
    assert "step 3 of 7" in await jo.say("1. Knots 2. Rigging the boat 3) Tacking and gybing")
    for answer in ("4", "30", "#1"):  # sessions, minutes, Beginner
        await jo.say(answer)
    await jo.say("#1")  # no goals
    created = await jo.say("#1")  # no background
    assert "planned from your own topics, in your order" in created
    plan = await jo.say("/plan")
    assert plan.index("Knots") < plan.index("Rigging the boat") < plan.index("Tacking")
    assert "Core block" not in plan


async def test_a_skipped_syllabus_says_the_plan_is_general_and_a_known_subject_needs_none(
    dispatcher: Dispatcher,
) -> None:
    ki = Learner(dispatcher)
    general = await ki.say("/new Dinghy sailing | 4 | 30 | beginner")
    assert "general structure" in general and "list the topics" in general
    known = await ki.say("/new pyhton | 4 | 30 | beginner")  # a typo of a catalogue subject
    assert "planned from my notes on this subject" in known
    assert "Created “Python (beginner)”" in known  # called by its name, not the typo
    await ki.say("/new")
    assert "step 2 of 6" in await ki.say("Linear algebra")  # no topics step: I know it
