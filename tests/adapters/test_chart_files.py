"""/chart's picture on each platform: a Telegram photo, a Discord image attachment, a file the
terminal saves and names."""

from __future__ import annotations

import io
import re
from pathlib import Path

from PIL import Image

from bot.adapters.terminal import TerminalChat
from bot.handlers.router import Dispatcher
from tests.adapters.discord_fake import DiscordFake
from tests.adapters.discord_harness import Member
from tests.adapters.discord_harness import running as discord_running
from tests.adapters.harness import Person, running
from tests.adapters.telegram_emulator import BotApiEmulator, Upload

PNG = b"\x89PNG\r\n\x1a\n"


def saved_file(name: str) -> tuple[Path, bytes]:
    """The folder a file is in (resolved) and its content; a folder itself and nothing."""
    path = Path(name).resolve()
    return (path, b"") if path.is_dir() else (path.parent, path.read_bytes())


def size_of(picture: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(picture)) as image:
        assert image.format == "PNG"
        return image.size


async def test_telegram_sends_the_chart_as_a_photo_after_the_text(
    api: BotApiEmulator, dispatcher: Dispatcher
) -> None:
    async with running(api, dispatcher) as adapter:
        ada = Person(api, adapter, "Ada")
        await ada.say("/new Español — verbos | 10 | 30 | beginner")
        await ada.say("/done 45")
        assert "1 session, 45 min on 1 day in the last 12 weeks" in await ada.say("/chart")
        (sent,) = ada.sent("sendPhoto")
        photo = sent.params["photo"]
        assert isinstance(photo, Upload) and photo.content.startswith(PNG)
        width, height = size_of(photo.content)
        assert sent.result["photo"][0]["width"] == width == 990
        assert sent.result["photo"][0]["height"] == height
        assert ada.sent("sendDocument") == []
        methods = [c.method for c in ada.calls if c.method in ("sendMessage", "sendPhoto")]
        assert methods[-2:] == ["sendMessage", "sendPhoto"]


async def test_telegram_without_sessions_answers_in_words(
    api: BotApiEmulator, dispatcher: Dispatcher
) -> None:
    async with running(api, dispatcher) as adapter:
        bo = Person(api, adapter, "Bo")
        await bo.say("/new Go | 3 | 30 | beginner")
        assert "No sessions logged yet" in await bo.say("/chart")
        assert bo.sent("sendPhoto") == []


async def test_discord_attaches_the_chart_as_a_png_image(
    fake: DiscordFake, dispatcher: Dispatcher
) -> None:
    async with discord_running(fake, dispatcher) as adapter:
        ada = Member(fake, adapter, "Ada")
        await ada.slash("new", "Go | 3 | 30 | beginner")
        await ada.slash("done", "30")
        assert "1 session, 30 min" in await ada.slash("chart")
        uploaded = [files for files in fake.uploads.values() if files]
        ((name, content),) = uploaded[0]
        assert re.fullmatch(r"syllabot-chart-\d{4}-\d\d-\d\d\.png", name)  # shown inline
        assert content.startswith(PNG) and size_of(content)[0] == 990

        # and in a direct message, typed out
        await ada.say("/chart")
        assert len([files for files in fake.uploads.values() if files]) == 2


async def test_the_terminal_saves_the_chart_and_prints_its_path(
    dispatcher: Dispatcher, tmp_path: Path
) -> None:
    out = io.StringIO()
    chat = TerminalChat(dispatcher, "ivy-chart", stdin=io.StringIO(), stdout=out, files=tmp_path)
    await chat.enter("/new Go | 3 | 30 | beginner")
    await chat.enter("/done 20")
    await chat.enter("/chart")
    (saved,) = re.findall(r"🖼 Picture saved: (\S+)", out.getvalue())
    folder, picture = saved_file(saved)
    assert folder == saved_file(str(tmp_path))[0] and saved.endswith(".png")
    assert picture.startswith(PNG) and size_of(picture)[0] == 990
