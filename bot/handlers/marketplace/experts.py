"""Experts: /become_expert, /expert, /admin, /availability, /timeoff, /experts and profiles."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from bot.handlers import payloads
from bot.handlers.base import (
    Ask,
    Button,
    Command,
    Replies,
    Reply,
    Request,
    flow_of_button,
    rows,
)
from bot.handlers.formatting import money, plural, short_time
from bot.handlers.wizard import Step, Wizard
from domain.accounts import conversations
from domain.accounts.model import Conversation
from domain.accounts.registration import get_user
from domain.learning.curricula import list_curricula
from domain.marketplace import experts
from domain.marketplace.commands import (
    AddTimeOff,
    BecomeExpert,
    EditProfile,
    SetAvailability,
    VerifyExpert,
)
from domain.marketplace.model import Expert, ExpertDraft, ExpertProfile, SearchFilters
from domain.marketplace.parsing import (
    SEARCH_USAGE,
    parse_languages,
    parse_rate_range,
    parse_search,
    parse_specialties,
    search_text,
)
from domain.shared.errors import InvalidInput, NotFound
from domain.shared.text import clean_text
from domain.shared.timezones import resolve_zone

ONBOARDING = "expert"


SEARCH = "search"


def describe(expert: Expert) -> str:
    """The profile as text (shared by /expert, /admin and profile cards)."""
    stars = (
        f"★ {expert.average_rating:.2f} ({plural(expert.rating_count, 'rating')})"
        if expert.rating_count
        else "no ratings yet"
    )
    specialties = ", ".join(f"{s.subject} ({s.proficiency.value})" for s in expert.specialties)
    lines = [
        f"{expert.display_name} · {stars} · {plural(expert.total_sessions, 'session')}",
        f"Rate: {money(expert.rate_min, expert.currency)} – "
        f"{money(expert.rate_max, expert.currency)} per hour",
        f"Languages: {', '.join(expert.languages) or '—'} · time zone {expert.timezone}",
        f"Specialties: {specialties or '—'}",
    ]
    if expert.bio:
        lines.append(f"About: {expert.bio}")
    if expert.credentials:
        lines.append(f"Credentials: {expert.credentials}")
    return "\n".join(lines)


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
            lambda req: f"Your hourly rate as a range in {req.ctx.policy.currency}, e.g. 25-40.",
            lambda t: [str(v) for v in parse_rate_range(t)],
        ),
        "timezone": Step(
            "Your time zone (IANA name, e.g. Europe/Berlin); your availability uses it.",
            resolve_zone,
            choices=_own_zone,
        ),
        "languages": Step(
            "Languages you teach in, as ISO 639-1 codes, e.g. en, de.",
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


async def expert(req: Request) -> Reply:
    """Show your expert profile, or change a field: /expert <field> <value>."""
    field, _, value = req.args.strip().partition(" ")
    if not field:
        mine = await experts.my_profile(req.user_id, req.ctx.uow())
        link = mine.meeting_link or "a private Jitsi Meet room per booking"
        return Reply(
            f"{describe(mine)}\nStatus: {mine.status.value} · meeting link: {link}\n\n"
            "Change a field with /expert <field> <value>; fields: name, bio, credentials, "
            "rate, timezone, languages, specialties, link (use - to remove).",
            ask=Ask("Your bio", "Who you are and how you teach", command="expert bio"),
        )
    if not value.strip() and field not in ("bio", "credentials", "link"):
        raise InvalidInput(f"Usage: /expert {field} <value>")
    command = EditProfile(req.user_id, field.lower(), value)
    updated = await experts.edit_profile(command, req.ctx.uow())
    return Reply(f"Saved.\n{describe(updated)}")


async def admin(req: Request) -> Replies:
    """Pending experts, with Approve and Reject buttons (admins only)."""
    waiting = await experts.pending_experts(req.user_id, req.ctx.uow(), req.ctx.policy)
    if not waiting:
        return Reply("No experts are waiting for verification.")
    return [admin_card(req.user_id, e) for e in waiting[:10]]


def admin_card(admin_id: UUID, expert: Expert) -> Reply:
    return Reply(
        f"Waiting for verification:\n{describe(expert)}",
        rows(
            Button("✅ Approve", payloads.encode(admin_id, "av", expert.id.hex, "y")),
            Button("❌ Reject", payloads.encode(admin_id, "av", expert.id.hex, "n")),
        ),
    )


async def verify_button(req: Request) -> Reply:
    """Approve or Reject under a pending expert."""
    if len(req.button_args) != 2 or req.button_args[1] not in ("y", "n"):
        raise InvalidInput(payloads.STALE)
    approve = req.button_args[1] == "y"
    command = VerifyExpert(req.user_id, payloads.uuid_arg(req.button_args[0]), approve)
    done = await experts.verify_expert(command, req.ctx.uow(), req.ctx.clock, req.ctx.policy)
    return Reply(f"{done.display_name} is now {done.status.value}.", edit=True)


AVAILABILITY_USAGE = "Usage: /availability mon 09:00-12:00 14:00-18:00; wed 18:00-21:00"


async def availability(req: Request) -> Reply:
    """Show or set your weekly availability, in your own time zone."""
    if not req.args.strip():
        mine, weekly = await experts.weekly_availability(req.user_id, req.ctx.uow())
        return Reply(
            f"Your weekly hours ({mine.timezone}): {weekly or 'none yet'}\n{AVAILABILITY_USAGE}"
        )
    weekly = await experts.set_availability(SetAvailability(req.user_id, req.args), req.ctx.uow())
    return Reply(f"Saved your weekly hours: {weekly}")


async def timeoff(req: Request) -> Reply:
    """Take days off: /timeoff 2026-12-24..2026-12-31."""
    if not req.args.strip():
        return Reply("Usage: /timeoff 2026-12-24..2026-12-31 (or a single date)")
    command = AddTimeOff(req.user_id, req.args)
    periods = await experts.add_time_off(command, req.ctx.uow(), req.ctx.clock)
    listed = ", ".join(f"{a}..{b}" if a != b else str(a) for a, b in periods)
    return Reply(f"Saved. Your time off: {listed}")


async def search(req: Request) -> Replies:
    """Find verified experts for a subject."""
    filters = parse_search(req.args)
    kept: dict[str, object] = {"args": search_text(filters)}  # what was read, not the raw text
    conversation = await conversations.save(
        req.user_id, SEARCH, "results", kept, req.ctx.uow(), req.ctx.clock
    )
    return await _results(req, filters, conversation, page=0)


async def _results(
    req: Request, filters: SearchFilters, conversation: Conversation, page: int, *, edit=False
) -> Reply:
    found = await experts.search(filters, req.ctx.uow(), req.ctx.clock, req.ctx.policy, page)
    if not found:
        more = " on this page" if page else ""
        return Reply(f"No verified experts for “{filters.subject}”{more}.", edit=edit)
    first = page * experts.PAGE_SIZE
    zone = (await get_user(req.user_id, req.ctx.uow())).timezone
    lines = [f"Experts for “{filters.subject}” (page {page + 1}; times in {zone}):"]
    buttons = []
    for number, card in enumerate(found, start=first + 1):
        e = card.expert
        stars = (
            f"★ {e.average_rating:.1f} ({plural(e.rating_count, 'rating')})"
            if e.rating_count
            else "new"
        )
        subjects = ", ".join(f"{s.subject} ({s.proficiency.value})" for s in e.specialties[:3])
        soon = ", ".join(short_time(slot, zone) for slot in card.next_slots[:2]) or "none soon"
        lines.append(
            f"{number}. {e.display_name} · {stars} · {money(e.rate_min, e.currency)}–"
            f"{money(e.rate_max, e.currency)}/h · {', '.join(e.languages)}\n"
            f"   {subjects} · next free: {soon}"
        )
        buttons.append(Button(str(number), payloads.encode(req.user_id, "ep", e.id.hex)))
    nav = []
    token = conversation.token
    if page > 0:
        nav.append(Button("◀", payloads.encode(req.user_id, "es", token, str(page - 1))))
    if len(found) == experts.PAGE_SIZE:
        nav.append(Button("▶", payloads.encode(req.user_id, "es", token, str(page + 1))))
    return Reply("\n".join(lines), (tuple(buttons), *rows(*nav)), edit=edit)


async def search_page_button(req: Request) -> Reply:
    """◀ / ▶ under search results."""
    if len(req.button_args) != 2:
        raise InvalidInput(payloads.STALE)
    token, page = req.button_args[0], payloads.int_arg(req.button_args[1], low=0, high=200)
    conversation = await flow_of_button(req, token, SEARCH)
    filters = parse_search(str(conversation.data["args"]))
    return await _results(req, filters, conversation, page, edit=True)


def profile_card(req: Request, card: ExpertProfile, zone: str) -> Reply:
    e = card.expert
    lines = [describe(e)]
    for review in card.reviews:
        text = f" “{review.review}”" if review.review else ""
        lines.append(f"{'★' * review.rating}{'☆' * (5 - review.rating)}{text}")
    if card.next_slots:
        lines.append("Next free hours: " + "; ".join(short_time(s, zone) for s in card.next_slots))
    else:
        lines.append("No free hours in the next 7 days.")
    return Reply(
        "\n".join(lines), rows(Button("📅 Book", payloads.encode(req.user_id, "bk", e.id.hex)))
    )


async def show_profile(req: Request, expert_id: UUID) -> Reply:
    card = await experts.profile(expert_id, req.ctx.uow(), req.ctx.clock, req.ctx.policy)
    zone = (await get_user(req.user_id, req.ctx.uow())).timezone
    return profile_card(req, card, zone)


async def profile_button(req: Request) -> Reply:
    """A search result's number: the expert's profile card."""
    if len(req.button_args) != 1:
        raise InvalidInput(payloads.STALE)
    return await show_profile(req, payloads.uuid_arg(req.button_args[0]))


async def profile_link(req: Request) -> Reply:
    """Deep link ``/start e_<expert hex>``."""
    return await show_profile(req, payloads.uuid_arg(req.args))


async def subjects_of_curricula(req: Request, typed: str) -> list[tuple[str, str]]:
    """The subjects the user studies, containing what was typed (for /experts)."""
    curricula = await list_curricula(req.user_id, req.ctx.uow())
    subjects = dict.fromkeys(c.subject for c in curricula if typed.lower() in c.subject.lower())
    return [(subject, subject) for subject in subjects]


COMMANDS = [
    Command("become_expert", become_expert, "offer sessions as an expert"),
    Command("expert", expert, "your expert profile: /expert [field value]"),
    Command("availability", availability, "your weekly hours (experts)", AVAILABILITY_USAGE),
    Command("timeoff", timeoff, "days off: /timeoff 2026-12-24..2026-12-31"),
    Command(
        "experts",
        search,
        "find an expert: /experts <subject> [filters]",
        SEARCH_USAGE,
        suggest=subjects_of_curricula,
    ),
    Command("admin", admin, "experts waiting for verification (admins)"),
]


BUTTONS = {
    "xw": ONBOARDING_WIZARD.button,
    "av": verify_button,
    "es": search_page_button,
    "ep": profile_button,
}


FLOWS = {ONBOARDING: ONBOARDING_WIZARD.answer}


PROMPTS = {ONBOARDING: ONBOARDING_WIZARD.prompt}


DEEP_LINKS = {"e": profile_link}
