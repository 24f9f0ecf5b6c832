"""What the fake Discord says about people, servers and channels, and the gateway payloads of
what they do (``INTERACTION_CREATE``, ``MESSAGE_CREATE``, ``GUILD_CREATE``), as Discord sends
them. :class:`Payloads` is a part of :class:`~tests.adapters.discord_fake.DiscordFake`.
"""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

SHARD_BITS = 22  # a snowflake's timestamp starts above its 22 low bits
DISCORD_EPOCH = 1_420_070_400_000  # milliseconds: 2015-01-01, where snowflakes' time starts
# Snowflakes are unique, as Discord's are (the bot claims them), across the test session and
# across runs on one database: they start at this moment's.
_SNOWFLAKES = itertools.count((int(time.time() * 1000) - DISCORD_EPOCH) << SHARD_BITS)


@dataclass(frozen=True)
class Guild:
    """A server the bot is in, with one text channel."""

    id: str
    channel_id: str
    name: str = "Study hall"

    def shard(self, count: int) -> int:
        """The shard Discord sends this server's events to, among ``count``."""
        return (int(self.id) >> SHARD_BITS) % count


@dataclass
class Pending:
    """What the fake knows about one interaction: its user and the message it answers on."""

    id: str
    type: int
    user: dict[str, Any]
    channel_id: str
    original: str | None = None  # the message id of the response (or the pressed message)
    acknowledged: bool = False
    answers: int = 0  # callbacks tried: more than one is a double handling


class Payloads:
    """People, servers and channels, and the payloads of what they do."""

    bot: dict[str, Any]
    application_id: str
    guilds: list[Guild]
    commands: dict[str, list[dict[str, Any]]]
    messages: dict[str, dict[str, Any]]
    _pending: dict[str, Pending]

    @property
    def guild_id(self) -> str:
        """The first server's id (the one ``guild=True`` means)."""
        return self.guilds[0].id

    @property
    def guild_channel_id(self) -> str:
        return self.guilds[0].channel_id

    def add_guild(self, shard: int = 0, count: int = 1) -> Guild:
        """A new server whose events go to ``shard`` of ``count``."""
        base = next(_SNOWFLAKES)
        high = base >> SHARD_BITS
        high += (shard - high) % count
        low = base & ((1 << SHARD_BITS) - 1)
        guild = Guild(str((high << SHARD_BITS) | low), self.snowflake())
        self.guilds.append(guild)
        return guild

    def guild_of(self, channel_id: str) -> Guild | None:
        return next((g for g in self.guilds if g.channel_id == channel_id), None)

    def guild_payload(self, guild: Guild) -> dict[str, Any]:
        """``GUILD_CREATE``: the server, its one text channel and the bot as a member."""
        return {
            "id": guild.id,
            "name": guild.name,
            "icon": None,
            "owner_id": self.bot["id"],
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "roles": [_everyone(guild.id)],
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "vanity_url_code": None,
            "description": None,
            "banner": None,
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "public_updates_channel_id": None,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "joined_at": "2026-01-01T00:00:00+00:00",
            "large": False,
            "unavailable": False,
            "member_count": 2,
            "members": [_member(self.bot)],
            "channels": [_text_channel(guild)],
            "threads": [],
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
        }

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
        guild: bool | Guild = False,
        message: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """An ``INTERACTION_CREATE`` payload, as the gateway sends it (``guild=True``: in the
        first server's channel; a :class:`Guild`: in that one's)."""
        interaction_id, token = self.snowflake(), f"token-{self.snowflake()}"
        server = self.guilds[0] if guild is True else guild or None
        channel = server.channel_id if server else self.dm_channel(user["id"])["id"]
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
            "authorizing_integration_owners": {"0": server.id} if server else {"1": user["id"]},
            "context": 0 if server else 1,
        }
        if server:
            payload["guild_id"] = server.id
            payload["guild_locale"] = "en-US"
            payload["channel"] = _text_channel(server)
            payload["member"] = {**_member(user), "permissions": "2248473465835073"}
        else:
            payload["channel"] = {"id": channel, "type": 1, "recipients": [user]}
            payload["user"] = user
        if message is not None:
            payload["message"] = message
        pressed = None if message is None else message["id"]
        self._pending[token] = Pending(interaction_id, kind, user, channel, original=pressed)
        return payload

    def slash(
        self,
        user: dict[str, Any],
        name: str,
        args: str | None = None,
        *,
        guild: bool | Guild = False,
    ) -> dict[str, Any]:
        options = [] if args is None else [{"name": "args", "type": 3, "value": args}]
        server = self.guilds[0] if guild is True else guild or None
        scope = server.id if server and server.id in self.commands else "global"
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
        guild = self.guild_of(message["channel_id"]) or False
        return self.interaction(
            user, 3, data, guild=guild, message=json.loads(json.dumps(message))
        )

    def select(
        self, user: dict[str, Any], message: dict[str, Any], custom_id: str, values: list[str]
    ) -> dict[str, Any]:
        data = {"custom_id": custom_id, "component_type": 3, "values": values}
        guild = self.guild_of(message["channel_id"]) or False
        return self.interaction(
            user, 3, data, guild=guild, message=json.loads(json.dumps(message))
        )

    def submit(
        self, user: dict[str, Any], form: dict[str, Any], text: str, *, guild: bool | Guild = False
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


def _everyone(guild_id: str) -> dict[str, Any]:
    return {
        "id": guild_id,
        "name": "@everyone",
        "color": 0,
        "hoist": False,
        "position": 0,
        "permissions": "2248473465835073",
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }


def _member(user: dict[str, Any]) -> dict[str, Any]:
    return {
        "user": user,
        "roles": [],
        "joined_at": "2026-01-01T00:00:00+00:00",
        "deaf": False,
        "mute": False,
        "flags": 0,
    }


def _text_channel(guild: Guild) -> dict[str, Any]:
    return {
        "id": guild.channel_id,
        "type": 0,
        "guild_id": guild.id,
        "name": "study-hall",
        "position": 0,
        "permission_overwrites": [],
        "nsfw": False,
        "parent_id": None,
    }


def components(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for row in message.get("components") or [] for c in row.get("components", [])]


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in components(message) if c["type"] == 2]


def menus(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The select menus under a message (type 3: string select)."""
    return [c for c in components(message) if c["type"] == 3]
