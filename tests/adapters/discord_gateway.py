"""The fake Discord's gateway: a WebSocket on the fake's own port, speaking what discord.py
speaks (``discord/gateway.py``).

A connection gets HELLO (op 10); heartbeats (op 1) are acknowledged (op 11). IDENTIFY (op 2)
opens a session on the shard it names (``d.shard``, else ``[0, 1]``): READY (with
``session_id``, and ``resume_gateway_url`` pointing back here at ``/resume/`` so a test can
see discord.py went there), then a GUILD_CREATE per server on that shard. RESUME (op 6) with a
known session replays the events after the sequence number it gives, then RESUMED; with an
unknown one it gets INVALID_SESSION (op 9). ``?compress=zlib-stream`` (discord.py asks for it)
gets binary frames of one zlib stream, each ending in a sync flush, as Discord sends them.

Events the test pushes (:meth:`Gateway.push`) go where Discord would send them: a server's to
the shard ``(guild_id >> 22) % shard_count``, a direct message's to shard 0. Every dispatch is
kept with its sequence number, so those pushed while a session is disconnected are replayed
when it resumes. :meth:`Gateway.drop` closes the sockets as Discord does when it restarts a
node (a resumable close code).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

if TYPE_CHECKING:
    from tests.adapters.discord_fake import DiscordFake, Guild

HEARTBEAT_INTERVAL = 41_250  # milliseconds, what Discord says in HELLO
DISPATCH, HEARTBEAT, IDENTIFY, RESUME, INVALID_SESSION, HELLO, HEARTBEAT_ACK = (
    0,
    1,
    2,
    6,
    9,
    10,
    11,
)
UNKNOWN_ERROR = 4000  # "We're not sure what went wrong. Try reconnecting?" (resumable)
AUTHENTICATION_FAILED = 4004
INVALID_SHARD = 4010
_SESSIONS = itertools.count(1)


@dataclass
class Connection:
    """One WebSocket connection as it came in: its path and query, and what was said on it."""

    path: str
    query: dict[str, str]
    received: list[dict[str, Any]] = field(default_factory=list)  # what the bot sent
    closed: bool = False


@dataclass
class Session:
    """A gateway session: its shard, and every dispatch sent on it (for RESUME)."""

    id: str
    shard: tuple[int, int]
    identify: dict[str, Any]
    dispatched: list[dict[str, Any]] = field(default_factory=list)  # {"op", "t", "s", "d"}
    socket: _Socket | None = None
    resumes: list[int] = field(default_factory=list)  # the sequence number each RESUME gave

    @property
    def live(self) -> bool:
        return self.socket is not None and not self.socket.ws.closed


class _Socket:
    """A server-side WebSocket that sends JSON as text, or zlib-stream compressed."""

    def __init__(self, ws: web.WebSocketResponse, connection: Connection) -> None:
        self.ws, self.connection = ws, connection
        compress = connection.query.get("compress") == "zlib-stream"
        self._zlib = zlib.compressobj() if compress else None
        self._lock = asyncio.Lock()  # one frame at a time: the zlib stream has an order

    async def send(self, payload: dict[str, Any]) -> None:
        text = json.dumps(payload)
        async with self._lock:
            if self.ws.closed:
                return
            try:
                if self._zlib is None:
                    await self.ws.send_str(text)
                else:
                    data = self._zlib.compress(text.encode())
                    await self.ws.send_bytes(data + self._zlib.flush(zlib.Z_SYNC_FLUSH))
            except (ConnectionResetError, RuntimeError):
                pass  # the bot went away: a dispatch stays kept for its RESUME


class Gateway:
    """The gateway of one :class:`DiscordFake` (routes ``/``, ``/resume/`` and
    ``/gateway-bot/``, the one GET /gateway/bot names)."""

    def __init__(self, fake: DiscordFake) -> None:
        self.fake = fake
        self.connections: list[Connection] = []
        self.sessions: dict[str, Session] = {}
        self.heartbeat_interval = HEARTBEAT_INTERVAL

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/", self._serve)
        app.router.add_get("/resume/", self._serve)
        app.router.add_get("/gateway-bot/", self._serve)

    @property
    def url(self) -> str:
        """The first gateway connection's URL (``DISCORD_GATEWAY_URL``)."""
        return f"ws://{self.fake.host}:{self.fake.port}/"

    @property
    def recommended_url(self) -> str:
        """What GET /gateway/bot says (apart from the configured one, so a test sees which
        discord.py went to)."""
        return f"ws://{self.fake.host}:{self.fake.port}/gateway-bot/"

    @property
    def resume_url(self) -> str:
        return f"ws://{self.fake.host}:{self.fake.port}/resume/"

    # -- a connection --------------------------------------------------------------------------

    async def _serve(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        connection = Connection(request.path, dict(request.query))
        self.connections.append(connection)
        socket = _Socket(ws, connection)
        await socket.send({"op": HELLO, "d": {"heartbeat_interval": self.heartbeat_interval}})
        try:
            async for message in ws:
                if message.type is not WSMsgType.TEXT:
                    continue
                payload = json.loads(message.data)
                connection.received.append(payload)
                await self._received(socket, payload)
        finally:
            connection.closed = True
        return ws

    async def _received(self, socket: _Socket, payload: dict[str, Any]) -> None:
        op, data = payload.get("op"), payload.get("d")
        if op == HEARTBEAT:
            await socket.send({"op": HEARTBEAT_ACK})
        elif op == IDENTIFY:
            await self._identify(socket, data)
        elif op == RESUME:
            await self._resume(socket, data)

    async def _identify(self, socket: _Socket, data: dict[str, Any]) -> None:
        if data.get("token") != self.fake.token:
            await socket.ws.close(code=AUTHENTICATION_FAILED, message=b"Authentication failed.")
            return
        shard_id, count = data.get("shard") or (0, 1)
        if not 0 <= shard_id < count:
            await socket.ws.close(code=INVALID_SHARD, message=b"Invalid shard.")
            return
        session = Session(f"session-{next(_SESSIONS)}", (shard_id, count), data, socket=socket)
        self.sessions[session.id] = session
        guilds = [g for g in self.fake.guilds if g.shard(count) == shard_id]
        fake = self.fake
        ready = {
            "v": 10,
            "user": {**fake.bot, "verified": True, "mfa_enabled": False, "flags": 0},
            "guilds": [{"id": g.id, "unavailable": True} for g in guilds],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self.resume_url,
            "shard": [shard_id, count],
            "application": {"id": fake.application_id, "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "user_settings": {},
        }
        await self._dispatch(session, "READY", ready)
        for guild in guilds:
            await self._dispatch(session, "GUILD_CREATE", fake.guild_payload(guild))

    async def _resume(self, socket: _Socket, data: dict[str, Any]) -> None:
        session = self.sessions.get(data.get("session_id") or "")
        if session is None or data.get("token") != self.fake.token:
            await socket.send({"op": INVALID_SESSION, "d": False})
            return
        seq = data.get("seq") or 0
        session.resumes.append(seq)
        session.socket = socket
        for event in session.dispatched:
            if event["s"] > seq:
                await socket.send(event)
        await self._dispatch(session, "RESUMED", {})

    async def _dispatch(self, session: Session, event: str, data: dict[str, Any]) -> None:
        payload = {"op": DISPATCH, "t": event, "s": len(session.dispatched) + 1, "d": data}
        session.dispatched.append(payload)
        if session.socket is not None:
            await session.socket.send(payload)

    # -- what a test does ----------------------------------------------------------------------

    def session_for(self, guild: Guild | None) -> Session:
        """The newest session on the shard Discord would send ``guild``'s events to (a direct
        message's: shard 0)."""
        for session in reversed(list(self.sessions.values())):
            shard_id, count = session.shard
            if (0 if guild is None else guild.shard(count)) == shard_id:
                return session
        raise AssertionError(f"no gateway session for the shard of {guild}")

    async def push(self, event: str, payload: dict[str, Any], guild: Guild | None = None) -> int:
        """Send the event to the bot on the right shard (kept for a resume if it is away);
        its sequence number."""
        session = self.session_for(guild)
        await self._dispatch(session, event, payload)
        return len(session.dispatched)

    async def drop(self, code: int = UNKNOWN_ERROR) -> list[Session]:
        """Close every live session's socket with ``code``, as Discord does (discord.py
        reconnects to ``resume_gateway_url`` and resumes); the sessions dropped."""
        dropped = [s for s in self.sessions.values() if s.live]
        for session in dropped:
            assert session.socket is not None
            socket, session.socket = session.socket, None
            await socket.ws.close(code=code, message=b"Reconnect, please.")
        return dropped

    def identified(self) -> list[tuple[int, int]]:
        """The shards of the sessions that are connected now."""
        return [s.shard for s in self.sessions.values() if s.live]

    async def wait_for(self, condition: Callable[[], object], within: float = 15.0) -> None:
        await self.fake.wait_for(condition, within=within)
