"""Notification preferences: /settings (with buttons), /remind, /quiet, /mute."""

from __future__ import annotations

from datetime import time

from bot.handlers import payloads
from bot.handlers.base import Button, Command, Reply, Request, rows
from bot.handlers.formatting import local_time
from domain.notifications import preferences
from domain.notifications.model import (
    REMINDER_SECTIONS,
    ChangePreferences,
    PreferencesChanged,
    ToggleReminder,
)
from domain.notifications.preferences import PLATFORMS, NotificationPreferences
from domain.notifications.services import change_preferences, get_preferences
from domain.shared.errors import InvalidInput
from domain.shared.timetext import DAY_CODES, leading_clock

REMIND_USAGE = (
    "Usage: /remind 19:30 (or 7:30pm) [mon,wed,fri | weekdays | daily], or /remind off; "
    "/remind review 9:00 for due review cards"
)


def _clock(at: time) -> str:
    return at.strftime("%H:%M")


def _days(days: tuple[int, ...]) -> str:
    if len(days) == 7:
        return "every day"
    return ",".join(DAY_CODES[day] for day in days)


async def _show(req: Request, prefs: NotificationPreferences, zone: str, *, edit=False) -> Reply:
    study, streak, bookings, review = prefs.study, prefs.streak, prefs.bookings, prefs.review
    before = ", ".join(
        f"{m // 60} h" if m % 60 == 0 else f"{m} min" for m in bookings.before_minutes
    )
    every = f"{_clock(study.at)}, {_days(study.weekdays)}"
    lines = [
        f"Your reminders (times in {zone}):",
        f"📚 Study reminder: {'on at ' + every if study.enabled else 'off'}",
        f"🔥 Streak at risk: {'on at ' + _clock(streak.at) if streak.enabled else 'off'}",
        "🃏 Review cards due: "
        + (f"on at {_clock(review.at)} (only when cards are due)" if review.enabled else "off"),
        f"📅 Booking reminders: {'on, ' + before + ' before' if bookings.enabled else 'off'}",
        "🎯 Weekly goal at risk: "
        + (
            f"on at {_clock(prefs.goal.at)}, two days before the week ends"
            if prefs.goal.enabled
            else "off"
        )
        + " (/goal sets the goal)",
        "🌙 Quiet hours: "
        + (f"{_clock(prefs.quiet.start)}–{_clock(prefs.quiet.end)}" if prefs.quiet else "none"),
        f"📨 Sent to: {prefs.platform.title() if prefs.platform else 'where you last wrote'}",
    ]
    now = req.ctx.clock.now()
    if prefs.muted(now):
        assert prefs.muted_until is not None
        lines.append(f"🔕 Muted until {local_time(prefs.muted_until, zone)}")
    lines.append("Change: /remind 19:30, /remind off, /quiet 22:00-07:30, /mute 7d")

    def toggle(label: str, what: str) -> Button:
        return Button(label, payloads.encode(req.user_id, "st", what))

    buttons = [
        toggle("Study " + ("off" if study.enabled else "on"), "study"),
        toggle("Streak " + ("off" if streak.enabled else "on"), "streak"),
        toggle("Review " + ("off" if review.enabled else "on"), "review"),
        toggle("Bookings " + ("off" if bookings.enabled else "on"), "bookings"),
        toggle("Goal " + ("off" if prefs.goal.enabled else "on"), "goal"),
    ]
    if prefs.quiet:
        buttons.append(toggle("No quiet hours", "quiet"))
    if prefs.muted(now):
        buttons.append(toggle("Unmute", "mute"))
    return Reply("\n".join(lines), rows(*buttons), edit=edit)


async def settings(req: Request) -> Reply:
    """Your reminders, with buttons to change them."""
    zone, prefs = await get_preferences(req.user_id, req.ctx.uow())
    return await _show(req, prefs, zone)


async def settings_button(req: Request) -> Reply:
    """A toggle under /settings."""
    (what,) = req.button_args or ("",)
    section = next((s for s in REMINDER_SECTIONS if s == what), None)
    if section is not None:
        cmd: ChangePreferences | ToggleReminder = ToggleReminder(req.user_id, section)
    elif what == "quiet":
        cmd = ChangePreferences(req.user_id, {"quiet": None})
    elif what == "mute":
        cmd = ChangePreferences(req.user_id, {"muted_until": None})
    else:
        raise InvalidInput(payloads.STALE)
    changed = await change_preferences(cmd, req.ctx.uow(), req.ctx.clock)
    return await _show(req, changed.preferences, changed.timezone, edit=True)


async def _change(req: Request, changes: dict[str, object]) -> PreferencesChanged:
    return await change_preferences(
        ChangePreferences(req.user_id, changes), req.ctx.uow(), req.ctx.clock
    )


async def remind(req: Request) -> Reply:
    """Daily study reminder: /remind 19:30 [days], /remind off."""
    text = req.args.strip()
    if not text:
        return Reply(REMIND_USAGE)
    word, _, rest = text.partition(" ")
    if word.lower() == "review":
        return await _remind_review(req, rest.strip())
    if text.lower() == "off":
        study: dict[str, object] = {"enabled": False}
    else:
        found = leading_clock(text)  # "19:30", "7:30pm", "7 pm", then the days
        if found is None:
            preferences.parse_clock(text.split()[0])  # says why that is not a time of day
            raise InvalidInput(REMIND_USAGE)
        study = {"enabled": True, "at": found[0]}
        if found[1]:
            study["weekdays"] = preferences.parse_days(found[1])
    prefs = (await _change(req, {"study": study})).preferences
    if not prefs.study.enabled:
        return Reply("Study reminders are off.")
    return Reply(
        f"📚 I'll remind you to study at {_clock(prefs.study.at)}, {_days(prefs.study.weekdays)}"
        " (your local time; not on days you already studied)."
    )


REVIEW_USAGE = "Usage: /remind review 9:00 (when review cards are due), or /remind review off"


async def _remind_review(req: Request, text: str) -> Reply:
    """/remind review <time> | off: the daily reminder of due review cards."""
    if text.lower() == "off":
        review: dict[str, object] = {"enabled": False}
    else:
        found = leading_clock(text)
        if found is None or found[1]:
            if text:
                preferences.parse_clock(text.split()[0])  # says why that is not a time
            raise InvalidInput(REVIEW_USAGE)
        review = {"enabled": True, "at": found[0]}
    prefs = (await _change(req, {"review": review})).preferences
    if not prefs.review.enabled:
        return Reply("Review card reminders are off.")
    return Reply(
        f"🃏 I'll remind you at {_clock(prefs.review.at)} (your local time) on days when review "
        "cards are due."
    )


async def quiet(req: Request) -> Reply:
    """Quiet hours: /quiet 22:00-07:30 (10pm-7am, 22:00 to 07:30), /quiet off."""
    if not req.args.strip():
        return Reply("Usage: /quiet 22:00-07:30 (or 10pm-7:30am; no messages then), or /quiet off")
    hours = preferences.parse_quiet(req.args)
    await _change(req, {"quiet": None if hours is None else hours.model_dump(mode="json")})
    if hours is None:
        return Reply("Quiet hours are off.")
    return Reply(f"🌙 Quiet from {_clock(hours.start)} to {_clock(hours.end)}, your local time.")


async def mute(req: Request) -> Reply:
    """A holiday from study and streak reminders: /mute 7d (2w, 12h), /mute off."""
    if not req.args.strip():
        return Reply("Usage: /mute 7d (or 2w, 12h) for a break from study reminders, or /mute off")
    span = preferences.parse_mute(req.args)
    until = None if span is None else req.ctx.clock.now() + span
    changed = await _change(req, {"muted_until": until})
    if until is None:
        return Reply("🔔 Reminders are back on.")
    return Reply(
        "🔕 No study, streak or review reminders until "
        f"{local_time(until, changed.timezone)}. Booking reminders still come. Enjoy the break!"
    )


NOTIFY_USAGE = "Usage: /notify_on telegram | discord | auto (auto: where you last wrote)"


async def notify_on(req: Request) -> Reply:
    """Where reminders and alerts go: /notify_on telegram | discord | auto."""
    choice = req.args.strip().lower()
    if choice not in (*PLATFORMS, "auto"):
        return Reply(NOTIFY_USAGE)
    platform = None if choice == "auto" else choice
    await _change(req, {"platform": platform})
    if platform is None:
        return Reply("📨 Reminders and alerts go where you last wrote to me.")
    return Reply(
        f"📨 Reminders and alerts go to {platform.title()} (where you last wrote, if you "
        f"haven't used me on {platform.title()}; link accounts with /link)."
    )


COMMANDS = [
    Command("settings", settings, "your reminders and notifications"),
    Command("remind", remind, "daily study reminder: /remind 19:30, /remind off", REMIND_USAGE),
    Command("quiet", quiet, "quiet hours: /quiet 22:00-07:30"),
    Command("mute", mute, "pause study reminders: /mute 7d, /mute 2w"),
    Command("notify_on", notify_on, "where reminders go: /notify_on telegram", NOTIFY_USAGE),
]


BUTTONS = {"st": settings_button}
