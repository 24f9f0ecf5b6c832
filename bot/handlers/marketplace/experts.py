"""Experts: /become_expert, /expert (edit, resubmit), /availability and /timeoff. Admins'
screens are ``admin``, finding an expert and the profile card ``search``."""

from __future__ import annotations

from decimal import Decimal

from bot.handlers import payloads
from bot.handlers.base import Ask, Button, Command, Replies, Reply, Request, rows
from bot.handlers.marketplace import admin, search
from bot.handlers.marketplace.profile_text import (
    changes_text,
    describe,
    specialties_text,
    terms_text,
)
from bot.handlers.wizard import Step, Wizard
from domain.accounts.registration import get_user
from domain.marketplace import experts, policies, verification
from domain.marketplace.commands import (
    AddTimeOff,
    BecomeExpert,
    EditProfile,
    RemoveTimeOff,
    SetAvailability,
    SetPolicy,
)
from domain.marketplace.model import REVIEWED_FIELDS, Expert, ExpertDraft, Verification
from domain.marketplace.parsing import (
    RATE_EXAMPLE,
    parse_languages,
    parse_rate_range,
    parse_specialties,
)
from domain.shared.errors import InvalidInput, NotFound
from domain.shared.text import clean_text
from domain.shared.timezones import resolve_zone

ONBOARDING = "expert"


async def _own_zone(req: Request) -> list[tuple[str, str]]:
    zone = (await get_user(req.user_id, req.ctx.uow())).timezone
    return [(f"Use {zone}", zone)]


async def _create_profile(req: Request, answers: dict[str, object]) -> Reply:
    rate_min, rate_max = (Decimal(str(v)) for v in answers["rate"])  # type: ignore[attr-defined]
    draft = ExpertDraft(
        display_name=str(answers["name"]),
        bio=None if answers.get("bio") is None else str(answers["bio"]),
        credentials=None if answers.get("credentials") is None else str(answers["credentials"]),
        rate_min=rate_min,
        rate_max=rate_max,
        timezone=str(answers["timezone"]),
        languages=tuple(answers["languages"]),  # type: ignore[arg-type]
        specialties=parse_specialties(str(answers["specialties"])),
    )
    # The wizard's units of work end it as the profile is committed: one transaction.
    command = BecomeExpert(req.user_id, draft)
    expert = await experts.become_expert(command, req.ctx.uow(), req.ctx.clock, req.ctx.policy)
    return Reply(
        "🎓 Your expert profile is waiting for an admin's verification. I'll tell you when "
        "it's approved. Meanwhile, set your weekly hours with /availability.\n\n"
        + describe(expert)
    )


def _specialties(text: str) -> str:
    """Checked now, stored in canonical form, parsed again when the profile is made."""
    return "; ".join(f"{s.subject}: {s.proficiency.value}" for s in parse_specialties(text))


ONBOARDING_WIZARD = Wizard(
    ONBOARDING,
    "xw",
    "Becoming an expert",
    {
        "name": Step(
            "What name should learners see?", lambda t: clean_text(t, what="name", limit=100)
        ),
        "bio": Step(
            "A short bio: who you are and how you teach. (or Skip)",
            lambda t: clean_text(t, what="bio", limit=2000, required=False),
            skippable=True,
            form="Who you are and how you teach",
        ),
        "credentials": Step(
            "Your credentials: degrees, certificates, experience. (or Skip)",
            lambda t: clean_text(t, what="credentials", limit=2000, required=False),
            skippable=True,
            form="Degrees, certificates, experience",
        ),
        "rate": Step(
            lambda req: f"Your hourly rate in {req.ctx.policy.currency}: {RATE_EXAMPLE}.",
            lambda t: [str(v) for v in parse_rate_range(t)],
        ),
        "timezone": Step(
            "Your time zone (IANA name, e.g. Europe/Berlin); your availability uses it.",
            resolve_zone,
            choices=_own_zone,
        ),
        "languages": Step(
            "Languages you teach in, by name or code, e.g. Spanish, English (or es, en).",
            lambda t: list(parse_languages(t)),
        ),
        "specialties": Step(
            "Your specialties as subject: level (beginner, intermediate, advanced, expert), "
            "separated by ;  e.g. python: expert; statistics: advanced",
            _specialties,
        ),
    },
    _create_profile,
)


async def become_expert(req: Request) -> Replies:
    """Start the expert onboarding wizard."""
    if await _own_profile(req) is not None:
        return Reply("You already have an expert profile. /expert shows and edits it.")
    return await ONBOARDING_WIZARD.start(req)


async def _own_profile(req: Request) -> Expert | None:
    try:
        return await experts.my_profile(req.user_id, req.ctx.uow())
    except NotFound:  # no profile yet
        return None


EXPERT_FIELDS = (
    "fields: name, bio, credentials, rate, timezone, languages, specialties, link (bio, "
    "credentials and link can be removed with -); your terms: cancel, trial, reschedules"
)
TERMS_USAGE = "\n".join(policies.USAGE.values())
TRIAL_OFF = "🚫 No trial lessons"


def _status_text(mine: Expert) -> str:
    if mine.status is Verification.REJECTED:
        reason = f" The admin's reason: “{mine.rejection_reason}”" if mine.rejection_reason else ""
        return (
            f"Status: rejected.{reason}\nEdit your profile, then send it for review again "
            "with /expert resubmit."
        )
    if mine.status is Verification.PENDING:
        return "Status: waiting for an admin's verification."
    if mine.status is Verification.SUSPENDED:
        return "Status: suspended by an admin: learners can't find or book you for now."
    return "Status: verified: learners can find and book you."


async def expert(req: Request) -> Replies:
    """Show your expert profile, change a field (/expert <field> <value>), or resubmit it."""
    field, _, value = req.args.strip().partition(" ")
    ctx = req.ctx
    if not field:
        mine = await experts.my_profile(req.user_id, ctx.uow())
        link = mine.meeting_link or "a private Jitsi Meet room per booking"
        waiting = changes_text(mine)
        return Reply(
            f"{describe(mine)}\n{terms_text(mine, ctx.policy)}\nMeeting link: {link}\n"
            f"{_status_text(mine)}\n"
            + (f"{waiting}\n" if waiting else "")
            + f"\nChange a field with /expert <field> <value>; {EXPERT_FIELDS}.\n{TERMS_USAGE}",
            _terms_buttons(req, mine),
            ask=Ask("Your bio", "Who you are and how you teach", command="expert bio"),
        )
    field = field.lower()
    if field == "resubmit":
        sent = await verification.resubmit(req.user_id, ctx.uow(), ctx.clock, ctx.policy)
        what = "profile" if sent.status is Verification.PENDING else "changes"
        return Reply(f"Sent. Your {what} will be reviewed by an admin; I'll tell you the answer.")
    if field in policies.FIELDS:
        return await _set_terms(req, SetPolicy(req.user_id, field, value))
    if field not in experts.FIELDS:
        raise InvalidInput(f"There is no field “{field[:20]}”; {EXPERT_FIELDS}.")
    if not value.strip() and field not in experts.OPTIONAL_FIELDS:
        raise InvalidInput(f"Usage: /expert {field} <value>")
    updated = await experts.edit_profile(
        EditProfile(req.user_id, field, value), ctx.uow(), ctx.clock, ctx.policy
    )
    pending = {c.field: c for c in updated.changes_pending}
    if field in REVIEWED_FIELDS and field in pending:
        new = pending[field]
        shown = specialties_text(new.specialties) if field == "specialties" else "your new text"
        return Reply(
            f"Saved for review: an admin checks changes to {field} of a verified profile. "
            f"Until it's approved, learners see your approved {field}; then {shown}.\n"
            + describe(updated)
        )
    note = ""
    if updated.status is Verification.REJECTED:
        note = "\nWhen your profile is ready, send it for review again with /expert resubmit."
    return Reply(f"Saved.\n{describe(updated)}{note}")


async def _set_terms(req: Request, command: SetPolicy) -> Reply:
    if not command.text.strip():
        raise InvalidInput(f"Usage: {policies.USAGE.get(command.field, TERMS_USAGE)}")
    updated = await policies.set_policy(command, req.ctx.uow(), req.ctx.policy)
    return Reply(
        f"Saved. {terms_text(updated, req.ctx.policy)}\nBookings already made keep the terms "
        "they were made under.",
        _terms_buttons(req, updated),
    )


def _terms_buttons(req: Request, mine: Expert) -> tuple[tuple[Button, ...], ...]:
    """Quick changes of the expert's terms (the service checks the profile is the presser's)."""
    if mine.trial_price is None:
        return ()
    off = payloads.encode(req.user_id, "xp", mine.id.hex, "trial", "off")
    return rows(Button(TRIAL_OFF, off))


async def terms_button(req: Request) -> Reply:
    """A quick change of the expert's terms under /expert (e.g. 🚫 No trial lessons)."""
    if len(req.button_args) != 3 or req.button_args[1] not in policies.FIELDS:
        raise InvalidInput(payloads.STALE)
    expert_id = payloads.uuid_arg(req.button_args[0])
    field, value = req.button_args[1], req.button_args[2]
    return await _set_terms(req, SetPolicy(req.user_id, field, value, expert_id))


AVAILABILITY_USAGE = "Usage: /availability mon 09:00-12:00 14:00-18:00; wed 18:00-21:00"


async def availability(req: Request) -> Reply:
    """Show or set your weekly availability, in your own time zone."""
    if not req.args.strip():
        mine, weekly = await experts.weekly_availability(req.user_id, req.ctx.uow())
        return Reply(
            f"Your weekly hours ({mine.timezone}): {weekly or 'none yet'}\n{AVAILABILITY_USAGE}"
        )
    done = await experts.set_availability(SetAvailability(req.user_id, req.args), req.ctx.uow())
    if done.before == done.after:
        return Reply(f"Saved your weekly hours (unchanged): {done.after}")
    return Reply(
        f"Saved your weekly hours: {done.after}\nThey replace: {done.before or 'no hours set'}"
    )


TIMEOFF_USAGE = (
    "Usage: /timeoff 2026-12-24..2026-12-31 (or a single date) takes days off; /timeoff "
    "lists them; /timeoff remove 2026-12-24 gives a day back."
)


def _periods(periods: list[tuple[object, object]]) -> str:
    listed = ", ".join(f"{a}..{b}" if a != b else str(a) for a, b in periods)
    return listed or "none"


async def timeoff(req: Request) -> Reply:
    """List your days off, take some (/timeoff 2026-12-24..2026-12-31) or remove them."""
    text = req.args.strip()
    ctx = req.ctx
    if not text:
        periods = await experts.time_off(req.user_id, ctx.uow(), ctx.clock)
        if not periods:
            return Reply(f"You have no days off ahead.\n{TIMEOFF_USAGE}")
        return Reply(f"Your time off: {_periods(periods)}\n{TIMEOFF_USAGE}")
    word, _, rest = text.partition(" ")
    if word.lower() in ("remove", "delete", "rm", "cancel"):
        if not rest.strip():
            raise InvalidInput("Which days? e.g. /timeoff remove 2026-12-24")
        left = await experts.remove_time_off(
            RemoveTimeOff(req.user_id, rest), ctx.uow(), ctx.clock
        )
        return Reply(f"Removed {rest.strip()}. Your time off: {_periods(left)}")
    periods = await experts.add_time_off(AddTimeOff(req.user_id, text), ctx.uow(), ctx.clock)
    return Reply(f"Saved. Your time off: {_periods(periods)}")


COMMANDS = [
    Command("become_expert", become_expert, "offer sessions as an expert"),
    Command("expert", expert, "your expert profile and terms: /expert [field value | resubmit]"),
    Command("availability", availability, "your weekly hours (experts)", AVAILABILITY_USAGE),
    Command("timeoff", timeoff, "days off: /timeoff [dates | remove dates]", TIMEOFF_USAGE),
    *search.COMMANDS,
    *admin.COMMANDS,
]


BUTTONS = {
    "xw": ONBOARDING_WIZARD.button,
    "xp": terms_button,
    **search.BUTTONS,
    **admin.BUTTONS,
}


FLOWS = {ONBOARDING: ONBOARDING_WIZARD.answer, **admin.FLOWS}


PROMPTS = {ONBOARDING: ONBOARDING_WIZARD.prompt, **admin.PROMPTS}


DEEP_LINKS = search.DEEP_LINKS
