"""Counts, units, amounts and dates read as people write them, through the real handlers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import uuid4

from bot.handlers.formatting import day_name, money, month_name
from bot.handlers.marketplace.experts import describe
from bot.handlers.router import Dispatcher
from domain.marketplace.model import Expert, Verification
from tests.support import FakeClock, Learner


async def test_one_of_a_thing_is_said_in_the_singular(
    dispatcher: Dispatcher, clock: FakeClock
) -> None:
    jo = Learner(dispatcher)
    assert "“Knots (beginner)”: 1 session × 30 min" in await jo.say(
        "/new Knots | 1 | 30 | beginner"
    )
    assert "0/1 session ·" in await jo.say("/progress")
    await jo.say("/new Sails | 3 | 30 | beginner")
    await jo.say("/done")
    clock.advance(days=1)
    await jo.say("/done")
    assert "Streak now 1 day." in await jo.say("/undo")
    assert "You've completed 1 session, so the plan needs" in await jo.say("/replan 1")
    assert "has 2 sessions" in await jo.say("/plan edit delete 3")


def test_an_expert_with_one_rating_and_one_session() -> None:
    expert = Expert(
        uuid4(),
        uuid4(),
        "Dr Knot",
        None,
        None,
        Decimal("20"),
        Decimal("40"),
        "EUR",
        "Europe/Berlin",
        ("en",),
        (),
        Verification.VERIFIED,
        total_sessions=1,
        average_rating=Decimal("5"),
        rating_count=1,
    )
    card = describe(expert)
    assert "★ 5.00 (1 rating) · 1 session" in card
    assert "20.00 EUR – 40.00 EUR per hour" in card


def test_dates_and_months_by_name_and_money_with_its_currency() -> None:
    assert day_name(date(2026, 12, 5)) == "5 Dec 2026"
    assert month_name("2026-03") == "Mar 2026"
    assert money(Decimal("1234.5"), "EUR") == "1,234.50 EUR"
