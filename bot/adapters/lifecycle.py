"""What every chat adapter is: started and stopped, by hand or with ``async with``."""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType
from typing import Self


class PlatformUnavailable(Exception):
    """A chat platform cannot be reached or refuses the bot; the message says which and why in
    one line, for the operator (``syllabot run`` prints it)."""


class Lifecycle(ABC):
    """``async with adapter: ...`` starts it, and stops it when the block is left however."""

    @abstractmethod
    async def start(self) -> None:
        """Connect to the platform and start taking updates."""

    @abstractmethod
    async def stop(self) -> None:
        """Stop taking updates, finish those taken, and close the connections."""

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()
