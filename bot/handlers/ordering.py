"""One person at a time: each person's updates are handled in the order they arrived, one after
the other, while different people's run concurrently. Used by every adapter whose platform
delivers updates concurrently (Telegram, Discord)."""

from __future__ import annotations

import asyncio
from collections.abc import Hashable, Iterator
from contextlib import contextmanager


class Turn:
    """A place in one person's line, taken when the update arrived."""

    def __init__(self, previous: asyncio.Future[None] | None) -> None:
        self._previous = previous

    async def wait(self) -> None:
        """Wait until the person's earlier updates are done (at once if there are none)."""
        if self._previous is not None:
            await asyncio.shield(self._previous)


class InOrder:
    """Per person, a line of updates. ``with lines.join(person) as turn:`` takes a place at
    once (call it before anything can suspend, so arrival order is kept); work that may run
    ahead (answering a button press, say) goes before ``await turn.wait()``, the rest after.
    Leaving the block lets the person's next update go, but never before the one ahead of it
    is done, even if this one was cancelled while it waited."""

    def __init__(self) -> None:
        self._last: dict[Hashable, asyncio.Future[None]] = {}  # per person: done when its last is

    def __len__(self) -> int:
        """How many people have updates waiting or running."""
        return len(self._last)

    @contextmanager
    def join(self, person: Hashable) -> Iterator[Turn]:
        previous = self._last.get(person)
        mine: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._last[person] = mine
        try:
            yield Turn(previous)
        finally:
            if previous is None or previous.done():
                self._leave(person, mine)
            else:  # left early (cancelled while waiting): the next still waits for `previous`
                previous.add_done_callback(lambda _: self._leave(person, mine))

    def _leave(self, person: Hashable, mine: asyncio.Future[None]) -> None:
        mine.set_result(None)
        if self._last.get(person) is mine:
            del self._last[person]
