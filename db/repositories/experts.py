"""The experts repository: profiles, specialties, weekly hours, time off and search."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any
from uuid import UUID

from sqlalchemy import (
    and_,
    delete,
    func,
    literal_column,
    select,
    text,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.sql.elements import ColumnElement

from db.models import (
    BookingRow,
    ExpertAvailabilityRow,
    ExpertRow,
    ExpertSpecialtyRow,
    ExpertTimeOffRow,
    SessionFeedbackRow,
)
from db.repositories.calendar import (
    _HELD_BY,
    _TIME_OFF_OF,
    _WEEKLY_OF,
    LOCK_FOR_BOOKING,
    _lock_key,
    holds_time,
)
from db.repositories.expert_changes import ProfileChanges
from db.tx import Tx
from domain.marketplace.model import (
    EARLIER_LESSON,
    SEARCH_MINUTES,
    Bookable,
    Calendar,
    Expert,
    ExpertDraft,
    Proficiency,
    Review,
    SearchFilters,
    Specialty,
    Verification,
    price_terms,
)


class SqlExpertRepository(ProfileChanges):
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
        driver = await self._tx.driver()  # the booking path's statements skip SQLAlchemy's cost
        values = {"key": _lock_key(expert_id), "expert_id": expert_id, "learner_id": learner_id}
        values["earlier"] = sorted(status.value for status in EARLIER_LESSON)
        record = await driver.fetchrow(LOCK_FOR_BOOKING.sql, *LOCK_FOR_BOOKING.args(values))
        if record is None:
            return None
        row = SimpleNamespace(**record)
        return Bookable(
            expert=_expert(row, []),
            weekly_rows=[tuple(r) for r in json.loads(row.weekly)] if row.weekly else [],
            time_off=list(zip(row.off_from or (), row.off_until or (), strict=True)),
            learner_name=row.learner_name,
            learner_timezone=row.learner_timezone or "UTC",
            booked_before=bool(row.booked_before),
        )

    async def _experts(
        self,
        where: Any,
        *order: Any,
        limit: int | None = None,
        offset: int = 0,
        specialties: bool = True,
        among: Any = None,
        changes: bool = False,
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
        waiting = await self.changes_of([row.id for row in rows]) if changes else {}
        return [
            replace(_expert(row, found.get(row.id, [])), changes=tuple(waiting.get(row.id, ())))
            if changes
            else _expert(row, found.get(row.id, []))
            for row in rows
        ]

    async def get(
        self, expert_id: UUID, *, specialties: bool = True, changes: bool = False
    ) -> Expert | None:
        found = await self._experts(
            ExpertRow.id == expert_id, specialties=specialties, changes=changes
        )
        return found[0] if found else None

    async def by_user(self, user_id: UUID) -> Expert | None:
        found = await self._experts(ExpertRow.user_id == user_id, changes=True)
        return found[0] if found else None

    async def listing(self, statuses: tuple[Verification, ...]) -> list[Expert]:
        """Experts in any of ``statuses``, with their changes waiting for review, newest
        first."""
        return await self._experts(
            ExpertRow.verification_status.in_([s.value for s in statuses]),
            ExpertRow.created_at.desc(),
            ExpertRow.id,
            changes=True,
        )

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

    async def set_verification(
        self,
        expert_id: UUID,
        status: Verification,
        at: datetime | None,
        *,
        reason: str | None = None,
    ) -> None:
        """Set the status. ``at``: the new approval date (None keeps it, except that a pending
        or rejected profile has none); ``reason``: the rejection's (cleared otherwise)."""
        values: dict[str, Any] = {"verification_status": status.value, "rejection_reason": reason}
        if at is not None or status in (Verification.PENDING, Verification.REJECTED):
            values["approval_date"] = at
        await self.update(expert_id, **values)

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

    async def remove_time_off(self, expert_id: UUID, start: date, end: date) -> int:
        """Delete the expert's time off of exactly ``start..end``; how many rows went."""
        result = await self._tx.orm.execute(
            delete(ExpertTimeOffRow).where(
                ExpertTimeOffRow.expert_id == expert_id,
                ExpertTimeOffRow.starts_on == start,
                ExpertTimeOffRow.ends_on == end,
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def busy(
        self,
        expert_id: UUID,
        start: datetime,
        end: datetime,
        now: datetime,
        *,
        firm_only: bool = False,
        exclude: UUID | None = None,
    ) -> list[tuple[datetime, datetime]]:
        """Intervals held by the expert's bookings (``holds_time``; with ``firm_only``, only by
        those that never lapse). ``exclude`` leaves one booking out (the one being moved).
        """
        ends = BookingRow.session_date + func.make_interval(0, 0, 0, 0, 0, BookingRow.duration)
        rows = await self._tx.conn.execute(
            select(BookingRow.session_date, ends)
            .where(
                BookingRow.expert_id == expert_id,
                holds_time(BookingRow, now, firm_only=firm_only),
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
        finds "Data Science"), or when it equals one of ``filters.known_as`` (the catalogue's
        names of that subject: "ML" finds "Machine learning"). Both use an index:
        ``lower(subject)`` and the full-text one.
        """
        query = filters.subject.lower()
        names = sorted({query, *(name.lower() for name in filters.known_as)})
        condition: ColumnElement[bool] = func.lower(ExpertSpecialtyRow.subject).in_(names)
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
        if filters.max_rate is not None:  # the price of a SEARCH_MINUTES session, as price_for
            low, high = price_terms(SEARCH_MINUTES)
            rates = low * ExpertRow.hourly_rate_min + high * ExpertRow.hourly_rate_max
            price = func.round(rates, 2)
            where = and_(where, price <= filters.max_rate)
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
        rejection_reason=getattr(row, "rejection_reason", None),
        cancel_notice=_hours(row.cancel_notice_hours),
        trial_price=row.trial_price,
        reschedule_limit=row.reschedule_limit,
    )


def _hours(hours: int | None) -> timedelta | None:
    return None if hours is None else timedelta(hours=hours)
