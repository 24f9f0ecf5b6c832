"""Spaced-repetition review: /card, /review (front, Show answer, Again/Hard/Good/Easy), and
the one-tap offers to make cards of a "Q: ... A: ..." note or of a session's objectives."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from bot.handlers import payloads
from bot.handlers.base import Button, Command, Reply, Request, rows
from bot.handlers.formatting import plural, short_time
from domain.learning.card_model import CardRated, CardsAdded, Rating, ReviewCard, ReviewQueue
from domain.learning.cards import (
    CARD_USAGE,
    add_card,
    card_from_note,
    card_to_answer,
    cards_from_session,
    parse_card,
    parse_question,
    rate_card,
    review_queue,
)
from domain.learning.commands import AddCard, CardFromNote, CardsFromSession, RateCard, ShowAnswer
from domain.shared.errors import InvalidInput

REVIEW = "rv"  # rv:a:<card>:<reps> Show answer · rv:r:<card>:<reps>:<1-4> a rating · rv:go
OFFER = "cd"  # cd:n:<note> a note's card · cd:s:<session> cards of a session's objectives
RATINGS = {str(int(r)): r for r in Rating}
LABELS = {Rating.AGAIN: "Again", Rating.HARD: "Hard", Rating.GOOD: "Good", Rating.EASY: "Easy"}
NOTE_OFFER = "Make it a review card?"
SESSION_OFFER = "Make review cards from this session's objectives?"


def review_button(req: Request, label: str = "🃏 Review now") -> Button:
    return Button(label, payloads.encode(req.user_id, REVIEW, "go"))


def note_offer(req: Request, note_id: UUID, content: str) -> tuple[str, Button] | None:
    """The line and button that offer a "Q: ... A: ..." note as a card (None: not such a note)."""
    if parse_question(content) is None:
        return None
    button = Button("🃏 Make it a card", payloads.encode(req.user_id, OFFER, "n", note_id.hex))
    return NOTE_OFFER, button


def session_offer(req: Request, session_id: UUID) -> Button:
    """The button under a /done reply that makes cards of the session's objectives."""
    return Button("🃏 Make review cards", payloads.encode(req.user_id, OFFER, "s", session_id.hex))


async def card(req: Request) -> Reply:
    """/card <front> | <back>: a new review card, due at once."""
    front, back = parse_card(req.args)
    added = await add_card(AddCard(req.user_id, front, back), req.ctx.uow(), req.ctx.clock)
    return Reply(
        f"🃏 Card added: “{added.front}”. It's due now; /review goes through your due cards.",
        rows(review_button(req)),
    )


def _front(req: Request, shown: ReviewCard, queue: ReviewQueue, head: str = "") -> Reply:
    lines = [head, ""] if head else []
    lines += [
        f"🃏 {shown.front}",
        "",
        f"({queue.due_today} due today · {queue.reviewed_today} reviewed today)",
    ]
    button = Button(
        "Show answer", payloads.encode(req.user_id, REVIEW, "a", shown.id.hex, str(shown.reps))
    )
    return Reply("\n".join(lines), rows(button), edit=bool(head))


def _queue_reply(req: Request, queue: ReviewQueue, head: str = "") -> Reply:
    """The next due card's front, or the end of today's review with its counts."""
    if queue.card is not None:
        return _front(req, queue.card, queue, head)
    if queue.reviewed_today:
        end = (
            f"🎉 All done for today: {plural(queue.reviewed_today, 'review')} today, "
            "nothing else due. /progress shows your retention."
        )
    else:
        end = (
            "Nothing to review today. Add cards with /card <front> | <back>, or from a "
            "“Q: … A: …” note, or after /done from the session's objectives."
        )
    return Reply("\n\n".join([head, end]) if head else end, edit=bool(head))


async def review(req: Request) -> Reply:
    """/review: the cards due today, one at a time."""
    return _queue_reply(req, await review_queue(req.user_id, req.ctx.uow(), req.ctx.clock))


def _card_args(req: Request, extra: int) -> tuple[UUID, int]:
    if len(req.button_args) != 3 + extra:
        raise InvalidInput(payloads.STALE)
    card_id = payloads.uuid_arg(req.button_args[1])
    return card_id, payloads.int_arg(req.button_args[2], low=0, high=99_999)


def _again_in(rated: CardRated, now: datetime) -> str:
    if rated.next_due is None:
        return ""
    minutes = max(1, round((rated.next_due - now).total_seconds() / 60))
    if minutes < 60:
        return f"back in {plural(minutes, 'minute')}"
    if minutes < 24 * 60:
        return f"back in {plural(round(minutes / 60), 'hour')}"
    return f"back on {short_time(rated.next_due, rated.timezone)}"


async def review_button_press(req: Request) -> Reply:
    """Show answer, a rating, or Review now."""
    what = req.button_args[0] if req.button_args else ""
    if what == "go" and len(req.button_args) == 1:
        return await review(req)
    if what == "a":
        card_id, reps = _card_args(req, 0)
        shown = await card_to_answer(ShowAnswer(req.user_id, card_id, reps), req.ctx.uow())
        buttons = [
            Button(
                LABELS[rating],
                payloads.encode(req.user_id, REVIEW, "r", card_id.hex, str(reps), key),
            )
            for key, rating in RATINGS.items()
        ]
        return Reply(
            f"🃏 {shown.front}\n\n{shown.back}\n\nHow well did you remember it?",
            rows(*buttons, per_row=4),
            edit=True,
        )
    if what == "r":
        card_id, reps = _card_args(req, 1)
        rating = RATINGS.get(req.button_args[3])
        if rating is None:
            raise InvalidInput(payloads.STALE)
        command = RateCard(req.user_id, card_id, reps, rating)
        rated = await rate_card(command, req.ctx.uow(), req.ctx.clock, req.ctx.reviews)
        if rated.counted:
            head = f"✓ {LABELS[rating]}: {_again_in(rated, req.ctx.clock.now())}."
        else:
            head = "That card was rated already (a second tap?); it counted once."
        return _queue_reply(req, rated.queue, head)
    raise InvalidInput(payloads.STALE)


def _added(added: CardsAdded, already: str) -> str:
    if not added.added:
        return f"{already} Nothing new was added; /review goes through your cards."
    made = f"🃏 {plural(added.added, 'review card')} added"
    if added.skipped:
        made += f" ({added.skipped} existed already)"
    return f"{made}; /review goes through them."


async def offer_press(req: Request) -> Reply:
    """Make it a card (under a note), Make review cards (under /done)."""
    if len(req.button_args) != 2 or req.button_args[0] not in ("n", "s"):
        raise InvalidInput(payloads.STALE)
    source = payloads.uuid_arg(req.button_args[1])
    if req.button_args[0] == "n":
        added = await card_from_note(
            CardFromNote(req.user_id, source), req.ctx.uow(), req.ctx.clock
        )
        text = _added(added, "That note is a review card already.")
    else:
        command = CardsFromSession(req.user_id, source)
        added = await cards_from_session(command, req.ctx.uow(), req.ctx.clock)
        text = _added(added, "Those objectives are review cards already.")
    return Reply(text, rows(review_button(req)) if added.added else ())


COMMANDS = [
    Command("card", card, "add a review card: /card <front> | <back>", CARD_USAGE),
    Command("review", review, "go through the review cards due today"),
]

BUTTONS = {REVIEW: review_button_press, OFFER: offer_press}
