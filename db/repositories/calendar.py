"""The calendar statements every slot listing and booking runs, built once."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    DateTime,
    Uuid,
    and_,
    bindparam,
    column,
    func,
    or_,
    select,
    text,
)
from sqlalchemy.sql.elements import BindParameter

from db.models import (
    BookingRow,
    ExpertAvailabilityRow,
    ExpertTimeOffRow,
)
from domain.marketplace.model import (
    BookingStatus,
)


def _holds_time(now: datetime | BindParameter[datetime]) -> Any:
    """Bookings that hold their time: scheduled ones, and pending ones that have not lapsed."""
    return or_(
        BookingRow.status == BookingStatus.SCHEDULED.value,
        and_(
            BookingRow.status == BookingStatus.PENDING.value,
            or_(BookingRow.expires_at.is_(None), BookingRow.expires_at > now),
        ),
    )


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
    _holds_time(bindparam("now", type_=DateTime(timezone=True))),
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


# The booking path, in two statements on the unit of work's connection (no ORM): text() is
# cached by its string, so each call costs a dictionary lookup, not a compilation.
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
           u.name AS learner_name, u.timezone AS learner_timezone
      FROM experts e LEFT JOIN users u ON u.id = :learner_id
     WHERE e.id = :expert_id
    """
).columns(  # named result columns: SQLAlchemy then keeps the result's metadata with the SQL
    *map(
        column,
        """locked id user_id display_name bio credentials hourly_rate_min hourly_rate_max
        currency timezone languages verification_status meeting_link approval_date
        total_sessions average_rating rating_count weekly off_from off_until learner_name
        learner_timezone""".split(),
    )
)


# 2. Under that lock: unless a booking holding time (scheduled, or pending and not lapsed; as
#    ``_holds_time``) overlaps the slot widened by the buffer, insert the pending booking and
#    the expert's "booking_requested" notice (as ``SqlNotificationRepository.add`` writes it).
_ADD_IF_FREE = text(
    """
    WITH b AS (
        INSERT INTO bookings (user_id, expert_id, session_date, duration, status,
                              payment_status, price, currency, expires_at)
        SELECT CAST(:learner_id AS uuid), CAST(:expert_id AS uuid),
               CAST(:starts_at AS timestamptz), CAST(:minutes AS integer), 'pending', 'pending',
               CAST(:price AS numeric), CAST(:currency AS varchar),
               CAST(:expires_at AS timestamptz)
         WHERE NOT EXISTS (
               SELECT 1 FROM bookings h
                WHERE h.expert_id = CAST(:expert_id AS uuid)
                  AND h.status IN ('pending', 'scheduled')
                  AND (h.status = 'scheduled' OR h.expires_at IS NULL
                       OR h.expires_at > CAST(:now AS timestamptz))
                  AND h.session_date < CAST(:busy_until AS timestamptz)
                  AND h.session_date + make_interval(mins => h.duration)
                      > CAST(:busy_from AS timestamptz))
        RETURNING id, session_date, price, expires_at
    ), n AS (
        INSERT INTO notifications (user_id, kind, data, due_at)
        SELECT CAST(:notify AS uuid), CAST(:notice AS varchar),
               jsonb_build_object('booking_id', CAST(b.id AS text)), CAST(:now AS timestamptz)
          FROM b
    )
    SELECT id, session_date, price, expires_at FROM b
    """
).columns(*map(column, ("id", "session_date", "price", "expires_at")))
