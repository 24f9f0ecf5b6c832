"""Weekly series in chat: 🔁 Repeat weekly in the booking walk (how many weeks, then the dates
each marked open or not, then ✅ Book), the expert's one notice with Confirm all / Decline all,
and the learner's notice of the answer. Each press is one use case of
``domain.marketplace.series``; the buttons derive from its per-occurrence rules."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from uuid import UUID

from bot.handlers import payloads
from bot.handlers.base import Button, Command, Context, Reply, Request, rows
from bot.handlers.formatting import money, short_time
from bot.handlers.marketplace.booking_card import status_label
from bot.handlers.marketplace.booking_invites import series_file
from bot.handlers.wizard import control_row
from domain.accounts.registration import get_user
from domain.marketplace import series
from domain.marketplace.model import Action, Booking, BookingStatus, Role
from domain.marketplace.parsing import SERIES_USAGE, parse_series
from domain.marketplace.series_commands import (
    AnswerSeries,
    SeriesAnswered,
    SeriesBooked,
    SeriesShown,
    WeeksAsked,
)
from domain.shared.errors import InvalidInput

REPEAT, BOOK = "rw", "sb"  # the walk's choices (``bf`` payloads) this module answers
ANSWERS = {"c": True, "d": False}  # Confirm all / Decline all (``sa`` payloads)
SeriesResult = WeeksAsked | SeriesShown | SeriesBooked


def repeat_button(req: Request, token: str) -> Button:
    """🔁 Repeat weekly, under the quote of a new booking."""
    return Button("🔁 Repeat weekly", _choice(req, token, REPEAT))


async def walk_choice(req: Request, token: str, choice: str) -> Reply | None:
    """A series choice in the walk (🔁, a number of weeks ``w6``, ✅ Book), or None."""
    ctx, user = req.ctx, req.user_id
    result: SeriesResult
    if choice == REPEAT:
        result = await series.repeat(user, token, ctx.uow(), ctx.clock)
    elif choice.startswith("w") and choice[1:].isdigit():
        weeks = int(choice[1:])
        result = await series.choose_weeks(user, token, weeks, ctx.uow(), ctx.clock, ctx.policy)
    elif choice == BOOK:
        result = await series.book_series(user, token, ctx.uow(), ctx.clock, ctx.policy)
    else:
        return None
    return render(req, result)


def render(req: Request, result: SeriesResult) -> Reply:
    if isinstance(result, WeeksAsked):
        when = short_time(result.starts_at, result.zone)
        buttons = [
            Button(f"{n} weeks", _choice(req, result.token, f"w{n}")) for n in result.choices
        ]
        controls = control_row(req.user_id, result.token, back=True)
        text = (
            f"Every {when.split()[0]} at {when.split()[-1]} ({result.zone}), from {when}: "
            "for how many weeks?\nThe time stays yours each week, also across a change to or "
            "from summer time."
        )
        return Reply(
            text,
            (*rows(*buttons, per_row=4), *controls),
            edit=True,
            choose="How many weeks",
            controls=len(controls),
        )
    if isinstance(result, SeriesShown):
        return _shown(req, result)
    lines = [
        f"📨 Requested {len(result.bookings)} of {result.weeks} weeks! The expert confirms "
        "the series (or each week); I'll tell you.",
        *(_line(b, result.zone) for b in result.bookings),
        "Each week is a booking of its own in /bookings: cancel or move one, the others stay.",
    ]
    return Reply("\n".join(lines), edit=True)


def _shown(req: Request, result: SeriesShown) -> Reply:
    zone, open_ = result.zone, result.open
    lines = [
        f"{result.note}Weekly with {result.other_name}, {result.minutes} min, "
        f"{money(result.price, result.currency)} each (times in {zone}):"
    ]
    for o in result.occurrences:
        mark = "✅ open" if o.closed is None else f"❌ {o.closed}"
        lines.append(f"{o.week}. {short_time(o.starts_at, zone)} · {mark}")
    buttons: list[Button] = []
    if open_:
        total = money(result.price * len(open_), result.currency)
        weeks = "all weeks" if len(open_) == len(result.occurrences) else f"{len(open_)} open"
        lines.append(f"Book {weeks} for {total} in all? Each can be cancelled on its own.")
        buttons.append(Button(f"✅ Book {weeks}", _choice(req, result.token, BOOK)))
    else:
        lines.append("None of these weeks is open: choose another time, or cancel.")
    controls = control_row(req.user_id, result.token, back=result.back)
    return Reply("\n".join(lines), (*rows(*buttons), *controls), edit=True)


def _line(booking: Booking, zone: str) -> str:
    week = f"{booking.series_index}/{booking.series_weeks}" if booking.series_index else "·"
    return (
        f"{week} {short_time(booking.starts_at, zone)} · {status_label(booking)} · {booking.ref}"
    )


async def book_command(req: Request) -> Reply:
    """/book <expert> every tuesday 18:00 for 6 weeks: the series' dates, each open or not."""
    if not req.args.strip():
        return Reply(SERIES_USAGE)
    ctx = req.ctx
    asked = parse_series(req.args)
    result = await series.start_typed(req.user_id, asked, ctx.uow(), ctx.clock, ctx.policy)
    return replace(_shown(req, result), edit=False)


async def answer_button(req: Request) -> Reply:
    """Confirm all / Decline all under the expert's series notice."""
    if len(req.button_args) != 2 or req.button_args[1] not in ANSWERS:
        raise InvalidInput(payloads.STALE)
    ctx = req.ctx
    command = AnswerSeries(
        req.user_id, payloads.uuid_arg(req.button_args[0]), ANSWERS[req.button_args[1]]
    )
    result = await series.answer(command, ctx.uow(), ctx.clock, ctx.policy, ctx.payments)
    zone = (await get_user(req.user_id, ctx.uow())).timezone
    invites = series_file(result.changed, req.user_id) if result.confirm else None
    return Reply(_answered(result, req.user_id, zone), edit=True, attachment=invites)


def _answered(result: SeriesAnswered, viewer: UUID, zone: str) -> str:
    if result.changed:
        zone = result.changed[0].zone_of(viewer, zone)
    verb = "Confirmed" if result.confirm else "Declined"
    lines = [f"{verb} {len(result.changed)} of the series. The learner has been told."]
    lines += [_line(b, zone) for b in result.changed]
    for booking, why in result.left:
        lines.append(f"Not {verb.lower()}: {_line(booking, zone)} — {why}")
    return "\n".join(lines)


async def request_notice(ctx: Context, user_id: UUID, data: dict[str, Any]) -> Reply | None:
    """To the expert: the series as it stands now, Confirm all / Decline all as the rules
    allow, and each week's own card a tap away."""
    occurrences = await series.occurrences_of(user_id, UUID(data["series_id"]), ctx.uow())
    first = occurrences[0]
    zone = first.zone_of(user_id, (await get_user(user_id, ctx.uow())).timezone)
    allowed = series.series_actions(occurrences, user_id, ctx.clock.now(), ctx.policy)
    if not allowed:
        return None  # answered meanwhile (each week on its own card, or lapsed)
    weeks = first.series_weeks or len(occurrences)
    lines = [
        f"📨 New weekly booking request from {first.learner_name}: {first.minutes} min, "
        f"{len(occurrences)} of {weeks} weeks (times in {zone}) — confirm or decline them all:",
        *(_line(b, zone) for b in occurrences),
    ]
    if first.shared_plan_title:  # shared while booking, on every week (``plan_shares``)
        lines.append(
            f"📎 {first.learner_name} shares the plan “{first.shared_plan_title}” with you until "
            "each session ends: 📖 Learner's plan on each week's card"
        )
    answers = answer_buttons(user_id, UUID(data["series_id"]), allowed)
    cards = [
        Button(
            f"{b.series_index}/{weeks} · {short_time(b.starts_at, zone)}",
            payloads.encode(user_id, "bo", b.id.hex),
        )
        for b in occurrences
    ]
    return Reply("\n".join(lines), (tuple(answers), *rows(*cards, per_row=2)))


def answer_buttons(user_id: UUID, series_id: UUID, allowed: frozenset[Action]) -> list[Button]:
    """✅ Confirm all / ❌ Decline all, as ``series.series_actions`` allows ``user_id``."""
    return [
        Button(label, payloads.encode(user_id, "sa", series_id.hex, code))
        for action, label, code in (
            (Action.CONFIRM, "✅ Confirm all", "c"),
            (Action.DECLINE, "❌ Decline all", "d"),
        )
        if action in allowed
    ]


async def week_card_answers(ctx: Context, user_id: UUID, booking: Booking) -> list[Button]:
    """Under a pending week's card, for its expert: the series' Confirm all / Decline all
    while more than one week waits (the card's own buttons answer this week alone)."""
    if booking.series_id is None or booking.role_of(user_id) is not Role.EXPERT:
        return []
    occurrences = await series.occurrences_of(user_id, booking.series_id, ctx.uow())
    allowed = series.series_actions(occurrences, user_id, ctx.clock.now(), ctx.policy)
    waiting = [b for b in occurrences if b.status is BookingStatus.PENDING]
    return answer_buttons(user_id, booking.series_id, allowed) if len(waiting) > 1 else []


def answer_notice(confirmed: bool) -> Any:
    """To the learner: what the expert answered, and each week as it stands now."""

    async def notice(ctx: Context, user_id: UUID, data: dict[str, Any]) -> Reply | None:
        occurrences = await series.occurrences_of(user_id, UUID(data["series_id"]), ctx.uow())
        first = occurrences[0]
        zone = first.zone_of(user_id, (await get_user(user_id, ctx.uow())).timezone)
        answered = set(data.get("bookings", []))
        verb = "confirmed" if confirmed else "declined"
        head = (
            f"{'✅' if confirmed else '❌'} {first.expert_name} {verb} "
            f"{len(answered)} weeks of your weekly booking (times in {zone}):"
        )
        lines = [head, *(_line(b, zone) for b in occurrences)]
        cards = [
            Button(
                f"{b.series_index}/{b.series_weeks} · {short_time(b.starts_at, zone)}",
                payloads.encode(user_id, "bo", b.id.hex),
            )
            for b in occurrences
        ]
        invites = series_file(occurrences, user_id) if confirmed else None
        return Reply("\n".join(lines), rows(*cards, per_row=2), attachment=invites)

    return notice


def _choice(req: Request, token: str, choice: str) -> str:
    return payloads.encode(req.user_id, "bf", token, choice)


COMMANDS = [
    Command(
        "book",
        book_command,
        "a weekly series: /book <expert> every tue 18:00 for 6 weeks",
        "<expert> every <weekday> <time> for <n> weeks [30|60|90 min]",
    ),
]
BUTTONS = {"sa": answer_button}
