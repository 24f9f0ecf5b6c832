"""A fake Discord: its REST API on 127.0.0.1 (aiohttp), and gateway payloads for the bot.

discord.py builds every URL from ``discord.http.Route.BASE`` (interaction callbacks and
followups included); the ``discord_api`` fixture points that at :attr:`DiscordFake.base`.
Every request is recorded as a :class:`Call`; messages the bot sends, edits and answers with
are kept per channel, with their components, as Discord would show them.

Events reach the bot the way the gateway would deliver them: :meth:`DiscordFake.deliver` feeds
an ``INTERACTION_CREATE`` or ``MESSAGE_CREATE`` payload to the client's connection state and
waits for the tasks discord.py starts for it, so each step is complete when it returns.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import discord
from aiohttp import web

API = "/api/v10"
EPHEMERAL = 1 << 6
LOADING = 1 << 7
# Tasks discord.py starts for one gateway event (the app command tree, dynamic items, events).
# Snowflakes are unique across the whole test session, as Discord's are (the bot claims them).
_SNOWFLAKES = itertools.count(1_100_000_000_000_000_000)
EVENT_TASKS = ("CommandTree-invoker", "discord-ui-dynamic-item-", "discord.py: ")


@dataclass
class Call:
    method: str
    path: str
    body: Any
    status: int
    result: Any


@dataclass
class Pending:
    """What the fake knows about one interaction: its user and the message it answers on."""

    id: str
    type: int
    user: dict[str, Any]
    channel_id: str
    original: str | None = None  # the message id of the response (or the pressed message)
    acknowledged: bool = False


@dataclass
class DiscordFake:
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
    uploads: dict[str, list[tuple[str, bytes]]] = field(default_factory=dict)  # message -> files

    def __post_init__(self) -> None:
        self.bot = self.user("Syllabot", bot=True)
        self.application_id = self.bot["id"]
        self.guild_id = self.snowflake()
        self.guild_channel_id = self.snowflake()
        self._pending: dict[str, Pending] = {}
        self._runner: web.AppRunner | None = None

    # -- the server ---------------------------------------------------------------------------

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}{API}"

    async def __aenter__(self) -> DiscordFake:
        app = web.Application()
        app.router.add_route("*", API + "/{path:.*}", self._serve)
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
            status, result = self._answer(request.method, path, body)
        self.calls.append(Call(request.method, path, body, status, result))
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
            case "GET", ["oauth2", "applications", "@me"]:
                return 200, self._application()
            case "PUT", ["applications", _, "commands"]:
                return 200, self._sync("global", body)
            case "PUT", ["applications", _, "guilds", guild, "commands"]:
                return 200, self._sync(guild, body)
            case "POST", ["interactions", _, token, "callback"]:
                return self._callback(token, body)
            case "PATCH", ["webhooks", _, token, "messages", "@original"]:
                return self._edit_original(token, body)
            case "POST", ["webhooks", _, token]:
                return self._followup(token, body)
            case "POST", ["users", "@me", "channels"]:
                return 200, self.dm_channel(body["recipient_id"])
            case "POST", ["channels", channel, "messages"]:
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

    # -- people, channels, payloads -------------------------------------------------------------

    def snowflake(self) -> str:
        return str(next(_SNOWFLAKES))

    def user(self, name: str, *, bot: bool = False) -> dict[str, Any]:
        user = {
            "id": self.snowflake(),
            "username": name.lower(),
            "global_name": name,
            "discriminator": "0",
            "avatar": None,
        }
        return {**user, "bot": True} if bot else user

    def dm_channel(self, user_id: str) -> dict[str, Any]:
        # One direct message channel per user; its id is derived so it is stable.
        return {"id": str(int(user_id) + 1), "type": 1, "recipients": [self._known(user_id)]}

    def _known(self, user_id: str) -> dict[str, Any]:
        return {"id": user_id, "username": "someone", "discriminator": "0", "avatar": None}

    def channel_messages(self, channel_id: str) -> list[dict[str, Any]]:
        return [m for m in self.messages.values() if m["channel_id"] == channel_id]

    def interaction(
        self,
        user: dict[str, Any],
        kind: int,
        data: dict[str, Any],
        *,
        guild: bool = False,
        message: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """An ``INTERACTION_CREATE`` payload, as the gateway sends it."""
        interaction_id, token = self.snowflake(), f"token-{self.snowflake()}"
        channel = self.guild_channel_id if guild else self.dm_channel(user["id"])["id"]
        payload: dict[str, Any] = {
            "id": interaction_id,
            "application_id": self.application_id,
            "type": kind,
            "token": token,
            "version": 1,
            "data": data,
            "channel_id": channel,
            "locale": "en-US",
            "app_permissions": "0",
            "entitlements": [],
            "attachment_size_limit": 10_485_760,
            "authorizing_integration_owners": {"0": self.guild_id} if guild else {"1": user["id"]},
            "context": 0 if guild else 1,
        }
        if guild:
            payload["guild_id"] = self.guild_id
            payload["guild_locale"] = "en-US"
            payload["channel"] = {
                "id": channel,
                "type": 0,
                "guild_id": self.guild_id,
                "name": "study-hall",
                "position": 0,
                "permission_overwrites": [],
                "nsfw": False,
                "parent_id": None,
            }
            payload["member"] = {
                "user": user,
                "roles": [],
                "joined_at": "2026-01-01T00:00:00+00:00",
                "deaf": False,
                "mute": False,
                "flags": 0,
                "permissions": "2248473465835073",
            }
        else:
            payload["channel"] = {"id": channel, "type": 1, "recipients": [user]}
            payload["user"] = user
        if message is not None:
            payload["message"] = message
        pressed = None if message is None else message["id"]
        self._pending[token] = Pending(interaction_id, kind, user, channel, original=pressed)
        return payload

    def slash(
        self, user: dict[str, Any], name: str, args: str | None = None, *, guild: bool = False
    ) -> dict[str, Any]:
        options = [] if args is None else [{"name": "args", "type": 3, "value": args}]
        scope = self.guild_id if guild and self.guild_id in self.commands else "global"
        known = {c["name"]: c["id"] for c in self.commands.get(scope, [])}
        data = {"id": known.get(name, "0"), "name": name, "type": 1, "options": options}
        return self.interaction(user, 2, data, guild=guild)

    def typing(self, user: dict[str, Any], name: str, current: str) -> dict[str, Any]:
        option = {"name": "args", "type": 3, "value": current, "focused": True}
        data = {"id": "0", "name": name, "type": 1, "options": [option]}
        return self.interaction(user, 4, data)

    def press(
        self, user: dict[str, Any], message: dict[str, Any], custom_id: str
    ) -> dict[str, Any]:
        data = {"custom_id": custom_id, "component_type": 2}
        guild = message["channel_id"] == self.guild_channel_id
        return self.interaction(
            user, 3, data, guild=guild, message=json.loads(json.dumps(message))
        )

    def select(
        self, user: dict[str, Any], message: dict[str, Any], custom_id: str, values: list[str]
    ) -> dict[str, Any]:
        data = {"custom_id": custom_id, "component_type": 3, "values": values}
        guild = message["channel_id"] == self.guild_channel_id
        return self.interaction(
            user, 3, data, guild=guild, message=json.loads(json.dumps(message))
        )

    def submit(
        self, user: dict[str, Any], form: dict[str, Any], text: str, *, guild: bool = False
    ) -> dict[str, Any]:
        """A ``MODAL_SUBMIT``: ``text`` typed into the first field of ``form``."""
        [field] = components(form)
        typed = {"type": 4, "custom_id": field["custom_id"], "value": text}
        data = {
            "custom_id": form["custom_id"],
            "components": [{"type": 1, "components": [typed]}],
        }
        return self.interaction(user, 5, data, guild=guild)

    def direct_message(self, user: dict[str, Any], text: str) -> dict[str, Any]:
        """A ``MESSAGE_CREATE`` payload: ``user`` writes ``text`` in their DM with the bot."""
        return {
            "id": self.snowflake(),
            "channel_id": self.dm_channel(user["id"])["id"],
            "author": user,
            "content": text,
            "timestamp": datetime.now(UTC).isoformat(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "pinned": False,
            "type": 0,
            "flags": 0,
            "components": [],
        }

    # -- feeding the bot -----------------------------------------------------------------------

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


def components(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for row in message.get("components") or [] for c in row.get("components", [])]


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in components(message) if c["type"] == 2]


def menus(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The select menus under a message (type 3: string select)."""
    return [c for c in components(message) if c["type"] == 3]
