"""Finding an expert: /experts with its filters and pages, and an expert's profile card."""

from __future__ import annotations

from collections import Counter
from uuid import UUID

from bot.handlers import payloads
from bot.handlers.base import Button, Command, Replies, Reply, Request, flow_of_button, rows
from bot.handlers.formatting import money, plural, short_time
from bot.handlers.marketplace.profile_text import describe, terms_text
from domain.accounts import conversations
from domain.accounts.model import Conversation
from domain.accounts.registration import get_user
from domain.learning.curricula import list_curricula
from domain.marketplace import experts
from domain.marketplace.model import (
    DURATIONS,
    SEARCH_MINUTES,
    Expert,
    ExpertProfile,
    SearchFilters,
)
from domain.marketplace.parsing import SEARCH_USAGE, language_name, parse_search, search_text
from domain.marketplace.rules import price_for
from domain.shared.errors import InvalidInput

SEARCH = "search"


def session_price(expert: Expert, minutes: int = SEARCH_MINUTES) -> str:
    """What a learner pays for ``minutes`` with ``expert`` (the price ``max=`` compares)."""
    return money(price_for(expert.rate_min, expert.rate_max, minutes), expert.currency)


def filters_text(filters: SearchFilters, currency: str) -> str:
    """The filters of a search in words, e.g. "at most 40.00 EUR for 60 min · in Spanish"."""
    said = []
    if filters.max_rate is not None:
        said.append(f"at most {money(filters.max_rate, currency)} for {SEARCH_MINUTES} min")
    if filters.language is not None:
        said.append(f"in {language_name(filters.language)}")
    if filters.proficiency is not None:
        said.append(f"level {filters.proficiency.value} or above")
    if filters.free_within_days is not None:
        said.append(f"free within {plural(filters.free_within_days, 'day')}")
    return " · ".join(said)


async def search(req: Request) -> Replies:
    """Find verified experts for a subject."""
    filters = parse_search(req.args)
    kept: dict[str, object] = {"args": search_text(filters)}  # what was read, not the raw text
    conversation = await conversations.save(
        req.user_id, SEARCH, "results", kept, req.ctx.uow(), req.ctx.clock
    )
    return await _results(req, filters, conversation, page=0)


async def _nobody(req: Request, filters: SearchFilters, page: int, edit: bool) -> Reply:
    """Why a page of results is empty: the end of the list, the filters, or the subject."""
    subject = filters.subject
    if page:
        return Reply(f"No more experts for “{subject}” on this page.", edit=edit)
    narrowed = filters_text(filters, req.ctx.policy.currency)
    if narrowed and await experts.anyone_teaches(subject, req.ctx.uow()):
        return Reply(
            f"No one matches these filters ({narrowed}), but some experts teach “{subject}”: "
            f"try fewer filters, e.g. /experts {subject}",
            edit=edit,
        )
    return Reply(f"No verified expert teaches “{subject}” yet.", edit=edit)


def _labels(found: list[ExpertProfile]) -> list[str]:
    """Each expert's button label: the name (numbered when two on the page share it)."""
    names = [card.expert.display_name[:28] for card in found]
    twice = {name for name, n in Counter(names).items() if n > 1}
    seen: Counter[str] = Counter()
    labels = []
    for name in names:
        seen[name] += 1
        labels.append(f"{name} ({seen[name]})" if name in twice else name)
    return labels


async def _results(
    req: Request, filters: SearchFilters, conversation: Conversation, page: int, *, edit=False
) -> Reply:
    found = await experts.search(
        filters, req.ctx.uow(), req.ctx.clock, req.ctx.policy, page, cache=req.ctx.cache
    )
    if not found:
        return await _nobody(req, filters, page, edit)
    first = page * experts.PAGE_SIZE
    zone = (await get_user(req.user_id, req.ctx.uow())).timezone
    narrowed = filters_text(filters, req.ctx.policy.currency)
    lines = [
        f"Experts for “{filters.subject}”{f' ({narrowed})' if narrowed else ''}, page "
        f"{page + 1}. Prices are for {SEARCH_MINUTES} min; free times in your zone, {zone}:"
    ]
    for number, card in enumerate(found, start=first + 1):
        e = card.expert
        stars = (
            f"★ {e.average_rating:.1f} ({plural(e.rating_count, 'rating')})"
            if e.rating_count
            else "new"
        )
        subjects = ", ".join(f"{s.subject} ({s.proficiency.value})" for s in e.specialties[:3])
        soon = ", ".join(short_time(slot, zone) for slot in card.next_slots[:2]) or "none soon"
        languages = ", ".join(language_name(code) for code in e.languages)
        lines.append(
            f"{number}. {e.display_name} · {stars} · {SEARCH_MINUTES} min: {session_price(e)} · "
            f"{languages}\n   {subjects} · next free: {soon}\n   {terms_text(e, req.ctx.policy)}"
        )
    buttons = [
        Button(label, payloads.encode(req.user_id, "ep", card.expert.id.hex))
        for label, card in zip(_labels(found), found, strict=True)
    ]
    nav = []
    token = conversation.token
    if page > 0:
        nav.append(Button("◀", payloads.encode(req.user_id, "es", token, str(page - 1))))
    if len(found) == experts.PAGE_SIZE:
        nav.append(Button("▶", payloads.encode(req.user_id, "es", token, str(page + 1))))
    return Reply("\n".join(lines), (*rows(*buttons, per_row=2), *rows(*nav)), edit=edit)


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
    prices = " · ".join(f"{m} min {session_price(e, m)}" for m in DURATIONS)
    lines = [describe(e), f"Session prices: {prices}", terms_text(e, req.ctx.policy)]
    for review in card.reviews:
        text = f" “{review.review}”" if review.review else ""
        lines.append(f"{'★' * review.rating}{'☆' * (5 - review.rating)}{text}")
    if card.next_slots:
        times = "; ".join(short_time(s, zone) for s in card.next_slots)
        lines.append(f"Next free hours (in your zone, {zone}): {times}")
    else:
        lines.append("No free hours in the next 7 days.")
    return Reply(
        "\n".join(lines), rows(Button("📅 Book", payloads.encode(req.user_id, "bk", e.id.hex)))
    )


async def show_profile(req: Request, expert_id: UUID) -> Reply:
    card = await experts.profile(
        expert_id, req.ctx.uow(), req.ctx.clock, req.ctx.policy, cache=req.ctx.cache
    )
    zone = (await get_user(req.user_id, req.ctx.uow())).timezone
    return profile_card(req, card, zone)


async def profile_button(req: Request) -> Reply:
    """An expert's name under search results: the expert's profile card."""
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
    Command(
        "experts",
        search,
        "find an expert: /experts <subject> [filters]",
        SEARCH_USAGE,
        suggest=subjects_of_curricula,
    ),
]
BUTTONS = {"es": search_page_button, "ep": profile_button}
DEEP_LINKS = {"e": profile_link}
