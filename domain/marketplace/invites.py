"""A booking's calendar invite: which version a change makes. Pure: no I/O.

The invite is issued when the expert confirms a booking (version 0). Every later change of its
time or status (a move, a cancellation, a lapse of a moved request, a confirmation again)
makes the next version, written in the transaction of the change (``bookings.invite_sequence``
and ``invited_at``), and the notices of that change name the version they were written for
(``data["invite"]``). So a file is always rendered from the stored state: the same version
gives the same file, and a notice delivered after a later change sends no stale one. Who may
ask for the invite on demand is the state machine's (``Action.INVITE``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.marketplace.model import Action, Booking

# The actions that make a new version of an issued invite (each service writes it with
# ``next_invite``): its maker's reply carries it, the other side's notice too.
CHANGED_BY = frozenset(
    {
        Action.CONFIRM,
        Action.DECLINE,
        Action.CANCEL,
        Action.EXPIRE,
        Action.RESCHEDULE,
        Action.ACCEPT_MOVE,
    }
)


def next_invite(booking: Booking, now: datetime, *, confirming: bool = False) -> dict[str, Any]:
    """The values a change of ``booking``'s time or status writes for its invite: the next
    version (the first on ``confirming``), made ``now``; nothing for a booking never confirmed
    (nobody has an invite to update)."""
    if booking.invite_sequence is None and not confirming:
        return {}
    sequence = 0 if booking.invite_sequence is None else booking.invite_sequence + 1
    return {"invite_sequence": sequence, "invited_at": now}


def told(values: dict[str, Any]) -> dict[str, Any]:
    """What a notice of the change says of the invite: the version it was written for."""
    if "invite_sequence" not in values:
        return {}
    return {"invite": values["invite_sequence"]}


def is_current(booking: Booking, data: dict[str, Any]) -> bool:
    """Whether a notice's invite (``told``) is still the booking's: a later change made a
    newer version, which its own notice (or reply) carries."""
    return "invite" in data and data["invite"] == booking.invite_sequence
