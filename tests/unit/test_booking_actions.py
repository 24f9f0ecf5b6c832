"""A booking's buttons are the state machine's available actions, nothing more, nothing less."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.handlers import payloads
from bot.handlers.marketplace.booking_card import BUTTONS, CODES, STARS, action_buttons
from domain.marketplace.model import (
    DURATIONS,
    Action,
    Booking,
    BookingStatus,
    Decision,
    DisputeMark,
    PaymentStatus,
    Policy,
    Role,
)
from domain.marketplace.rules import available_actions, check_allowed
from domain.shared.errors import DomainError, InvalidInput

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
LEARNER, EXPERT_USER, STRANGER = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
SHARED_PLAN = uuid.uuid4()
VIEWERS = {Role.LEARNER: LEARNER, Role.EXPERT: EXPERT_USER, Role.OTHER: STRANGER}
# What a booking's buttons can offer: every action with a button, and the stars (FEEDBACK).
# The expert's notes are typed (/session_notes); expiry is the system's.
WITH_BUTTONS = frozenset(BUTTONS) | {Action.FEEDBACK}


def booking(
    status: BookingStatus,
    payment: PaymentStatus,
    starts_in: timedelta,
    minutes: int = 60,
    expires_in: timedelta | None = None,
    has_feedback: bool = False,
    cancel_notice: timedelta | None = None,
    reschedule_limit: int | None = None,
    reschedules: int = 0,
    trial: bool = False,
    happened: bool = False,
    dispute: DisputeMark | None = None,
    paid_out: bool = False,
    shared: bool = False,
    homework: bool = False,
    plans: int = 0,
    answer: bool | None = None,
) -> Booking:
    return Booking(
        id=uuid.uuid4(),
        learner_id=LEARNER,
        expert_id=uuid.uuid4(),
        expert_user_id=EXPERT_USER,
        expert_name="Grace",
        learner_name="Ada",
        starts_at=NOW + starts_in,
        minutes=minutes,
        status=status,
        payment_status=payment,
        price=Decimal("30.00"),
        currency="EUR",
        expires_at=None if expires_in is None else NOW + expires_in,
        has_feedback=has_feedback,
        cancel_notice=cancel_notice,
        reschedule_limit=reschedule_limit,
        reschedules=reschedules,
        trial=trial,
        happened_at=NOW - timedelta(minutes=5) if happened else None,
        dispute=dispute,
        paid_out=paid_out,
        shared_curriculum_id=SHARED_PLAN if shared else None,
        shared_plan_title="Go" if shared else None,
        shareable_plans=plans,
        homework_id=uuid.uuid4() if homework else None,
        homework_answer=answer if homework else None,
    )


def offered(b: Booking, viewer: uuid.UUID, policy: Policy) -> set[Action]:
    """The actions the card's buttons carry, read back from their payloads."""
    found = set()
    for row in action_buttons(b, viewer, NOW, policy):
        for button in row:
            assert button.payload is not None
            action, (booking_hex, code) = payloads.decode(viewer, button.payload)
            assert (action, booking_hex) == ("bx", b.id.hex)
            found.add(Action.FEEDBACK if code in STARS else CODES[code])
    return found


def accepted(b: Booking, role: Role, policy: Policy) -> set[Action]:
    """The actions the services' rule lets ``role`` take now."""
    found = set()
    for action in WITH_BUTTONS:
        try:
            check_allowed(action, b, role, NOW, policy)
        except DomainError:
            continue
        found.add(action)
    return found


hours = st.integers(min_value=-72 * 60, max_value=72 * 60).map(lambda m: timedelta(minutes=m))
bookings = st.builds(
    booking,
    st.sampled_from(BookingStatus),
    st.sampled_from(PaymentStatus),
    hours,
    st.sampled_from(DURATIONS),
    st.none() | hours,
    st.booleans(),
    # the expert's terms when it was booked: any window (None: the operator's), limit, count
    st.none() | st.integers(min_value=0, max_value=96).map(lambda h: timedelta(hours=h)),
    st.none() | st.integers(min_value=0, max_value=5),
    st.integers(min_value=0, max_value=7),
    st.booleans(),
    # after the session: the learner's yes, a problem (open, answered or decided), paid out
    st.booleans(),
    st.none()
    | st.builds(
        DisputeMark,
        st.sampled_from([Role.LEARNER, Role.EXPERT]),
        st.booleans(),
        st.none() | st.sampled_from(Decision),
    ),
    st.booleans(),
    st.booleans(),  # a plan shared with the expert (``plan_shares``)
    st.booleans(),  # homework sent after it
    st.integers(min_value=0, max_value=2),  # the learner's plans that could be shared
    st.none() | st.booleans(),  # the learner's answer to the homework
)
# Sessions that ended up to 9 days ago, where the after-session rules decide.
ended_hours = st.integers(min_value=-9 * 24 * 60, max_value=0).map(lambda m: timedelta(minutes=m))
policies = st.builds(
    Policy, free_cancellation_notice=st.sampled_from([timedelta(0), timedelta(hours=12)])
)


@given(bookings, st.sampled_from(list(VIEWERS)), policies)
def test_every_offered_action_is_accepted_and_every_accepted_one_is_offered(
    b: Booking, role: Role, policy: Policy
) -> None:
    viewer = VIEWERS[role]
    assert b.role_of(viewer) is role
    assert offered(b, viewer, policy) == accepted(b, role, policy)
    assert offered(b, viewer, policy) == available_actions(b, role, NOW, policy) & WITH_BUTTONS


def test_an_unpaid_no_show_offers_the_expert_no_mark_paid_and_the_rules_refuse_it() -> None:
    """The drift this replaced: "💶 Mark paid" was offered on a no-show, and refused."""
    no_show = booking(BookingStatus.NO_SHOW, PaymentStatus.PENDING, -timedelta(hours=2))
    labels = [b.label for row in action_buttons(no_show, EXPERT_USER, NOW, Policy()) for b in row]
    assert "💶 Mark paid" not in labels
    with pytest.raises(InvalidInput, match="no-show; it can't be marked paid"):
        check_allowed(Action.MARK_PAID, no_show, Role.EXPERT, NOW, Policy())


def test_the_time_rules_decide_what_is_offered() -> None:
    policy = Policy()
    soon = booking(BookingStatus.SCHEDULED, PaymentStatus.PENDING, timedelta(hours=2))
    # Inside the free-cancellation window the learner can neither cancel nor move it, but can
    # message the expert; the expert can still cancel.
    assert offered(soon, LEARNER, policy) == {Action.MESSAGE}
    assert offered(soon, EXPERT_USER, policy) == {Action.CANCEL, Action.MARK_PAID, Action.MESSAGE}
    ended = booking(BookingStatus.SCHEDULED, PaymentStatus.PAID, -timedelta(hours=2))
    assert offered(ended, EXPERT_USER, policy) == {
        Action.COMPLETE,
        Action.NO_SHOW,
        Action.MESSAGE,
        Action.REPORT_PROBLEM,
    }
    lapsed = booking(
        BookingStatus.PENDING, PaymentStatus.PENDING, timedelta(days=3), expires_in=-timedelta(1)
    )
    assert Action.CONFIRM not in offered(lapsed, EXPERT_USER, policy)
    assert Action.DECLINE in offered(lapsed, EXPERT_USER, policy)
    after = {Action.CONFIRM_HAPPENED, Action.REPORT_PROBLEM}  # a day after: did it happen?
    rated = booking(BookingStatus.COMPLETED, PaymentStatus.PAID, -timedelta(days=1), 60)
    assert offered(rated, LEARNER, policy) == {Action.FEEDBACK, Action.MESSAGE, *after}
    rated = booking(
        BookingStatus.COMPLETED, PaymentStatus.PAID, -timedelta(days=1), 60, None, True
    )
    assert offered(rated, LEARNER, policy) == {Action.MESSAGE, *after}
    long_ago = booking(BookingStatus.COMPLETED, PaymentStatus.PAID, -timedelta(days=15), 60)
    assert offered(long_ago, LEARNER, policy) == {Action.FEEDBACK}  # messages closed


@given(
    bookings,
    ended_hours,
    st.sampled_from(list(VIEWERS)),
    policies,
)
def test_after_a_session_every_offered_action_is_accepted_and_every_accepted_one_offered(
    b: Booking, started: timedelta, role: Role, policy: Policy
) -> None:
    """The same property where the after-session rules decide: sessions that began in the last
    9 days (around the 72-hour and 7-day limits), with or without a problem reported."""
    from dataclasses import replace

    b = replace(b, starts_at=NOW + started)
    viewer = VIEWERS[role]
    assert offered(b, viewer, policy) == accepted(b, role, policy)


@given(bookings)
def test_a_booking_holds_time_while_scheduled_or_pending_and_not_lapsed(b: Booking) -> None:
    lapsed = b.expires_at is not None and b.expires_at <= NOW
    expected = b.status is BookingStatus.SCHEDULED or (
        b.status is BookingStatus.PENDING and not lapsed
    )
    assert b.holds_time(NOW) is expected


def test_the_booking_s_own_window_decides_not_the_operator_s() -> None:
    """An expert's 48-hour window, kept with the booking, refuses a learner's move 24 hours
    before; the operator's 12 hours would have allowed it (and a 2-hour one allows it)."""
    policy = Policy()
    strict = booking(
        BookingStatus.SCHEDULED, PaymentStatus.PENDING, timedelta(hours=24), cancel_notice=_H48
    )
    assert offered(strict, LEARNER, policy) == {Action.MESSAGE}
    with pytest.raises(InvalidInput, match="less than 48 hours before"):
        check_allowed(Action.RESCHEDULE, strict, Role.LEARNER, NOW, policy)
    lenient = booking(
        BookingStatus.SCHEDULED,
        PaymentStatus.PENDING,
        timedelta(hours=3),
        cancel_notice=timedelta(hours=2),
    )
    assert {Action.CANCEL, Action.RESCHEDULE} <= offered(lenient, LEARNER, policy)


_H48 = timedelta(hours=48)


def test_a_booking_moved_as_often_as_its_limit_allows_offers_no_reschedule() -> None:
    policy = Policy()
    once = booking(
        BookingStatus.SCHEDULED,
        PaymentStatus.PENDING,
        timedelta(days=3),
        reschedule_limit=1,
        reschedules=1,
    )
    assert Action.RESCHEDULE not in offered(once, LEARNER, policy)
    assert Action.RESCHEDULE not in offered(once, EXPERT_USER, policy)
    with pytest.raises(InvalidInput, match="moved 1 time already"):
        check_allowed(Action.RESCHEDULE, once, Role.LEARNER, NOW, policy)
    unlimited = booking(
        BookingStatus.SCHEDULED, PaymentStatus.PENDING, timedelta(days=3), reschedules=7
    )
    assert Action.RESCHEDULE in offered(unlimited, LEARNER, policy)


def test_a_shared_plan_is_seen_by_its_expert_only_until_the_session_ends() -> None:
    policy = Policy()
    coming = booking(
        BookingStatus.SCHEDULED, PaymentStatus.PENDING, timedelta(hours=30), shared=True
    )
    assert {Action.VIEW_PLAN} <= offered(coming, EXPERT_USER, policy)
    assert {Action.UNSHARE_PLAN} <= offered(coming, LEARNER, policy)
    assert Action.SHARE_PLAN not in offered(coming, LEARNER, policy)  # one plan at a time
    planner = booking(BookingStatus.SCHEDULED, PaymentStatus.PENDING, timedelta(hours=30), plans=1)
    assert Action.SHARE_PLAN in offered(planner, LEARNER, policy)
    without = booking(BookingStatus.SCHEDULED, PaymentStatus.PENDING, timedelta(hours=30))
    with pytest.raises(InvalidInput, match="no active plan to share"):
        check_allowed(Action.SHARE_PLAN, without, Role.LEARNER, NOW, policy)
    with pytest.raises(DomainError, match="isn't yours"):
        check_allowed(Action.VIEW_PLAN, coming, Role.OTHER, NOW, policy)
    with pytest.raises(DomainError, match="Only the booked expert"):
        check_allowed(Action.VIEW_PLAN, coming, Role.LEARNER, NOW, policy)
    # During the session it is still shared; from its end, nothing is shown.
    during = booking(
        BookingStatus.SCHEDULED, PaymentStatus.PAID, -timedelta(minutes=30), 60, shared=True
    )
    check_allowed(Action.VIEW_PLAN, during, Role.EXPERT, NOW, policy)
    over = booking(
        BookingStatus.SCHEDULED, PaymentStatus.PAID, -timedelta(minutes=60), 60, shared=True
    )
    with pytest.raises(InvalidInput, match="no longer shared"):
        check_allowed(Action.VIEW_PLAN, over, Role.EXPERT, NOW, policy)
    assert not {Action.VIEW_PLAN, Action.UNSHARE_PLAN, Action.SHARE_PLAN} & (
        offered(over, EXPERT_USER, policy) | offered(over, LEARNER, policy)
    )
    private = booking(BookingStatus.SCHEDULED, PaymentStatus.PENDING, timedelta(hours=30))
    with pytest.raises(InvalidInput, match="shares no plan"):
        check_allowed(Action.VIEW_PLAN, private, Role.EXPERT, NOW, policy)


def test_homework_is_sent_once_after_a_completed_session_with_a_shared_plan() -> None:
    policy = Policy()
    done = booking(BookingStatus.COMPLETED, PaymentStatus.PAID, -timedelta(days=1), shared=True)
    assert Action.SEND_HOMEWORK in offered(done, EXPERT_USER, policy)
    assert Action.SEND_HOMEWORK not in offered(done, LEARNER, policy)
    sent = booking(
        BookingStatus.COMPLETED, PaymentStatus.PAID, -timedelta(days=1), shared=True, homework=True
    )
    with pytest.raises(InvalidInput, match="already sent homework"):
        check_allowed(Action.SEND_HOMEWORK, sent, Role.EXPERT, NOW, policy)
    check_allowed(Action.ANSWER_HOMEWORK, sent, Role.LEARNER, NOW, policy)
    assert Action.ANSWER_HOMEWORK in offered(sent, LEARNER, policy)  # 📝 Homework on the card
    for answer, said in ((True, "accepted"), (False, "declined")):
        answered = booking(
            BookingStatus.COMPLETED,
            PaymentStatus.PAID,
            -timedelta(days=1),
            shared=True,
            homework=True,
            answer=answer,
        )
        assert Action.ANSWER_HOMEWORK not in offered(answered, LEARNER, policy)
        with pytest.raises(InvalidInput, match=f"already {said} the homework"):
            check_allowed(Action.ANSWER_HOMEWORK, answered, Role.LEARNER, NOW, policy)
    with pytest.raises(DomainError):
        check_allowed(Action.ANSWER_HOMEWORK, sent, Role.EXPERT, NOW, policy)
    private = booking(BookingStatus.COMPLETED, PaymentStatus.PAID, -timedelta(days=1))
    with pytest.raises(InvalidInput, match="shared no plan"):
        check_allowed(Action.SEND_HOMEWORK, private, Role.EXPERT, NOW, policy)
    for status in (BookingStatus.SCHEDULED, BookingStatus.NO_SHOW, BookingStatus.CANCELLED):
        ended = booking(status, PaymentStatus.PAID, -timedelta(days=1), shared=True)
        with pytest.raises(InvalidInput, match="once it is marked completed"):
            check_allowed(Action.SEND_HOMEWORK, ended, Role.EXPERT, NOW, policy)
