"""A Telegram Bot API emulator on 127.0.0.1, for driving the real python-telegram-bot.

It speaks the Bot API over real HTTP (``/bot<token>/<method>``, form, multipart or JSON
parameters, ``{"ok": ..., "result": ...}`` answers and Telegram's error descriptions) for the
methods the bot calls: getMe, getUpdates (offset confirmation and long polling), setWebhook,
deleteWebhook, getWebhookInfo, sendMessage, editMessageText, editMessageReplyMarkup,
answerCallbackQuery, setMyCommands, getMyCommands, deleteMyCommands, sendDocument, sendPhoto,
sendChatAction, close and logOut. With a webhook set it pushes updates to it, with the secret
token header, as Telegram does.

It checks what Telegram checks where it matters here: HTML that does not parse, texts over
4,096 characters, callback_data over 64 bytes, editing a message into what it already is, and
answering a callback query twice. It records every call (:attr:`calls`), keeps the messages of
every chat with their current text and keyboard, and lets a test inject user messages and
button presses, answer the next calls of a method with 429 ``retry_after``, or "lose" the
confirmation of updates (as after a crash) so that they are delivered again.

With ``overall_limit`` (and ``chat_limit``) it is Telegram's flood control: a message
(sendMessage, sendDocument, sendPhoto) beyond that many in any one second (to one chat) is
answered 429 with a whole-second ``retry_after``, and counted in :attr:`throttled`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import re
import struct
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from html import unescape
from typing import Any

from aiohttp import ClientSession, ClientTimeout, web

_BOT_IDS = itertools.count(7_000_000_001)  # every emulator is another bot: update ids are per bot
_QUERY_IDS = itertools.count(4_000_000_000_001)

MAX_TEXT = 4096
MESSAGES = ("sendmessage", "senddocument", "sendphoto")  # what the per-second limits count
PNG = b"\x89PNG\r\n\x1a\n"
MAX_CALLBACK_DATA = 64
# Tags Telegram's HTML parse mode accepts.
TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a",
    "tg-emoji", "code", "pre", "blockquote",
}  # fmt: skip
_MARKUP = re.compile(
    r"<(/?)([A-Za-z][A-Za-z0-9-]*)((?:\s[^<>]*)?)>|&(#[0-9]+|#x[0-9A-Fa-f]+|lt|gt|amp|quot);|[<&]"
)
_COMMAND = re.compile(r"^/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]+)?")


class ApiError(Exception):
    def __init__(self, code: int, description: str, **parameters: Any) -> None:
        super().__init__(description)
        self.code, self.description, self.parameters = code, description, parameters


def visible_text(text: str, parse_mode: str | None) -> str:
    """The text a user sees; raises ``ApiError`` like Telegram for HTML that does not parse."""
    if (parse_mode or "").upper() != "HTML":
        return text
    out: list[str] = []
    open_tags: list[str] = []
    position = 0
    for match in _MARKUP.finditer(text):
        out.append(text[position : match.start()])
        position = match.end()
        closing, tag, _attributes, entity = match.group(1, 2, 3, 4)
        if tag is not None:
            tag = tag.lower()
            if tag not in TAGS:
                raise ApiError(
                    400,
                    f'Bad Request: can\'t parse entities: Unsupported start tag "{tag}" at byte '
                    f"offset {len(text[: match.start()].encode())}",
                )
            if not closing:
                open_tags.append(tag)
            elif not open_tags or open_tags.pop() != tag:
                raise ApiError(
                    400, f'Bad Request: can\'t parse entities: Unexpected end tag "{tag}"'
                )
        elif entity is not None:
            out.append(unescape(match.group(0)))
        else:
            raise ApiError(
                400,
                "Bad Request: can't parse entities: Unsupported start tag or entity at byte "
                f"offset {len(text[: match.start()].encode())}",
            )
    if open_tags:
        raise ApiError(
            400, f"Bad Request: can't parse entities: Can't find end tag {open_tags[-1]}"
        )
    out.append(text[position:])
    return "".join(out)


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class Call:
    """One request the bot made, as the emulator understood it."""

    method: str
    params: dict[str, Any]
    at: float
    status: int = 200
    result: Any = None


@dataclass(frozen=True)
class TgUser:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        return data


@dataclass
class Chat:
    id: int
    type: str  # "private", "group", "supergroup"
    title: str | None = None
    first_name: str | None = None
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    next_message_id: int = 1

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.title:
            data["title"] = self.title
        if self.first_name:
            data["first_name"] = self.first_name
        return data


class BotApiEmulator:
    """``async with BotApiEmulator() as api: ...``; the bot's ``base_url`` is :attr:`base_url`."""

    def __init__(
        self,
        *,
        username: str = "SyllabotTestBot",
        overall_limit: int | None = None,
        chat_limit: int | None = None,
        push_webhook: bool = True,
    ) -> None:
        self.bot_id = next(_BOT_IDS)
        # False: a webhook is registered but nothing is pushed to it; the test posts updates to
        # each process itself, as a load balancer in front of several would.
        self.push_webhook = push_webhook
        self.token = f"{self.bot_id}:AAE-emulated-token"
        self.username = username
        self.calls: list[Call] = []
        self.listeners: list[Callable[[Call], None]] = []  # told of every call as it is recorded
        self.chats: dict[int, Chat] = {}
        self.commands: dict[str, list[dict[str, str]]] = {}
        self.webhook: dict[str, Any] | None = None
        self.queries: dict[str, dict[str, Any]] = {}  # id -> {"answered_at": ..., ...}
        self._updates: list[dict[str, Any]] = []  # every update ever, in order
        self._confirmed = 0  # updates below this id are confirmed (gone from getUpdates)
        self._next_update_id = 1
        self._failures: dict[str, list[tuple[int, float]]] = {}
        self.overall_limit, self.chat_limit = overall_limit, chat_limit
        self.throttled = 0  # messages refused by the limits
        self._sent: deque[float] = deque()  # when the messages of the last second were taken
        self._sent_to: defaultdict[str, deque[float]] = defaultdict(deque)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._pusher: asyncio.Task[None] | None = None
        self.port = 0

    # -- server ----------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def __aenter__(self) -> BotApiEmulator:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._serve)
        # A long poll in flight is cancelled when its client goes, and at shutdown.
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=0.2
        )
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._pusher is not None:
            self._pusher.cancel()
        assert self._runner is not None
        await self._runner.cleanup()

    async def _serve(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        arrived = time.monotonic()
        call = Call(method, await _parameters(request), arrived)
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            planned = self._failures.get(method.lower())
            if planned:
                code, retry_after = planned.pop(0)
                if code == 429:
                    raise ApiError(
                        code,
                        f"Too Many Requests: retry after {retry_after:g}",
                        retry_after=retry_after,
                    )
                raise ApiError(code, "Internal Server Error")
            handler = getattr(self, f"_m_{method.lower()}", None)
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            if method.lower() in MESSAGES:
                self._admit(call)
            call.result = await handler(call.params)
            body: dict[str, Any] = {"ok": True, "result": call.result}
        except ApiError as error:
            call.status, call.result = error.code, error.description
            body = {"ok": False, "error_code": error.code, "description": error.description}
            if error.parameters:
                body["parameters"] = error.parameters
        await self._record(call)
        return web.json_response(body, status=call.status)

    def _admit(self, call: Call) -> None:
        """The limits, over a sliding second: take the message or answer 429."""
        windows = []
        if self.overall_limit is not None:
            windows.append((self._sent, self.overall_limit))
        if self.chat_limit is not None:
            windows.append((self._sent_to[str(call.params.get("chat_id"))], self.chat_limit))
        for sent, limit in windows:
            while sent and sent[0] <= call.at - 1:
                sent.popleft()
            if len(sent) >= limit:
                self.throttled += 1
                wait = max(1, math.ceil(sent[0] + 1 - call.at))
                raise ApiError(429, f"Too Many Requests: retry after {wait}", retry_after=wait)
        for sent, _ in windows:
            sent.append(call.at)

    async def _record(self, call: Call) -> None:
        self.calls.append(call)
        for listener in self.listeners:
            listener(call)
        async with self._changed:
            self._changed.notify_all()

    # -- what tests do -----------------------------------------------------------------------

    def fail_next(
        self, method: str, times: int = 1, *, retry_after: float = 1, code: int = 429
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with ``code`` (429s: ``retry_after``)."""
        self._failures.setdefault(method.lower(), []).extend([(code, retry_after)] * times)

    def private_chat(self, user: TgUser) -> Chat:
        if user.id not in self.chats:
            self.chats[user.id] = Chat(user.id, "private", first_name=user.first_name)
        return self.chats[user.id]

    def group(self, chat_id: int, title: str = "Study group") -> Chat:
        if chat_id not in self.chats:
            self.chats[chat_id] = Chat(chat_id, "supergroup", title=title)
        return self.chats[chat_id]

    async def send_text(self, user: TgUser, text: str, chat: Chat | None = None) -> int:
        """``user`` types ``text`` (in their private chat unless ``chat``); the update id."""
        chat = chat or self.private_chat(user)
        message = self._new_message(chat, text=text, sender=user.as_json())
        command = _COMMAND.match(text)
        if command:
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_length(command.group(0))}
            ]
        return await self.add_update({"message": message})

    async def press(self, user: TgUser, message: dict[str, Any], data: str) -> int:
        """``user`` presses a button carrying ``data`` under ``message``; the update id."""
        query_id = str(next(_QUERY_IDS))
        self.queries[query_id] = {"user": user.id, "data": data, "answered_at": None}
        query = {
            "id": query_id,
            "from": user.as_json(),
            "chat_instance": str(message["chat"]["id"] * 7 + 1),
            "message": message,
            "data": data,
        }
        self.queries[query_id]["pressed_at"] = time.monotonic()
        return await self.add_update({"callback_query": query})

    async def add_update(self, body: dict[str, Any]) -> int:
        update = {"update_id": self._next_update_id, **body}
        self._next_update_id += 1
        self._updates.append(update)
        async with self._changed:
            self._changed.notify_all()
        return update["update_id"]

    def lose_confirmations(self, since_update_id: int) -> None:
        """As if Telegram never heard that updates from ``since_update_id`` on were handled
        (the bot crashed first): they are delivered again."""
        self._confirmed = min(self._confirmed, since_update_id)

    def _pending(self) -> list[dict[str, Any]]:
        """The updates not confirmed yet (ids are 1, 2, 3, ... in list order)."""
        return self._updates[max(self._confirmed, 1) - 1 :]

    def update(self, update_id: int) -> dict[str, Any]:
        return next(u for u in self._updates if u["update_id"] == update_id)

    def confirmed(self, update_id: int) -> bool:
        return self._confirmed > update_id

    async def wait_for(self, predicate: Callable[[], object], within: float = 10.0) -> None:
        """Wait until ``predicate()`` holds (checked after every call and update)."""

        async def check() -> None:
            async with self._changed:
                await self._changed.wait_for(predicate)

        try:
            await asyncio.wait_for(check(), within)
        except TimeoutError:
            recent = "\n".join(f"  {c.method} {c.status} {c.params}" for c in self.calls[-15:])
            raise AssertionError(
                f"the bot did not get there in {within} s; last calls:\n{recent}"
            ) from None

    async def wait_confirmed(self, update_id: int, within: float = 10.0) -> None:
        await self.wait_for(lambda: self.confirmed(update_id), within)

    # -- reading what the bot did -------------------------------------------------------------

    def calls_to(self, method: str, chat_id: int | None = None, *, ok: bool = True) -> list[Call]:
        return [
            c
            for c in self.calls
            if c.method.lower() == method.lower()
            and (chat_id is None or str(c.params.get("chat_id")) == str(chat_id))
            and (not ok or c.status == 200)
        ]

    def bot_messages(self, chat_id: int) -> list[dict[str, Any]]:
        """The bot's messages in a chat, oldest first, as they are now (edits applied)."""
        chat = self.chats.get(chat_id)
        if chat is None:
            return []
        return [m for m in chat.messages.values() if m["from"]["id"] == self.bot_id]

    # -- Bot API methods ---------------------------------------------------------------------

    def _bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Syllabot",
            "username": self.username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _m_getme(self, params: dict[str, Any]) -> Any:
        return self._bot_user()

    async def _m_sendchataction(self, params: dict[str, Any]) -> Any:
        if params.get("action") not in ("typing", "upload_document"):
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        return True

    async def _m_logout(self, params: dict[str, Any]) -> Any:
        return True

    async def _m_close(self, params: dict[str, Any]) -> Any:
        return True

    async def _m_getupdates(self, params: dict[str, Any]) -> Any:
        if self.webhook is not None:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = _int(params, "offset", 0)
        limit = min(max(_int(params, "limit", 100), 1), 100)
        timeout = float(params.get("timeout") or 0)
        if offset > 0:
            self._confirmed = max(self._confirmed, offset)
            async with self._changed:
                self._changed.notify_all()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout

        def pending() -> list[dict[str, Any]]:
            return self._pending()[:limit]

        async with self._changed:
            while not pending() and (remaining := deadline - loop.time()) > 0:
                try:
                    await asyncio.wait_for(self._changed.wait(), remaining)
                except TimeoutError:
                    break
        return [_public(u) for u in pending()]

    async def _m_setwebhook(self, params: dict[str, Any]) -> Any:
        url = str(params.get("url") or "")
        if not url:
            return await self._m_deletewebhook(params)
        self.webhook = {
            "url": url,
            "secret_token": params.get("secret_token"),
            "allowed_updates": _json(params.get("allowed_updates")),
        }
        if _bool(params.get("drop_pending_updates")):
            self._confirmed = self._next_update_id
        if self.push_webhook and (self._pusher is None or self._pusher.done()):
            self._pusher = asyncio.create_task(self._push())
        return True

    async def _m_deletewebhook(self, params: dict[str, Any]) -> Any:
        self.webhook = None
        if _bool(params.get("drop_pending_updates")):
            self._confirmed = self._next_update_id
        return True

    async def _m_getwebhookinfo(self, params: dict[str, Any]) -> Any:
        pending = len(self._pending())
        return {
            "url": (self.webhook or {}).get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": pending,
        }

    async def _push(self) -> None:
        """Deliver pending updates to the webhook one by one, as Telegram does, with retries."""
        async with ClientSession(timeout=ClientTimeout(total=10)) as http:
            while self.webhook is not None:
                pending = self._pending()
                if not pending:
                    async with self._changed:
                        await self._changed.wait()
                    continue
                update = pending[0]
                headers = {"Content-Type": "application/json"}
                if self.webhook.get("secret_token"):
                    headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook["secret_token"]
                try:
                    async with http.post(
                        self.webhook["url"], data=json.dumps(_public(update)), headers=headers
                    ) as response:
                        delivered = response.status == 200
                except OSError:
                    delivered = False
                if delivered:
                    self._confirmed = max(self._confirmed, update["update_id"] + 1)
                    async with self._changed:
                        self._changed.notify_all()
                else:
                    await asyncio.sleep(0.05)

    def _chat(self, params: dict[str, Any]) -> Chat:
        raw = params.get("chat_id")
        try:
            chat = self.chats.get(int(raw))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            chat = None
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        return chat

    def _new_message(
        self, chat: Chat, *, sender: dict[str, Any], **content: Any
    ) -> dict[str, Any]:
        message = {
            "message_id": chat.next_message_id,
            "date": int(time.time()),
            "chat": chat.as_json(),
            "from": sender,
            **content,
        }
        chat.next_message_id += 1
        chat.messages[message["message_id"]] = message
        return message

    async def _m_sendmessage(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params)
        text = _text(params, "text")
        markup = _markup(params.get("reply_markup"))
        message = self._new_message(chat, sender=self._bot_user(), text=text)
        message["html"] = params.get("text")
        if markup:
            message["reply_markup"] = markup
        return _public(message)

    async def _m_sendchataction(self, params: dict[str, Any]) -> Any:
        self._chat(params)
        return True

    async def _m_senddocument(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params)
        document = params.get("document")
        if document is None:
            raise ApiError(400, "Bad Request: there is no document in the request")
        name, size = (
            (document.filename, len(document.content))
            if isinstance(document, Upload)
            else ("file", 0)
        )
        content: dict[str, Any] = {
            "document": {
                "file_id": f"doc-{chat.next_message_id}",
                "file_unique_id": f"u-{chat.next_message_id}",
                "file_name": name,
                "file_size": size,
            }
        }
        if params.get("caption"):
            content["caption"] = visible_text(str(params["caption"]), params.get("parse_mode"))
        markup = _markup(params.get("reply_markup"))
        if markup:
            content["reply_markup"] = markup
        return _public(self._new_message(chat, sender=self._bot_user(), **content))

    async def _m_sendphoto(self, params: dict[str, Any]) -> Any:
        """A photo upload: a PNG, within Telegram's sides (sum at most 10,000, ratio 20)."""
        chat = self._chat(params)
        photo = params.get("photo")
        if not isinstance(photo, Upload) or not photo.content:
            raise ApiError(400, "Bad Request: there is no photo in the request")
        if not photo.content.startswith(PNG) or len(photo.content) < 24:
            raise ApiError(400, "Bad Request: IMAGE_PROCESS_FAILED")
        width, height = struct.unpack(">II", photo.content[16:24])  # the IHDR chunk
        if width + height > 10_000 or max(width, height) > 20 * max(min(width, height), 1):
            raise ApiError(400, "Bad Request: PHOTO_INVALID_DIMENSIONS")
        number = chat.next_message_id
        size = {"file_id": f"photo-{number}", "file_unique_id": f"u-{number}"}
        content: dict[str, Any] = {
            "photo": [{**size, "width": width, "height": height, "file_size": len(photo.content)}]
        }
        if params.get("caption"):
            content["caption"] = visible_text(str(params["caption"]), params.get("parse_mode"))
        return _public(self._new_message(chat, sender=self._bot_user(), **content))

    def _own_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params)
        message = chat.messages.get(_int(params, "message_id", 0))
        if message is None or message["from"]["id"] != self.bot_id:
            raise ApiError(400, "Bad Request: message to edit not found")
        return message

    async def _m_editmessagetext(self, params: dict[str, Any]) -> Any:
        message = self._own_message(params)
        text = _text(params, "text")
        markup = _markup(params.get("reply_markup"))
        if text == message.get("text") and markup == message.get("reply_markup"):
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message",
            )
        message.update(text=text, html=params.get("text"), edit_date=int(time.time()))
        message.pop("reply_markup", None)
        if markup:
            message["reply_markup"] = markup
        return _public(message)

    async def _m_editmessagereplymarkup(self, params: dict[str, Any]) -> Any:
        message = self._own_message(params)
        markup = _markup(params.get("reply_markup"))
        if markup == message.get("reply_markup"):
            raise ApiError(400, "Bad Request: message is not modified")
        message.pop("reply_markup", None)
        if markup:
            message["reply_markup"] = markup
        return _public(message)

    async def _m_answercallbackquery(self, params: dict[str, Any]) -> Any:
        query = self.queries.get(str(params.get("callback_query_id")))
        if query is None or query["answered_at"] is not None:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is "
                "invalid",
            )
        query["answered_at"] = time.monotonic()
        query["text"] = params.get("text")
        return True

    async def _m_setmycommands(self, params: dict[str, Any]) -> Any:
        commands = _json(params.get("commands")) or []
        for command in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", command.get("command", "")):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(command.get("description", "")) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[_scope(params)] = commands
        return True

    async def _m_getmycommands(self, params: dict[str, Any]) -> Any:
        return self.commands.get(_scope(params), [])

    async def _m_deletemycommands(self, params: dict[str, Any]) -> Any:
        self.commands.pop(_scope(params), None)
        return True


@dataclass(frozen=True)
class Upload:
    filename: str
    content: bytes


async def _parameters(request: web.Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        body = await request.json() if request.can_read_body else {}
        params.update(body or {})
    elif request.content_type.startswith("multipart/"):
        reader = await request.multipart()
        async for part in reader:
            name = getattr(part, "name", None)
            if name is None:
                continue
            data = await part.read()  # type: ignore[union-attr]
            filename = getattr(part, "filename", None)
            params[name] = Upload(filename, bytes(data)) if filename else bytes(data).decode()
    elif request.can_read_body:
        params.update(await request.post())
    # A multipart upload may be referred to as attach://<name>.
    for key, value in list(params.items()):
        if isinstance(value, str) and value.startswith("attach://"):
            params[key] = params.get(value.removeprefix("attach://"), value)
    return params


def _public(obj: dict[str, Any]) -> dict[str, Any]:
    """Drop the emulator's own bookkeeping (the ``html`` a message was sent as)."""
    clean = {k: v for k, v in obj.items() if k != "html"}
    for key in ("message", "callback_query"):
        if isinstance(clean.get(key), dict):
            clean[key] = _public(clean[key])
    return clean


def _int(params: dict[str, Any], name: str, default: int) -> int:
    value = params.get(name)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ApiError(400, f"Bad Request: invalid {name}") from None


def _bool(value: object) -> bool:
    return value is True or str(value).lower() == "true"


def _json(value: object) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise ApiError(400, "Bad Request: can't parse JSON object") from None
    return value


def _scope(params: dict[str, Any]) -> str:
    scope = _json(params.get("scope")) or {"type": "default"}
    return str(scope.get("type", "default"))


def _text(params: dict[str, Any], name: str) -> str:
    raw = params.get(name)
    if not isinstance(raw, str) or not raw.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    text = visible_text(raw, params.get("parse_mode"))
    if not text.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    if utf16_length(text) > MAX_TEXT:
        raise ApiError(400, "Bad Request: message is too long")
    return text


def _markup(raw: object) -> dict[str, Any] | None:
    markup = _json(raw)
    if not markup:
        return None
    keyboard = markup.get("inline_keyboard")
    if not isinstance(keyboard, list):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    for row in keyboard:
        for button in row:
            kinds = [k for k in ("callback_data", "url") if k in button]
            if len(kinds) != 1 or not button.get("text"):
                raise ApiError(400, "Bad Request: can't parse inline keyboard button")
            if "callback_data" in button:
                size = len(str(button["callback_data"]).encode())
                if not 1 <= size <= MAX_CALLBACK_DATA:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            elif not re.match(r"^(https?|tg)://", str(button["url"])):
                raise ApiError(400, "Bad Request: inline keyboard button URL is invalid")
    return markup
