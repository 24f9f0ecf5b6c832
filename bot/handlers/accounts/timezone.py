"""/timezone: the learner's IANA zone, with suggestions as buttons when the name is unknown,
and while it is typed (where the platform can show them)."""

from __future__ import annotations

from bot.handlers import payloads
from bot.handlers.base import Button, Command, Reply, Request, rows
from bot.handlers.formatting import local_time
from domain.accounts.model import SetTimezone
from domain.accounts.registration import get_user, set_timezone
from domain.shared.timezones import UnknownTimeZone, suggest_zones

USAGE = (
    "Usage: /timezone <IANA zone or city>, for example /timezone Europe/Berlin"
    " (CET, UTC+2 or a city get suggestions to choose from)"
)
SUGGESTED = 25  # zones offered while typing (as many as Discord's autocomplete shows)


async def _apply(req: Request, text: str, *, edit: bool = False) -> Reply:
    try:
        done = await set_timezone(SetTimezone(req.user_id, text), req.ctx.uow(), req.ctx.clock)
    except UnknownTimeZone as error:
        buttons = [
            Button(zone, payloads.encode(req.user_id, "tz", zone))
            for zone in error.suggestions
            if len(zone) <= 40
        ]
        return Reply(error.message, rows(*buttons, per_row=2))
    zone = done.zone
    return Reply(
        f"Time zone set to {zone}. It is {local_time(req.ctx.clock.now(), zone)} there.", edit=edit
    )


async def timezone(req: Request) -> Reply:
    """Show or set the learner's time zone."""
    if not req.args.strip():
        zone = (await get_user(req.user_id, req.ctx.uow())).timezone
        return Reply(
            f"Your time zone is {zone} (local time {local_time(req.ctx.clock.now(), zone)})."
            f"\n{USAGE}"
        )
    return await _apply(req, req.args)


async def timezone_button(req: Request) -> Reply:
    """A suggested zone was pressed."""
    (zone,) = req.button_args or ("",)
    return await _apply(req, zone, edit=True)


async def zones_for(req: Request, typed: str) -> list[tuple[str, str]]:
    """Zones for the argument as typed so far."""
    return [(zone, zone) for zone in suggest_zones(typed, limit=SUGGESTED)]


COMMANDS = [
    Command(
        "timezone",
        timezone,
        "set your time zone, e.g. /timezone Europe/Berlin",
        suggest=zones_for,
    )
]


BUTTONS = {"tz": timezone_button}
