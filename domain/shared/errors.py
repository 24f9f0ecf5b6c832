"""Domain errors. Each carries a message that is safe and friendly to show to a user."""

from __future__ import annotations


class DomainError(Exception):
    """Base class: ``str(error)`` is the user-facing message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(DomainError):
    """The user asked for something malformed or out of range; nothing was changed."""


class NotFound(DomainError):
    """The thing does not exist, or is not the asker's (we do not say which)."""


class NotAllowed(DomainError):
    """The asker may not do this."""


class Conflict(DomainError):
    """The state changed under the request (a race, or an action that no longer applies)."""


class TransientConflict(Conflict):
    """The database gave up on a transaction (a deadlock, or a serialization failure) and rolled
    it back: nothing was changed, and running the use case again is safe. ``db`` raises it;
    ``bot.handlers.retry.retry_transient`` runs the use case again; a person sees the message
    only if every attempt failed."""

    def __init__(
        self, message: str = "Many changes arrived at once. Nothing was changed; please try again."
    ) -> None:
        super().__init__(message)
