"""Platform-neutral values that flow between adapters and handlers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from uuid import UUID

from domain.model import Identity
from domain.ports import Clock, CurriculumPlanner, UnitOfWork


@dataclass(frozen=True)
class Incoming:
    """One thing a person did: typed ``text`` or pressed a button carrying ``payload``."""

    identity: Identity
    text: str | None = None
    payload: str | None = None
    private: bool = True


@dataclass(frozen=True)
class Button:
    label: str
    payload: str


@dataclass(frozen=True)
class Reply:
    """A message to show. ``edit`` asks to replace the message whose button was pressed."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    edit: bool = False


@dataclass(frozen=True)
class Context:
    """What handlers may use: a fresh unit of work per call, the clock, the planner."""

    uow: Callable[[], UnitOfWork]
    clock: Clock
    planner: CurriculumPlanner


@dataclass(frozen=True)
class Request:
    """An incoming message resolved to a known user, with the command's arguments."""

    ctx: Context
    user_id: UUID
    incoming: Incoming
    args: str = ""
    button_args: tuple[str, ...] = field(default=())


Replies = Reply | Sequence[Reply]
Handler = Callable[[Request], Awaitable[Replies]]


@dataclass(frozen=True)
class Command:
    """A slash command: ``name`` without the slash, one ``summary`` line for /help."""

    name: str
    handler: Handler
    summary: str
    usage: str = ""


def rows(*buttons: Button, per_row: int = 3) -> tuple[tuple[Button, ...], ...]:
    """Lay ``buttons`` out in rows of at most ``per_row``."""
    return tuple(tuple(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row))
