"""A fake Discord on 127.0.0.1 (aiohttp): its REST API and its gateway WebSocket.

discord.py builds every URL from ``discord.http.Route.BASE`` (interaction callbacks and
followups included); the ``discord_api`` fixture points that at :attr:`DiscordFake.base`, and a
``syllabot run`` process is pointed there by ``DISCORD_API_BASE_URL`` (and at
:attr:`DiscordFake.gateway_url` by ``DISCORD_GATEWAY_URL``). Every request is recorded as a
:class:`Call`; messages the bot sends, edits and answers with are kept per channel, with their
components, as Discord would show them.

Events reach the bot in one of two ways. In the same process, :meth:`DiscordFake.deliver` feeds
an ``INTERACTION_CREATE`` or ``MESSAGE_CREATE`` payload to the client's connection state and
waits for the tasks discord.py starts for it, so each step is complete when it returns. A bot
connected to the gateway (another process) gets them over its WebSocket:
:meth:`DiscordFake.push`, see ``tests/adapters/discord_gateway.py``.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import discord
from aiohttp import web

from tests.adapters.discord_gateway import Gateway
from tests.adapters.discord_payloads import (
    Guild,
    Payloads,
    Pending,
    buttons,
    components,
    menus,
)

__all__ = ["Call", "DiscordFake", "Guild", "Pending", "buttons", "components", "menus"]

API = "/api/v10"
EPHEMERAL = 1 << 6
LOADING = 1 << 7
# Tasks discord.py starts for one gateway event (the app command tree, dynamic items, events).
EVENT_TASKS = ("CommandTree-invoker", "discord-ui-dynamic-item-", "discord.py: ")
SESSION_START_LIMIT = {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}


@dataclass
class Call:
    method: str
    path: str
    body: Any
    status: int
    result: Any
    at: float = field(default_factory=time.monotonic)  # when it was answered


@dataclass
class DiscordFake(Payloads):
    token: str = "fake-discord-token"
    host: str = "127.0.0.1"
    port: int = 0
    calls: list[Call] = field(default_factory=list)
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    commands: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # scope -> synced
    choices: list[list[dict[str, Any]]] = field(default_factory=list)  # autocomplete answers
    forms: list[dict[str, Any]] = field(default_factory=list)  # modals the bot opened
    # "PUT commands" -> status (or (status, Discord error code)), answered once
    fail: dict[str, int | tuple[int, int]] = field(default_factory=dict)
    slow: dict[str, float] = field(default_factory=dict)  # "POST messages" -> seconds, each
    uploads: dict[str, list[tuple[str, bytes]]] = field(default_factory=dict)  # message -> files
    shards: int = 1  # what GET /gateway/bot recommends
    refuses_dms: set[str] = field(default_factory=set)  # user ids: every DM send is a 50007
    listeners: list[Callable[[Call], None]] = field(default_factory=list)  # told of each call
    guilds: list[Guild] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.bot = self.user("Syllabot", bot=True)
        self.application_id = self.bot["id"]
        self.add_guild()
        self._pending: dict[str, Pending] = {}
        self._runner: web.AppRunner | None = None
        self.gateway = Gateway(self)

    # -- the server ---------------------------------------------------------------------------

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}{API}"

    @property
    def gateway_url(self) -> str:
        return self.gateway.url

    def environment(self) -> dict[str, str]:
        """What a ``syllabot`` process needs to talk to this fake, and to no Telegram."""
        return {
            "DISCORD_BOT_TOKEN": self.token,
            "DISCORD_API_BASE_URL": self.base,
            "DISCORD_GATEWAY_URL": self.gateway_url,
            "TELEGRAM_BOT_TOKEN": "",
        }

    async def __aenter__(self) -> DiscordFake:
        app = web.Application()
        app.router.add_route("*", API + "/{path:.*}", self._serve)
        self.gateway.add_routes(app)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    async def _serve(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["path"]
        if request.content_type.startswith("multipart/"):
            body = await _multipart(request)
        else:
            raw = await request.read()
            body = json.loads(raw) if raw else None
        if request.headers.get("Authorization") not in (f"Bot {self.token}", None):
            status, result = 401, {"message": "401: Unauthorized", "code": 0}
        else:
            if delay := self.slow.get(f"{request.method} {path.rstrip('/').rsplit('/', 1)[-1]}"):
                await asyncio.sleep(delay)  # a slow Discord: answered (and recorded) later
            status, result = self._answer(request.method, path, body)
        call = Call(request.method, path, body, status, result)
        self.calls.append(call)
        for listener in self.listeners:
            listener(call)
        if status == 204:
            return web.Response(status=204)
        # discord.py reads JSON only when the content type is exactly application/json
        body = json.dumps(result).encode()
        return web.Response(status=status, body=body, headers={"Content-Type": "application/json"})

    def _answer(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        parts = path.strip("/").split("/")
        key = f"{method} {parts[-1]}"
        if key in self.fail:
            failure = self.fail.pop(key)
            status, code = failure if isinstance(failure, tuple) else (failure, 0)
            return status, {"message": f"{status}: refused", "code": code}
        match method, parts:
            case "GET", ["users", "@me"]:
                return 200, self.bot
            case "GET", ["oauth2", "applications", "@me"] | ["applications", "@me"]:
                return 200, self._application()
            case "GET", ["gateway", "bot"]:
                url, limit = self.gateway.recommended_url, SESSION_START_LIMIT
                return 200, {"url": url, "shards": self.shards, "session_start_limit": limit}
            case "GET", ["gateway"]:
                return 200, {"url": self.gateway.recommended_url}
            case "PUT", ["applications", _, "commands"]:
                return 200, self._sync("global", body)
            case "PUT", ["applications", _, "guilds", guild, "commands"]:
                return 200, self._sync(guild, body)
            case "POST", ["interactions", _, token, "callback"]:
                return self._callback(token, body)
            case "PATCH", ["webhooks", _, token, "messages", "@original"]:
                return self._edit_original(token, body)
            case "PATCH", ["webhooks", _, _, "messages", message] | [
                "channels",
                _,
                "messages",
                message,
            ]:
                return self._edit(message, body)
            case "POST", ["webhooks", _, token]:
                return self._followup(token, body)
            case "POST", ["users", "@me", "channels"]:
                return 200, self.dm_channel(body["recipient_id"])
            case "POST", ["channels", channel, "messages"]:
                if str(int(channel) - 1) in self.refuses_dms:  # their DM channel: see dm_channel
                    return 403, {"message": "Cannot send messages to this user", "code": 50007}
                return 200, self._new_message(channel, body, None)
            case "POST", ["channels", _, "typing"]:
                return 204, None
        return 404, {"message": "404: Not Found", "code": 0}

    def _application(self) -> dict[str, Any]:
        return {
            "id": self.application_id,
            "name": "Syllabot",
            "description": "",
            "icon": None,
            "bot_public": True,
            "bot_require_code_grant": False,
            "owner": self.user("Owner"),
            "verify_key": "0" * 64,
            "flags": 0,
        }

    def _sync(self, scope: str, body: list[dict[str, Any]]) -> list[dict[str, Any]]:
        synced = [
            {
                "id": self.snowflake(),
                "application_id": self.application_id,
                "version": self.snowflake(),
                "type": 1,
                "description": "",
                "options": [],
                **command,
            }
            for command in body
        ]
        self.commands[scope] = synced
        return synced

    def _callback(self, token: str, body: dict[str, Any]) -> tuple[int, Any]:
        pending = self._pending.get(token)
        if pending is None:
            return 404, {"message": "Unknown interaction", "code": 10062}
        pending.answers += 1
        if pending.acknowledged:
            return 400, {"message": "Interaction has already been acknowledged.", "code": 40060}
        pending.acknowledged = True
        kind, data = body["type"], body.get("data") or {}
        if kind == 4:  # a message
            pending.original = self._new_message(pending.channel_id, data, pending)["id"]
        elif kind == 5:  # "thinking…", filled in by editing the original response
            loading = {**data, "flags": (data.get("flags") or 0) | LOADING}
            pending.original = self._new_message(pending.channel_id, loading, pending)["id"]
        elif kind == 7:  # update the pressed message now
            assert pending.original is not None
            self._update(pending.original, data)
        elif kind == 8:
            self.choices.append(data.get("choices", []))
        elif kind == 9:  # a modal, shown to the person who pressed
            self.forms.append(data)
        resource: dict[str, Any] = {"type": kind}
        if kind in (4, 5, 7) and pending.original is not None:
            resource["message"] = self.messages[pending.original]
        answer = {"id": pending.id, "type": pending.type}
        return 200, {"interaction": answer, "resource": resource}

    def _edit_original(self, token: str, body: dict[str, Any]) -> tuple[int, Any]:
        pending = self._pending.get(token)
        if pending is None or pending.original is None or not pending.acknowledged:
            return 404, {"message": "Unknown Message", "code": 10008}
        message = self.messages[pending.original]
        message["flags"] = (message.get("flags") or 0) & ~LOADING
        return 200, self._update(pending.original, body)

    def _edit(self, message_id: str, body: dict[str, Any]) -> tuple[int, Any]:
        if message_id not in self.messages:
            return 404, {"message": "Unknown Message", "code": 10008}
        return 200, self._update(message_id, body)

    def _followup(self, token: str, body: dict[str, Any]) -> tuple[int, Any]:
        pending = self._pending.get(token)
        if pending is None or not pending.acknowledged:
            return 404, {"message": "Unknown Webhook", "code": 10015}
        return 200, self._new_message(pending.channel_id, body, pending)

    def _new_message(
        self, channel: str, body: dict[str, Any], pending: Pending | None
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "id": self.snowflake(),
            "channel_id": channel,
            "author": self.bot,
            "content": body.get("content") or "",
            "timestamp": datetime.now(UTC).isoformat(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [
                {
                    "id": self.snowflake(),
                    "filename": name,
                    "size": len(content),
                    "url": f"https://cdn.example/{name}",
                    "proxy_url": f"https://cdn.example/{name}",
                }
                for name, content in body.get("files", [])
            ],
            "embeds": [],
            "pinned": False,
            "type": 0 if pending is None else 20,
            "flags": body.get("flags") or 0,
            "components": body.get("components") or [],
        }
        if pending is not None:
            message["interaction_metadata"] = {
                "id": pending.id,
                "type": pending.type,
                "user": pending.user,
                "authorizing_integration_owners": {},
            }
        self.messages[message["id"]] = message
        self.uploads[message["id"]] = list(body.get("files", []))
        return message

    def _update(self, message_id: str, body: dict[str, Any]) -> dict[str, Any]:
        message = self.messages[message_id]
        if "content" in body:
            message["content"] = body["content"] or ""
        if "components" in body:
            message["components"] = body["components"] or []
        message["edited_timestamp"] = datetime.now(UTC).isoformat()
        return message

    # -- feeding the bot -----------------------------------------------------------------------

    async def push(self, event: str, payload: dict[str, Any]) -> int:
        """Send a gateway event to the bot connected to the gateway, on the shard Discord would
        send it to; its sequence number."""
        guild_id = payload.get("guild_id")
        guild = next((g for g in self.guilds if g.id == guild_id), None)
        return await self.gateway.push(event, payload, guild)

    async def wait_for(self, condition: Callable[[], object], within: float = 15.0) -> None:
        """Return once ``condition()`` is true; fail after ``within`` seconds."""
        deadline = time.monotonic() + within
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"not within {within} s: {getattr(condition, '__doc__', '')}")
            await asyncio.sleep(0.02)

    def answered(self, payload: dict[str, Any]) -> int:
        """How many times the bot answered (called back) the interaction ``payload``."""
        return self._pending[payload["token"]].answers

    async def deliver(self, client: discord.Client, event: str, *payloads: dict[str, Any]) -> None:
        """Feed gateway events (``INTERACTION_CREATE``, ``MESSAGE_CREATE``) to ``client``, all at
        once, then wait until discord.py has finished every task it started for them."""
        state = client._connection
        before = asyncio.all_tasks()
        for payload in payloads:
            getattr(state, f"parse_{event.lower()}")(payload)
        started = [t for t in asyncio.all_tasks() - before if t.get_name().startswith(EVENT_TASKS)]
        await asyncio.gather(*started)


async def _multipart(request: web.Request) -> dict[str, Any]:
    """A message with files: its JSON in ``payload_json``, the files as ``files[n]`` parts
    (kept as ``body["files"]``: (filename, bytes))."""
    body: dict[str, Any] = {}
    files: list[tuple[str, bytes]] = []
    reader = await request.multipart()
    async for part in reader:
        data = bytes(await part.read())  # type: ignore[union-attr]
        if getattr(part, "name", None) == "payload_json":
            body.update(json.loads(data))
        elif getattr(part, "filename", None):
            files.append((str(getattr(part, "filename", "")), data))
    return {**body, "files": files}
