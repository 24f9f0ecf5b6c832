"""Which plan is the current one, through the real handlers and PostgreSQL: /plans marks it,
/switch and opening change it, finishing or archiving moves it on and says so, /plan opens the
page of the next session, and one daily streak counts study in any plan."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.handlers.router import Dispatcher
from tests.support import FakeClock, Learner, user_id


async def statuses(engine: AsyncEngine, learner: Learner) -> dict[str, str]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT subject, status FROM curricula WHERE user_id = :u"),
            {"u": await user_id(engine, learner)},
        )
        return {subject: status for subject, status in rows}


async def three_plans(learner: Learner) -> None:
    """Chess (2 sessions), then Piano, then Go: /plans lists them Go 1, Piano 2, Chess 3."""
    await learner.say("/new Chess | 2 | 30 | advanced")
    await learner.say("/new Piano | 10 | 30 | beginner")
    await learner.say("/new Go | 3 | 30 | beginner")


def line_of(reply: str, title: str) -> str:
    return next(line for line in reply.splitlines() if title in line)


async def test_plans_marks_the_current_plan_and_switch_changes_it(dispatcher: Dispatcher) -> None:
    al = Learner(dispatcher)
    await three_plans(al)
    listed = await al.say("/plans")
    assert "▶" in line_of(listed, "Go (beginner)") and "current" in line_of(listed, "Go")
    assert "▶" not in line_of(listed, "Piano") and "current" not in line_of(listed, "Piano")

    switched = await al.say("/switch 2")
    assert "“Piano (beginner)” is now your current plan" in switched
    assert "▶" in line_of(await al.say("/plans"), "Piano")
    assert "Piano" in await al.say("/next")
    assert "The keyboard" in await al.say("/done")  # Piano's first session

    await al.say("/switch")
    assert al.buttons() == ["Switch to 1. Go (beginner)", "Switch to 3. Chess (advanced)"]
    assert "“Chess (advanced)” is now your current plan" in await al.press(
        "Switch to 3. Chess (advanced)"
    )
    assert "numbered 1–3; you gave 4" in await al.say("/switch 4")


async def test_opening_another_plan_says_it_is_now_current(dispatcher: Dispatcher) -> None:
    bo = Learner(dispatcher)
    await three_plans(bo)
    await bo.say("/plans")
    opened = await bo.press("Open 2. Piano (beginner)")
    assert "“Piano (beginner)” is now your current plan" in opened
    await bo.say("/plans")
    assert "now your current plan" not in await bo.press("Open 2. Piano (beginner)")  # already


async def test_finishing_a_plan_makes_the_next_active_one_current_and_says_so(
    dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    cy = Learner(dispatcher)
    await three_plans(cy)
    await cy.say("/switch 3")
    await cy.say("/done")
    finished = await cy.say("/done")
    assert "You finished “Chess (advanced)”" in finished
    assert "“Go (beginner)” is now your current plan" in finished
    assert "Session 1:" in await cy.say("/next") and "Go (beginner)" in cy.last[0].text
    assert "▶ Go (beginner)" in await cy.say("/plans")
    assert (await statuses(engine, cy))["Chess"] == "completed"


async def test_after_the_last_session_next_points_to_the_other_plans(
    dispatcher: Dispatcher,
) -> None:
    di = Learner(dispatcher)
    await three_plans(di)
    await di.say("/pause")  # Go
    await di.say("/switch 2")
    await di.say("/pause")  # Piano
    await di.say("/switch 3")
    await di.say("/done")
    finished = await di.say("/done")  # Chess finished; no active plan is left to become current
    assert "/next points to your other plans" in finished
    after = await di.say("/next")
    assert "Every session of “Chess (advanced)” is done" in after
    assert "1. Go (beginner), 2. Piano (beginner)" in after
    assert di.buttons() == ["Switch to 1. Go (beginner)", "Switch to 2. Piano (beginner)"]
    assert "“Piano (beginner)” is now your current plan" in await di.press(
        "Switch to 2. Piano (beginner)"
    )


async def test_archiving_moves_on_and_a_second_archive_says_already_archived(
    dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    ed = Learner(dispatcher)
    await three_plans(ed)
    archived = await ed.say("/archive")
    assert "“Go (beginner)” is now archived" in archived
    assert "“Piano (beginner)” is now your current plan" in archived
    again = await ed.say("/archive")
    assert "“Go (beginner)” is already archived" in again
    assert "Your current plan is “Piano (beginner)”" in again
    assert await statuses(engine, ed) == {
        "Go": "archived",
        "Piano": "active",
        "Chess": "active",
    }
    assert "▶ Piano" in await ed.say("/plans")
    assert "The keyboard" in await ed.say("/done")  # Piano: studying it makes it chosen
    assert "“Piano (beginner)” is now archived" in await ed.say("/archive")
    assert "now archived" in await ed.say("/archive 3")  # Chess, by its number
    assert (await statuses(engine, ed))["Chess"] == "archived"
    assert "now active" in await ed.say("/resume 1")
    assert "▶ Go" in await ed.say("/plans")


async def test_plan_opens_the_page_of_the_next_session_and_names_the_real_range(
    dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    fa = Learner(dispatcher)
    await fa.say("/new Go | 12 | 20 | beginner")
    for _ in range(9):
        await fa.say("/done")
    page = await fa.say("/plan")
    assert "page 2 of 2" in page and "⬜ 10." in page
    assert "page 1 of 2" in await fa.say("/plan 1")
    assert "pages 1–2; you asked for page 0" in await fa.say("/plan 0")
    assert "pages 1–2; you asked for page 3" in await fa.say("/plan 3")
    assert "whole number" in await fa.say("/plan abc")
    await fa.say("/new Chess | 2 | 30 | advanced")
    assert "only page 1; you asked for page 2" in await fa.say("/plan 2")
    await fa.say("/plans")
    assert "page 2 of 2" in await fa.press("Open 2. Go (beginner)")  # its next session


async def test_one_daily_streak_counts_any_plan_beside_each_plans_own(
    dispatcher: Dispatcher, clock: FakeClock
) -> None:
    gu = Learner(dispatcher)
    await gu.say("/timezone Europe/Berlin")
    await gu.say("/new Go | 10 | 20 | beginner")
    await gu.say("/new Piano | 10 | 20 | beginner")
    clock.set(datetime(2026, 3, 27, 19, 0, tzinfo=UTC))  # Fri 20:00 in Berlin: Piano
    await gu.say("/done")
    clock.set(datetime(2026, 3, 28, 19, 0, tzinfo=UTC))  # Sat: Go
    await gu.say("/switch 2")
    await gu.say("/done")
    # Sun 29 Mar, the clocks go forward in Berlin; 23:30 local is 21:30 UTC: Piano again.
    clock.set(datetime(2026, 3, 29, 21, 30, tzinfo=UTC))
    await gu.say("/switch 1")
    await gu.say("/done")
    report = await gu.say("/progress")
    assert "Daily streak: 3 days in a row" in report
    assert "no streak yet in this plan" not in report
    piano = report.split("Piano (beginner) (active)")[1].split("\n\n")[0]
    go = report.split("Go (beginner) (active)")[1].split("\n\n")[0]
    assert "1-day streak in this plan" in piano  # Fri and Sun: not consecutive for Piano
    assert "1-day streak in this plan" in go
    listed = await gu.say("/plans")
    assert "Daily streak: 3 days" in listed and "🔥 1-day streak" in line_of(listed, "Piano")

    # Monday: moved to New York, where it is still Sunday evening, so the streak stands; a
    # session there on Monday (local) adds the fourth day.
    await gu.say("/timezone America/New_York")
    clock.set(datetime(2026, 3, 30, 3, 0, tzinfo=UTC))  # Sun 23:00 in New York
    assert "Daily streak: 3 days" in await gu.say("/progress")
    clock.set(datetime(2026, 3, 30, 22, 0, tzinfo=UTC))  # Mon 18:00 in New York: at risk
    assert "ends tonight" in line_of(await gu.say("/progress"), "Daily streak")
    await gu.say("/done")
    assert "Daily streak: 4 days" in await gu.say("/progress")
    clock.set(datetime(2026, 4, 1, 12, 0, tzinfo=UTC))  # Wed: Tuesday was missed
    assert "Daily streak: none yet" in await gu.say("/plans")
