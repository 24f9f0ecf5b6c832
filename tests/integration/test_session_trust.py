"""The session happened: then money moves (issue 15). Through the terminal chat, the services
and PostgreSQL: the learner is asked once, their yes (or 72 hours) makes the ledger row
payable, a problem holds it, the other side gives their account, an admin decides from
/admin or the command line, and the ledger records the decision to the cent."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.scheduler import lapse
from domain.marketplace import disputes, payments
from domain.marketplace.dispute_model import (
    ConfirmHappened,
    ProblemKind,
    ReportProblem,
    ResolveDispute,
)
from domain.marketplace.model import Action, Booking, Decision
from domain.shared.errors import InvalidInput
from tests.integration.test_booking_aftercare import TUESDAY_9, World, new_world
from tests.integration.test_data_rights import files
from tests.scenarios.test_cli import run_cli

ENDED = TUESDAY_9 + timedelta(hours=1, minutes=5)  # the 60-minute session ended 5 minutes ago


@pytest.fixture
async def world(engine: AsyncEngine) -> World:
    return await new_world(engine)


async def ended(world: World, *, paid: bool = True) -> Booking:
    """A confirmed (and paid) session of Ada with Grace, Tuesday 09:00 Berlin, just ended."""
    booked = await world.book()
    await world.act(world.expert_user, booked, Action.CONFIRM)
    if paid:
        await world.act(world.expert_user, booked, Action.MARK_PAID)
    world.clock.set(ENDED)
    return booked


async def ledger(world: World, booking_id: uuid.UUID) -> tuple[object, ...] | None:
    """(status, payable_at, commission, earnings, refund, decision) of the booking's row."""
    async with world.engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT status, payable_at, platform_commission, expert_earnings,"
                    " learner_refund, decision FROM commissions WHERE booking_id = :b"
                ),
                {"b": booking_id},
            )
        ).first()
    return None if row is None else tuple(row)


async def test_the_learner_is_asked_once_and_their_yes_makes_the_earnings_payable(
    world: World,
) -> None:
    booked = await ended(world)
    await lapse(world.dispatcher.ctx)  # the scheduler's 5-minute job asks
    await disputes.ask_happened(world.uow(), world.clock, world.policy)  # asked once only
    asked = await world.ada.say("/start")
    assert asked.count("Did your session with Grace Hopper") == 1
    assert "(Tue 03 Mar 2026, 09:00, Europe/Berlin) happen?" in asked  # in her zone
    assert world.ada.notice_buttons() == ["👍 Yes, it happened", "⚠️ There was a problem"]

    await world.act(world.expert_user, booked, Action.COMPLETE)  # the row, held for 72 hours
    assert await ledger(world, booked.id) == (
        "pending",
        TUESDAY_9 + timedelta(hours=1 + 72),
        Decimal("4.50"),
        Decimal("25.50"),
        Decimal("0.00"),
        None,
    )
    assert "held 25.50 EUR until the learner confirms" in await world.expert.say("/earnings")
    await payments.pay_out(world.uow(), world.clock)
    assert (await ledger(world, booked.id) or ())[0] == "pending"  # not payable yet

    yes = await world.ada.press("👍 Yes, it happened")
    assert f"Thank you! Grace Hopper gets paid for booking {booked.ref}" in yes
    assert "👍 Yes, it happened" not in world.ada.buttons()
    earned = await world.expert.say("/earnings")
    assert "1 session · gross 30.00 EUR · commission 4.50 EUR · earned 25.50 EUR" in earned
    assert "held" not in earned
    await payments.pay_out(world.uow(), world.clock)
    assert (await ledger(world, booked.id) or ())[0] == "paid"

    with pytest.raises(InvalidInput, match="already said booking .* happened"):
        confirm = ConfirmHappened(world.ada_id, booked.id)
        await disputes.confirm_happened(confirm, world.uow(), world.clock, world.policy)
    late = await world.ada.say(f"/problem {booked.ref} It ended early")
    assert "already paid out for booking" in late and f"/message {booked.ref}" in late
    assert await world.ada.say("/start")  # no second question arrived
    assert "Did your session" not in "\n".join(r.text for r in world.ada.last)


async def test_without_an_answer_the_earnings_are_payable_72_hours_after_the_end(
    world: World,
) -> None:
    booked = await ended(world)
    await world.act(world.expert_user, booked, Action.COMPLETE)
    world.clock.set(TUESDAY_9 + timedelta(hours=1 + 72))
    await payments.pay_out(world.uow(), world.clock)
    assert (await ledger(world, booked.id) or ())[0] == "paid"


async def test_a_problem_holds_the_money_the_expert_answers_and_an_admin_splits_it(
    world: World,
) -> None:
    booked = await ended(world)
    await world.act(world.expert_user, booked, Action.COMPLETE)
    await world.ada.say("/bookings")
    await world.ada.say("#1")
    kinds = await world.ada.press("⚠️ There was a problem")
    assert f"Booking {booked.ref}: what went wrong?" in kinds
    assert world.ada.buttons() == [
        "🚫 The expert didn't come",
        "✂️ It was cut short",
        "❓ Something else",
    ]
    asked = await world.ada.press("✂️ It was cut short")
    assert "the session was cut short. In a few words, what happened?" in asked
    reported = await world.ada.say("We stopped after 20 minutes.")
    assert f"Problem reported with booking {booked.ref}" in reported
    assert "held until an admin decides" in reported
    assert (await ledger(world, booked.id) or ())[:2] == ("pending", None)  # held
    world.clock.advance(hours=80)  # past the 72 hours: still held
    await payments.pay_out(world.uow(), world.clock)
    assert (await ledger(world, booked.id) or ())[:2] == ("pending", None)
    again = await world.ada.say(f"/problem {booked.ref}")
    assert "already reported; an admin will decide it" in again

    told = await world.expert.say("/earnings")
    assert "held 25.50 EUR" in told
    assert f"The learner, {world.ada.name}, reported a problem with booking {booked.ref}" in told
    assert "the session was cut short: “We stopped after 20 minutes.”" in told
    assert world.expert.notice_buttons() == ["✍️ Give your account"]
    assert "Your account of what happened" in await world.expert.press("✍️ Give your account")
    answered = await world.expert.say("The call dropped at minute 50.")
    assert f"Your account of booking {booked.ref} is with the admins" in answered
    assert "already gave your account" in await world.expert.say(f"/dispute {booked.ref} more")
    refused = await world.ada.say(f"/dispute {booked.ref} me too")
    assert "You reported this problem; the other side gives their account" in refused

    cards = await world.admin.say("/start")  # the admins' notices: the dispute's card
    assert f"⚖️ Booking {booked.ref}: the learner, {world.ada.name}, reported a problem" in cards
    assert "Account of the expert, Grace Hopper: “The call dropped at minute 50.”" in cards
    assert "to decide: /admin disputes" in await world.admin.say("/admin")
    listed = await world.admin.say("/admin disputes")  # oldest first: other tests' too
    assert f"⚖️ Booking {booked.ref}" in listed or "The oldest 10 open disputes" in listed
    # Other tests' disputes may be listed too: press Split on this booking's card.
    split = next(
        full
        for full, button in world.admin.chat.labelled().items()
        if button.label == "⚖️ Split" and booked.id.hex in (button.payload or "")
    )
    decided = await world.admin.say(split)
    assert "Decided. Both sides have been told." in decided
    assert (
        "split: 15.00 EUR goes back to the learner, 12.75 EUR to the expert "
        "(after 2.25 EUR commission)"
    ) in decided
    row = await ledger(world, booked.id)
    assert row == (
        "pending",
        world.clock.now(),
        Decimal("2.25"),
        Decimal("12.75"),
        Decimal("15.00"),
        "split",
    )
    assert sum(row[2:5]) == Decimal("30.00")  # type: ignore[arg-type]
    listed = await world.admin.say("/admin disputes")  # the open ones (other tests' too)
    assert booked.ref not in listed and ("No open disputes." in listed or "⚖️ Booking" in listed)
    for side in (world.ada, world.expert):
        assert f"An admin decided the problem with booking {booked.ref}" in await side.say(
            "/start"
        )
    await world.ada.say("/bookings")
    assert "⚖️ An admin decided: split: 15.00 EUR goes back to the learner" in (
        await world.ada.say("#1")
    )
    with pytest.raises(InvalidInput, match="already decided: the price is split"):
        resolve = ResolveDispute(None, booked.id, Decision.REFUND)
        await disputes.resolve_dispute(resolve, world.uow(), world.clock, world.policy)
    await payments.pay_out(world.uow(), world.clock)
    assert (await ledger(world, booked.id) or ())[0] == "paid"
    for side, own, other in (
        (world.ada, "We stopped after 20 minutes.", "The call dropped at minute 50."),
        (world.expert, "The call dropped at minute 50.", "We stopped after 20 minutes."),
    ):
        await side.say("/export")  # each side's export holds their own words, not the other's
        raw = files(side.last)["json"].decode()
        [dispute] = [d for d in json.loads(raw)["disputes"] if d["booking_id"] == str(booked.id)]
        assert (dispute["kind"], dispute["decision"], dispute["your_words"]) == (
            "cut_short",
            "split",
            own,
        )
        assert other not in raw


async def test_a_disputed_no_show_is_refunded_from_the_command_line(
    world: World, database_url: str
) -> None:
    booked = await ended(world)
    await world.act(world.expert_user, booked, Action.NO_SHOW)
    notice = await world.ada.say("/start")
    assert "The expert marked this session as a no-show" in notice
    assert "👍 Yes, it happened" not in world.ada.notice_buttons()
    asked = await world.ada.press("⚠️ There was a problem")  # no kinds: the no-show is disputed
    assert "the learner says they were there" in asked
    assert f"Problem reported with booking {booked.ref}" in await world.ada.say("skip")
    assert await ledger(world, booked.id) is None  # a no-show has no ledger row yet
    async with world.engine.connect() as conn:
        details = await conn.scalar(
            text("SELECT details FROM booking_disputes WHERE booking_id = :b"), {"b": booked.id}
        )
    assert details is None  # "skip" typed is the Skip button, not the words "skip"

    env = {"DATABASE_URL": database_url}
    listed = run_cli("admin", "disputes", env=env)
    assert listed.returncode == 0, listed.stderr
    assert booked.ref in listed.stdout and "the no-show is disputed" in listed.stdout
    bogus = run_cli("admin", "resolve", booked.ref, "maybe", env=env)
    assert bogus.returncode == 2 and "refund, pay or split" in bogus.stderr
    done = run_cli("admin", "resolve", booked.ref, "refund", env=env)
    assert done.returncode == 0, done.stderr
    assert "the learner is refunded 30.00 EUR in full" in done.stdout
    row = await ledger(world, booked.id)
    assert row is not None and row[2:] == (
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("30.00"),
        "refund",
    )
    again = run_cli("admin", "resolve", booked.ref, "pay", env=env)
    assert again.returncode == 1 and "already decided" in again.stderr


async def test_too_late_not_yours_and_too_early_are_friendly_refusals(world: World) -> None:
    booked = await world.book()
    await world.act(world.expert_user, booked, Action.CONFIRM)
    early = await world.ada.say(f"/problem {booked.ref} The link is broken")
    assert "hasn't begun; a problem is reported after that" in early
    stranger = await world.admin.say(f"/problem {booked.ref} I was not there")
    assert "I can't find that booking among yours" in stranger
    world.clock.set(TUESDAY_9 + timedelta(days=7, hours=2))
    late = await world.expert.say(f"/problem {booked.ref} The learner was rude")
    assert "until 7 days after it ended; it's too late now" in late
    report = ReportProblem(world.expert_user, booked.id, ProblemKind.EXPERT_ABSENT)
    world.clock.set(ENDED)
    with pytest.raises(InvalidInput, match="isn't a problem you can report"):
        await disputes.report_problem(report, world.uow(), world.clock, world.policy)
    # The expert who reports one is told of their own earnings, in the second person.
    reported = await world.expert.say(f"/problem {booked.ref} The learner left early")
    assert "I've asked the learner" in reported
    assert "Your earnings for it are held until an admin decides." in reported


async def test_a_problem_racing_a_payout_either_holds_the_row_or_is_refused_never_both(
    world: World,
) -> None:
    """Each round: a payable row, a problem and a payout run at once. Either the payout paid
    it and the problem was refused (paid out), or the problem held it and the payout left it."""
    world.clock.set(ENDED)
    async with world.engine.begin() as conn:  # sessions that ended, paid, rows payable now
        rows = list(
            await conn.scalars(
                text(
                    "INSERT INTO bookings (user_id, expert_id, session_date, duration, status,"
                    " payment_status, price, currency) SELECT :l, :e, :at, 60, 'completed',"
                    " 'paid', 30, 'EUR' FROM generate_series(1, 8) RETURNING id"
                ),
                {"l": world.ada_id, "e": world.expert_id, "at": TUESDAY_9},
            )
        )
        await conn.execute(
            text(
                "INSERT INTO commissions (booking_id, platform_commission, expert_earnings, rate,"
                " currency, payable_at) SELECT unnest(CAST(:ids AS uuid[])), 4.5, 25.5, 0.15,"
                " 'EUR', :at"
            ),
            {"ids": rows, "at": TUESDAY_9},
        )

    async def report(booking_id: uuid.UUID) -> bool:
        command = ReportProblem(world.ada_id, booking_id, ProblemKind.CUT_SHORT)
        try:
            await disputes.report_problem(command, world.uow(), world.clock, world.policy)
        except InvalidInput as refused:
            assert "already paid out" in refused.message
            return False
        return True

    for booking_id in rows:
        reported, _ = await asyncio.gather(
            report(booking_id), payments.pay_out(world.uow(), world.clock)
        )
        status, payable_at, *_ = await ledger(world, booking_id) or ()
        assert (status, payable_at is None) == (("pending", True) if reported else ("paid", False))
