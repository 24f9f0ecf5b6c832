"""The calendar statements every slot listing and booking runs, built once."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ARRAY,
    Boolean,
    DateTime,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Uuid,
    all_,
    and_,
    any_,
    bindparam,
    cast,
    column,
    exists,
    func,
    insert,
    or_,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import aliased

from db.models import (
    BookingRow,
    ExpertAvailabilityRow,
    ExpertTimeOffRow,
    NotificationRow,
)
from db.tx import DriverStatement
from domain.marketplace.model import HOLDS_TIME, LAPSES, BookingStatus
from domain.notifications.model import Planned


def holds_time(row: Any, now: Any, *, firm_only: bool = False) -> Any:
    """SQL for ``Booking.holds_time(now)`` on the bookings ``row`` (the table or an alias),
    built from the domain's ``HOLDS_TIME`` and ``LAPSES``, which it binds as parameters.

    ``firm_only``: only the bookings that hold time and never lapse (confirmed ones): what a
    booking being confirmed must not overlap.
    """
    if firm_only:
        return row.status == any_(_statuses(HOLDS_TIME - LAPSES))
    return and_(
        row.status == any_(_statuses(HOLDS_TIME)),
        or_(row.status != all_(_statuses(LAPSES)), row.expires_at.is_(None), row.expires_at > now),
    )


def _statuses(statuses: frozenset[BookingStatus]) -> Any:
    """One array parameter (not an IN list, which SQLAlchemy re-renders on every execution)."""
    values = sorted(status.value for status in statuses)
    return bindparam(None, values, type_=ARRAY(String()), unique=True)


# The calendar statements, built once (they run on every slot listing and every booking).
_ENDS = BookingRow.session_date + func.make_interval(0, 0, 0, 0, 0, BookingRow.duration)
_WEEKLY_OF = select(
    ExpertAvailabilityRow.expert_id,
    ExpertAvailabilityRow.day_of_week,
    ExpertAvailabilityRow.time_slots,
).where(ExpertAvailabilityRow.expert_id.in_(bindparam("ids", expanding=True)))


_TIME_OFF_OF = select(
    ExpertTimeOffRow.expert_id, ExpertTimeOffRow.starts_on, ExpertTimeOffRow.ends_on
).where(ExpertTimeOffRow.expert_id.in_(bindparam("ids", expanding=True)))


_HELD_BY = select(BookingRow.expert_id, BookingRow.session_date, _ENDS).where(
    BookingRow.expert_id.in_(bindparam("ids", expanding=True)),
    holds_time(BookingRow, bindparam("now", type_=DateTime(timezone=True))),
    BookingRow.session_date < bindparam("end", type_=DateTime(timezone=True)),
    _ENDS > bindparam("start", type_=DateTime(timezone=True)),
    or_(
        bindparam("exclude", type_=Uuid()).is_(None),
        BookingRow.id != bindparam("exclude", type_=Uuid()),
    ),
)


def _lock_key(expert_id: UUID) -> int:
    """A signed 64-bit advisory-lock key derived from the expert's id."""
    return int.from_bytes(expert_id.bytes[:8], "big", signed=True)


# The booking path, two statements on the driver connection (``DriverStatement``, ``Tx.driver``):
# with the few rules in Python between them, SQLAlchemy's own work per statement was most of a
# booking's time, and the burst of many at once is bound by it.
# 1. Take the expert's advisory lock and read the expert, their weekly hours and time off and
#    the learner's name and zone. The lock is here, not in the second statement: under READ
#    COMMITTED a statement sees the rows committed before it began, so an overlap check in the
#    statement that waited for the lock would miss the booking its rival just committed
#    (tests/integration/test_booking_path.py shows it).
_LOCK_FOR_BOOKING = text(
    """
    SELECT pg_advisory_xact_lock(:key) AS locked,
           e.id, e.user_id, e.display_name, e.bio, e.credentials, e.hourly_rate_min,
           e.hourly_rate_max, e.currency, e.timezone, e.languages, e.verification_status,
           e.meeting_link, e.approval_date, e.total_sessions, e.average_rating, e.rating_count,
           (SELECT CAST(json_agg(json_build_array(a.day_of_week, a.time_slots)) AS text)
              FROM expert_availability a WHERE a.expert_id = e.id) AS weekly,
           (SELECT array_agg(t.starts_on ORDER BY t.starts_on, t.ends_on)
              FROM expert_time_off t WHERE t.expert_id = e.id) AS off_from,
           (SELECT array_agg(t.ends_on ORDER BY t.starts_on, t.ends_on)
              FROM expert_time_off t WHERE t.expert_id = e.id) AS off_until,
           u.name AS learner_name, u.timezone AS learner_timezone,
           e.cancel_notice_hours, e.trial_price, e.reschedule_limit,
           EXISTS (SELECT 1 FROM bookings b
                    WHERE b.expert_id = e.id AND b.user_id = :learner_id
                      AND b.status = ANY(CAST(:earlier AS text[]))) AS booked_before
      FROM experts e LEFT JOIN users u ON u.id = :learner_id
     WHERE e.id = :expert_id
    """
).columns(  # named result columns: SQLAlchemy then keeps the result's metadata with the SQL
    *map(
        column,
        """locked id user_id display_name bio credentials hourly_rate_min hourly_rate_max
        currency timezone languages verification_status meeting_link approval_date
        total_sessions average_rating rating_count weekly off_from off_until learner_name
        learner_timezone cancel_notice_hours trial_price reschedule_limit booked_before""".split(),
    )
)


# 2. Under that lock: unless a booking holding time (``holds_time``) overlaps the slot widened
#    by the buffer, insert the pending booking and the expert's notice (as
#    ``SqlNotificationRepository.add`` writes it). Built once; every value is a bound parameter.
_Held = aliased(BookingRow, name="h")
_REQUEST = (
    insert(BookingRow)
    .from_select(
        [
            "user_id",
            "expert_id",
            "session_date",
            "duration",
            "status",
            "payment_status",
            "price",
            "currency",
            "expires_at",
            "cancel_notice_hours",
            "reschedule_limit",
            "trial",
            "series_id",
            "series_index",
            "id",
        ],
        select(
            bindparam("learner_id", type_=Uuid()),
            bindparam("expert_id", type_=Uuid()),
            bindparam("starts_at", type_=DateTime(timezone=True)),
            bindparam("minutes", type_=Integer()),
            bindparam("status", type_=String()),
            bindparam("payment", type_=String()),
            bindparam("price", type_=Numeric()),
            bindparam("currency", type_=String()),
            bindparam("expires_at", type_=DateTime(timezone=True)),
            bindparam("cancel_notice_hours", type_=SmallInteger()),
            bindparam("reschedule_limit", type_=SmallInteger()),
            bindparam("trial", type_=Boolean()),
            bindparam("series_id", type_=Uuid()),
            bindparam("series_index", type_=Integer()),
            bindparam("booking_id", type_=Uuid()),
        ).where(
            ~exists().where(
                _Held.expert_id == bindparam("expert_id", type_=Uuid()),
                holds_time(_Held, bindparam("now", type_=DateTime(timezone=True))),
                _Held.session_date < bindparam("busy_until", type_=DateTime(timezone=True)),
                _Held.session_date + func.make_interval(0, 0, 0, 0, 0, _Held.duration)
                > bindparam("busy_from", type_=DateTime(timezone=True)),
            )
        ),
    )
    .returning(BookingRow.id, BookingRow.session_date, BookingRow.price, BookingRow.expires_at)
)
_ADDED = _REQUEST.cte("b")
_NOTICE = insert(NotificationRow).from_select(
    ["user_id", "kind", "data", "due_at"],
    select(
        bindparam("notify", type_=Uuid()),
        bindparam("notice", type_=String()),
        func.jsonb_build_object("booking_id", cast(_ADDED.c.id, String())),
        bindparam("now", type_=DateTime(timezone=True)),
    ).where(bindparam("notice", type_=String()).is_not(None)),  # none for a series' occurrence
)
# The notifications planned with the booking (its nudges), as JSON records written only if
# the booking was: what they are is ``waitlist.request_nudges``'s, not this statement's.
_PLANNED = (
    func.jsonb_to_recordset(cast(bindparam("planned", type_=String()), JSONB))
    .table_valued(
        column("user_id", Uuid()),
        column("kind", String()),
        column("data", JSONB()),
        column("due_at", DateTime(timezone=True)),
        column("expires_at", DateTime(timezone=True)),
        column("dedupe_key", String()),
    )
    .render_derived(name="planned", with_types=True)
)
_NUDGES = insert(NotificationRow).from_select(  # keys of a new booking's: no conflict
    ["user_id", "kind", "data", "due_at", "expires_at", "dedupe_key"],
    select(
        _PLANNED.c.user_id,
        _PLANNED.c.kind,
        _PLANNED.c.data,
        _PLANNED.c.due_at,
        _PLANNED.c.expires_at,
        _PLANNED.c.dedupe_key,
    ).where(exists(select(_ADDED.c.id))),
)
_ADD_IF_FREE = (
    select(_ADDED.c.id, _ADDED.c.session_date, _ADDED.c.price, _ADDED.c.expires_at)
    .add_cte(_NOTICE.cte("n"))
    .add_cte(_NUDGES.cte("p"))
)


LOCK_FOR_BOOKING = DriverStatement.of(_LOCK_FOR_BOOKING)
ADD_IF_FREE = DriverStatement.of(_ADD_IF_FREE)


def planned_records(planned: Sequence[Planned]) -> str:
    """Planned notifications as ``ADD_IF_FREE``'s JSON records (its ``planned`` parameter)."""
    return json.dumps(
        [
            {
                "user_id": str(p.user_id),
                "kind": p.kind.value,
                "data": p.data,
                "due_at": p.due_at.isoformat(),
                "expires_at": None if p.expires_at is None else p.expires_at.isoformat(),
                "dedupe_key": p.dedupe_key,
            }
            for p in planned
        ]
    )
