"""/export's two files on each platform: Telegram documents, Discord attachments."""

from __future__ import annotations

import csv
import io
import json

from bot.handlers.router import Dispatcher
from tests.adapters.discord_fake import DiscordFake
from tests.adapters.discord_harness import Member
from tests.adapters.discord_harness import running as discord_running
from tests.adapters.harness import Person, running
from tests.adapters.telegram_emulator import BotApiEmulator, Upload


async def test_telegram_sends_the_export_as_two_documents(
    api: BotApiEmulator, dispatcher: Dispatcher
) -> None:
    async with running(api, dispatcher) as adapter:
        ada = Person(api, adapter, "Ada")
        await ada.say("/new Go | 3 | 30 | beginner")
        assert "1 curriculum" in await ada.say("/export")
        documents = [sent.params["document"] for sent in ada.sent("sendDocument")]
        assert all(isinstance(d, Upload) for d in documents)
        by_kind = {d.filename.rsplit(".", 1)[1]: d.content for d in documents}
        assert json.loads(by_kind["json"])["platform_identities"][0]["platform"] == "telegram"
        assert len(list(csv.DictReader(io.StringIO(by_kind["csv"].decode())))) == 3
        methods = [c.method for c in ada.calls if c.method in ("sendMessage", "sendDocument")]
        assert methods[-4:] == ["sendMessage", "sendDocument", "sendMessage", "sendDocument"]


async def test_discord_uploads_the_export_as_two_files(
    fake: DiscordFake, dispatcher: Dispatcher
) -> None:
    async with discord_running(fake, dispatcher) as adapter:
        ada = Member(fake, adapter, "Ada")
        await ada.slash("new", "Go | 3 | 30 | beginner")
        assert "1 curriculum" in await ada.slash("export")
        names = [name for files in fake.uploads.values() for name, _content in files]
        assert sorted(n.rsplit(".", 1)[1] for n in names) == ["csv", "json"]
