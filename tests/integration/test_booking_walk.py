"""The booking walk through the real Dispatcher: one transaction per press, the price confirmed
is the price stored, and a flow's last step commits with its effect or not at all."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.marketplace import WALK_TRANSACTIONS_MAX, Transactions, booking_walk, press
from bot.bootstrap import bootstrap
from bot.handlers import payloads
from bot.handlers.base import Context, Incoming, Reply
from bot.handlers.router import FAILURE, Dispatcher
from db.uow import SqlAlchemyUnitOfWork
from domain.accounts.conversations import STALE
from domain.accounts.model import Identity
from domain.marketplace.model import Policy
from tests.integration.test_marketplace import _verified_expert
from tests.support import FakeClock, Learner


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 2, 6, 0, tzinfo=UTC))  # Monday 07:00 in Berlin


@pytest.fixture
def policy() -> Policy:
    return Policy()


@pytest.fixture
def dispatcher(engine: AsyncEngine, clock: FakeClock, policy: Policy) -> Dispatcher:
    return bootstrap(engine, clock=clock, policy=policy)


SIXTY = "60 min · 30.00 EUR"  # 60 minutes at the middle of 20-40 an hour


def someone() -> Identity:
    name = f"walker-{uuid.uuid4().hex[:8]}"
    return Identity("terminal", name, f"terminal:{name}", name)


async def stored(engine: AsyncEngine, expert_id: uuid.UUID) -> list[tuple[object, ...]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT price, session_date, status FROM bookings WHERE expert_id = :e"),
            {"e": expert_id},
        )
        return [tuple(row) for row in rows]


async def test_the_walk_from_book_to_confirm_costs_at_most_eight_transactions(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    _, expert_id, _ = await _verified_expert(engine, clock, policy)
    count, replies = await booking_walk(dispatcher, engine, someone(), expert_id)
    assert "📨 Requested!" in replies[-1][0].text
    assert count <= WALK_TRANSACTIONS_MAX  # 5 when written: one per press


async def test_the_transaction_counter_counts_the_begins_sent_to_the_server(
    engine: AsyncEngine,
) -> None:
    async with Transactions(engine) as counted:
        async with SqlAlchemyUnitOfWork(engine):  # began, ran nothing: no BEGIN was sent
            pass
        for _ in range(3):
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
                await conn.execute(text("SELECT 1"))
        async with SqlAlchemyUnitOfWork(engine) as uow:  # one begun on the driver
            await uow.experts.lock_for_booking(uuid.uuid4(), uuid.uuid4())
    assert counted.count == 4


async def test_the_price_confirmed_is_the_price_stored_and_a_changed_price_is_asked_again(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    expert_user, expert_id, _ = await _verified_expert(engine, clock, policy)
    ada = Learner(dispatcher)
    await ada.say(f"/start e_{expert_id.hex}")
    await ada.press("📅 Book")
    await ada.press(SIXTY)
    await ada.say("#1")
    confirm = await ada.say("#1")
    assert "for 30.00 EUR?" in confirm  # 60 minutes at the middle of 20-40

    # The expert changes their rates while Ada reads the question: nothing is booked at a
    # price she did not see; she is asked again, with the new one.
    expert = Learner(dispatcher, await _name_of(engine, expert_user))
    assert "Saved" in await expert.say("/expert rate 30-50")
    again = await ada.press("✅ Confirm")
    assert "rates changed" in again and "for 40.00 EUR?" in again
    assert await stored(engine, expert_id) == []
    assert "Requested!" in await ada.press("✅ Confirm")
    [(price, _, status)] = await stored(engine, expert_id)
    assert (str(price), status) == ("40.00", "pending")


async def test_a_double_tapped_confirm_books_once_and_the_second_tap_changes_nothing(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    _, expert_id, _ = await _verified_expert(engine, clock, policy)
    ada = Learner(dispatcher)
    await ada.say(f"/start e_{expert_id.hex}")
    for step in ("📅 Book", SIXTY):
        await ada.press(step)
    await ada.say("#1")
    await ada.say("#1")
    ok, _repeat, _back, _cancel = ada.payloads()
    identity = ada.chat._identity
    first, second = await asyncio.gather(
        *(dispatcher.handle(Incoming(identity, payload=ok)) for _ in range(2))
    )
    heads = sorted(replies[0].text.split("\n")[0] for replies in (first, second))
    assert heads[0] == STALE and heads[1].startswith("📨 Requested!")
    assert len(await stored(engine, expert_id)) == 1


async def test_rescheduling_walks_from_the_day_and_moves_the_booking(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    _, expert_id, _ = await _verified_expert(engine, clock, policy)
    identity = someone()
    _, replies = await booking_walk(dispatcher, engine, identity, expert_id)
    ada = Learner(dispatcher, identity.external_id)
    await ada.say("/bookings")
    await ada.say("#1")
    days = await ada.press("🗓 Reschedule")
    assert "Which day?" in days
    await ada.say("#2")
    moved = await ada.say("#1")
    assert "🗓 Rescheduling booking" in moved and "Move it to" in moved
    assert "60 min with" in moved and "The price stays 30.00 EUR" in moved
    assert "🗓 Moved from Tue 03 Mar 2026, 08:00 to" in await ada.press("✅ Confirm")
    [(_, starts, status)] = await stored(engine, expert_id)
    assert starts.date() > datetime(2026, 3, 3, tzinfo=UTC).date() and status == "pending"


class CrashingAtFlowEnd(SqlAlchemyUnitOfWork):
    """A unit of work whose process dies as it ends the user's flow: the second write of a
    flow's last step (after its effect), as a crash between the two would."""

    async def __aenter__(self) -> CrashingAtFlowEnd:
        await super().__aenter__()
        real = self.conversations

        class Crash:
            get, put = real.get, real.put

            async def clear(self, *args: object, **kwargs: object) -> bool:
                raise RuntimeError("the process died here")

        self.conversations = Crash()  # type: ignore[assignment]
        return self


def crashing(dispatcher: Dispatcher, engine: AsyncEngine) -> Dispatcher:
    ctx = dispatcher.ctx
    return Dispatcher(
        Context(
            uow=lambda: CrashingAtFlowEnd(engine),
            clock=ctx.clock,
            planner=ctx.planner,
            policy=ctx.policy,
        )
    )


async def conversation_of(engine: AsyncEngine, name: str) -> tuple[object, ...] | None:
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT c.flow, c.step FROM conversation_states c JOIN platform_identities i"
                    " ON i.user_id = c.user_id WHERE i.external_id = :n"
                ),
                {"n": name},
            )
        ).first()
    return None if row is None else tuple(row)


async def count(engine: AsyncEngine, table: str, name: str) -> int:
    async with engine.connect() as conn:
        return int(
            await conn.scalar(
                text(
                    f"SELECT count(*) FROM {table} t JOIN platform_identities i"  # noqa: S608
                    " ON i.user_id = t.user_id WHERE i.external_id = :n"
                ),
                {"n": name},
            )
        )


BECOME_EXPERT = [
    "Grace Hopper",
    "I debug things.",
    "#1",  # Skip credentials
    "20-40",
    "Europe/Berlin",
    "en",
]
NEW_CURRICULUM = ["Spanish", "10", "30", "#1", "speak", "#1"]  # ... level, goals, Skip


@pytest.mark.parametrize(
    ("start", "answers", "last", "table", "done"),
    [
        ("/become_expert", BECOME_EXPERT, "python: expert", "experts", "waiting for an admin"),
        ("/new", NEW_CURRICULUM[:-1], "#1", "curricula", "Created"),
    ],
    ids=["become_expert", "new curriculum"],
)
async def test_a_crash_between_a_wizards_effect_and_its_end_leaves_neither(
    dispatcher: Dispatcher,
    engine: AsyncEngine,
    start: str,
    answers: list[str],
    last: str,
    table: str,
    done: str,
) -> None:
    person = Learner(dispatcher)
    await person.say(start)
    for answer in answers:
        await person.say(answer)
    at_last_step = await conversation_of(engine, person.name)
    assert at_last_step is not None

    doomed = Learner(crashing(dispatcher, engine), person.name)
    doomed.chat._buttons = person.chat.buttons  # the same message, on the crashing process
    assert await doomed.say(last) == FAILURE
    assert await count(engine, table, person.name) == 0  # no effect...
    assert await conversation_of(engine, person.name) == at_last_step  # ...and still open

    assert done in await person.say(last)  # answered again, after the restart
    assert await count(engine, table, person.name) == 1
    assert await conversation_of(engine, person.name) is None


async def test_a_crash_as_the_walk_ends_books_nothing_and_keeps_the_question(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    _, expert_id, _ = await _verified_expert(engine, clock, policy)
    ada = Learner(dispatcher)
    await ada.say(f"/start e_{expert_id.hex}")
    for step in ("📅 Book", SIXTY):
        await ada.press(step)
    await ada.say("#1")
    await ada.say("#1")
    doomed = Learner(crashing(dispatcher, engine), ada.name)
    doomed.chat._buttons = ada.chat.buttons
    assert await doomed.say("#1") == FAILURE
    assert await stored(engine, expert_id) == []
    assert await conversation_of(engine, ada.name) == ("book", "confirm")
    assert "Requested!" in await ada.say("#1")


async def _name_of(engine: AsyncEngine, user_id: uuid.UUID) -> str:
    async with engine.connect() as conn:
        name = await conn.scalar(
            text("SELECT external_id FROM platform_identities WHERE user_id = :u"),
            {"u": user_id},
        )
    return str(name)


def _shown(reply: Reply) -> tuple[str, list[list[str]]]:
    return reply.text, [[b.label for b in row] for row in reply.buttons]


async def test_a_restart_at_any_step_of_the_walk_shows_that_step_again_with_working_buttons(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    _, expert_id, _ = await _verified_expert(engine, clock, policy)
    learner = someone()
    card = await dispatcher.handle(
        Incoming(learner, text=f"/start {payloads.deep_link('e', expert_id.hex)}")
    )
    current, questions = card, []
    for label in ("📅 Book", "60 min", None, None):  # then: length, day, time, confirm
        current = await press(dispatcher, learner, current, label)
        resumed = await dispatcher.resume(learner)  # the chat restarts at this question
        assert resumed is not None and not resumed.edit
        assert resumed.text.splitlines()[0] == current[0].text.splitlines()[0]
        assert _shown(resumed)[1] == _shown(current[0])[1]
        questions.append(resumed.text.splitlines()[0])
        current = [resumed]  # go on from the resumed message's buttons
    assert questions[0] == "How long should the session be?"
    assert questions[1].startswith("Which day?") and questions[2].startswith("Which time on")
    assert questions[3].startswith("Book 60 min with")
    done = await press(dispatcher, learner, current, "✅ Confirm")
    assert "📨 Requested!" in done[0].text
    assert await dispatcher.resume(learner) is None  # nothing left open


async def test_every_flow_shows_its_open_step_again_after_a_restart(
    dispatcher: Dispatcher,
) -> None:
    """No flow falls back to the generic "you left something unfinished" on a restart."""
    assert set(dispatcher.flows) <= set(dispatcher.prompts)


async def test_back_walks_to_each_earlier_step_with_its_buttons_and_cancel_changes_nothing(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    _, expert_id, _ = await _verified_expert(engine, clock, policy)
    ada = Learner(dispatcher)
    await ada.say(f"/start e_{expert_id.hex}")
    screens = [await ada.press("📅 Book")]
    buttons = [ada.buttons()]
    for label in (SIXTY, "Tue 03 Mar", "09:00"):
        screens.append(await ada.press(label))
        buttons.append(ada.buttons())
    assert buttons[0][-1] == "✖ Cancel" and "◀ Back" not in buttons[0]  # the first step
    assert buttons[-1] == ["✅ Confirm", "🔁 Repeat weekly", "◀ Back", "✖ Cancel"]
    for screen, shown in reversed(list(zip(screens[:-1], buttons[:-1], strict=True))):
        back = await ada.press("◀ Back")  # the step before, as it was, with its buttons
        assert back.splitlines()[0] == screen.splitlines()[0] and ada.buttons() == shown
    await ada.press(SIXTY)  # and on again from there
    await ada.press("Tue 03 Mar")
    assert "✖ Cancel" in ada.buttons()
    assert await ada.press("✖ Cancel") == "Stopped. Nothing was changed."
    assert await conversation_of(engine, ada.name) is None
    assert await stored(engine, expert_id) == []
    assert await ada.say("#1") == ""  # the cancelled step's buttons are gone: nothing to press
    assert "(there is no button 1 on the last message" in ada.out.getvalue().splitlines()[-1]


@pytest.mark.parametrize(
    ("start", "first", "table"),
    [("/become_expert", "Grace Hopper", "experts"), ("/new", "Spanish", "curricula")],
    ids=["become_expert", "new curriculum"],
)
async def test_every_wizard_goes_back_a_step_and_cancels_without_saving(
    dispatcher: Dispatcher, engine: AsyncEngine, start: str, first: str, table: str
) -> None:
    person = Learner(dispatcher)
    asked = await person.say(start)
    assert "step 1 of" in asked and person.buttons()[-1:] == ["✖ Cancel"]
    assert "◀ Back" not in person.buttons()
    assert "step 2 of" in await person.say(first)
    again = await person.press("◀ Back")
    assert again.splitlines()[0] == asked.splitlines()[0]  # the first question again
    assert "step 2 of" in await person.say(first)
    assert await person.press("✖ Cancel") == "Stopped. Nothing was changed."
    assert await conversation_of(engine, person.name) is None
    assert await count(engine, table, person.name) == 0


async def test_an_expert_pressing_book_on_their_own_card_is_refused_at_once(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    expert_user, expert_id, _ = await _verified_expert(engine, clock, policy)
    grace = Learner(dispatcher, await _name_of(engine, expert_user))
    await grace.say(f"/start e_{expert_id.hex}")
    refused = await grace.press("📅 Book")
    assert "your own profile" in refused and "can't book a session with yourself" in refused
    assert await conversation_of(engine, grace.name) is None  # no walk was started


async def test_the_confirm_step_shows_the_price_and_the_cancellation_policy(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    _, expert_id, _ = await _verified_expert(engine, clock, policy)
    ada = Learner(dispatcher)
    await ada.say(f"/start e_{expert_id.hex}")
    await ada.press("📅 Book")
    assert ada.buttons()[:3] == ["30 min · 20.00 EUR", SIXTY, "90 min · 30.00 EUR"]
    await ada.press("90 min · 30.00 EUR")
    await ada.press("Tue 03 Mar")
    confirm = await ada.press("09:00")  # 09:00 UTC, 10:00 in Berlin
    assert "Book 90 min with" in confirm and "for 30.00 EUR?" in confirm
    assert "Free cancellation until Mon 02 Mar 2026, 21:00 (12 hours before the start)" in confirm
    assert ada.buttons() == ["✅ Confirm", "🔁 Repeat weekly", "◀ Back", "✖ Cancel"]


async def test_the_day_picker_turns_pages_to_the_end_of_the_booking_horizon(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    _, expert_id, _ = await _verified_expert(engine, clock, policy)
    ada = Learner(dispatcher)
    await ada.say(f"/start e_{expert_id.hex}")
    await ada.press("📅 Book")
    await ada.press(SIXTY)
    days: list[str] = []
    while True:
        labels = ada.buttons()
        days += [label for label in labels if label[:3] in ("Mon", "Tue", "Wed", "Thu", "Fri")]
        if "later ▶" not in labels:
            break
        assert "Which day?" in await ada.press("later ▶")
        assert "◀ earlier" in ada.buttons()
    # Every weekday from tomorrow to the horizon, 30 days from now: Wed 01 Apr 08:00 in Berlin,
    # before that day's hours begin, so Tue 31 Mar is the last.
    assert days[0] == "Tue 03 Mar" and days[-1] == "Tue 31 Mar" and len(days) == 21
    await ada.press("◀ earlier")
    assert "later ▶" in ada.buttons()


async def test_after_losing_a_race_the_day_shows_every_time_still_free(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    _, expert_id, _ = await _verified_expert(engine, clock, policy)
    ada, bob = Learner(dispatcher), Learner(dispatcher)
    for person in (ada, bob):
        await person.say(f"/start e_{expert_id.hex}")
        await person.press("📅 Book")
        await person.press(SIXTY)
        await person.press("Tue 03 Mar")
        await person.press("12:00")
    assert "Requested!" in await bob.press("✅ Confirm")
    lost = await ada.press("✅ Confirm")
    assert "just taken" in lost and "still free that day" in lost
    # Berlin 09:00-17:00 is 08:00-16:00 UTC: 60-minute starts every half hour to 15:00, but for
    # Bob's 12:00-13:00 and its 15 minutes' buffer either side (11:00 to 13:30 excluded).
    free = ["08:00", "08:30", "09:00", "09:30", "10:00", "10:30", "13:30", "14:00", "14:30"]
    assert ada.buttons() == [*free, "15:00", "◀ Back", "✖ Cancel"]


async def test_the_reason_question_of_a_cancellation_can_be_left_keeping_the_booking(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    _, expert_id, _ = await _verified_expert(engine, clock, policy)
    identity = someone()
    await booking_walk(dispatcher, engine, identity, expert_id)
    ada = Learner(dispatcher, identity.external_id)
    await ada.say("/bookings")
    await ada.say("#1")
    asked = await ada.press("Cancel booking")
    assert "why are you cancelling?" in asked
    assert ada.buttons() == ["Skip", "✖ Keep the booking"]
    assert await ada.press("✖ Keep the booking") == "Stopped. Nothing was changed."
    assert await conversation_of(engine, ada.name) is None
    [(_, _, status)] = await stored(engine, expert_id)
    assert status == "pending"
