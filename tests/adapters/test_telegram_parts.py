"""The Telegram adapter's parts on their own: splitting, flood gate, settings, the emulator."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from telegram import Bot, Message

from bot.adapters.telegram import FloodGate, FloodLimit, Verdict
from bot.adapters.text import split_text, utf16_length
from bot.bootstrap import telegram_adapter
from bot.config import SettingsError, load_settings
from bot.handlers.base import Button, Identity, Incoming, Reply
from bot.handlers.router import Dispatcher
from domain.accounts import inbound
from tests.adapters.harness import FrozenTime, Person, running
from tests.adapters.telegram_emulator import BotApiEmulator, TgUser
from tests.support import FakeClock

# -- splitting long texts ---------------------------------------------------------------------

TEXTS = st.text(alphabet=st.sampled_from("ab \n😀é<&"), max_size=400)


@given(text=TEXTS, limit=st.integers(min_value=2, max_value=50))
def test_split_parts_fit_and_lose_nothing_but_the_breaks_they_were_cut_at(
    text: str, limit: int
) -> None:
    parts = split_text(text, limit)
    assert all(utf16_length(part) <= limit for part in parts)
    assert "".join(parts).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace(
        "\n", ""
    )
    if utf16_length(text) <= limit:
        assert parts == [text]


def test_split_cuts_at_line_boundaries_when_it_can() -> None:
    lines = [f"line {n:02d} " + "x" * 20 for n in range(10)]
    parts = split_text("\n".join(lines), 100)
    assert parts == ["\n".join(lines[i : i + 3]) for i in range(0, 10, 3)]


def test_an_emoji_counts_as_two_the_way_telegram_counts() -> None:
    assert utf16_length("😀a") == 3
    assert split_text("😀" * 3, 4) == ["😀😀", "😀"]


async def test_a_reply_over_4096_characters_arrives_in_parts_with_the_keyboard_on_the_last(
    api: BotApiEmulator, dispatcher: Dispatcher
) -> None:
    long_text = "\n".join(f"{n:04d} <{'&' * 40}>" for n in range(300))  # ~14,000 escaped
    buttons = ((Button("Open", "1:abcdef01:co:x"), Button("Site", url="https://example.org")),)

    class Long(Dispatcher):
        async def handle(self, incoming: Incoming) -> list[Reply]:
            if incoming.text == "/long":
                return [Reply(long_text, buttons)]
            return await super().handle(incoming)

    async with running(api, Long(dispatcher.ctx)) as adapter:
        qi = Person(api, adapter, "Qi")
        shown = await qi.say("/long")
    sent = qi.sent()
    assert len(sent) == 4
    assert all(utf16_length(c.result["text"]) <= 4096 for c in sent)
    assert shown.replace("\n", "") == long_text.replace("\n", "")
    assert all(c.result["text"].endswith(">") for c in sent)  # cut at line ends
    assert [("reply_markup" in c.result) for c in sent] == [False, False, False, True]
    assert sent[-1].result["reply_markup"]["inline_keyboard"][0][1] == {
        "text": "Site",
        "url": "https://example.org",
    }


# -- the flood gate -------------------------------------------------------------------------


def test_the_flood_gate_allows_a_burst_notices_once_then_drops_until_refilled() -> None:
    time = FrozenTime()
    gate = FloodGate(FloodLimit(burst=3, per_second=0.5), time)
    assert [gate.admit(1) for _ in range(5)] == [
        Verdict.ALLOW,
        Verdict.ALLOW,
        Verdict.ALLOW,
        Verdict.NOTICE,
        Verdict.DROP,
    ]
    assert gate.admit(2) is Verdict.ALLOW  # somebody else is not affected
    time.now += 1.9
    assert gate.admit(1) is Verdict.DROP  # not a whole token yet
    time.now += 0.2
    assert gate.admit(1) is Verdict.ALLOW
    assert gate.admit(1) is Verdict.NOTICE  # a new episode of flooding: told again


def test_the_flood_gate_forgets_idle_users_when_it_tracks_too_many() -> None:
    time = FrozenTime()
    gate = FloodGate(FloodLimit(burst=2, per_second=1), time)
    gate.MAX_TRACKED = 10
    for user in range(20):
        gate.admit(user)
    time.now += 5
    gate.admit(999)
    assert len(gate._buckets) <= 11


# -- settings --------------------------------------------------------------------------------


def test_webhook_mode_without_a_secret_is_a_one_line_configuration_error() -> None:
    with pytest.raises(SettingsError) as error:
        load_settings(telegram_bot_token="1:x", telegram_webhook_url="https://bot.example/tg")
    assert str(error.value).startswith(
        "TELEGRAM_WEBHOOK_SECRET must be set when TELEGRAM_WEBHOOK_URL is set: 1 to 256"
    )
    with pytest.raises(SettingsError, match="TELEGRAM_WEBHOOK_SECRET must be 1 to 256"):
        load_settings(telegram_webhook_url="https://bot.example/tg", telegram_webhook_secret="a b")
    with pytest.raises(SettingsError, match="TELEGRAM_API_BASE_URL must be a URL that starts"):
        load_settings(telegram_api_base_url="127.0.0.1:8081/bot")


def test_the_settings_choose_polling_or_the_webhook(dispatcher: Dispatcher) -> None:
    polling = telegram_adapter(
        load_settings(telegram_bot_token="1:x", telegram_api_base_url="http://127.0.0.1:1/bot"),
        dispatcher,
    )
    assert polling._webhook is None
    assert polling.application.bot.base_url == "http://127.0.0.1:1/bot1:x"
    hooked = telegram_adapter(
        load_settings(
            telegram_bot_token="1:x",
            telegram_webhook_url="https://bot.example/tg/hook",
            telegram_webhook_secret="s3cret",
            telegram_webhook_port=9443,
        ),
        dispatcher,
    )
    assert hooked._webhook is not None
    assert (hooked._webhook.path, hooked._webhook.port, hooked._webhook.listen) == (
        "/tg/hook",
        9443,
        "127.0.0.1",
    )


# -- the emulator itself -------------------------------------------------------------------


async def test_the_emulator_takes_documents_and_refuses_what_telegram_refuses(
    api: BotApiEmulator,
) -> None:
    user = TgUser(777, "Ro")
    api.private_chat(user)
    async with Bot(api.token, base_url=api.base_url) as bot:
        message = await bot.send_document(user.id, b"hello", filename="notes.txt", caption="x")
        assert message.document is not None and message.document.file_name == "notes.txt"
        failures: list[tuple[dict[str, Any], str]] = [
            ({"text": "a < b"}, "can't parse entities"),
            ({"text": "a & b"}, "can't parse entities"),
            ({"text": "x" * 4097}, "message is too long"),
            ({"text": "ok", "reply_markup": _keyboard("x" * 65)}, "BUTTON_DATA_INVALID"),
        ]
        for kwargs, expected in failures:
            with pytest.raises(Exception, match=f"(?i){expected}"):
                await bot.send_message(user.id, parse_mode="HTML", **kwargs)
        assert [c.status for c in api.calls_to("sendMessage", ok=False)] == [400] * 4

        sent = await bot.send_message(user.id, "pick", reply_markup=_keyboard("a"))
        edited = await bot.edit_message_reply_markup(user.id, sent.message_id)
        assert isinstance(edited, Message) and edited.reply_markup is None
        with pytest.raises(Exception, match="(?i)message is not modified"):
            await bot.edit_message_reply_markup(user.id, sent.message_id)
        await bot.set_my_commands([("done", "log a session")])
        assert [c.command for c in await bot.get_my_commands()] == ["done"]


def _keyboard(data: str) -> Any:
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup

    return InlineKeyboardMarkup([[InlineKeyboardButton("b", callback_data=data)]])


# -- update claims -------------------------------------------------------------------------


async def test_an_update_is_claimed_once_and_old_claims_are_forgotten(
    dispatcher: Dispatcher, clock: FakeClock
) -> None:
    uow, stream = dispatcher.ctx.uow, f"telegram:{uuid.uuid4().int % 10**9}"
    who = Identity("telegram", "1", "1", "Ida")

    async def first(stream: str, update_id: int) -> bool:
        return await inbound.first_delivery(stream, update_id, who, uow(), clock)

    assert await first(stream, 1)
    assert not await first(stream, 1)
    assert await first("telegram:other", 1)  # ids are per bot
    clock.advance(hours=47)
    assert await first(stream, 2)
    await inbound.forget_old_deliveries(uow(), clock)  # (other tests' old claims may go)
    assert not await first(stream, 1)  # 47 h old: kept
    clock.advance(hours=2)
    assert await inbound.forget_old_deliveries(uow(), clock) >= 2  # the first two are 49 h old
    assert not await first(stream, 2)  # 2 h old: kept
    assert await first(stream, 1)  # forgotten, so new again
