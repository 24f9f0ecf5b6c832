"""Repositories of the expert marketplace: experts, availability, bookings, the outbox."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import (
    DateTime,
    String,
    Uuid,
    and_,
    any_,
    bindparam,
    cast,
    column,
    delete,
    func,
    literal_column,
    or_,
    select,
    text,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import BindParameter

from db.models import (
    BookingRow,
    CommissionRow,
    ExpertAvailabilityRow,
    ExpertRow,
    ExpertSpecialtyRow,
    ExpertTimeOffRow,
    NotificationRow,
    SessionFeedbackRow,
    UserRow,
)
from domain.availability import WeeklyAvailability
from domain.dispatch import Due
from domain.marketplace import (
    Booking,
    BookingStatus,
    Calendar,
    Earning,
    Expert,
    ExpertDraft,
    PaymentStatus,
    Proficiency,
    Review,
    SearchFilters,
    Specialty,
    Verification,
)
from domain.reminders import Planned
from domain.schedule import Bookable

if TYPE_CHECKING:
    from db.uow import Tx


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
        SELECT CAST(:notify AS uuid), 'booking_requested',
               jsonb_build_object('booking_id', CAST(b.id AS text)), CAST(:now AS timestamptz)
          FROM b
    )
    SELECT id, session_date, price, expires_at FROM b
    """
).columns(*map(column, ("id", "session_date", "price", "expires_at")))


@lru_cache(maxsize=4096)
def _weekly(document: str | None) -> WeeklyAvailability:
    """Weekly rows as ``json_agg`` text, parsed once per distinct text (the value is frozen)."""
    return WeeklyAvailability.from_rows(json.loads(document) if document else ())


class SqlExpertRepository:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    async def lock(self, expert_id: UUID) -> None:
        """Serialise booking decisions about one expert until the transaction ends."""
        await self._tx.conn.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(expert_id)}
        )

    async def lock_for_booking(self, expert_id: UUID, learner_id: UUID) -> Bookable | None:
        """Take the expert's advisory lock and read what booking them needs, in one statement.

        Returns:
            The expert (without specialties), their weekly rows and time off, and the
            learner's name and zone; None (and no lock taken) if there is no such expert.
        """
        row = (
            await self._tx.conn.execute(
                _LOCK_FOR_BOOKING,
                {"key": _lock_key(expert_id), "expert_id": expert_id, "learner_id": learner_id},
            )
        ).first()
        if row is None:
            return None
        return Bookable(
            expert=_expert(row, []),
            weekly=_weekly(row.weekly),
            time_off=list(zip(row.off_from or (), row.off_until or (), strict=True)),
            learner_name=row.learner_name,
            learner_timezone=row.learner_timezone or "UTC",
        )

    async def _experts(
        self,
        where: Any,
        *order: Any,
        limit: int | None = None,
        offset: int = 0,
        specialties: bool = True,
        among: Any = None,
    ) -> list[Expert]:
        query = select(ExpertRow)
        if among is not None:  # a CTE of expert ids to keep
            query = query.join(among, among.c.expert_id == ExpertRow.id)
        query = query.where(where).order_by(*order).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        rows = list(await self._tx.orm.scalars(query))
        if not rows:
            return []
        found: dict[UUID, list[Specialty]] = {}
        if specialties:
            for spec in await self._tx.orm.scalars(
                select(ExpertSpecialtyRow)
                .where(ExpertSpecialtyRow.expert_id.in_([row.id for row in rows]))
                .order_by(ExpertSpecialtyRow.created_at, ExpertSpecialtyRow.subject)
            ):
                assert spec.expert_id is not None
                found.setdefault(spec.expert_id, []).append(
                    Specialty(spec.subject, Proficiency(spec.proficiency_level))
                )
        return [_expert(row, found.get(row.id, [])) for row in rows]

    async def get(self, expert_id: UUID, *, specialties: bool = True) -> Expert | None:
        found = await self._experts(ExpertRow.id == expert_id, specialties=specialties)
        return found[0] if found else None

    async def by_user(self, user_id: UUID) -> Expert | None:
        found = await self._experts(ExpertRow.user_id == user_id)
        return found[0] if found else None

    async def add(self, user_id: UUID, draft: ExpertDraft, currency: str) -> UUID:
        row = ExpertRow(
            user_id=user_id,
            display_name=draft.display_name,
            bio=draft.bio,
            credentials=draft.credentials,
            hourly_rate_min=draft.rate_min,
            hourly_rate_max=draft.rate_max,
            timezone=draft.timezone,
            languages=list(draft.languages),
            currency=currency,
            verification_status=Verification.PENDING.value,
        )
        self._tx.orm.add(row)
        await self._tx.orm.flush()
        await self.replace_specialties(row.id, draft.specialties)
        return row.id

    async def update(self, expert_id: UUID, **values: Any) -> None:
        await self._tx.orm.execute(
            update(ExpertRow).where(ExpertRow.id == expert_id).values(**values)
        )

    async def replace_specialties(
        self, expert_id: UUID, specialties: tuple[Specialty, ...]
    ) -> None:
        await self._replace_rows(
            ExpertSpecialtyRow,
            expert_id,
            [{"subject": s.subject, "proficiency_level": s.proficiency} for s in specialties],
        )

    async def pending(self) -> list[Expert]:
        return await self._experts(
            ExpertRow.verification_status == Verification.PENDING.value, ExpertRow.created_at
        )

    async def set_verification(
        self, expert_id: UUID, status: Verification, at: datetime | None
    ) -> None:
        await self.update(expert_id, verification_status=status.value, approval_date=at)

    async def weekly_rows(self, expert_id: UUID) -> list[tuple[int, list[list[str]]]]:
        rows = await self._tx.orm.execute(
            select(ExpertAvailabilityRow.day_of_week, ExpertAvailabilityRow.time_slots)
            .where(ExpertAvailabilityRow.expert_id == expert_id)
            .order_by(ExpertAvailabilityRow.day_of_week)
        )
        return [(day, slots) for day, slots in rows]

    async def set_weekly_rows(
        self, expert_id: UUID, rows: list[tuple[int, list[list[str]]]], zone: str
    ) -> None:
        await self._replace_rows(
            ExpertAvailabilityRow,
            expert_id,
            [{"day_of_week": day, "time_slots": slots, "timezone": zone} for day, slots in rows],
        )

    async def _replace_rows(
        self,
        model: type[ExpertSpecialtyRow] | type[ExpertAvailabilityRow],
        expert_id: UUID,
        values: list[dict[str, Any]],
    ) -> None:
        """Replace all of an expert's rows in ``model`` by ``values``."""
        await self._tx.orm.execute(delete(model).where(model.expert_id == expert_id))
        if values:
            await self._tx.orm.execute(
                insert(model), [{"expert_id": expert_id, **v} for v in values]
            )

    async def time_off(self, expert_id: UUID) -> list[tuple[date, date]]:
        rows = await self._tx.orm.execute(
            select(ExpertTimeOffRow.starts_on, ExpertTimeOffRow.ends_on)
            .where(ExpertTimeOffRow.expert_id == expert_id)
            .order_by(ExpertTimeOffRow.starts_on)
        )
        return [(start, end) for start, end in rows]

    async def add_time_off(self, expert_id: UUID, start: date, end: date) -> None:
        self._tx.orm.add(ExpertTimeOffRow(expert_id=expert_id, starts_on=start, ends_on=end))
        await self._tx.orm.flush()

    async def clear_time_off(self, expert_id: UUID) -> None:
        await self._tx.orm.execute(
            delete(ExpertTimeOffRow).where(ExpertTimeOffRow.expert_id == expert_id)
        )

    async def busy(
        self,
        expert_id: UUID,
        start: datetime,
        end: datetime,
        now: datetime,
        *,
        scheduled_only: bool = False,
        exclude: UUID | None = None,
    ) -> list[tuple[datetime, datetime]]:
        """Intervals held by the expert's pending (not lapsed) and scheduled bookings.

        ``exclude`` leaves one booking out (the one being moved or confirmed).
        """
        ends = BookingRow.session_date + func.make_interval(0, 0, 0, 0, 0, BookingRow.duration)
        holds = (
            BookingRow.status == BookingStatus.SCHEDULED.value
            if scheduled_only
            else _holds_time(now)
        )
        rows = await self._tx.conn.execute(
            select(BookingRow.session_date, ends)
            .where(
                BookingRow.expert_id == expert_id,
                holds,
                BookingRow.session_date < end,
                ends > start,
                BookingRow.id != exclude if exclude is not None else true(),
            )
            .order_by(BookingRow.session_date)
        )
        return [(s, e) for s, e in rows]

    async def search(self, filters: SearchFilters, *, limit: int, offset: int) -> list[Expert]:
        """Verified experts teaching the subject, best rated first.

        A specialty matches when its subject equals the query in any case ("Node.js",
        "C++"), or when every word of the query begins a word of the subject ("data sci"
        finds "Data Science"). Both use an index: ``lower(subject)`` and the full-text one.
        """
        query = filters.subject.lower()
        condition = func.lower(ExpertSpecialtyRow.subject) == query
        words = re.findall(r"\w+", query)
        if words:
            prefixes = " & ".join(f"{word}:*" for word in words)
            condition = condition | func.to_tsvector(_SIMPLE, ExpertSpecialtyRow.subject).op("@@")(
                func.to_tsquery(_SIMPLE, prefixes)
            )
        matching = select(ExpertSpecialtyRow.expert_id).distinct().where(condition)
        if filters.proficiency is not None:
            levels = [p.value for p in Proficiency]
            wanted = levels[levels.index(filters.proficiency.value) :]
            matching = matching.where(ExpertSpecialtyRow.proficiency_level.in_(wanted))
        # Materialised first: with prepared statements' generic plans PostgreSQL can't see how
        # many experts speak a language, and might otherwise test the subject row by row.
        among = matching.cte("matching").prefix_with("MATERIALIZED")
        where = ExpertRow.verification_status == Verification.VERIFIED.value
        if filters.max_rate is not None:
            where = and_(where, ExpertRow.hourly_rate_min <= filters.max_rate)
        if filters.language is not None:
            where = and_(where, ExpertRow.languages.contains([filters.language]))
        return await self._experts(
            where,
            ExpertRow.average_rating.desc().nulls_last(),
            ExpertRow.total_sessions.desc().nulls_last(),
            ExpertRow.id,
            limit=limit,
            offset=offset,
            among=among,
        )

    async def reviews(self, expert_ids: list[UUID], each: int) -> dict[UUID, list[Review]]:
        """The latest ``each`` rated sessions of every expert (newest session first)."""
        ranked = (
            select(
                BookingRow.expert_id,
                SessionFeedbackRow.rating,
                SessionFeedbackRow.review,
                SessionFeedbackRow.created_at,
                func.row_number()
                .over(partition_by=BookingRow.expert_id, order_by=BookingRow.session_date.desc())
                .label("rank"),
            )
            .join(SessionFeedbackRow, SessionFeedbackRow.booking_id == BookingRow.id)
            .where(BookingRow.expert_id.in_(expert_ids), SessionFeedbackRow.rating.is_not(None))
            .subquery()
        )
        rows = await self._tx.conn.execute(
            select(ranked.c.expert_id, ranked.c.rating, ranked.c.review, ranked.c.created_at)
            .where(ranked.c.rank <= each)
            .order_by(ranked.c.expert_id, ranked.c.rank)
        )
        found: dict[UUID, list[Review]] = {expert_id: [] for expert_id in expert_ids}
        for expert_id, rating, review, created in rows:
            found[expert_id].append(Review(rating, review, created))
        return found

    async def calendars(
        self,
        expert_ids: list[UUID],
        start: datetime,
        end: datetime,
        now: datetime,
        *,
        exclude: UUID | None = None,
    ) -> dict[UUID, Calendar]:
        """Weekly hours, time off and held time between ``start`` and ``end`` of each expert,
        in three statements whatever the number of experts."""
        ids = {"ids": expert_ids}
        weekly: dict[UUID, list[tuple[int, list[list[str]]]]] = {i: [] for i in expert_ids}
        for expert_id, day, slots in await self._tx.conn.execute(_WEEKLY_OF, ids):
            weekly[expert_id].append((day, slots))
        off: dict[UUID, list[tuple[date, date]]] = {i: [] for i in expert_ids}
        for expert_id, first, last in await self._tx.conn.execute(_TIME_OFF_OF, ids):
            off[expert_id].append((first, last))
        held: dict[UUID, list[tuple[datetime, datetime]]] = {i: [] for i in expert_ids}
        window = {"now": now, "start": start, "end": end, "exclude": exclude}
        for expert_id, begins, finishes in await self._tx.conn.execute(
            _HELD_BY, {**ids, **window}
        ):
            assert expert_id is not None
            held[expert_id].append((begins, finishes))
        return {i: Calendar(sorted(weekly[i]), off[i], sorted(held[i])) for i in expert_ids}


# The text search configuration as a constant, not a bound parameter: only then does the
# planner match ``to_tsvector('simple', subject)`` to idx_expert_specialties_subject_words.
_SIMPLE: Any = literal_column("'simple'::regconfig")


def _escape_like(text_: str) -> str:
    return text_.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _expert(row: ExpertRow | Any, specialties: list[Specialty]) -> Expert:
    """An expert from its ORM row, or from a Core row with the same column names."""
    assert row.user_id is not None
    return Expert(
        id=row.id,
        user_id=row.user_id,
        display_name=row.display_name,
        bio=row.bio,
        credentials=row.credentials,
        rate_min=row.hourly_rate_min,
        rate_max=row.hourly_rate_max,
        currency=row.currency,
        timezone=row.timezone,
        languages=tuple(row.languages or ()),
        specialties=tuple(specialties),
        status=Verification(row.verification_status or "pending"),
        meeting_link=row.meeting_link,
        approval_date=row.approval_date,
        total_sessions=row.total_sessions or 0,
        average_rating=row.average_rating or Decimal("0"),
        rating_count=row.rating_count,
    )


_Learner = aliased(UserRow, name="learner")


# A booking with the names and zones both sides need, and whether it was rated; built once.
_BOOKINGS = (
    select(
        BookingRow,
        ExpertRow.user_id.label("expert_user_id"),
        ExpertRow.display_name,
        ExpertRow.timezone.label("expert_timezone"),
        _Learner.name.label("learner_name"),
        _Learner.timezone.label("learner_timezone"),
        SessionFeedbackRow.rating,
    )
    .join(ExpertRow, ExpertRow.id == BookingRow.expert_id)
    .join(_Learner, _Learner.id == BookingRow.user_id)
    .outerjoin(SessionFeedbackRow, SessionFeedbackRow.booking_id == BookingRow.id)
)


class SqlBookingRepository:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    async def add(
        self,
        *,
        learner_id: UUID,
        expert_id: UUID,
        starts_at: datetime,
        minutes: int,
        price: Decimal,
        currency: str,
        expires_at: datetime,
    ) -> UUID:
        row = BookingRow(
            user_id=learner_id,
            expert_id=expert_id,
            session_date=starts_at,
            duration=minutes,
            status=BookingStatus.PENDING.value,
            payment_status=PaymentStatus.PENDING.value,
            price=price,
            currency=currency,
            expires_at=expires_at,
        )
        self._tx.orm.add(row)
        await self._tx.orm.flush()
        return row.id

    async def add_if_free(
        self,
        *,
        learner_id: UUID,
        expert_user_id: UUID,
        expert_id: UUID,
        starts_at: datetime,
        minutes: int,
        price: Decimal,
        currency: str,
        expires_at: datetime,
        now: datetime,
        buffer: timedelta,
    ) -> tuple[UUID, datetime, Decimal, datetime] | None:
        """Add a pending booking and notify the expert, unless held time overlaps the slot.

        Held time is that of scheduled bookings and pending ones not lapsed at ``now``, each
        widened by ``buffer``. One statement; call it under the expert's advisory lock.

        Returns:
            The new booking's id, start, price and expiry as stored; None if the time is held.
        """
        row = (
            await self._tx.conn.execute(
                _ADD_IF_FREE,
                {
                    "learner_id": learner_id,
                    "expert_id": expert_id,
                    "notify": expert_user_id,
                    "starts_at": starts_at,
                    "minutes": minutes,
                    "price": price,
                    "currency": currency,
                    "expires_at": expires_at,
                    "now": now,
                    "busy_from": starts_at - buffer,
                    "busy_until": starts_at + timedelta(minutes=minutes) + buffer,
                },
            )
        ).first()
        return None if row is None else (row.id, row.session_date, row.price, row.expires_at)

    async def get(self, booking_id: UUID, *, lock: bool = False) -> Booking | None:
        query = _BOOKINGS.where(BookingRow.id == booking_id)
        if lock:
            query = query.with_for_update(of=BookingRow)
        row = (await self._tx.orm.execute(query)).first()
        return None if row is None else _booking(row)

    async def find(self, user_id: UUID, ref: str) -> list[Booking]:
        """Bookings of ``user_id`` (as learner or expert) whose id starts with ``ref``."""
        rows = await self._tx.orm.execute(
            _BOOKINGS.where(
                func.replace(cast(BookingRow.id, String), "-", "").like(
                    _escape_like(ref.lower()) + "%", escape="\\"
                ),
                or_(BookingRow.user_id == user_id, ExpertRow.user_id == user_id),
            )
        )
        return [_booking(row) for row in rows]

    async def for_user(self, user_id: UUID) -> list[Booking]:
        rows = await self._tx.orm.execute(
            _BOOKINGS.where(or_(BookingRow.user_id == user_id, ExpertRow.user_id == user_id))
            .order_by(BookingRow.session_date.desc())
            .limit(50)
        )
        return [_booking(row) for row in rows]

    async def update(self, booking_id: UUID, **values: Any) -> None:
        await self._tx.orm.execute(
            update(BookingRow).where(BookingRow.id == booking_id).values(**values)
        )

    async def save_feedback(
        self,
        booking_id: UUID,
        *,
        rating: int | None = None,
        review: str | None = None,
        expert_notes: str | None = None,
    ) -> None:
        values = {
            k: v
            for k, v in {"rating": rating, "review": review, "expert_notes": expert_notes}.items()
            if v is not None
        }
        await self._tx.orm.execute(
            insert(SessionFeedbackRow)
            .values(booking_id=booking_id, **values)
            .on_conflict_do_update(index_elements=[SessionFeedbackRow.booking_id], set_=values)
        )

    async def refresh_expert_stats(self, expert_id: UUID) -> None:
        """Recompute the expert's average rating, rating count and completed sessions."""
        rating = (
            select(func.coalesce(func.round(func.avg(SessionFeedbackRow.rating), 2), 0))
            .join(BookingRow, BookingRow.id == SessionFeedbackRow.booking_id)
            .where(BookingRow.expert_id == expert_id, SessionFeedbackRow.rating.is_not(None))
            .scalar_subquery()
        )
        sessions = (
            select(func.count())
            .where(
                BookingRow.expert_id == expert_id,
                BookingRow.status == BookingStatus.COMPLETED.value,
            )
            .scalar_subquery()
        )
        ratings = (
            select(func.count(SessionFeedbackRow.rating))
            .join(BookingRow, BookingRow.id == SessionFeedbackRow.booking_id)
            .where(BookingRow.expert_id == expert_id)
            .scalar_subquery()
        )
        await self._tx.orm.execute(
            update(ExpertRow)
            .where(ExpertRow.id == expert_id)
            .values(average_rating=rating, total_sessions=sessions, rating_count=ratings)
        )

    async def add_commission(
        self,
        booking_id: UUID,
        *,
        commission: Decimal,
        earnings: Decimal,
        rate: Decimal,
        currency: str,
    ) -> bool:
        """Record the ledger row once; False if the booking already has one."""
        result = await self._tx.orm.execute(
            insert(CommissionRow)
            .values(
                booking_id=booking_id,
                platform_commission=commission,
                expert_earnings=earnings,
                rate=rate,
                currency=currency,
            )
            .on_conflict_do_nothing(index_elements=[CommissionRow.booking_id])
            .returning(CommissionRow.id)
        )
        return result.first() is not None

    async def earnings(self, expert_id: UUID, zone: str) -> list[Earning]:
        month = func.to_char(func.timezone(zone, BookingRow.session_date), "YYYY-MM")
        paid = CommissionRow.status == "paid"
        rows = await self._tx.orm.execute(
            select(
                month,
                CommissionRow.currency,
                func.count(),
                func.sum(BookingRow.price),
                func.sum(CommissionRow.platform_commission),
                func.sum(CommissionRow.expert_earnings),
                func.coalesce(func.sum(CommissionRow.expert_earnings).filter(paid), 0),
                func.coalesce(func.sum(CommissionRow.expert_earnings).filter(~paid), 0),
            )
            .join(BookingRow, BookingRow.id == CommissionRow.booking_id)
            .where(BookingRow.expert_id == expert_id)
            .group_by(month, CommissionRow.currency)
            .order_by(month.desc())
        )
        return [Earning(*row) for row in rows]

    async def ended_unmarked(self, now: datetime, *, since: datetime) -> list[Booking]:
        """Scheduled sessions that started after ``since`` and have ended by ``now``."""
        ends = BookingRow.session_date + func.make_interval(0, 0, 0, 0, 0, BookingRow.duration)
        rows = await self._tx.orm.execute(
            _BOOKINGS.where(
                BookingRow.status == BookingStatus.SCHEDULED.value,
                BookingRow.session_date >= since,
                ends <= now,
            )
        )
        return [_booking(row) for row in rows]

    async def lapsed_pending(self, now: datetime) -> list[Booking]:
        rows = await self._tx.orm.execute(
            _BOOKINGS.where(
                BookingRow.status == BookingStatus.PENDING.value, BookingRow.expires_at <= now
            ).with_for_update(of=BookingRow, skip_locked=True)
        )
        return [_booking(row) for row in rows]

    async def pay_out(self, now: datetime) -> tuple[int, Decimal]:
        result = await self._tx.orm.execute(
            update(CommissionRow)
            .where(CommissionRow.status == "pending")
            .values(status="paid", payment_date=now)
            .returning(CommissionRow.expert_earnings)
        )
        amounts = [amount for (amount,) in result]
        return len(amounts), sum(amounts, Decimal("0"))


def _booking(row: Any) -> Booking:
    b: BookingRow = row[0]
    assert b.user_id is not None and b.expert_id is not None
    return Booking(
        id=b.id,
        learner_id=b.user_id,
        expert_id=b.expert_id,
        expert_user_id=row.expert_user_id,
        expert_name=row.display_name,
        learner_name=row.learner_name,
        starts_at=b.session_date,
        minutes=b.duration,
        status=BookingStatus(b.status or "scheduled"),
        payment_status=PaymentStatus(b.payment_status or "pending"),
        price=b.price,
        currency=b.currency,
        meeting_link=b.meeting_link,
        cancel_reason=b.cancel_reason,
        expires_at=b.expires_at,
        has_feedback=row.rating is not None,
        expert_timezone=row.expert_timezone,
        learner_timezone=row.learner_timezone or "UTC",
    )


def _claimable(now: datetime) -> Any:
    """Pending, due, and not leased to a worker (or its lease ran out)."""
    return and_(
        NotificationRow.status == "pending",
        NotificationRow.due_at <= now,
        or_(NotificationRow.claimed_until.is_(None), NotificationRow.claimed_until <= now),
    )


class SqlNotificationRepository:
    """The outbox: notifications written with the change they announce, delivered later."""

    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    async def add(self, user_id: UUID, kind: str, data: dict[str, Any], due_at: datetime) -> None:
        """Queue a notification, due at ``due_at`` (the domain clock's time, never NOW())."""
        await self._tx.orm.execute(
            insert(NotificationRow).values(user_id=user_id, kind=kind, data=data, due_at=due_at)
        )

    async def plan(self, planned: Sequence[Planned]) -> int:
        """Write planned notifications; an occurrence already written (same key) is skipped."""
        if not planned:
            return 0
        result = await self._tx.conn.execute(
            insert(NotificationRow)
            .values(
                [
                    {
                        "user_id": p.user_id,
                        "kind": p.kind,
                        "data": p.data,
                        "due_at": p.due_at,
                        "expires_at": p.expires_at,
                        "dedupe_key": p.dedupe_key,
                    }
                    for p in planned
                ]
            )
            .on_conflict_do_nothing(index_elements=[NotificationRow.dedupe_key])
            .returning(NotificationRow.id)
        )
        return len(result.all())

    async def withdraw(
        self, user_ids: Sequence[UUID], kinds: Sequence[str], *, booking_id: UUID | None = None
    ) -> int:
        """Delete the users' pending notifications of ``kinds`` (of one booking, if given)."""
        query = delete(NotificationRow).where(
            NotificationRow.user_id.in_(user_ids),
            NotificationRow.kind.in_(kinds),
            NotificationRow.status == "pending",
        )
        if booking_id is not None:
            query = query.where(NotificationRow.data["booking_id"].astext == str(booking_id))
        result = await self._tx.conn.execute(query)
        return result.rowcount or 0

    async def take_due(self, user_id: UUID, now: datetime) -> list[tuple[str, dict[str, Any]]]:
        """Mark the user's due notifications sent and return them (oldest first)."""
        due = (
            select(NotificationRow.id)
            .where(
                NotificationRow.user_id == user_id,
                _claimable(now),
            )
            .order_by(NotificationRow.due_at, NotificationRow.created_at)
            .with_for_update(skip_locked=True)
        )
        rows = await self._tx.orm.execute(
            update(NotificationRow)
            .where(NotificationRow.id.in_(due))
            .values(sent_at=now, status="sent", claimed_until=None)
            .returning(NotificationRow.kind, NotificationRow.data, NotificationRow.due_at)
        )
        return [(kind, data) for kind, data, _ in sorted(rows, key=lambda r: r[2])]

    async def claim(self, now: datetime, lease: timedelta, limit: int) -> list[Due]:
        """Lease up to ``limit`` due notifications to this worker, oldest first.

        ``FOR UPDATE SKIP LOCKED`` lets workers claim side by side without waiting for or
        taking each other's rows; the lease (``claimed_until``) hands a crashed worker's rows
        to another once it runs out.
        """
        due = (
            select(NotificationRow.id)
            .where(_claimable(now))
            .order_by(NotificationRow.due_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        rows = await self._tx.conn.execute(
            update(NotificationRow)
            # = ANY(ARRAY(...)): primary-key lookups of what was picked, never a join that
            # reads the whole table (IN (subquery) may plan as one when many are due).
            .where(NotificationRow.id == any_(func.array(due)))
            .values(claimed_until=now + lease, attempts=NotificationRow.attempts + 1)
            .returning(
                NotificationRow.id,
                NotificationRow.user_id,
                NotificationRow.kind,
                NotificationRow.data,
                NotificationRow.due_at,
                NotificationRow.expires_at,
                NotificationRow.attempts,
            )
        )
        return sorted((Due(*row) for row in rows), key=lambda due: due.due_at)

    async def settle(
        self,
        notification_id: UUID,
        status: str,
        at: datetime,
        *,
        retry_at: datetime | None = None,
        error: str | None = None,
    ) -> None:
        """Record a claimed notification's outcome (``pending`` with ``retry_at``: try again)."""
        values: dict[str, Any] = {"status": status, "claimed_until": None, "last_error": error}
        if status == "sent":
            values["sent_at"] = at
        if retry_at is not None:
            values["due_at"] = retry_at
        await self._tx.conn.execute(
            update(NotificationRow).where(NotificationRow.id == notification_id).values(**values)
        )
