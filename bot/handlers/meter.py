"""What the bot counts as it works, for /metrics: the port the dispatcher, the worker and the
adapters report to. ``bot.observability.Metrics`` is the real one (Prometheus); ``NoMeter``,
the default, counts nothing."""

from __future__ import annotations

from typing import Protocol


class Meter(Protocol):
    def handled(self, platform: str, outcome: str, seconds: float) -> None:
        """An update (a message or a press) was handled: ``outcome`` is one of ok, refused (a
        domain error, told to the person), failed, duplicate, ignored; in ``seconds``."""
        ...

    def sent(self, platform: str, result: str) -> None:
        """The worker sent a notification: result sent, blocked, throttled (a 429) or failed."""
        ...

    def rate_limited(self, platform: str) -> None:
        """A platform answered 429 Too Many Requests."""
        ...

    def planned(self, kind: str, count: int) -> None:
        """``count`` notifications of ``kind`` were planned (committed to the outbox)."""
        ...

    def dropped(self, reason: str) -> None:
        """A notification was dropped without being sent, for ``reason``."""
        ...


class NoMeter:
    """Counts nothing."""

    def handled(self, platform: str, outcome: str, seconds: float) -> None:
        pass

    def sent(self, platform: str, result: str) -> None:
        pass

    def rate_limited(self, platform: str) -> None:
        pass

    def planned(self, kind: str, count: int) -> None:
        pass

    def dropped(self, reason: str) -> None:
        pass
