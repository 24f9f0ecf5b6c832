"""The log: one handler on standard error, as text or one JSON object a line (LOG_FORMAT), and
no secret in it at any level.

Secrets are kept out twice over. httpx and httpcore log every request's URL at INFO, and a
Bot API URL carries the bot token (``POST https://api.telegram.org/bot123456:ABC…/getMe``):
they are held at WARNING. And :class:`Redactor`, a filter on the root handler, so on every
record that reaches the log, masks what looks like a Telegram token, the password of any URL
(``postgresql+asyncpg://user:<password>@host``), and every secret the settings hold (the bot
tokens, the webhook secret, database passwords, the language-model key) in the message, its
arguments, the exception and the stack.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime

MASK = "<redacted>"
TELEGRAM_TOKEN = re.compile(r"\d{6,}:[A-Za-z0-9_-]{30,}")
# scheme://user:password@host: the password
URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^:/@\s]*:)(?P<password>[^@\s]+)@")
QUIET = ("httpx", "httpcore")  # their INFO lines are request URLs, bot tokens in them
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
OURS = "syllabot_log_handler"  # marks the handler configure() installed


class Redactor(logging.Filter):
    """Masks secrets in every record it sees (it never drops one)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        # Longest first, so that a secret containing another is masked whole.
        self._secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)
        self._formatter = logging.Formatter()

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        text = TELEGRAM_TOKEN.sub(MASK, text)
        return URL_PASSWORD.sub(lambda m: f"{m['head']}{MASK}@", text)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep what there is, masked
            message = f"{record.msg} {record.args}"
        record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: timestamp (UTC, ISO 8601), level, logger, message, and the
    exception (its traceback as text) when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = record.stack_info
        return json.dumps(line, ensure_ascii=False)


def configure(level: str, form: str = "text", secrets: Iterable[str] = ()) -> Redactor:
    """Send the log to standard error at ``level``, as ``form`` (text or json), through a
    :class:`Redactor` of ``secrets``; returns the redactor.

    As ``logging.basicConfig``: when the root logger has handlers someone else put there (a
    test runner's), they are kept and the level is left alone; only the redactor joins them.
    Called again, it replaces its own handler."""
    redactor = Redactor(secrets)
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, OURS, False)]:
        root.removeHandler(old)
        old.close()
    if root.handlers:
        for handler in root.handlers:
            for stale in [f for f in handler.filters if isinstance(f, Redactor)]:
                handler.removeFilter(stale)
            handler.addFilter(redactor)
    else:
        ours = logging.StreamHandler(sys.stderr)
        ours.setFormatter(JsonFormatter() if form == "json" else logging.Formatter(TEXT_FORMAT))
        ours.addFilter(redactor)
        setattr(ours, OURS, True)
        root.addHandler(ours)
        root.setLevel(level)
    quiet = max(logging.WARNING, logging.getLevelNamesMapping().get(level, logging.WARNING))
    for name in QUIET:
        logging.getLogger(name).setLevel(quiet)
    return redactor


def redact(text: str) -> str:
    """``text`` with the secrets of the root handlers' redactor masked (for a line printed to
    the operator rather than logged)."""
    for handler in logging.getLogger().handlers:
        for found in handler.filters:
            if isinstance(found, Redactor):
                return found.redact(text)
    return Redactor().redact(text)
