"""/settings, /remind, /quiet and /mute keep a valid document in users.notification_preferences."""

from __future__ import annotations

import asyncio
import uuid
from datetime import time

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.handlers.router import Dispatcher
from db.uow import SqlAlchemyUnitOfWork
from domain.notifications.model import ChangePreferences, DailySwitch, ToggleReminder
from domain.notifications.planning import DAILY_SWITCHES, daily_switches
from domain.notifications.preferences import NotificationPreferences, StudyReminder
from domain.notifications.services import change_preferences, ensure_planned
from domain.shared.errors import InvalidInput
from tests.support import Learner, snapshot


async def stored(engine: AsyncEngine, learner: Learner) -> dict[str, object]:
    async with engine.connect() as conn:
        return await conn.scalar(
            text(
                "SELECT u.notification_preferences FROM users u JOIN platform_identities i "
                "ON i.user_id = u.id WHERE i.external_id = :n"
            ),
            {"n": learner.name},
        )


async def test_reminder_settings_by_command_and_by_button(
    dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    ann = Learner(dispatcher)
    await ann.say("/timezone Europe/Berlin")
    shown = await ann.say("/settings")
    assert "Study reminder: off" in shown and "Streak at risk: on at 20:00" in shown
    assert "times in Europe/Berlin" in shown

    assert "at 07:30, mon,wed,fri" in await ann.say("/remind 07:30 mon,wed,fri")
    assert "Quiet from 22:00 to 07:30" in await ann.say("/quiet 22:00-07:30")
    assert "No study, streak or review reminders until Mon 09 Mar 2026, 13:00" in await ann.say(
        "/mute 7d"
    )
    assert await stored(engine, ann) == {
        "study": {"enabled": True, "at": "07:30:00", "weekdays": [0, 2, 4]},
        "quiet": {"start": "22:00:00", "end": "07:30:00"},
        "muted_until": "2026-03-09T12:00:00Z",
    }

    await ann.say("/settings")
    assert ann.buttons() == [
        "Study off",
        "Streak off",
        "Review on",
        "Bookings off",
        "Goal on",
        "No quiet hours",
        "Unmute",
    ]
    assert "Streak at risk: off" in await ann.press("Streak off")
    assert "Muted until" not in await ann.press("Unmute")
    assert "Study reminders are off." in await ann.say("/remind off")
    assert await stored(engine, ann) == {
        "study": {"at": "07:30:00", "weekdays": [0, 2, 4]},  # enabled: false is the default
        "streak": {"enabled": False},
        "quiet": {"start": "22:00:00", "end": "07:30:00"},
    }


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/remind 25:00", "not a time of day"),
        ("/remind 19:00 someday", "not a day"),
        ("/remind", "Usage: /remind"),
        ("/quiet 22:00", "as a range"),
        ("/mute forever", "Mute for a while"),
        ("/mute 90d", "1 hour to 60 days"),
    ],
)
async def test_bad_reminder_settings_change_nothing(
    dispatcher: Dispatcher, engine: AsyncEngine, line: str, expected: str
) -> None:
    bo = Learner(dispatcher)
    await bo.say("/start")
    before = await snapshot(engine)
    assert expected in await bo.say(line)
    assert await snapshot(engine) == before


async def user_of(engine: AsyncEngine, learner: Learner) -> uuid.UUID:
    async with engine.connect() as conn:
        return await conn.scalar(
            text("SELECT user_id FROM platform_identities WHERE external_id = :n"),
            {"n": learner.name},
        )


async def test_two_changes_at_once_lose_neither(
    dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    cy = Learner(dispatcher)
    await cy.say("/start")
    me, ctx = await user_of(engine, cy), dispatcher.ctx
    await asyncio.gather(
        change_preferences(ToggleReminder(me, "study"), ctx.uow(), ctx.clock),
        change_preferences(ToggleReminder(me, "streak"), ctx.uow(), ctx.clock),
        change_preferences(ChangePreferences(me, {"platform": "terminal"}), ctx.uow(), ctx.clock),
    )
    assert await stored(engine, cy) == {
        "study": {"enabled": True},
        "streak": {"enabled": False},
        "platform": "terminal",
    }


async def test_a_change_is_merged_into_its_section_and_a_bad_one_changes_nothing(
    dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    di = Learner(dispatcher)
    await di.say("/timezone Asia/Tokyo")
    await di.say("/remind 19:00 mon,wed")
    me, ctx = await user_of(engine, di), dispatcher.ctx
    changed = await change_preferences(
        ChangePreferences(me, {"study": {"at": time(7, 15)}}), ctx.uow(), ctx.clock
    )
    assert changed.timezone == "Asia/Tokyo"
    assert changed.preferences.study == StudyReminder(
        enabled=True, at=time(7, 15), weekdays=(0, 2)
    )
    before = await snapshot(engine)
    with pytest.raises(InvalidInput, match="study.at"):
        await change_preferences(
            ChangePreferences(me, {"study": {"at": "25:00"}}), ctx.uow(), ctx.clock
        )
    assert await snapshot(engine) == before


async def test_the_search_for_missing_daily_reminders_binds_the_domains_defaults(
    dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    ed = Learner(dispatcher)
    await ed.say("/start")  # preferences {}: every default
    me = await user_of(engine, ed)

    async def missing(switches: tuple[DailySwitch, ...]) -> bool:
        """Whether the search finds ``ed`` (a page of one, starting just before them)."""
        async with SqlAlchemyUnitOfWork(engine) as uow:
            found = await uow.users.without_daily_reminders(uuid.UUID(int=me.int - 1), 1, switches)
        return [user for user, _, _ in found] == [me]

    assert await stored(engine, ed) == {}
    assert not await missing(DAILY_SWITCHES)  # planned when ed arrived
    async with engine.begin() as conn:  # e.g. rows lost in a restore
        await conn.execute(text("DELETE FROM notifications WHERE user_id = :u"), {"u": me})
    assert await missing(DAILY_SWITCHES)  # by default the streak warning is on
    await ensure_planned(dispatcher.ctx.uow(), dispatcher.ctx.clock)
    async with engine.connect() as conn:
        planned = await conn.scalars(
            text("SELECT kind FROM notifications WHERE user_id = :u AND status = 'pending'"),
            {"u": me},
        )
        assert sorted(planned) == ["streak_reminder"]  # the study reminder is off by default
    assert not await missing(DAILY_SWITCHES)
    # Were the study reminder on by default, the same query would find it missing.
    study_on = NotificationPreferences(study={"enabled": True})
    assert await missing(daily_switches(study_on))
    streak_off = NotificationPreferences(streak={"enabled": False})
    assert not await missing(daily_switches(streak_off))
