"""Issue 12, experts: changes reviewed again, rejections with reasons, every expert listed for
admins with suspend and reinstate, days off listed and removed, searches that say why nobody
was found, and fields that can't be blanked. Through the chat, on real PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.bootstrap import bootstrap
from bot.handlers.router import Dispatcher
from db.uow import SqlAlchemyUnitOfWork
from domain.accounts.model import Identity
from domain.accounts.registration import register
from domain.marketplace import bookings, experts
from domain.marketplace.commands import BecomeExpert, BookSlot, SetAvailability, VerifyExpert
from domain.marketplace.model import Policy
from domain.shared.errors import NotFound
from tests.support import FakeClock, Learner, expert_draft

WEEKDAYS = "mon 09:00-17:00; tue 09:00-17:00; wed 09:00-17:00; thu 09:00-17:00; fri 09:00-17:00"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 2, 6, 0, tzinfo=UTC))  # Monday 07:00 in Berlin


@pytest.fixture
def admin_name() -> str:
    return f"admin-{uuid.uuid4().hex[:6]}"


@pytest.fixture
def policy(admin_name: str) -> Policy:
    return Policy(admins=frozenset({("terminal", admin_name)}))


@pytest.fixture
def dispatcher(engine: AsyncEngine, clock: FakeClock, policy: Policy) -> Dispatcher:
    return bootstrap(engine, clock=clock, policy=policy)


async def expert(
    dispatcher: Dispatcher, engine: AsyncEngine, *, verified: bool = True
) -> tuple[Learner, uuid.UUID, str, str]:
    """An expert (20-40 EUR/h, Berlin, weekdays) of a unique name teaching a unique subject,
    set up through the services; returns their chat, id, name and subject."""
    ctx = dispatcher.ctx
    tag = uuid.uuid4().hex[:6]
    name, subject = f"Ada {tag}", f"Cobol{tag}"
    identity = Identity("terminal", name, name, name)
    user, _ = await register(identity, SqlAlchemyUnitOfWork(engine), FakeClock())
    made = await experts.become_expert(
        BecomeExpert(user.id, expert_draft(name, subject)), ctx.uow(), ctx.clock, ctx.policy
    )
    if verified:
        command = VerifyExpert(None, made.id, True)
        await experts.verify_expert(command, ctx.uow(), ctx.clock, ctx.policy)
    await experts.set_availability(SetAvailability(user.id, WEEKDAYS), ctx.uow())
    chat = Learner(dispatcher, name)
    await chat.say("/start")
    return chat, made.id, name, subject


async def admin_chat(dispatcher: Dispatcher, admin_name: str) -> Learner:
    admin = Learner(dispatcher, admin_name)
    await admin.say("/start")
    return admin


async def _column(engine: AsyncEngine, sql: str, **values: object) -> object:
    async with engine.connect() as conn:
        return await conn.scalar(text(sql), values)


async def test_a_verified_experts_new_specialties_wait_for_review_and_a_rejection_says_why(
    dispatcher: Dispatcher, engine: AsyncEngine, admin_name: str
) -> None:
    admin = await admin_chat(dispatcher, admin_name)
    ex, expert_id, name, subject = await expert(dispatcher, engine)
    learner = Learner(dispatcher)
    await learner.say("/start")
    new = f"Fortran{uuid.uuid4().hex[:6]}"

    saved = await ex.say(f"/expert specialties {new}: expert")
    assert "Saved for review" in saved and f"Specialties: {subject} (expert)" in saved
    assert name in await learner.say(f"/experts {subject}")  # the approved values stay public
    assert "No verified expert teaches" in await learner.say(f"/experts {new}")

    # The admin is told, with the change on the card; Reject asks the reason, then confirms.
    await admin.say("/admin")
    card = admin.last[-1]
    assert card.text.startswith(f"Changes waiting for review:\n{name}")
    assert f"Specialties → {new} (expert)" in card.text
    asked = await admin.press("❌ Reject")
    assert f"Why don't you approve {name}'s submission?" in asked
    confirm = await admin.say("Which school?")
    assert "with this reason?\n“Which school?”" in confirm
    assert admin.buttons() == ["❌ Reject", "✏️ Change reason", "Cancel"]
    await admin.press("✏️ Change reason")
    await admin.say("Name the school where you teach it.")
    done = await admin.press("❌ Reject")
    assert f"Rejected {name}'s changes (specialties)" in done
    reason = await _column(
        engine,
        "SELECT rejected_reason FROM expert_profile_changes WHERE expert_id = :e",
        e=expert_id,
    )
    assert reason == "Name the school where you teach it."

    # The expert reads the reason, edits and it goes back for review; approval makes it public.
    shown = await ex.say("/expert")
    assert "The admin's reason: “Name the school where you teach it.”" in shown  # the notice
    assert "Not approved: Specialties →" in shown and f"Specialties: {subject}" in shown
    assert "Saved for review" in await ex.say(f"/expert specialties {new}: advanced")
    await admin.say("/admin pending")  # the card arrives again, as a notice
    assert admin.last[-1].text.startswith(f"Changes waiting for review:\n{name}")
    assert "approved and public now" in await admin.press("✅ Approve")
    assert name in await learner.say(f"/experts {new}")
    assert "No verified expert teaches" in await learner.say(f"/experts {subject}")
    assert "Your changes to your specialties are approved" in await ex.say("/expert")


async def test_a_rejected_profile_carries_the_reason_and_can_be_resubmitted(
    dispatcher: Dispatcher, engine: AsyncEngine, admin_name: str
) -> None:
    admin = await admin_chat(dispatcher, admin_name)
    ex, expert_id, name, _ = await expert(dispatcher, engine, verified=False)
    await admin.say("/admin pending")
    assert admin.last[-1].text.startswith(f"Waiting for verification:\n{name}")
    await admin.press("❌ Reject")
    assert "Cancelled. Nothing was changed." in await admin.press("Cancel")
    status = "SELECT verification_status FROM experts WHERE id = :e"
    assert await _column(engine, status, e=expert_id) == "pending"
    assert name in await admin.say("/admin pending")
    await admin.press(name)  # the list's button carries the expert's name
    await admin.press("❌ Reject")
    assert "needs a reason" in await admin.say("-")  # not a reason: asked again, nothing done
    await admin.say("Add your certificates, please.")
    assert f"Rejected {name}'s profile" in await admin.press("❌ Reject")
    assert await _column(engine, status, e=expert_id) == "rejected"

    told = await ex.say("/expert")
    assert "not approved.\nThe admin's reason: “Add your certificates, please.”" in told
    assert "Status: rejected. The admin's reason" in told
    edited = await ex.say("/expert credentials CELTA, 2019")
    assert "Saved." in edited and "/expert resubmit" in edited  # not public yet: no review
    assert "will be reviewed by an admin" in await ex.say("/expert resubmit")
    assert await _column(engine, status, e=expert_id) == "pending"
    await admin.say("/admin")
    assert admin.last[-1].text.startswith(f"Waiting for verification:\n{name}")
    assert "Credentials: CELTA, 2019" in admin.last[-1].text
    assert "already waiting" in await ex.say("/expert resubmit")


async def test_admins_list_every_expert_and_a_suspended_one_is_neither_found_nor_booked(
    dispatcher: Dispatcher, engine: AsyncEngine, admin_name: str, clock: FakeClock
) -> None:
    admin = await admin_chat(dispatcher, admin_name)
    ex, expert_id, name, subject = await expert(dispatcher, engine)
    learner = Learner(dispatcher)
    await learner.say("/start")
    assert "Only admins" in await learner.say("/admin")

    listed = await admin.say("/admin verified")
    assert f"{name} — verified · {subject}" in listed
    card = await admin.press(name)
    assert card.startswith(f"Verified:\n{name}") and admin.buttons() == ["⛔ Suspend"]
    assert "is suspended" in await admin.press("⛔ Suspend")
    assert admin.buttons() == ["↩️ Reinstate"]

    assert "No verified expert teaches" in await learner.say(f"/experts {subject}")
    assert "doesn't lead to anything" in await learner.say(f"/start e_{expert_id.hex}")
    learner_id = await _column(
        engine,
        "SELECT user_id FROM platform_identities WHERE external_id = :n",
        n=learner.name,
    )
    slot = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
    ctx = dispatcher.ctx
    with pytest.raises(NotFound):
        await bookings.book(
            BookSlot(learner_id, expert_id, slot, 60), ctx.uow(), ctx.clock, ctx.policy
        )  # type: ignore[arg-type]
    assert "suspended your expert profile" in await ex.say("/expert")
    assert name in await admin.say("/admin suspended")
    assert name in await admin.say("/admin all")
    assert "List experts by status" in await admin.say("/admin bogus")

    await admin.press(name)
    assert "is reinstated" in await admin.press("↩️ Reinstate")
    assert name in await learner.say(f"/experts {subject}")
    assert "listed again" in await ex.say("/expert")


async def test_days_off_are_listed_and_removed_and_new_hours_say_what_they_replace(
    dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    ex, expert_id, _, _ = await expert(dispatcher, engine)
    assert "no days off ahead" in await ex.say("/timeoff")
    await ex.say("/timeoff 2026-03-10")
    await ex.say("/timeoff 2026-03-20..2026-03-22")
    assert "Your time off: 2026-03-10, 2026-03-20..2026-03-22" in await ex.say("/timeoff")
    inside = await ex.say("/timeoff remove 2026-03-21")
    assert "is part of your time off 2026-03-20..2026-03-22" in inside
    assert "no time off on 2026-04-01" in await ex.say("/timeoff remove 2026-04-01")
    removed = await ex.say("/timeoff remove 2026-03-10")
    assert removed == "Removed 2026-03-10. Your time off: 2026-03-20..2026-03-22"
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT starts_on, ends_on FROM expert_time_off WHERE expert_id = :e"),
            {"e": expert_id},
        )
        assert [tuple(r) for r in rows] == [(date(2026, 3, 20), date(2026, 3, 22))]

    replaced = await ex.say("/availability mon 10:00-12:00")
    assert f"Saved your weekly hours: mon 10:00-12:00\nThey replace: {WEEKDAYS}" in replaced
    assert "(unchanged)" in await ex.say("/availability mon 10:00-12:00")


async def test_a_search_budgets_the_session_price_and_says_why_nobody_was_found(
    dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    _, _, name, subject = await expert(dispatcher, engine)  # 20-40 EUR/h: 60 min is 30 EUR
    ada = Learner(dispatcher)
    await ada.say("/timezone America/New_York")

    over = await ada.say(f"/experts {subject} max=29")  # under the 60-minute price, over 20
    assert "No one matches these filters (at most 29.00 EUR for 60 min)" in over
    found = await ada.say(f"/experts {subject} max=€30")
    assert f"{name} · new · 60 min: 30.00 EUR · English" in found
    assert "Prices are for 60 min; free times in your zone, America/New_York" in found
    assert ada.buttons() == [name]  # the button carries the expert's name
    card = await ada.press(name)
    assert "Session prices: 30 min 20.00 EUR · 60 min 30.00 EUR · 90 min 30.00 EUR" in card
    assert "Next free hours (in your zone, America/New_York): Tue 03 Mar 03:00" in card
    assert "Languages: English · time zone Europe/Berlin" in card

    unknown = await ada.say(f"/experts {subject} price=20")
    assert "I don't know the filter “price=20”" in unknown
    assert "No verified expert teaches “Basket weaving" in await ada.say(
        "/experts Basket weaving lang=de"
    )


@pytest.mark.parametrize(
    "line",
    [
        "/expert name -",
        "/expert name none",
        "/expert rate -",
        "/expert languages remove",
        "/expert specialties -",
        "/expert timezone —",
    ],
)
async def test_a_required_field_cannot_be_blanked(
    dispatcher: Dispatcher, engine: AsyncEngine, line: str
) -> None:
    ex, expert_id, _, _ = await expert(dispatcher, engine)

    async def row() -> tuple[object, ...]:
        async with engine.connect() as conn:
            found = await conn.execute(
                text("SELECT * FROM experts WHERE id = :e"), {"e": expert_id}
            )
            specialties = await conn.scalar(
                text("SELECT count(*) FROM expert_specialties WHERE expert_id = :e"),
                {"e": expert_id},
            )
            return (*found.one(), specialties)

    before = await row()
    reply = await ex.say(line)
    assert "can't be removed" in reply and "Nothing was changed." in reply
    assert await row() == before


async def test_languages_are_typed_by_name_stored_as_codes_and_optional_fields_cleared(
    dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    ex, expert_id, _, _ = await expert(dispatcher, engine)
    assert "Languages: Spanish, English" in await ex.say("/expert languages Spanish, English")
    await ex.say("/expert bio I teach with patience.")
    assert "About:" not in await ex.say("/expert bio -")
    async with engine.connect() as conn:
        languages, bio = (
            await conn.execute(
                text("SELECT languages, bio FROM experts WHERE id = :e"), {"e": expert_id}
            )
        ).one()
    assert (languages, bio) == (["es", "en"], None)
    assert "Rate: 30.00 EUR per hour" in await ex.say("/expert rate 30")


async def test_two_admins_deciding_at_once_decide_once(
    dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    import asyncio

    from domain.marketplace import verification
    from domain.shared.errors import InvalidInput

    _, expert_id, _, _ = await expert(dispatcher, engine, verified=False)
    ctx = dispatcher.ctx
    approve = VerifyExpert(None, expert_id, True)
    reject = VerifyExpert(None, expert_id, False, "Not yet.")
    results = await asyncio.gather(
        verification.verify_expert(approve, ctx.uow(), ctx.clock, ctx.policy),
        verification.verify_expert(reject, ctx.uow(), ctx.clock, ctx.policy),
        return_exceptions=True,
    )
    decided = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, InvalidInput)]
    assert len(decided) == 1 and len(refused) == 1
    assert "nothing waits for review" in refused[0].message
    status = await _column(
        engine, "SELECT verification_status FROM experts WHERE id = :e", e=expert_id
    )
    assert status == ("verified" if decided[0].approved else "rejected")
    told = await _column(
        engine,
        "SELECT count(*) FROM notifications n JOIN experts e ON e.user_id = n.user_id"
        " WHERE e.id = :e AND n.kind IN ('expert_verified', 'expert_rejected')",
        e=expert_id,
    )
    assert told == 1
