"""Webhook mode: Telegram posts each update to our URL, served here.

This stands in for python-telegram-bot's own server (``Updater.start_webhook``), whose handler
(``telegram/ext/_utils/webhookhandler.py``, ``TelegramHandler.post``) decodes and parses the
body outside any ``try``: a body that is not UTF-8, not JSON or nested too deep raises there,
and the answer is a 500, which Telegram retries forever. Here the same checks come first
(403 without the right ``X-Telegram-Bot-Api-Secret-Token``), then a body that is not an update
is answered 400 with one log line, and an update is answered 200 once it is in the
Application's queue (so Telegram sends it again if we stop before that).

Several processes may serve one webhook address: each update is claimed in PostgreSQL as it
arrives (``arrive``), before the 200, so an update Telegram sends after our answer to an
earlier one is known to have arrived later, whichever process receives it. An update that
arrived before (a redelivery) is answered 200 and dropped; a claim that fails (no database) is
answered 503, and Telegram sends the update again later.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import urlsplit

import tornado.web
from telegram import Bot, Update
from tornado.httpserver import HTTPServer

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass(frozen=True)
class Webhook:
    """Webhook mode: Telegram posts updates to ``url``; our server listens on listen:port."""

    url: str
    secret: str
    listen: str = "127.0.0.1"
    port: int = 8443

    @property
    def path(self) -> str:
        """The path the server answers on: the URL's own (a proxy forwards it unchanged)."""
        return urlsplit(self.url).path or "/"


class NotAnUpdate(ValueError):
    """A webhook body that is no update; the message says why, in a few words."""


def parse_update(body: bytes, bot: Bot) -> Update:
    """The update a webhook body carries.

    Raises:
        NotAnUpdate: the body is not UTF-8, not JSON, nested too deep, or not an update.
    """
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise NotAnUpdate("not UTF-8") from None
    except RecursionError:
        raise NotAnUpdate("JSON nested too deep") from None
    except ValueError as error:
        raise NotAnUpdate(f"not JSON ({error})") from None
    if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
        raise NotAnUpdate("JSON without an update_id")
    try:
        update = Update.de_json(data, bot)
    except Exception as error:  # nested too deep for the reader, or fields of the wrong type
        raise NotAnUpdate(f"an update that cannot be read ({type(error).__name__})") from None
    return update


# An update has arrived: claim it; False if it arrived before.
Arrive = Callable[[Update], Awaitable[bool]]


async def _always(update: Update) -> bool:
    return True


class WebhookServer:
    """Serves ``webhook.path`` on listen:port, putting each update ``arrive`` claims first in
    ``queue``."""

    def __init__(
        self,
        webhook: Webhook,
        bot: Bot,
        queue: asyncio.Queue[object],
        arrive: Arrive = _always,
    ) -> None:
        self._webhook = webhook
        shared = {"secret": webhook.secret, "bot": bot, "queue": queue, "arrive": arrive}
        app = tornado.web.Application(
            [(re.escape(webhook.path.rstrip("/")) + "/?", _UpdateEndpoint, shared)],
            log_function=lambda handler: None,  # no access log: a refusal logs its own line
        )
        self._server = HTTPServer(app)
        self._listening = False

    def listen(self) -> None:
        self._server.listen(self._webhook.port, address=self._webhook.listen)
        self._listening = True

    async def stop(self) -> None:
        """Take no more requests, and close the connections open now."""
        if self._listening:
            self._listening = False
            self._server.stop()
            await self._server.close_all_connections()


class _UpdateEndpoint(tornado.web.RequestHandler):
    SUPPORTED_METHODS = ("POST",)  # type: ignore[assignment]

    def initialize(
        self, secret: str, bot: Bot, queue: asyncio.Queue[object], arrive: Arrive
    ) -> None:
        self._secret, self._bot, self._queue = secret.encode(), bot, queue
        self._arrive = arrive

    async def post(self) -> None:
        headers = self.request.headers
        content_type = headers.get("Content-Type", "").split(";")[0].strip()
        token = headers.get(SECRET_HEADER, "").encode()
        if content_type != "application/json" or not hmac.compare_digest(token, self._secret):
            self.set_status(HTTPStatus.FORBIDDEN)
            return
        try:
            update = parse_update(self.request.body, self._bot)
        except NotAnUpdate as error:
            logger.warning(
                "Telegram: refused a webhook body from %s (answered 400): %s",
                self.request.remote_ip,
                error,
            )
            self.set_status(HTTPStatus.BAD_REQUEST)
            return
        try:
            fresh = await self._arrive(update)
        except Exception:
            logger.warning(
                "Telegram: could not claim update %s (answered 503; Telegram sends it again)",
                update.update_id,
                exc_info=True,
            )
            self.set_status(HTTPStatus.SERVICE_UNAVAILABLE)
            return
        if fresh:
            await self._queue.put(update)
