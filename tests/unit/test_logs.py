"""The log's redaction and its JSON lines (bot.logs)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.config import load_settings
from bot.logs import MASK, JsonFormatter, Redactor, configure

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO, Redactor]]:
    """A logger of its own writing JSON through a redactor into a string."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    redactor = Redactor(["discord-token-0123456789", "hook-secret", "pg-pass"])
    handler.addFilter(redactor)
    logger = logging.getLogger(f"syllabot.test.{id(stream)}")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, stream, redactor
    logger.removeHandler(handler)


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_bot_api_url_logged_with_its_token_is_masked_in_message_and_args(captured) -> None:
    logger, stream, _ = captured
    logger.info("HTTP Request: %s %s", "POST", f"https://api.telegram.org/bot{TOKEN}/getMe")
    logger.debug(f"plain {TOKEN}")
    said = lines(stream)
    assert said[0]["message"] == f"HTTP Request: POST https://api.telegram.org/bot{MASK}/getMe"
    assert TOKEN not in stream.getvalue()


def test_settings_secrets_and_url_passwords_are_masked_in_the_exception_too(captured) -> None:
    logger, stream, _ = captured
    try:
        raise RuntimeError("connect to postgresql+asyncpg://bot:pg-pass@db:5432/x failed")
    except RuntimeError:
        logger.exception("with discord-token-0123456789 and %s", "hook-secret")
    logger.warning("other://me:s3cr3t-value@host/path")
    first, second = lines(stream)
    assert first["message"] == f"with {MASK} and {MASK}"
    assert "RuntimeError" in str(first["exception"])
    assert "pg-pass" not in str(first["exception"])
    assert second["message"] == f"other://me:{MASK}@host/path"


def test_a_json_line_has_timestamp_level_logger_and_message(captured) -> None:
    logger, stream, _ = captured
    logger.error("it broke: %d", 3)
    (line,) = lines(stream)
    assert set(line) == {"timestamp", "level", "logger", "message"}
    assert line["level"] == "ERROR" and line["message"] == "it broke: 3"
    assert str(line["timestamp"]).endswith("+00:00")


def test_the_settings_name_every_secret_they_hold() -> None:
    settings = load_settings(
        telegram_bot_token=TOKEN,
        discord_bot_token="discord-token",
        telegram_webhook_url="https://bot.example.org/tg",
        telegram_webhook_secret="hook-secret",
        database_url="postgresql+asyncpg://bot:pg-pass@db:5432/syllabot",
        SYLLABOT_LISTEN_URL="postgresql+asyncpg://bot:listen-pass@db:5432/syllabot",
        SYLLABOT_LLM_API_KEY="sk-key",
    )
    assert set(settings.secrets()) == {
        TOKEN,
        "discord-token",
        "hook-secret",
        "pg-pass",
        "listen-pass",
        "sk-key",
    }


def test_configure_holds_httpx_at_warning_even_at_debug() -> None:
    root = logging.getLogger()
    before = root.handlers[:]
    try:
        configure("DEBUG", "text", [])
        assert logging.getLogger("httpx").getEffectiveLevel() == logging.WARNING
        assert logging.getLogger("httpcore").getEffectiveLevel() == logging.WARNING
        assert all(any(isinstance(f, Redactor) for f in h.filters) for h in root.handlers)
    finally:
        for handler in root.handlers:
            for found in [f for f in handler.filters if isinstance(f, Redactor)]:
                handler.removeFilter(found)
        assert root.handlers == before
        for name in ("httpx", "httpcore"):
            logging.getLogger(name).setLevel(logging.NOTSET)
