"""The newcomer journey of issue 12, replayed as one scripted terminal session.

Everyone chats through the terminal adapter (``TerminalChat``) with the worker of ``syllabot
chat`` delivering their 📬 notices, over a real PostgreSQL and a clock the script moves: a
learner plans and logs a session; an expert signs up (with ◀ Back once) and sets hours; the
admin approves them and rejects a second expert with a reason, who edits and resubmits; the
learner finds the expert by name, books (prices, policy) and the expert confirms on the notice
by its full label; two learners race for one slot; the learner reschedules; the expert
proposes a move with a reason and the learner accepts; inside the notice window the learner
can only message, the expert cancels late, and messages go both ways through the bot. Every
reply's words, the buttons offered and the database rows are checked at each step.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.bootstrap import bootstrap
from bot.handlers.router import Dispatcher
from domain.marketplace.model import Policy
from tests.scenarios.test_cli import run_cli
from tests.support import FakeClock, Learner, private_database

ADMIN = "admin"
BERLIN, MADRID = "Europe/Berlin", "Europe/Madrid"
WEEKDAYS = "; ".join(f"{day} 09:00-17:00" for day in ("mon", "tue", "wed", "thu", "fri"))
LENGTHS = ["30 min · 20.00 EUR", "60 min · 30.00 EUR", "90 min · 30.00 EUR", "✖ Cancel"]
DAYS = [
    "Tue 03 Mar",
    "Wed 04 Mar",
    "Thu 05 Mar",
    "Fri 06 Mar",
    "Mon 09 Mar",
    "Tue 10 Mar",
    "Wed 11 Mar",
    "Thu 12 Mar",
    "Fri 13 Mar",
    "later ▶",
]
WALK = ["◀ Back", "✖ Cancel"]
CONFIRM = ["✅ Confirm", *WALK]
BOOK = ["✅ Confirm", "🔁 Repeat weekly", *WALK]  # a new booking may repeat weekly


def halves(first: str, last: str) -> list[str]:
    """Every half hour from ``first`` to ``last`` (HH:MM, both included)."""
    start, end = (int(t[:2]) * 60 + int(t[3:]) for t in (first, last))
    return [f"{m // 60:02d}:{m % 60:02d}" for m in range(start, end + 1, 30)]


@pytest.fixture(scope="module")
async def engine(server_url: str) -> AsyncIterator[AsyncEngine]:
    """The journey's own database: /admin lists every expert there is."""
    async with private_database(server_url) as engine:
        yield engine


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 2, 6, 0, tzinfo=UTC))  # Monday 07:00 in Berlin/Madrid


@pytest.fixture
def dispatcher(engine: AsyncEngine, clock: FakeClock) -> Dispatcher:
    return bootstrap(engine, clock=clock, policy=Policy(admins=frozenset({("terminal", ADMIN)})))


async def rows(engine: AsyncEngine, sql: str, **values: object) -> list[tuple[object, ...]]:
    async with engine.connect() as conn:
        return [tuple(row) for row in await conn.execute(text(sql), values)]


async def bookings_of(engine: AsyncEngine, learner: str) -> list[tuple[object, ...]]:
    """(status, cancel_kind, session_date, proposed_start, move_reason) of the learner's
    bookings, oldest first."""
    return await rows(
        engine,
        "SELECT b.status, b.cancel_kind, b.session_date, b.proposed_start, b.move_reason"
        " FROM bookings b JOIN platform_identities i ON i.user_id = b.user_id"
        " WHERE i.external_id = :n ORDER BY b.created_at",
        n=learner,
    )


async def expert_row(engine: AsyncEngine, name: str) -> tuple[object, ...]:
    [row] = await rows(
        engine,
        "SELECT verification_status, rejection_reason, credentials, timezone, languages"
        " FROM experts WHERE display_name = :n",
        n=name,
    )
    return row


def at(hour: int, minute: int = 0, day: int = 3) -> datetime:
    """An instant of March 2026 given in Berlin (and Madrid) winter time, UTC+1."""
    return datetime(2026, 3, day, hour - 1, minute, tzinfo=UTC)


def ref_in(reply: str) -> str:
    found = re.search(r"Booking ([0-9a-f]{8}) ", reply)
    assert found, reply
    return found.group(1)


async def test_the_newcomer_journey(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    lena, marta, otto, admin, bea, carl = (
        Learner(dispatcher, name) for name in ("lena", "marta", "otto", ADMIN, "bea", "carl")
    )

    # -- A learner: a first welcome, a zone, a plan through the wizard, a logged session. -----
    hello = await lena.say("/start")
    assert "👋 Hi lena! I'm Syllabot" in hello and "/new" in hello and lena.buttons() == []
    assert "It is Mon 02 Mar 2026, 07:00 there" in await lena.say(f"/timezone {BERLIN}")
    assert "step 1 of 6: What do you want to learn?" in await lena.say("/new")
    assert lena.buttons() == ["✖ Cancel"]  # the first step has nothing to go back to
    assert "step 2 of 6: How many sessions" in await lena.say("Spanish")
    assert lena.buttons() == WALK
    assert "step 3 of 6: How many minutes" in await lena.say("10")
    assert "step 4 of 6: What is your level?" in await lena.say("30")
    assert lena.buttons() == ["Beginner", "Intermediate", "Advanced", *WALK]
    assert "step 5 of 6" in await lena.press("Beginner")
    assert lena.buttons() == ["Skip", *WALK]
    assert "step 6 of 6: Anything I should know" in await lena.say("order food when travelling")
    created = await lena.say("none")
    assert "📚 Created “Spanish (beginner)”: 10 sessions × 30 min" in created
    assert "First up: session 1" in created
    done = await lena.say("/done 25min")  # 25 minutes, not the default 30 with a note "25min"
    assert "Session 1 of 10 done" in done and "(25 min)" in done and "1-day streak" in done
    assert lena.buttons() == ["😌 Easy", "🙂 Fine", "😓 Hard", "🃏 Make review cards"]
    progress = await lena.say("/progress")
    assert "🔥 Daily streak: 1 day in a row" in progress
    assert "1/10 sessions · 10% · 25 min" in progress and "Next: session 2" in progress
    assert "last session: Mon 02 Mar 2026, 07:00" in progress  # in her zone, Berlin
    assert await rows(
        engine,
        "SELECT s.session_number, s.minutes_spent, s.notes FROM sessions s"
        " JOIN curricula c ON c.id = s.curriculum_id JOIN platform_identities i"
        " ON i.user_id = c.user_id WHERE i.external_id = 'lena' AND s.completed_at IS NOT NULL",
    ) == [(1, 25, None)]

    # -- An expert signs up through the wizard, going ◀ Back once to fix the name. ------------
    await marta.say("/start")
    assert "Becoming an expert, step 1 of 7: What name" in await marta.say("/become_expert")
    assert marta.buttons() == ["✖ Cancel"]
    assert "step 2 of 7: A short bio" in await marta.say("Marta Ruiz")
    assert marta.buttons() == ["Skip", *WALK]
    assert "step 1 of 7: What name" in await marta.press("◀ Back")
    assert "step 2 of 7" in await marta.say("Marta García")
    assert "step 3 of 7: Your credentials" in await marta.say("Native speaker, ten years teaching")
    assert "step 4 of 7: Your hourly rate in EUR" in await marta.say("DELE examiner")
    assert "step 5 of 7: Your time zone" in await marta.say("€20 - €40")
    assert marta.buttons() == ["Use UTC", *WALK]
    assert "step 6 of 7: Languages" in await marta.say(MADRID)
    assert "step 7 of 7: Your specialties" in await marta.say("Spanish, English")
    made = await marta.say("spanish: expert")
    assert "waiting for an admin's verification" in made
    assert "Rate: 20.00 EUR – 40.00 EUR per hour" in made and "Languages: Spanish, English" in made
    assert await expert_row(engine, "Marta García") == (
        "pending",
        None,
        "DELE examiner",
        MADRID,
        ["es", "en"],
    )
    assert await rows(engine, "SELECT 1 FROM experts WHERE display_name = 'Marta Ruiz'") == []
    hours = await marta.say(f"/availability {WEEKDAYS}")
    assert (
        "Saved your weekly hours: mon 09:00-17:00" in hours and "They replace: no hours" in hours
    )
    profile = await marta.say("/expert")
    assert "Status: waiting for an admin's verification." in profile
    assert "Specialties: spanish (expert)" in profile

    # A second expert, whose profile the admin will send back.
    await otto.say("/start")
    await otto.say("/become_expert")
    for answer in ("Otto Klein", "#1", "#1", "30", BERLIN, "de, es"):  # Skip bio, credentials
        await otto.say(answer)
    assert "Rate: 30.00 EUR per hour" in await otto.say("spanish: advanced")
    assert "No verified expert teaches" in await lena.say("/experts spanish")  # not yet listed

    # -- The admin approves one and rejects the other with a reason, confirmed. ---------------
    await admin.say("/start")
    listed = await admin.say("/admin")
    assert "Experts (all): 2 experts · 2 pending" in listed
    assert "1. Otto Klein — pending · spanish" in listed
    assert "2. Marta García — pending · spanish" in listed
    assert admin.buttons() == ["Otto Klein", "Marta García"]  # named, not "1", "2"
    card = await admin.press("Marta García")
    assert "Waiting for verification:\nMarta García" in card and "DELE examiner" in card
    assert admin.buttons() == ["✅ Approve", "❌ Reject"]
    assert "Marta García is now verified. The expert has been told." in await admin.press(
        "✅ Approve"
    )
    assert (await expert_row(engine, "Marta García"))[0] == "verified"
    told = await marta.say("/expert")
    assert "Status: verified" in told and "🎉 Your expert profile is verified." in told

    await admin.say("/admin pending")
    assert admin.buttons() == ["Otto Klein"]
    await admin.press("Otto Klein")
    asked = await admin.press("❌ Reject")
    assert "Why don't you approve Otto Klein's submission?" in asked
    assert admin.buttons() == ["Cancel"]
    shown = await admin.say("Please add your credentials.")
    assert "with this reason?\n“Please add your credentials.”" in shown
    assert admin.buttons() == ["❌ Reject", "✏️ Change reason", "Cancel"]
    assert "Rejected Otto Klein's profile" in await admin.press("❌ Reject")
    assert (await expert_row(engine, "Otto Klein"))[:2] == (
        "rejected",
        "Please add your credentials.",
    )
    reads = await otto.say("/expert")
    assert "Status: rejected. The admin's reason: “Please add your credentials.”" in reads
    assert "Your expert profile was not approved." in reads  # the notice, as it arrived
    assert "Credentials: Goethe-Institut teacher" in await otto.say(
        "/expert credentials Goethe-Institut teacher"
    )
    assert "Sent. Your profile will be reviewed" in await otto.say("/expert resubmit")
    assert (await expert_row(engine, "Otto Klein"))[:3] == (
        "pending",
        None,
        "Goethe-Institut teacher",
    )
    again = await admin.say("/admin pending")
    assert "Experts (pending): 1 expert" in again and "Goethe-Institut teacher" in again

    # -- The learner finds the expert by subject and name, and books. -------------------------
    found = await lena.say("/experts spanish")
    assert "Prices are for 60 min; free times in your zone, Europe/Berlin" in found
    assert "1. Marta García · new · 60 min: 30.00 EUR · Spanish, English" in found
    assert "Otto Klein" not in found  # pending again: not listed
    assert lena.buttons() == ["Marta García"]
    profile = await lena.press("Marta García")
    assert "Session prices: 30 min 20.00 EUR · 60 min 30.00 EUR · 90 min 30.00 EUR" in profile
    assert "Next free hours (in your zone, Europe/Berlin): Tue 03 Mar 09:00" in profile
    assert lena.buttons() == ["📅 Book"]
    assert "Each length shows the price you would pay." in await lena.press("📅 Book")
    assert lena.buttons() == LENGTHS
    assert "Which day? (times in Europe/Berlin) · 03 Mar–13 Mar" in await lena.press(LENGTHS[1])
    assert lena.buttons() == [*DAYS, *WALK]  # the next 12 hours are too soon: from Tuesday
    assert "Which time on Tue 03 Mar? (Europe/Berlin)" in await lena.press("Tue 03 Mar")
    assert lena.buttons() == [*halves("09:00", "16:00"), *WALK]
    # A learner with a plan is asked whether to share it with the expert (not unless she picks).
    asked = await lena.press("09:00")
    assert "Share a plan with Marta García?" in asked and "until the session ends" in asked
    assert lena.buttons() == ["📎 Spanish (beginner)", "🔒 Don't share", *WALK]
    quote = await lena.press("🔒 Don't share")
    assert "🔒 No plan shared." in quote
    assert (
        "Book 60 min with Marta García on Tue 03 Mar 2026, 09:00 (Europe/Berlin) for 30.00 EUR?"
    ) in quote
    assert "Free cancellation until Mon 02 Mar 2026, 21:00 (12 hours before the start)" in quote
    assert lena.buttons() == BOOK
    requested = await lena.press("✅ Confirm")
    assert "📨 Requested! The expert will confirm it" in requested
    assert "· pending · with Marta García" in requested and "(payment pending)" in requested
    ref = ref_in(requested)
    assert await bookings_of(engine, "lena") == [("pending", None, at(9), None, None)]

    # The expert is told; the notice's buttons go by their full label, #M.N, and #N still
    # presses her latest answer's (the wizard's, long done).
    request = await marta.say("/bookings")
    assert f"📨 New booking request — confirm or decline:\nBooking {ref} · pending" in request
    assert "Tue 03 Mar 2026, 09:00 (Europe/Madrid)" in request
    assert marta.notice_buttons()[:2] == ["✅ Confirm", "❌ Decline"]
    assert "✅ Confirm" not in marta.buttons()
    full = next(f for f, b in marta.chat.labelled().items() if b.label == "✅ Confirm")
    assert re.fullmatch(r"#\d+\.1", full) and f"[{full} ✅ Confirm]" in marta.out.getvalue()
    confirmed = await marta.say(full)
    assert "✅ Confirmed. The learner has been told." in confirmed
    assert (
        "· scheduled · with lena" in confirmed
        and "Meeting link: https://meet.jit.si/" in confirmed
    )
    assert marta.buttons() == [
        "🗓 Reschedule",
        "Cancel booking",
        "💶 Mark paid",
        "✉️ Message",
        "📅 Add to calendar",
    ]
    assert await bookings_of(engine, "lena") == [("scheduled", None, at(9), None, None)]
    assert "✅ Your booking is confirmed:" in await lena.say("/bookings")
    assert lena.notice_buttons() == [
        "🗓 Reschedule",
        "Cancel booking",
        "✉️ Message",
        "📅 Add to calendar",
        "📎 Share a plan",  # she has a plan, and did not share it
    ]

    # -- Two learners race for the same slot: exactly one wins. -------------------------------
    for racer in (bea, carl):
        await racer.say("/start")
        await racer.say(f"/timezone {BERLIN}")
        await racer.say("/experts spanish")
        await racer.press("Marta García")
        await racer.press("📅 Book")
        await racer.press(LENGTHS[1])
        await racer.press("Tue 03 Mar")
        assert racer.buttons() == [*halves("10:30", "16:00"), *WALK]  # after Lena's hour
        assert "Tue 03 Mar 2026, 11:00" in await racer.press("11:00")
    won, lost = await asyncio.gather(bea.press("✅ Confirm"), carl.press("✅ Confirm"))
    assert "📨 Requested!" in won
    assert lost.startswith("Sorry, that slot was just taken. Nothing was booked.")
    assert (
        "These times are still free that day.\nWhich time on Tue 03 Mar? (Europe/Berlin)" in lost
    )
    assert carl.buttons() == [*halves("12:30", "16:00"), *WALK]  # every one still free
    assert await bookings_of(engine, "bea") == [("pending", None, at(11), None, None)]
    assert await bookings_of(engine, "carl") == []
    assert "📨 New booking request" in await marta.say("/bookings")
    assert marta.buttons() == ["Tue 03 Mar 09:00 · lena", "Tue 03 Mar 11:00 · bea"]  # named
    await marta.press("Tue 03 Mar 11:00 · bea")  # Bea's request
    assert "why are you declining?" in await marta.press("❌ Decline")
    assert marta.buttons() == ["Skip", "✖ Don't decline"]
    declined = await marta.say("That hour is taken after all.")
    assert "Declined. The learner has been told." in declined
    assert "· declined · with bea" in declined and "(not charged)" in declined
    told = await bea.say("/bookings")
    assert "Past and called off:\n1. Tue 03 Mar 11:00 · 60 min · declined" in told
    assert "Upcoming" not in told and "Reason: That hour is taken after all." in told
    assert await bookings_of(engine, "bea") == [("cancelled", "declined", at(11), None, None)]

    # -- The learner reschedules: every screen says so, with the old time. --------------------
    assert "1. Tue 03 Mar 09:00 · 60 min · scheduled · with Marta García" in await lena.say(
        "/bookings"
    )
    await lena.say("#1")
    assert lena.buttons() == [
        "🗓 Reschedule",
        "Cancel booking",
        "✉️ Message",
        "📅 Add to calendar",
        "📎 Share a plan",
    ]
    heading = f"🗓 Rescheduling booking {ref} (now Tue 03 Mar 2026, 09:00)"
    days = await lena.press("🗓 Reschedule")
    assert heading in days and "Which day?" in days
    assert lena.buttons() == [*DAYS, "✖ Cancel"]
    times = await lena.press("Tue 03 Mar")
    assert heading in times and "Which time on Tue 03 Mar?" in times
    # the booking's own hour is free for its move (09:30 overlaps it), Bea's 11:00 is free again
    assert lena.buttons() == [*halves("09:00", "16:00"), *WALK]
    move = await lena.press("09:30")
    assert heading in move and "Move it to Tue 03 Mar 2026, 09:30 (Europe/Berlin)" in move
    assert "The price stays 30.00 EUR" in move and "Free cancellation until" in move
    assert lena.buttons() == CONFIRM
    moved = await lena.press("✅ Confirm")
    assert "🗓 Moved from Tue 03 Mar 2026, 09:00 to Tue 03 Mar 2026, 09:30" in moved
    assert await bookings_of(engine, "lena") == [("pending", None, at(9, 30), None, None)]
    told = await marta.say("/bookings")  # the notice, in her profile's zone
    assert (
        f"🗓 lena moved booking {ref} from Tue 03 Mar 2026, 09:00 to Tue 03 Mar 2026, 09:30"
        " (Europe/Madrid)."
    ) in told
    await marta.press("✅ Confirm")
    assert await bookings_of(engine, "lena") == [("scheduled", None, at(9, 30), None, None)]

    # -- The expert proposes a move with a reason; the learner accepts it. --------------------
    proposing = f"🗓 Proposing a new time for booking {ref} (now Tue 03 Mar 2026, 09:30)"
    days = await marta.press("🗓 Reschedule")
    assert proposing in days and "Which day? (times in Europe/Madrid)" in days
    assert proposing in await marta.press("Wed 04 Mar")
    why = await marta.press("10:00")
    assert proposing in why and "Why are you moving it to Wed 04 Mar 2026, 10:00?" in why
    assert marta.buttons() == WALK
    ask = await marta.say("Sorry, I have a dentist appointment.")
    assert "Ask lena to move the 60 min session to Wed 04 Mar 2026, 10:00 (Europe/Madrid)?" in ask
    assert "until then it stays at Tue 03 Mar 2026, 09:30" in ask and " with Marta" not in ask
    assert marta.buttons() == CONFIRM
    proposed = await marta.press("✅ Confirm")
    assert "📨 New time proposed to lena; the booking stays at Tue 03 Mar 2026, 09:30" in proposed
    assert "Tue 03 Mar 2026, 09:30 (Europe/Madrid)" in proposed
    reason = "Sorry, I have a dentist appointment."
    assert await bookings_of(engine, "lena") == [
        ("scheduled", None, at(9, 30), at(10, day=4), reason)
    ]
    asked = await lena.say("/start")
    assert (
        f"🗓 Marta García asks to move booking {ref} from Tue 03 Mar 2026, 09:30 to"
        " Wed 04 Mar 2026, 10:00 (Europe/Berlin).\nReason: Sorry, I have a dentist appointment."
    ) in asked
    assert lena.notice_buttons()[:2] == ["✅ Accept new time", "❌ Decline new time"]
    accepted = await lena.press("✅ Accept new time")
    assert "✅ Accepted: the session moved." in accepted
    assert "Wed 04 Mar 2026, 10:00 (Europe/Berlin)" in accepted
    assert await bookings_of(engine, "lena") == [("scheduled", None, at(10, day=4), None, None)]
    assert f"🗓 lena accepted moving booking {ref}" in await marta.say("/bookings")

    # -- Inside the 12-hour notice: the learner can only message; the expert cancels late. ----
    clock.set(at(3, day=4))  # seven hours before the session
    card = await lena.say("/bookings")
    assert "⏰ Your session starts in 7 h" in card  # the reminder, delivered as it is due
    await lena.say("#1")
    assert (
        "It starts in less than 12 hours: it can't be cancelled or moved here" in lena.last[0].text
    )
    assert lena.buttons() == [
        "✉️ Message",
        "📅 Add to calendar",
        "📎 Share a plan",
    ]  # no Cancel, no Reschedule offered
    # An older card's Cancel, pressed by its full label, is refused and changes nothing.
    refused = await lena.press("Cancel booking")
    assert refused == (
        "It's less than 12 hours before the session, so it can't be cancelled here any more."
        f" Message the expert: /message {ref}"
    )
    assert await bookings_of(engine, "lena") == [("scheduled", None, at(10, day=4), None, None)]
    asks = await lena.press("✉️ Message")
    assert f"Your message to the expert, Marta García, about booking {ref}?" in asks
    assert "never your handle or other bookings" in asks
    assert f"✉️ Sent to the expert, Marta García (booking {ref})." in await lena.say(
        "I'm ill, could we talk about it?"
    )
    relayed = await marta.say("/start")
    assert f"✉️ Message from lena (learner) about booking {ref}" in relayed
    assert "I'm ill, could we talk about it?" in relayed
    assert marta.notice_buttons() == ["↩️ Reply"]
    assert "Your message to the learner, lena" in await marta.press("↩️ Reply")
    assert "✉️ Sent to the learner, lena" in await marta.say("Get well! I will call it off.")
    back = await lena.say("/start")
    assert f"✉️ Message from Marta García (expert) about booking {ref}" in back
    assert "Get well! I will call it off." in back and lena.notice_buttons() == ["↩️ Reply"]
    assert await rows(
        engine,
        "SELECT i.external_id, m.body FROM booking_messages m"
        " JOIN platform_identities i ON i.user_id = m.sender_id ORDER BY m.created_at",
    ) == [("lena", "I'm ill, could we talk about it?"), ("marta", "Get well! I will call it off.")]

    listed = await marta.say("/bookings")
    assert "Upcoming:\n1. Wed 04 Mar 10:00 · 60 min · scheduled" in listed
    await marta.say("#1")
    assert marta.buttons() == ["Cancel booking", "💶 Mark paid", "✉️ Message", "📅 Add to calendar"]
    late = await marta.press("Cancel booking")
    warning, question = late.index("⚠️ Late cancellation"), late.index("why are you cancelling?")
    assert warning < question  # said before the reason is asked
    assert "starts in less than 12 hours, so it counts as cancelled late" in late
    assert marta.buttons() == ["Skip", "✖ Keep the booking", "✉️ Message"]
    cancelled = await marta.say("I am ill too, sorry.")
    assert "Cancelled. The other side has been told." in cancelled
    assert "· cancelled late · with lena" in cancelled and "(not charged)" in cancelled
    assert await bookings_of(engine, "lena") == [
        ("cancelled", "cancelled", at(10, day=4), None, None)
    ]
    told = await lena.say("/bookings")
    assert "Upcoming" not in told
    assert "Past and called off:\n1. Wed 04 Mar 10:00 · 60 min · cancelled late" in told
    assert "A booking was cancelled:" in told and "Reason: I am ill too, sorry." in told
    assert lena.notice_buttons() == ["✉️ Message"]  # they can still talk about it


# -- The same journey through real ``syllabot chat`` processes, piped, on the real clock. -----

EVERY_DAY = "; ".join(
    f"{day} 08:00-20:00" for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
)


def chat(url: str, user: str, *lines: str) -> str:
    """One ``syllabot chat --user <user>`` process fed ``lines``; what it printed."""
    env = {"DATABASE_URL": url, "SYLLABOT_ADMINS": f"terminal:{ADMIN}"}
    done = run_cli("chat", "--user", user, stdin="".join(f"{line}\n" for line in lines), env=env)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    return done.stdout


async def test_the_journey_through_real_chat_processes(server_url: str) -> None:
    async with private_database(server_url) as engine:
        url = engine.url.render_as_string(hide_password=False)
        signed = chat(url, "marta", "/start", "/become_expert", "Marta Ruiz", "#2")
        assert re.search(r"\[#(\d+)\.1 Skip\]\n +\[#\1\.2 ◀ Back\]  \[#\1\.3 ✖ Cancel\]", signed)
        assert signed.count("step 1 of 7: What name") == 2  # ◀ Back asked the name again
        answers = ("Marta García", "#1", "#1", "20-40", MADRID, "es, en", "spanish: expert")
        made = chat(url, "marta", *answers, f"/availability {EVERY_DAY}")
        assert "waiting for an admin's verification" in made and "Saved your weekly hours" in made

        approved = chat(url, ADMIN, "/admin", "#1", "#1")
        assert re.search(r"\[#\d+\.1 Marta García\]", approved)  # the button carries the name
        assert re.search(r"\[#(\d+)\.1 ✅ Approve\]  \[#\1\.2 ❌ Reject\]", approved)
        assert "Marta García is now verified." in approved
        assert "🎉 Your expert profile is verified." in chat(url, "marta", "/start")

        steps = ("/experts spanish", "#1", "#1", "#2", "#1", "#1", "#1")
        booked = chat(url, "lena", "/start", f"/timezone {BERLIN}", *steps)
        assert re.search(r"\[#\d+\.1 Marta García\]", booked)
        assert "Session prices: 30 min 20.00 EUR · 60 min 30.00 EUR · 90 min 30.00 EUR" in booked
        assert re.search(
            r"\[#(\d+)\.1 30 min · 20.00 EUR\]  \[#\1\.2 60 min · 30.00 EUR\]", booked
        )
        assert "later ▶]" in booked and "Free cancellation until" in booked
        assert "📨 Requested! The expert will confirm it" in booked
        ref = ref_in(booked.split("📨 Requested!")[1])
        assert [row[:2] for row in await bookings_of(engine, "lena")] == [("pending", None)]

        confirmed = chat(url, "marta", "/bookings", "#1", "#1")
        assert "📬 Notice #" in confirmed and "(not an answer to what you typed)" in confirmed
        assert f"📨 New booking request — confirm or decline:\n  │ Booking {ref}" in confirmed
        assert "✅ Confirmed. The learner has been told." in confirmed
        assert [row[:2] for row in await bookings_of(engine, "lena")] == [("scheduled", None)]

        sent = chat(url, "lena", f"/message {ref} See you there!")
        assert "✅ Your booking is confirmed" in sent
        assert f"✉️ Sent to the expert, Marta García (booking {ref})." in sent
        relayed = chat(url, "marta", f"/message {ref} Looking forward to it.")
        assert f"✉️ Message from lena (learner) about booking {ref}" in relayed
        assert "See you there!" in relayed and "↩️ Reply]" in relayed
        assert "Looking forward to it." in chat(url, "lena", "/start")
        assert await rows(
            engine,
            "SELECT i.external_id, m.body FROM booking_messages m JOIN platform_identities i"
            " ON i.user_id = m.sender_id ORDER BY m.created_at",
        ) == [("lena", "See you there!"), ("marta", "Looking forward to it.")]

        # Far ahead of the session, a cancel is free: no late warning, the reason is asked.
        cancelled = chat(url, "lena", "/bookings", "#1", "#2", "My plans changed.")
        assert "why are you cancelling?" in cancelled and "Late cancellation" not in cancelled
        assert "Cancelled. The other side has been told." in cancelled
        assert [row[:2] for row in await bookings_of(engine, "lena")] == [
            ("cancelled", "cancelled")
        ]
