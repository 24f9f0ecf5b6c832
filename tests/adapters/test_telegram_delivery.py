"""Getting updates in and replies out: duplicates, webhooks, rate limits, floods and failures."""

from __future__ import annotations

import asyncio
import json
import logging
import socket

import pytest
from aiohttp import ClientSession
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import ExtBot

from bot.adapters.telegram import ChatRateLimiter, FloodLimit, Webhook
from bot.handlers.router import FAILURE, Dispatcher
from domain.accounts import inbound
from tests.adapters.harness import FrozenTime, Person, running
from tests.adapters.telegram_emulator import BotApiEmulator, TgUser
from tests.support import snapshot


async def sessions_done(engine: AsyncEngine, person: Person) -> int:
    async with engine.connect() as conn:
        return int(
            await conn.scalar(
                text(
                    """SELECT coalesce(sum(p.sessions_completed), 0) FROM user_progress p
                         JOIN platform_identities i ON i.user_id = p.user_id
                        WHERE i.platform = 'telegram' AND i.external_id = :id"""
                ),
                {"id": str(person.user.id)},
            )
        )


async def test_an_update_delivered_again_after_a_crash_has_no_second_effect(
    api: BotApiEmulator, dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    async with running(api, dispatcher) as adapter:
        jo = Person(api, adapter, "Jo")
        await jo.say("/new Go | 5 | 30 | beginner")
        start = len(api.calls)
        done = await api.send_text(jo.user, "/done")
        await jo.settle(done, start)
        assert "Session 1 of 5 done" in jo.texts()
    # The bot "crashed" before Telegram heard that the update was handled: it comes again.
    api.lose_confirmations(done)
    async with running(api, dispatcher) as adapter:
        jo.adapter = adapter
        await jo.settle(done, len(api.calls))
        assert not jo.sent()
        assert "1/5 sessions" in await jo.say("/progress")
    assert await sessions_done(engine, jo) == 1
    assert sum("done:" in c.result["text"] for c in api.calls_to("sendMessage")) == 1


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_webhook_mode_needs_the_secret_and_a_retried_update_counts_once(
    api: BotApiEmulator, dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    port = _free_port()
    hook = Webhook(url=f"http://127.0.0.1:{port}/tg/hook", secret="s3cret-Token_1", port=port)
    async with running(api, dispatcher, webhook=hook) as adapter:
        assert api.webhook == {
            "url": hook.url,
            "secret_token": "s3cret-Token_1",
            "allowed_updates": ["message", "callback_query"],
        }
        kim = Person(api, adapter, "Kim")
        assert "Syllabot" in await kim.say("/start")  # pushed by the emulator, with the secret
        await kim.say("/new Go | 5 | 30 | beginner")
        before = await snapshot(engine)
        sent_before = len(api.calls_to("sendMessage"))

        forged = {
            "update_id": 9_000_001,
            "message": {
                "message_id": 999,
                "date": 1_700_000_000,
                "chat": {"id": kim.user.id, "type": "private", "first_name": "Kim"},
                "from": kim.user.as_json(),
                "text": "/done",
            },
        }
        async with ClientSession() as http:

            async def post(headers: dict[str, str]) -> int:
                async with http.post(
                    hook.url,
                    data=json.dumps(forged),
                    headers={"Content-Type": "application/json", **headers},
                ) as response:
                    return response.status

            assert await post({}) == 403
            assert await post({"X-Telegram-Bot-Api-Secret-Token": "wrong"}) == 403
            await adapter.application.update_queue.join()
            assert await snapshot(engine) == before  # reached no handler...
            assert len(api.calls_to("sendMessage")) == sent_before  # ...and said nothing
            assert not await _claimed(engine, forged["update_id"])

            # The right secret, twice (Telegram retries when it missed our answer).
            right = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-Token_1"}
            assert await post(right) == 200
            assert await post(right) == 200
            await adapter.application.update_queue.join()
    assert await sessions_done(engine, kim) == 1
    assert len(api.calls_to("sendMessage")) == sent_before + 1
    assert await _claimed(engine, forged["update_id"])


NOT_UPDATES = {
    "malformed JSON": b'{"update_id": 9000101, "message": {',
    "not UTF-8": '{"update_id": 9000102, "message": {"text": "café"}}'.encode("latin-1"),
    "nested too deep": b'{"update_id": 9000103, "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    "not an object": b"[9000104]",
    "fields of the wrong type": b'{"update_id": 9000105, "message": "/done"}',
}


async def test_a_webhook_body_that_is_not_an_update_gets_400_and_one_log_line(
    api: BotApiEmulator,
    dispatcher: Dispatcher,
    engine: AsyncEngine,
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = _free_port()
    hook = Webhook(url=f"http://127.0.0.1:{port}/tg/hook", secret="s3cret", port=port)
    async with running(api, dispatcher, webhook=hook) as adapter, ClientSession() as http:
        kim = Person(api, adapter, "Kim")
        assert "Syllabot" in await kim.say("/start")
        headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": "s3cret"}
        for reason, body in NOT_UPDATES.items():
            caplog.clear()
            with caplog.at_level(logging.DEBUG):
                async with http.post(hook.url, data=body, headers=headers) as response:
                    assert response.status == 400, reason  # Telegram does not retry a 400
            refusals = [r for r in caplog.records if "webhook body" in r.getMessage()]
            assert len(refusals) == 1, reason
            assert refusals[0].levelno == logging.WARNING and refusals[0].exc_info is None
            assert not [r for r in caplog.records if r.levelno >= logging.ERROR], reason
        await adapter.application.update_queue.join()
        for update_id in range(9_000_101, 9_000_106):
            assert not await _claimed(engine, update_id)
        assert "Here's what I understand" in await kim.say("/help")  # and it still serves


async def _claimed(engine: AsyncEngine, update_id: int) -> bool:
    async with engine.connect() as conn:
        found = await conn.scalar(
            text("SELECT count(*) FROM processed_updates WHERE update_id = :id"),
            {"id": update_id},
        )
    return bool(found)


async def test_a_429_is_waited_out_and_the_message_still_delivered(
    api: BotApiEmulator, dispatcher: Dispatcher
) -> None:
    async with running(api, dispatcher, rate_limiter=ChatRateLimiter()) as adapter:
        lu = Person(api, adapter, "Lu")
        api.fail_next("sendMessage", 1, retry_after=1)
        assert "Here's what I understand" in await lu.say("/help")
    attempts = api.calls_to("sendMessage", lu.chat.id, ok=False)
    assert [c.status for c in attempts] == [429, 200]
    assert attempts[1].at - attempts[0].at >= 1.0  # it waited as long as it was told


async def test_replies_to_one_chat_are_spaced_after_a_burst(api: BotApiEmulator) -> None:
    limiter = ChatRateLimiter(per_chat_rate=20, per_chat_burst=2)
    user = TgUser(424_242, "Mo")
    api.private_chat(user)
    async with ExtBot(api.token, base_url=api.base_url, rate_limiter=limiter) as bot:
        await asyncio.gather(*(bot.send_message(user.id, str(n)) for n in range(6)))
    sends = api.calls_to("sendMessage")
    assert len(sends) == 6
    # Two at once, then one every 1/20 s: the last comes at least four intervals later.
    assert sends[-1].at - sends[0].at >= 4 / 20 * 0.9


async def test_a_flooding_user_is_told_once_and_skipped_while_others_are_answered(
    api: BotApiEmulator, dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    frozen = FrozenTime()  # no refill during the flood: exactly `burst` get through
    async with running(
        api, dispatcher, flood=FloodLimit(burst=5, per_second=1), monotonic=frozen
    ) as adapter:
        max_, nia = Person(api, adapter, "Max"), Person(api, adapter, "Nia")
        start = len(api.calls)
        for _ in range(30):
            await api.send_text(max_.user, "/help")
        nias = await api.send_text(nia.user, "/help")
        last = await api.send_text(max_.user, "/help")
        await max_.settle(last, start)
        to_max = [c.result["text"] for c in api.calls_to("sendMessage", max_.chat.id)]
        assert sum("Here's what I understand" in t for t in to_max) == 5
        assert sum("faster than I can answer" in t for t in to_max) == 1
        assert api.confirmed(nias)
        (to_nia,) = api.calls_to("sendMessage", nia.chat.id)
        assert "Here's what I understand" in to_nia.result["text"]

        # A throttled button press is still answered (the spinner stops), with a short note.
        frozen.now += 10  # Max's bucket is full again: 5 more
        await max_.say("/timezone Tokyo")
        for _ in range(4):
            await max_.say("/help")
        data = max_.keyboard_message()["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        assert await max_.press_data(data) == ""
        (query,) = [q for q in api.queries.values() if q["user"] == max_.user.id]
        assert query["answered_at"] is not None and "Slow down" in query["text"]
        assert "UTC" in await _zone(engine, max_)  # the press did nothing

        # Time passes: Max may talk again.
        frozen.now += 3
        assert "Here's what I understand" in await max_.say("/help")


async def _zone(engine: AsyncEngine, person: Person) -> str:
    async with engine.connect() as conn:
        return str(
            await conn.scalar(
                text(
                    "SELECT u.timezone FROM users u JOIN platform_identities i "
                    "ON i.user_id = u.id WHERE i.external_id = :id"
                ),
                {"id": str(person.user.id)},
            )
        )


async def test_an_unexpected_error_is_logged_with_the_update_id_and_the_user_told_nothing_changed(
    api: BotApiEmulator,
    dispatcher: Dispatcher,
    engine: AsyncEngine,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with running(api, dispatcher) as adapter:
        oz = Person(api, adapter, "Oz")
        await oz.say("/new Go | 5 | 30 | beginner")
        before = await snapshot(engine)

        async def broken(*args: object) -> bool:
            raise ConnectionResetError("the database went away")

        monkeypatch.setattr(inbound, "first_delivery", broken)  # the claim, in the handlers
        with caplog.at_level(logging.ERROR):
            start = len(api.calls)
            update_id = await api.send_text(oz.user, "/done")
            await oz.settle(update_id, start)
        assert oz.texts() == FAILURE
        assert "Nothing was changed; please try again" in FAILURE
        assert f"failed to claim update {update_id} of {adapter.stream}" in caplog.text
        assert "ConnectionResetError" in caplog.text
        assert await snapshot(engine) == before

        monkeypatch.undo()
        assert "Session 1 of 5 done" in await oz.say("/done")  # and trying again works
