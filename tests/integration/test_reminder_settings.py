"""/settings, /remind, /quiet and /mute keep a valid document in users.notification_preferences."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.handlers.router import Dispatcher
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
    assert "No study or streak reminders until Mon 09 Mar 2026, 13:00" in await ann.say("/mute 7d")
    assert await stored(engine, ann) == {
        "study": {"enabled": True, "at": "07:30:00", "weekdays": [0, 2, 4]},
        "quiet": {"start": "22:00:00", "end": "07:30:00"},
        "muted_until": "2026-03-09T12:00:00Z",
    }

    await ann.say("/settings")
    assert ann.buttons() == ["Study off", "Streak off", "Bookings off", "No quiet hours", "Unmute"]
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
