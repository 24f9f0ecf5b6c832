"""Buttons in the terminal do what the person pressed: every button shown keeps a label of its
own (``#3.1``: message 3, button 1) for the whole chat, ``#N`` is short for button N of the
latest answer, and a late 📬 notice neither renumbers it nor passes for an answer."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.bootstrap import bootstrap
from bot.handlers.router import Dispatcher
from db.uow import SqlAlchemyUnitOfWork
from domain.accounts.model import Identity
from domain.accounts.registration import register
from domain.marketplace import experts
from domain.marketplace.commands import BecomeExpert
from domain.marketplace.model import Policy
from tests.support import FakeClock, Learner, expert_draft, private_database


@pytest.fixture(scope="module")
async def engine(server_url: str) -> AsyncIterator[AsyncEngine]:
    """This module's own database: /admin lists every pending expert there is."""
    async with private_database(server_url) as engine:
        yield engine


@pytest.fixture
def admin_name() -> str:
    return f"admin-{uuid.uuid4().hex[:6]}"


@pytest.fixture
def policy(admin_name: str) -> Policy:
    return Policy(admins=frozenset({("terminal", admin_name)}))


@pytest.fixture
def dispatcher(engine: AsyncEngine, clock: FakeClock, policy: Policy) -> Dispatcher:
    return bootstrap(engine, clock=clock, policy=policy)


async def pending_expert(engine: AsyncEngine, clock: FakeClock, policy: Policy) -> str:
    """A new expert waiting for verification (the admins are told); their name."""
    name = f"Dr {uuid.uuid4().hex[:6]}"
    who = Identity("terminal", name, name, name)
    user, _ = await register(who, SqlAlchemyUnitOfWork(engine), clock)
    draft = BecomeExpert(user.id, expert_draft(name))
    await experts.become_expert(draft, SqlAlchemyUnitOfWork(engine), clock, policy)
    return name


async def status(engine: AsyncEngine, name: str) -> str:
    async with engine.connect() as conn:
        return await conn.scalar(
            text("SELECT verification_status FROM experts WHERE display_name = :n"), {"n": name}
        )


def label_under(shown: str, words: str, button: str) -> str:
    """The full label (``#M.N``) printed for ``button`` under the message saying ``words``."""
    found = re.search(rf"{re.escape(words)}.*?\[(#\d+\.\d+) {re.escape(button)}\]", shown, re.S)
    assert found, f"no [{button}] under {words!r} in {shown!r}"
    return found[1]


async def at_the_level_step(dispatcher: Dispatcher, name: str | None = None) -> Learner:
    person = Learner(dispatcher, name)
    for line in ("/new", "Linear algebra", "4", "30"):
        await person.say(line)
    assert person.buttons() == ["Beginner", "Intermediate", "Advanced", "◀ Back", "✖ Cancel"]
    return person


async def test_each_button_gets_the_number_of_its_message_and_short_labels_still_work(
    dispatcher: Dispatcher,
) -> None:
    ada = await at_the_level_step(dispatcher)
    shown = ada.out.getvalue()
    assert "bot> New curriculum, step 4 of 6: What is your level?" in shown
    assert "[#4.1 Beginner]  [#4.2 Intermediate]  [#4.3 Advanced]" in shown
    assert "What do you want to be able to do" in await ada.say("#2")  # #2 is #4.2


async def test_a_button_of_an_older_message_stays_pressable_by_its_full_label(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock, policy: Policy, admin_name: str
) -> None:
    admin = Learner(dispatcher, admin_name)
    await admin.say("/start")
    first, second = [await pending_expert(engine, clock, policy) for _ in range(2)]
    await admin.chat.enter("/admin")  # two cards; the second one is the latest
    shown = admin.out.getvalue()
    approve_first = label_under(shown, first, "✅ Approve")
    assert approve_first != label_under(shown, second, "✅ Approve")
    assert f"{first} is now verified" in await admin.say(approve_first)
    assert (await status(engine, first), await status(engine, second)) == ("verified", "pending")
    # ... and the second card's buttons are still where they were
    reject_second = label_under(shown, second, "❌ Reject")
    assert f"Why don't you approve {second}'s submission?" in await admin.say(reject_second)
    await admin.say("Please add your certificates")
    assert f"Rejected {second}'s profile" in await admin.press("❌ Reject")
    assert await status(engine, second) == "rejected"


async def test_a_late_notice_does_not_change_what_hash_n_presses(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock, policy: Policy, admin_name: str
) -> None:
    admin = await at_the_level_step(dispatcher, admin_name)  # [#4.1 Beginner] ... on screen
    expert = await pending_expert(engine, clock, policy)
    await admin.worker.drain()  # the admin hears of it while looking at the level step
    (notice,) = admin.notices
    assert [b.label for row in notice.buttons for b in row] == ["✅ Approve", "❌ Reject"]
    shown = admin.out.getvalue()
    frame = shown[shown.index("📬") :]
    assert frame.startswith("📬 Notice #5 (not an answer to what you typed):\n  │ Waiting for")
    assert "  │ [#5.1 ✅ Approve]  [#5.2 ❌ Reject]" in frame
    assert admin.buttons()[:3] == ["Beginner", "Intermediate", "Advanced"]  # #N: unchanged
    assert "What do you want to be able to do" in await admin.say("#2")  # Intermediate
    assert await status(engine, expert) == "pending"  # not ❌ Reject
    assert f"{expert} is now verified" in await admin.say("#5.1")  # the notice's own label
    assert await status(engine, expert) == "verified"


async def test_a_label_that_was_never_shown_presses_nothing(dispatcher: Dispatcher) -> None:
    bo = await at_the_level_step(dispatcher)
    assert await bo.chat.enter("#9.1") == []
    assert await bo.chat.enter("#4.7") == []
    shown = bo.out.getvalue()
    assert "(there is no button #9.1)" in shown and "(there is no button #4.7)" in shown
    assert "What do you want to be able to do" in await bo.say("#4.2")
