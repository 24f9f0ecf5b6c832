"""Fair streaks and weekly goals end to end: vacations pause reminders and end with /done, a
freeze covers a missed day and is announced, the goal reminder comes only when the goal is at
risk, and the learner's week starts on their day, in their zone, across DST."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.integration.test_reminder_delivery import World as ReminderWorld
from tests.support import Learner, private_database


@pytest.fixture(scope="module")
async def engine(server_url: str) -> AsyncIterator[AsyncEngine]:
    """This module's own database: the workers here claim every due row."""
    async with private_database(server_url) as engine:
        yield engine


def utc(text_: str) -> datetime:
    return datetime.fromisoformat(text_).replace(tzinfo=UTC)


class World(ReminderWorld):
    """A dispatcher, a worker with a recording phone, and a clock the test moves."""

    async def vacations(self, person: Learner) -> list[tuple[date, date, bool]]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                text(
                    "SELECT starts_on, ends_on, ended_early_at IS NOT NULL FROM vacations"
                    " WHERE user_id = :u ORDER BY starts_on"
                ),
                {"u": await self.user_id(person)},
            )
            return [(a, b, ended) for a, b, ended in rows]


STUDYING = "/new Python | 40 | 30 | beginner"


async def test_a_vacation_pauses_study_and_streak_reminders_and_keeps_the_streak(
    engine: AsyncEngine,
) -> None:
    world = World(engine, utc("2026-06-01 08:00"))  # Monday, 10:00 in Berlin
    ann = await world.learner("Europe/Berlin", STUDYING, "/remind 19:00", "/done")
    world.clock.set(utc("2026-06-02 07:00"))  # Tuesday morning
    said = await ann.say("/vacation 3d")
    assert "Vacation from Tue 02 Jun to Thu 04 Jun (3 days" in said

    await world.live_until(ann, utc("2026-06-05 20:00"))  # Friday 22:00 Berlin
    study = [at for at, _ in world.phone.of(ann, "Time to study")]
    streak = [at for at, _ in world.phone.of(ann, "streak")]
    assert study == [utc("2026-06-05 17:00")]  # Tuesday to Thursday: paused
    assert streak == [utc("2026-06-05 18:00")]
    assert "1-day streak" in world.phone.of(ann, "streak")[0][1]
    assert "Daily streak: 1 day" in await ann.say("/progress")  # neither grew nor broke


async def test_a_vacation_cannot_start_in_the_past_and_a_vacation_today_does_not_save_yesterday(
    engine: AsyncEngine,
) -> None:
    world = World(engine, utc("2026-06-01 08:00"))
    ann = await world.learner("Europe/Berlin", STUDYING, "/done")
    world.clock.set(utc("2026-06-03 08:00"))  # Wednesday: Tuesday was missed
    refused = await ann.say("/vacation 2026-06-02 to 2026-06-05")
    assert "can't start in the past" in refused
    assert await world.vacations(ann) == []
    await ann.say("/vacation 3d")
    assert "no streak yet" in await ann.say("/progress")  # Tuesday is not forgiven


async def test_done_during_a_vacation_ends_it_and_says_so(engine: AsyncEngine) -> None:
    world = World(engine, utc("2026-06-01 08:00"))
    ann = await world.learner("Europe/Berlin", STUDYING, "/done", "/vacation 5d")
    assert await world.vacations(ann) == [(date(2026, 6, 1), date(2026, 6, 5), False)]
    world.clock.set(utc("2026-06-03 08:00"))  # Wednesday
    done = await ann.say("/done")
    assert "that session ended your vacation" in done and "2-day streak" in done
    assert await world.vacations(ann) == [(date(2026, 6, 1), date(2026, 6, 2), True)]
    assert "Vacation" not in await ann.say("/progress")
    world.clock.set(utc("2026-06-04 08:00"))
    assert "ended your vacation" not in await ann.say("/done")  # said once
    await world.live_until(ann, utc("2026-06-05 20:00"))
    assert [at for at, _ in world.phone.of(ann, "streak")] == [utc("2026-06-05 18:00")]


async def test_vacation_off_ends_it_and_reminders_come_back(engine: AsyncEngine) -> None:
    world = World(engine, utc("2026-06-01 08:00"))
    ann = await world.learner(
        "Europe/Berlin", STUDYING, "/done", "/vacation 2026-06-02 to 2026-06-09"
    )
    world.clock.set(utc("2026-06-03 08:00"))
    assert "Vacation over" in await ann.say("/vacation off")
    assert await world.vacations(ann) == [(date(2026, 6, 2), date(2026, 6, 2), True)]
    assert "no vacation" in await ann.say("/vacation off")
    await world.live_until(ann, utc("2026-06-03 20:00"))
    assert [at for at, _ in world.phone.of(ann, "streak")] == [utc("2026-06-03 18:00")]


async def test_a_freeze_covers_a_missed_day_and_the_next_replies_say_so(
    engine: AsyncEngine,
) -> None:
    world = World(engine, utc("2026-06-01 08:00"))  # Monday
    ann = await world.learner("Europe/Berlin", STUDYING)
    for _ in range(7):  # Monday 1 to Sunday 7 June
        await ann.say("/done")
        world.clock.advance(days=1)
    assert "1 streak freeze held" in await ann.say("/progress")
    world.clock.advance(days=1)  # Monday 8 June missed: now Tuesday 9 June
    report = await ann.say("/progress")
    assert "A streak freeze covered Monday" in report and "Daily streak: 7 days" in report
    assert "No streak freeze held" in report
    done = await ann.say("/done")
    assert "A streak freeze covered Monday" in done and "8-day streak" in done
    again = await ann.say("/done")  # the same day: the history is not read again
    assert "8-day streak" in again and "covered" not in again
    world.clock.advance(days=1)
    assert "covered" not in await ann.say("/done")  # announced once
    assert "9-day streak" in ann.last[0].text


async def test_without_a_freeze_the_streak_warning_says_it_ends_and_with_one_it_is_covered(
    engine: AsyncEngine,
) -> None:
    world = World(engine, utc("2026-06-01 08:00"))
    ann = await world.learner("Europe/Berlin", STUDYING)
    for _ in range(7):
        await ann.say("/done")
        world.clock.advance(days=1)
    await world.live_until(ann, utc("2026-06-08 20:00"))  # Monday 8 June, nothing done yet
    (warning,) = [text_ for _, text_ in world.phone.of(ann, "streak")]
    assert "or it uses one of your 1 streak freeze" in warning


async def goal_reminders(world: World, person: Learner) -> list[tuple[datetime, str]]:
    return world.phone.of(person, "🎯")


async def test_the_goal_reminder_comes_two_days_before_the_week_ends_only_when_at_risk(
    engine: AsyncEngine,
) -> None:
    world = World(engine, utc("2026-06-01 06:00"))  # Monday 08:00 in Berlin
    behind = await world.learner("Europe/Berlin", STUDYING, "/goal 150m", "/done 30")
    on_track = await world.learner("Europe/Berlin", STUDYING, "/goal 150m", "/done 110")
    await world.live_until(behind, utc("2026-06-07 21:00"))
    await world.live_until(on_track, utc("2026-06-07 21:00"))
    sent = await goal_reminders(world, behind)
    assert [at for at, _ in sent] == [utc("2026-06-06 16:00")]  # Saturday 18:00 Berlin
    assert "30/150 min" in sent[0][1] and "120 min to go" in sent[0][1]
    assert await goal_reminders(world, on_track) == []  # 110 of 150 by Saturday: on pace


async def test_the_goal_reminder_keeps_quiet_hours_mute_and_its_switch(
    engine: AsyncEngine,
) -> None:
    world = World(engine, utc("2026-06-01 06:00"))
    quiet = await world.learner(
        "Europe/Berlin", STUDYING, "/goal 4 sessions", "/quiet 17:00-23:00"
    )
    muted = await world.learner("Europe/Berlin", STUDYING, "/goal 4 sessions", "/mute 7d")
    off = await world.learner("Europe/Berlin", STUDYING, "/goal 4 sessions")
    assert "Weekly goal at risk: on at 18:00" in await off.say("/settings")
    assert "Weekly goal at risk: off" in await off.press("Goal off")
    assert "Goal on" in off.buttons()
    for person in (quiet, muted, off):
        await world.live_until(person, utc("2026-06-07 21:00"))
    (sent,) = await goal_reminders(world, quiet)
    assert sent[0] == utc("2026-06-06 21:00")  # after the quiet hours, still Saturday
    assert "0/4 sessions" in sent[1]
    assert await goal_reminders(world, muted) == []
    assert await goal_reminders(world, off) == []


async def test_the_week_starts_on_the_learners_day_in_their_zone_across_dst(
    engine: AsyncEngine,
) -> None:
    # Berlin falls back on Sunday 25 October 2026 (03:00 CEST -> 02:00 CET). The week starts
    # on Sunday: a session at 23:30 on Saturday is last week's, one at 00:30 on Sunday (CEST,
    # still Saturday 22:30 in UTC) this week's.
    world = World(engine, utc("2026-10-24 21:30"))  # Saturday 23:30 CEST
    ann = await world.learner("Europe/Berlin", STUDYING, "/goal 2h", "/goal week starts sunday")
    await ann.say("/done 45")
    world.clock.set(utc("2026-10-24 22:30"))  # Sunday 00:30 CEST
    await ann.say("/done 30")
    report = await ann.say("/progress")
    assert "This week (Sun 25 Oct – Sat 31 Oct): ▓▓░░░░░░░░ 30/120 min" in report
    await world.live_until(ann, utc("2026-10-31 22:00"))
    sent = await goal_reminders(world, ann)
    assert [at for at, _ in sent] == [utc("2026-10-30 17:00")]  # Friday 18:00 CET


async def test_vacation_and_goal_in_the_terminal_chat(engine: AsyncEngine) -> None:
    # ``syllabot chat`` reading piped lines, as a person at the terminal would type them.
    import io

    from bot.adapters.terminal import TerminalChat

    world = World(engine, utc("2026-06-03 10:00"))  # Wednesday
    out = io.StringIO()
    lines = "\n".join(
        [
            "/timezone Europe/Berlin",
            STUDYING,
            "/goal 2h",
            "/done 45",
            "/vacation 2026-06-10 to 2026-06-12",
            "/progress",
            "/vacation yesterday",
        ]
    )
    chat = TerminalChat(world.dispatcher, "terminal-habits", stdin=io.StringIO(lines), stdout=out)
    await chat.run()
    shown = out.getvalue()
    assert "🎯 Goal set: 2 h a week (weeks start on Monday)" in shown
    assert "🏖 Vacation from Wed 10 Jun to Fri 12 Jun (3 days" in shown
    assert "🎯 This week (Mon 01 Jun – Sun 07 Jun): ▓▓▓▓░░░░░░ 45/120 min" in shown
    assert "Usage: /vacation 5d" in shown


async def test_the_export_holds_the_goal_and_the_vacations_and_deleting_removes_them(
    engine: AsyncEngine,
) -> None:
    from db.uow import SqlAlchemyUnitOfWork
    from domain.accounts.data_rights import export_data

    world = World(engine, utc("2026-06-01 08:00"))
    ann = await world.learner("Europe/Berlin", STUDYING, "/goal 3 sessions", "/vacation 2d")
    data = await export_data(await world.user_id(ann), SqlAlchemyUnitOfWork(engine), world.clock)
    habits = data.document["study_habits"]
    assert (habits["goal_minutes"], habits["goal_sessions"], habits["week_starts"]) == (None, 3, 0)
    assert [(v["starts_on"], v["ends_on"]) for v in data.document["vacations"]] == [
        (date(2026, 6, 1), date(2026, 6, 2))
    ]
    gone = await world.user_id(ann)
    await ann.say("/delete_me")
    await ann.press("🗑 Delete everything")
    async with engine.connect() as conn:
        left = await conn.scalar(
            text(
                "SELECT (SELECT count(*) FROM vacations WHERE user_id = :u)"
                " + (SELECT count(*) FROM study_habits WHERE user_id = :u)"
            ),
            {"u": gone},
        )
    assert left == 0


async def test_done_on_the_first_day_of_a_vacation_leaves_it_covering_no_day(
    engine: AsyncEngine,
) -> None:
    world = World(engine, utc("2026-06-01 08:00"))
    ann = await world.learner("Europe/Berlin", STUDYING, "/vacation 3d")
    assert "ended your vacation" in await ann.say("/done")
    assert await world.vacations(ann) == [(date(2026, 6, 1), date(2026, 5, 31), True)]
    report = await ann.say("/progress")
    assert "Vacation" not in report and "Daily streak: 1 day" in report
