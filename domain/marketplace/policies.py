"""Setting an expert's own terms under /expert (``terms`` holds the rules): the
free-cancellation window, the first-lesson trial and the reschedule limit; and the price a
booking is fixed at, trial or not."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from domain.marketplace.commands import SetPolicy
from domain.marketplace.model import Expert, Policy
from domain.marketplace.parsing import parse_rate_range
from domain.marketplace.rules import price_for
from domain.marketplace.terms import MAX_RESCHEDULES, TRIAL_MINUTES, hours_text
from domain.shared.errors import InvalidInput, NotAllowed, NotFound
from domain.shared.timetext import read_span
from domain.unit_of_work import UnitOfWork

FIELDS = ("cancel", "trial", "reschedules")
USAGE = {
    "cancel": "/expert cancel 24h (free cancellation until that long before the start)",
    "trial": "/expert trial 15 (a 30-minute first lesson at that price) or /expert trial off",
    "reschedules": "/expert reschedules 2 (0 to 5 moves per booking) or /expert reschedules any",
}
NO_TRIAL = (
    "The trial lesson is only for a first booking with this expert, while they offer one. "
    "Nothing was booked."
)
_OFF = frozenset({"off", "none", "no", "-", "stop", "disable"})
_DEFAULT = frozenset({"default", "reset"})
_UNLIMITED = frozenset({"any", "unlimited", "no limit", "∞", "off", "none"})


def session_price(expert: Expert, minutes: int, *, trial: bool = False) -> Decimal:
    """The price a booking is fixed at: the trial's for a trial lesson, else ``price_for``."""
    if not trial:
        return price_for(expert.rate_min, expert.rate_max, minutes)
    if expert.trial_price is None or minutes != TRIAL_MINUTES:
        raise InvalidInput(NO_TRIAL)
    return expert.trial_price


def _window(text: str, policy: Policy) -> dict[str, Any]:
    key = text.strip().lower()
    if key in _DEFAULT:
        return {"cancel_notice_hours": None}
    span = timedelta(hours=int(key)) if key.isdigit() and len(key) <= 4 else read_span(key)
    low, high = policy.min_cancellation_notice, policy.max_cancellation_notice
    if span % timedelta(hours=1) or not low <= span <= high:
        raise InvalidInput(
            f"Free cancellation can end {hours_text(low)} to {hours_text(high)} before the "
            f"start, in whole hours, e.g. {USAGE['cancel']}. Nothing was changed."
        )
    return {"cancel_notice_hours": int(span.total_seconds() // 3600)}


def _trial(text: str, expert: Expert) -> dict[str, Any]:
    if text.strip().lower() in _OFF:
        return {"trial_price": None}
    try:
        low, high = parse_rate_range(text, currency=expert.currency)
    except InvalidInput as error:
        raise InvalidInput(f"{error.message} Set it like {USAGE['trial']}.") from None
    if low != high or low > expert.rate_max:
        top = f"{expert.rate_max} {expert.currency}"
        raise InvalidInput(
            f"A trial lesson's price is one amount above 0 and at most your top rate ({top}), "
            f"e.g. {USAGE['trial']}. Nothing was changed."
        )
    return {"trial_price": low}


def _limit(text: str) -> dict[str, Any]:
    key = text.strip().lower()
    if key in _UNLIMITED:
        return {"reschedule_limit": None}
    if not (key.isdigit() and int(key) <= MAX_RESCHEDULES):
        raise InvalidInput(
            f"Reschedules per booking are 0 to {MAX_RESCHEDULES}, or any; e.g. "
            f"{USAGE['reschedules']}. Nothing was changed."
        )
    return {"reschedule_limit": int(key)}


async def set_policy(cmd: SetPolicy, uow: UnitOfWork, policy: Policy) -> Expert:
    """Change one of the asker's own terms; bookings already made keep theirs.

    Raises:
        NotFound: the asker has no expert profile.
        NotAllowed: ``expert_id`` is somebody else's profile (a forged button).
        InvalidInput: a value outside the limits, or nonsense (nothing is changed).
    """
    if cmd.field not in FIELDS:
        raise InvalidInput(f"Your terms are {', '.join(FIELDS)}.")
    async with uow:
        expert = await uow.experts.by_user(cmd.user_id)
        if cmd.expert_id is not None and (expert is None or expert.id != cmd.expert_id):
            raise NotAllowed("Only the expert sets their own terms. Nothing was changed.")
        if expert is None:
            raise NotFound("You don't have an expert profile yet. Create one with /become_expert.")
        if cmd.field == "cancel":
            values = _window(cmd.text, policy)
        elif cmd.field == "trial":
            values = _trial(cmd.text, expert)
        else:
            values = _limit(cmd.text)
        await uow.experts.update(expert.id, **values)
        updated = await uow.experts.by_user(cmd.user_id)
        await uow.commit()
    assert updated is not None
    return updated
