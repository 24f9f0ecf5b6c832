"""/calendar's file on each platform: a Telegram document, a Discord attachment."""

from __future__ import annotations

from icalendar import Calendar

from bot.handlers.router import Dispatcher
from tests.adapters.discord_fake import DiscordFake
from tests.adapters.discord_harness import Member
from tests.adapters.discord_harness import running as discord_running
from tests.adapters.harness import Person, running
from tests.adapters.telegram_emulator import BotApiEmulator, Upload


def sessions_in(content: bytes) -> list[str]:
    return [str(e["summary"]) for e in Calendar.from_ical(content).walk("VEVENT")]


async def test_telegram_sends_the_calendar_as_a_document_after_the_text(
    api: BotApiEmulator, dispatcher: Dispatcher
) -> None:
    async with running(api, dispatcher) as adapter:
        ada = Person(api, adapter, "Ada")
        await ada.say("/new Go | 3 | 30 | beginner")
        await ada.say("/schedule mon,wed,fri 19:00")
        assert "3 study sessions of “Go (beginner)”" in await ada.say("/calendar")
        (sent,) = ada.sent("sendDocument")
        document = sent.params["document"]
        assert isinstance(document, Upload) and document.filename == "syllabot-go-beginner.ics"
        assert len(sessions_in(document.content)) == 3
        assert sent.result["document"]["file_name"] == "syllabot-go-beginner.ics"
        methods = [c.method for c in ada.calls if c.method in ("sendMessage", "sendDocument")]
        assert methods == ["sendMessage", "sendDocument"]


async def test_discord_uploads_the_calendar_as_a_file(
    fake: DiscordFake, dispatcher: Dispatcher
) -> None:
    async with discord_running(fake, dispatcher) as adapter:
        ada = Member(fake, adapter, "Ada")
        await ada.slash("new", "Go | 3 | 30 | beginner")
        await ada.slash("schedule", "mon,wed,fri 19:00")
        assert "3 study sessions of “Go (beginner)”" in await ada.slash("calendar")
        uploaded = [files for files in fake.uploads.values() if files]
        assert len(uploaded) == 1
        ((name, content),) = uploaded[0]
        assert name == "syllabot-go-beginner.ics"
        summaries = sessions_in(content)
        assert len(summaries) == 3 and summaries[0].startswith("Study: session 1, ")

        # and in a direct message, typed out
        await ada.say("/calendar")
        assert len([files for files in fake.uploads.values() if files]) == 2
