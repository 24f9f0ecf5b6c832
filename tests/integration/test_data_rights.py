"""/export and /delete_me through the real handlers, services and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.bootstrap import bootstrap
from bot.handlers import payloads
from bot.handlers.base import Incoming, Reply
from bot.handlers.router import FAILURE, Dispatcher
from db.uow import SqlAlchemyUnitOfWork
from domain.marketplace import bookings, experts, feedback, payments
from domain.marketplace.commands import (
    ActOnBooking,
    AnnotateSession,
    BecomeExpert,
    BookSlot,
    RateSession,
    SetAvailability,
    VerifyExpert,
)
from domain.marketplace.model import Action, Policy
from tests.support import FakeClock, Learner, expert_draft, user_id

WEEKDAYS = "mon 09:00-17:00; tue 09:00-17:00; wed 09:00-17:00; thu 09:00-17:00; fri 09:00-17:00"
PAST = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)  # Tue 10:00 in Berlin
UPCOMING = datetime(2026, 3, 12, 9, 0, tzinfo=UTC)  # Thu of the week after


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 2, 6, 0, tzinfo=UTC))  # Monday 07:00 in Berlin


@pytest.fixture
def policy() -> Policy:
    return Policy()


@pytest.fixture
def dispatcher(engine: AsyncEngine, clock: FakeClock, policy: Policy) -> Dispatcher:
    return bootstrap(engine, clock=clock, policy=policy)


class Market:
    """An expert and a learner who met once (completed, rated, noted, paid) and who have an
    upcoming session, set up through the services; both chat through the terminal."""

    def __init__(self, dispatcher: Dispatcher, engine: AsyncEngine) -> None:
        self.engine, self.dispatcher = engine, dispatcher
        self.ex = Learner(dispatcher)
        self.ada = Learner(dispatcher)
        self.subject = f"Rust{uuid.uuid4().hex[:6]}"

    def uow(self) -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(self.engine)

    async def open(self, clock: FakeClock, policy: Policy) -> Market:
        await self.ex.say("/start")
        await self.ada.say("/start")
        await self.ada.say(f"/new Spanish {uuid.uuid4().hex[:4]} | 5 | 30 | beginner")
        await self.ada.say("/done 25 ada-secret-note")
        await self.ada.say("/card ada-secret-card | its back")
        self.ex_id = await user_id(self.engine, self.ex)
        self.ada_id = await user_id(self.engine, self.ada)
        draft = expert_draft("Grace Hopper", self.subject)
        expert = await experts.become_expert(
            BecomeExpert(self.ex_id, draft), self.uow(), clock, policy
        )
        self.expert_id = expert.id
        await experts.verify_expert(VerifyExpert(None, expert.id, True), self.uow(), clock, policy)
        await experts.set_availability(SetAvailability(self.ex_id, WEEKDAYS), self.uow())
        assert "2026-04-01" in await self.ex.say("/timeoff 2026-04-01..2026-04-03")

        past = await bookings.book(
            BookSlot(self.ada_id, expert.id, PAST, 60), self.uow(), clock, policy
        )
        self.past = past.id
        await self._act(self.ex_id, Action.CONFIRM, clock, policy)
        clock.set(PAST + timedelta(hours=2))
        await self._act(self.ex_id, Action.COMPLETE, clock, policy)
        rate = RateSession(self.ada_id, past.id, 5, "Clear and kind.")
        await feedback.rate(rate, self.uow(), clock, policy)
        notes = AnnotateSession(self.ex_id, past.id, "ex-notes-for-ada")
        await feedback.add_expert_notes(notes, self.uow(), clock, policy)
        await self._act(self.ex_id, Action.MARK_PAID, clock, policy)
        async with self.engine.begin() as conn:  # the learner's private notes on the session
            await conn.execute(
                text(
                    "UPDATE session_feedback SET user_notes = 'ada-private' WHERE booking_id = :b"
                ),
                {"b": past.id},
            )
        upcoming = await bookings.book(
            BookSlot(self.ada_id, expert.id, UPCOMING, 60), self.uow(), clock, policy
        )
        self.upcoming = upcoming.id
        await self.ex.say("/start")  # the notices so far are delivered
        await self.ada.say("/start")
        return self

    async def _act(self, who: uuid.UUID, action: Action, clock: FakeClock, policy: Policy) -> None:
        command = ActOnBooking(who, self.past, action)
        await bookings.act(command, self.uow(), clock, policy, payments.ManualPayments())

    async def row(self, sql: str, **params: object) -> tuple[object, ...] | None:
        async with self.engine.connect() as conn:
            found = (await conn.execute(text(sql), params)).first()
        return None if found is None else tuple(found)


@pytest.fixture
async def market(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> Market:
    return await Market(dispatcher, engine).open(clock, policy)


def files(replies: list[Reply]) -> dict[str, bytes]:
    return {r.attachment.filename[-4:]: r.attachment.content for r in replies if r.attachment}


async def test_an_export_holds_each_kind_of_data_and_names_others_only(market: Market) -> None:
    said = await market.ada.say("/export")
    assert "1 curriculum, 1 note, 2 bookings" in said
    raw = files(market.ada.last)["json"].decode()
    ada = json.loads(raw)
    # Of the expert, only the profile's display name: not their account's id or name.
    assert str(market.ex_id) not in raw and market.ex.name not in raw
    assert str(market.expert_id) not in raw
    assert ada["profile"]["id"] == str(market.ada_id)
    assert [i["external_id"] for i in ada["platform_identities"]] == [market.ada.name]
    (curriculum,) = ada["curricula"]
    assert len(curriculum["sessions"]) == 5 and curriculum["progress"]["total_time_spent"] == 25
    assert [n["content"] for n in ada["notes"]] == ["ada-secret-note"]
    (card,) = ada["review_cards"]
    assert (card["front"], card["back"], card["reps"]) == ("ada-secret-card", "its back", 0)
    assert card["curriculum_id"] == curriculum["id"] and ada["reviews"] == []
    assert {b["expert"] for b in ada["bookings_as_learner"]} == {"Grace Hopper"}
    given = ada["feedback_given"][0]
    assert (given["rating"], given["review"], given["notes"]) == (
        5,
        "Clear and kind.",
        "ada-private",
    )
    assert ada["feedback_received"][0]["notes"] == "ex-notes-for-ada"
    assert ada["expert_profile"] is None and ada["commissions"] == []
    assert ada["disputes"] == []  # none reported (their own words only, when there are)
    assert "notification_preferences" in ada

    await market.ex.say("/export")
    raw = files(market.ex.last)["json"].decode()
    ex = json.loads(raw)
    assert ex["expert_profile"]["display_name"] == "Grace Hopper"
    assert ex["expert_profile"]["specialties"][0]["subject"] == market.subject
    assert len(ex["expert_profile"]["availability"]) == 5
    assert ex["expert_profile"]["time_off"] == [
        {"starts_on": "2026-04-01", "ends_on": "2026-04-03"}
    ]
    assert {b["learner"] for b in ex["bookings_as_expert"]} == {market.ada.name}
    (commission,) = ex["commissions"]
    assert commission["booking_id"] == str(market.past) and commission["currency"] == "EUR"
    assert ex["feedback_received"][0]["rating"] == 5
    assert ex["feedback_given"][0]["notes"] == "ex-notes-for-ada"
    # Of the learner, only her name: no id, identity, chat, note or private feedback notes.
    for secret in (
        str(market.ada_id),
        f"terminal:{market.ada.name}",
        "ada-secret-note",
        "ada-secret-card",
    ):
        assert secret not in raw
    assert "ada-private" not in raw and "Spanish" not in raw
    assert "link_codes" not in raw and "code_hash" not in raw


async def test_the_sessions_csv_parses_with_one_row_per_session(market: Market) -> None:
    await market.ada.say('/note verbs; "quoted", and a comma')
    await market.ada.say("/export")
    rows = list(csv.DictReader(io.StringIO(files(market.ada.last)[".csv"].decode())))
    assert [int(r["session_number"]) for r in rows] == [1, 2, 3, 4, 5]
    first = rows[0]
    assert first["minutes_spent"] == "25" and first["completed_local_date"] == "2026-03-02"
    assert first["notes"] == 'ada-secret-note\nverbs; "quoted", and a comma'
    assert datetime.fromisoformat(first["completed_at"]).tzinfo is not None
    assert rows[1]["completed_at"] == "" and rows[1]["minutes_spent"] == ""


async def test_the_export_reads_one_snapshot(market: Market) -> None:
    uow = market.uow()
    async with uow:
        await uow.data_rights.take_snapshot()
        before = await uow.data_rights.document(market.ada_id)
        async with market.engine.begin() as conn:  # written meanwhile, committed
            await conn.execute(
                text("INSERT INTO user_notes (user_id, content) VALUES (:u, 'meanwhile')"),
                {"u": market.ada_id},
            )
        after = await uow.data_rights.document(market.ada_id)
    assert before["notes"] == after["notes"] and len(after["notes"]) == 1


async def test_an_expert_with_upcoming_sessions_cancels_them_first_then_is_deleted(
    market: Market, clock: FakeClock, policy: Policy
) -> None:
    refused = await market.ex.say("/delete_me")
    assert "I can't delete your account yet" in refused and market.ada.name in refused
    assert market.ex.buttons() == ["Cancel 1 session"]
    (cancel_first,) = market.ex.payloads()
    assert await market.row("SELECT id FROM users WHERE id = :u", u=market.ex_id)

    assert "Cancelled 1 session; the learners are told" in await market.ex.press(
        "Cancel 1 session"
    )
    assert "A booking was cancelled" in await market.ada.say("/start")
    assert "the expert is leaving Syllabot" in market.ada.last[-1].text

    # Booked again meanwhile: the old button is stale and cancels nothing.
    again = await bookings.book(
        BookSlot(market.ada_id, market.expert_id, UPCOMING + timedelta(days=1), 60),
        market.uow(),
        clock,
        policy,
    )
    # pressed again (a second device): the terminal no longer shows it, a platform might
    (reply,) = await market.dispatcher.handle(
        Incoming(market.ex.chat._identity, payload=cancel_first)
    )
    assert reply.text.startswith(payloads.STALE)
    assert await market.row("SELECT status FROM bookings WHERE id = :b", b=again.id) == (
        "pending",
    )
    assert "1 upcoming session" in await market.ex.say("/delete_me")
    assert "Cancelled 1 session" in await market.ex.press("Cancel 1 session")

    asked = await market.ex.say("/delete_me")
    assert "your expert profile" in asked and "kept for the other side" in asked
    assert market.ex.buttons() == ["🗑 Delete everything", "Keep my account"]
    done = await market.ex.press("🗑 Delete everything")
    assert "is deleted" in done and "3 past bookings kept for the other side" in done

    assert await market.row("SELECT id FROM users WHERE id = :u", u=market.ex_id) is None
    assert await market.row("SELECT id FROM experts WHERE id = :e", e=market.expert_id) is None
    kept = await market.row(
        "SELECT b.user_id, b.expert_id, b.status, f.rating, f.review, f.expert_notes,"
        " c.expert_earnings IS NOT NULL FROM bookings b"
        " JOIN session_feedback f ON f.booking_id = b.id"
        " JOIN commissions c ON c.booking_id = b.id WHERE b.id = :b",
        b=market.past,
    )
    assert kept == (market.ada_id, None, "completed", 5, "Clear and kind.", None, True)
    # The learner still sees the session she had, without the expert's name.
    listed = await market.ada.say("/bookings")
    assert "a deleted account" in listed and "Grace Hopper" not in listed
    # Writing again starts a new account.
    assert "no curriculum" in await market.ex.say("/progress")


async def test_a_learner_is_deleted_in_one_transaction_and_a_failure_midway_leaves_all(
    market: Market,
) -> None:
    asked = await market.ada.say("/delete_me")
    assert "1 upcoming booking: cancelled, and the experts are told" in asked
    before = await market.row(
        "SELECT b.status, f.review, f.user_notes FROM bookings b"
        " LEFT JOIN session_feedback f ON f.booking_id = b.id WHERE b.id = :b",
        b=market.past,
    )
    async with market.engine.begin() as conn:  # deleting her notes fails, after the rest ran
        await conn.execute(
            text(
                "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                " IF OLD.content = 'ada-secret-note' THEN RAISE EXCEPTION 'boom'; END IF;"
                " RETURN OLD; END $$"
            )
        )
        await conn.execute(
            text(
                "CREATE TRIGGER boom BEFORE DELETE ON user_notes"
                " FOR EACH ROW EXECUTE FUNCTION boom()"
            )
        )
    try:
        assert await market.ada.press("🗑 Delete everything") == FAILURE
    finally:
        async with market.engine.begin() as conn:
            await conn.execute(text("DROP TRIGGER boom ON user_notes"))
            await conn.execute(text("DROP FUNCTION boom()"))
    assert await market.row("SELECT id FROM users WHERE id = :u", u=market.ada_id)
    assert await market.row("SELECT status FROM bookings WHERE id = :b", b=market.upcoming) == (
        "pending",
    )
    assert (
        await market.row(
            "SELECT b.status, f.review, f.user_notes FROM bookings b"
            " LEFT JOIN session_feedback f ON f.booking_id = b.id WHERE b.id = :b",
            b=market.past,
        )
        == before
    )
    assert "A booking was cancelled" not in await market.ex.say("/start")

    done = await market.ada.say("#1")  # the same button again, now that nothing stands in its way
    assert "is deleted" in done and "1 upcoming booking cancelled" in done
    assert await market.row("SELECT id FROM users WHERE id = :u", u=market.ada_id) is None
    assert await market.row(
        "SELECT count(*) FROM curricula c WHERE c.user_id = :u", u=market.ada_id
    ) == (0,)
    kept = await market.row(
        "SELECT b.user_id, b.expert_id, f.rating, f.review, f.user_notes, f.expert_notes"
        " FROM bookings b JOIN session_feedback f ON f.booking_id = b.id WHERE b.id = :b",
        b=market.past,
    )
    assert kept == (None, market.expert_id, 5, None, None, "ex-notes-for-ada")
    cancelled = await market.row(
        "SELECT status, user_id, cancel_reason FROM bookings WHERE id = :b", b=market.upcoming
    )
    assert cancelled == ("cancelled", None, "the learner deleted their account")
    told = await market.ex.say("/bookings")
    assert "A booking was cancelled" in told and "a deleted account" in told
    assert market.ada.name not in told


async def test_a_forged_or_stale_confirm_press_changes_nothing(
    market: Market, dispatcher: Dispatcher
) -> None:
    await market.ada.say("/delete_me")
    go = market.ada.payloads()[0]
    token = go.rsplit(":", 1)[1]
    mallory = Learner(dispatcher)
    await mallory.say("/start")
    mallory_id = await user_id(market.engine, mallory)
    as_mallory = Incoming(market.ada.chat._identity, payload=go)
    as_mallory = replace(as_mallory, identity=mallory.chat._identity)
    (reply,) = await dispatcher.handle(as_mallory)
    assert reply.text == payloads.NOT_YOURS
    forged = payloads.encode(mallory_id, "dm", "go", token)  # her own tag, Ada's token
    (reply,) = await dispatcher.handle(replace(as_mallory, payload=forged))
    assert reply.text == payloads.STALE
    assert await market.row("SELECT id FROM users WHERE id = :u", u=market.ada_id)
    assert await market.row("SELECT id FROM users WHERE id = :u", u=mallory_id)

    assert "Kept. Nothing was deleted." in await market.ada.press("Keep my account")
    (reply,) = await dispatcher.handle(Incoming(market.ada.chat._identity, payload=go))
    assert reply.text == payloads.STALE  # the old Delete press is stale now
    assert await market.row("SELECT id FROM users WHERE id = :u", u=market.ada_id)


async def test_the_open_question_shows_again_after_a_restart(dispatcher: Dispatcher) -> None:
    bo = Learner(dispatcher)
    await bo.say("/delete_me")
    payload = bo.payloads()[0]
    shown = await dispatcher.resume(bo.chat._identity)
    assert shown is not None and "Deleting your account removes" in shown.text
    assert shown.buttons[0][0].payload == payload  # the same step, still confirmable
