"""An expert's profile as text, shared by /expert, /admin, search results and profile cards."""

from __future__ import annotations

from bot.handlers.formatting import money, plural
from domain.marketplace.model import Expert, Policy, ProfileChange, Specialty
from domain.marketplace.parsing import language_names
from domain.marketplace.terms import TRIAL_MINUTES, hours_text, moves_text, window_of


def specialties_text(specialties: tuple[Specialty, ...]) -> str:
    return ", ".join(f"{s.subject} ({s.proficiency.value})" for s in specialties) or "—"


def rate_text(expert: Expert) -> str:
    low, high = money(expert.rate_min, expert.currency), money(expert.rate_max, expert.currency)
    return f"{low} per hour" if expert.rate_min == expert.rate_max else f"{low} – {high} per hour"


def describe(expert: Expert) -> str:
    """The public profile: what learners see (the approved values)."""
    stars = (
        f"★ {expert.average_rating:.2f} ({plural(expert.rating_count, 'rating')})"
        if expert.rating_count
        else "no ratings yet"
    )
    lines = [
        f"{expert.display_name} · {stars} · {plural(expert.total_sessions, 'session')}",
        f"Rate: {rate_text(expert)}",
        f"Languages: {language_names(expert.languages) or '—'} · time zone {expert.timezone}",
        f"Specialties: {specialties_text(expert.specialties)}",
    ]
    if expert.bio:
        lines.append(f"About: {expert.bio}")
    if expert.credentials:
        lines.append(f"Credentials: {expert.credentials}")
    return "\n".join(lines)


def terms_text(expert: Expert, policy: Policy) -> str:
    """The expert's own terms, as new bookings get them (``terms``)."""
    said = [
        f"free cancellation until {hours_text(window_of(expert, policy))} before",
        moves_text(expert.reschedule_limit),
    ]
    if expert.trial_price is not None:
        price = money(expert.trial_price, expert.currency)
        said.append(f"🎁 trial lesson {TRIAL_MINUTES} min {price} (first booking)")
    return "Terms: " + " · ".join(said)


def change_text(change: ProfileChange) -> str:
    """One change waiting for review (or rejected), as the expert and the admins see it."""
    if change.field == "specialties":
        new = specialties_text(change.specialties)
    else:
        new = change.credentials or "(removed)"
    return f"{change.field.capitalize()} → {new}"


def changes_text(expert: Expert) -> str:
    """The expert's changes waiting for review and those rejected, with the admin's reason."""
    lines = []
    pending = expert.changes_pending
    if pending:
        lines.append("Waiting for an admin's review (your profile shows the approved values):")
        lines += [f"  {change_text(c)}" for c in pending]
    rejected = [c for c in expert.changes if c.rejected]
    for change in rejected:
        lines.append(f"Not approved: {change_text(change)}\n  Reason: {change.rejected_reason}")
    return "\n".join(lines)
