"""Linking accounts: a one-time code shown on one platform and entered on another joins both
identities to one user (``/link``).

What happens to the data of the account that enters the code (the "joining" account): it is
merged into the code's user, in one transaction. Curricula move with their sessions, progress,
streaks and notes; bookings (as learner) and notifications move; an expert profile moves when
only the joining account has one; settings the code's user has not set (a time zone other than
UTC, the current curriculum, each notification preference) are taken from the joining account.
The joining account's half-finished wizard is dropped. Refused, changing nothing: two expert
profiles (a user has one), two accounts on the same platform (a user has one identity per
platform), and an account that booked the other's expert profile (nobody books themselves).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from domain.notifications.services import replan_user
from domain.shared.clock import Clock
from domain.shared.errors import Conflict, InvalidInput, NotAllowed
from domain.shared.text import plural
from domain.unit_of_work import UnitOfWork

CODE_TTL = timedelta(minutes=10)
GUESS_WINDOW = timedelta(minutes=10)
MAX_WRONG_GUESSES = 5
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: easy to read and type
CODE_LENGTH = 8
WRONG = "That code is wrong, used or expired. Nothing was changed. ({left} left.)"
TOO_MANY = (
    "Too many wrong codes. Please wait {minutes}, then ask for a fresh code with "
    "/link on the other platform. Nothing was changed."
)


OWN_CODE = "That is this account's own code: enter it on your other platform. Nothing was changed."
BOTH_EXPERTS = (
    "Both accounts have an expert profile, and one person can have only one, so I can't join "
    "them. Nothing was changed."
)


SAME_PLATFORM = (
    "Both accounts are on {platform} already, and one person has one account per platform, so "
    "I can't join them. Nothing was changed."
)


BOOKED_SELF = (
    "One account has booked the other's expert profile, and nobody can book themselves, so I "
    "can't join them. Nothing was changed."
)


@dataclass(frozen=True)
class LinkCode:
    code: str  # as shown: ABCD-EFGH
    expires_at: datetime


@dataclass(frozen=True)
class Linked:
    user_id: UUID  # the user both identities now belong to
    merged: UUID  # the joining user, gone now
    platforms: tuple[str, ...]


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def normalize(text: str) -> str | None:
    """The code in ``text`` (any case, spaces and dashes ignored), or None if it can't be one."""
    code = "".join(text.split()).replace("-", "").upper()
    if len(code) != CODE_LENGTH or any(c not in ALPHABET for c in code):
        return None
    return code


async def new_code(user_id: UUID, uow: UnitOfWork, clock: Clock) -> LinkCode:
    """Make a fresh code for ``user_id`` (replacing any earlier one); only its hash is stored.

    Returns:
        The code as shown to the person, and when it expires (10 minutes from now).
    """
    code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    expires_at = clock.now() + CODE_TTL
    async with uow:
        await uow.links.save_code(user_id, _hash(code), expires_at)
        await uow.commit()
    return LinkCode(f"{code[:4]}-{code[4:]}", expires_at)


async def link(user_id: UUID, text: str, uow: UnitOfWork, clock: Clock) -> Linked:
    """Join ``user_id`` (the account entering ``text``) to the user whose code it is.

    Wrong guesses are counted per entering user: after ``MAX_WRONG_GUESSES`` in
    ``GUESS_WINDOW`` every guess is refused until the window ends. A code works once.

    Raises:
        InvalidInput: the code is wrong, used or expired, or the account's own.
        NotAllowed: too many wrong guesses.
        Conflict: the accounts can't be merged cleanly (see the module docstring).
    """
    now = clock.now()
    async with uow:
        failed, since = await uow.links.guesses(user_id)
        if since is None or now - since >= GUESS_WINDOW:
            failed, since = 0, now
        if failed >= MAX_WRONG_GUESSES:
            wait = since + GUESS_WINDOW - now
            raise NotAllowed(
                TOO_MANY.format(minutes=plural(max(1, -(-wait.seconds // 60)), "minute"))
            )
        code = normalize(text)
        owner = None if code is None else await uow.links.owner_of(_hash(code), now)
        if code is None or owner is None or not await uow.links.use_code(owner, _hash(code), now):
            await uow.links.set_guesses(user_id, failed + 1, since)
            await uow.commit()
            raise InvalidInput(
                WRONG.format(left=plural(MAX_WRONG_GUESSES - failed - 1, "try", "tries"))
            )
        if owner == user_id:
            raise InvalidInput(OWN_CODE)
        await uow.links.lock_users(owner, user_id)
        await _check_mergeable(owner, user_id, uow)
        platforms = await uow.links.platforms(owner) | await uow.links.platforms(user_id)
        await uow.links.merge(source=user_id, target=owner)
        await replan_user(owner, uow, now)  # one set of reminders, not two
        await uow.commit()
    return Linked(owner, user_id, tuple(sorted(platforms)))


async def _check_mergeable(owner: UUID, joining: UUID, uow: UnitOfWork) -> None:
    shared = await uow.links.platforms(owner) & await uow.links.platforms(joining)
    if shared:
        raise Conflict(SAME_PLATFORM.format(platform=", ".join(sorted(shared)).title()))
    experts = {user: await uow.experts.by_user(user) for user in (owner, joining)}
    if all(experts.values()):
        raise Conflict(BOTH_EXPERTS)
    for user, expert in experts.items():
        other = joining if user == owner else owner
        if expert is not None and await uow.links.has_bookings_with(other, expert.id):
            raise Conflict(BOOKED_SELF)
