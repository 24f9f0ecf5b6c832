"""A person's own data: read all of it from one snapshot (/export), or delete it (/delete_me).

Other people appear by their display name only: an expert by the profile's display name, a
learner by their name, never by an id, an identity or a note of theirs. Feedback's
``user_notes`` are the learner's own, so an expert's export leaves them out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import text

from db.tx import Tx
from domain.accounts.model import Holdings, OpenBooking, StudySession
from domain.marketplace.model import DELETED_NAME

# Sessions and notes of curricula archived long ago live in archive tables (0012): an export,
# and what /delete_me counts, read both.
SESSION_COLUMNS = """id, curriculum_id, session_number, title, objectives, materials,
    resources, completed_at, notes, created_at, minutes_spent, completed_local_date"""
ALL_SESSIONS = f"""(SELECT {SESSION_COLUMNS} FROM sessions
    UNION ALL SELECT {SESSION_COLUMNS} FROM archived_sessions)"""  # noqa: S608
NOTE_COLUMNS = "id, user_id, session_id, content, created_at, updated_at"
ALL_NOTES = f"""(SELECT {NOTE_COLUMNS} FROM user_notes
    UNION ALL SELECT {NOTE_COLUMNS} FROM archived_user_notes)"""  # noqa: S608
_PROFILE = text(
    """SELECT id, name, email, timezone, created_at, updated_at, current_curriculum_id
         FROM users WHERE id = :u"""
)
_PREFERENCES = text("SELECT notification_preferences FROM users WHERE id = :u")
_HABITS = text(  # 0017
    "SELECT goal_minutes, goal_sessions, week_starts, updated_at FROM study_habits"
    " WHERE user_id = :u"
)
_VACATIONS = text(
    "SELECT starts_on, ends_on, ended_early_at, created_at FROM vacations WHERE user_id = :u"
    " ORDER BY starts_on"
)
_IDENTITIES = text(
    """SELECT platform, external_id, chat_id, display_name, created_at, updated_at, blocked_at
         FROM platform_identities WHERE user_id = :u ORDER BY created_at, platform"""
)
_CURRICULA = text(
    """SELECT id, title, subject, total_sessions, session_duration, skill_level, goals,
              background, status, created_at, updated_at, schedule_days, schedule_at,
              schedule_from, schedule_baseline
         FROM curricula WHERE user_id = :u ORDER BY created_at, id"""
)
_SESSIONS = text(
    f"""SELECT s.curriculum_id, s.id, s.session_number, s.title, s.objectives, s.materials,
              s.resources, s.completed_at, s.completed_local_date, s.minutes_spent, s.notes,
              s.created_at, c.title AS curriculum
         FROM {ALL_SESSIONS} s JOIN curricula c ON c.id = s.curriculum_id
        WHERE c.user_id = :u ORDER BY c.created_at, c.id, s.session_number"""  # noqa: S608
)
# One row per session for the CSV, with the person's notes on it (oldest first).
_STUDY = text(
    f"""SELECT s.curriculum_id, c.title AS curriculum, s.session_number, s.title,
              s.completed_at, s.completed_local_date, s.minutes_spent,
              (SELECT string_agg(n.content, E'\n' ORDER BY n.created_at, n.id)
                 FROM {ALL_NOTES} n WHERE n.session_id = s.id AND n.user_id = :u) AS notes
         FROM {ALL_SESSIONS} s JOIN curricula c ON c.id = s.curriculum_id
        WHERE c.user_id = :u ORDER BY c.created_at, c.id, s.session_number"""  # noqa: S608
)
_PROGRESS = text(
    """SELECT curriculum_id, sessions_completed, total_time_spent, current_streak,
              last_session_date, last_session_local_date, created_at, updated_at
         FROM user_progress WHERE user_id = :u"""
)
_NOTES = text(
    f"""SELECT n.id, s.curriculum_id, s.session_number, n.content, n.created_at, n.updated_at
         FROM {ALL_NOTES} n LEFT JOIN {ALL_SESSIONS} s ON s.id = n.session_id
        WHERE n.user_id = :u ORDER BY n.created_at, n.id"""  # noqa: S608
)
# 0016: the learner's review cards with their FSRS state, and every rating they gave.
_CARDS = text(
    """SELECT id, curriculum_id, source, front, back, state, step, stability, difficulty, due,
              last_review, reps, created_at
         FROM review_cards WHERE user_id = :u ORDER BY created_at, id"""
)
_REVIEWS = text(
    """SELECT card_id, rating, reviewed_at FROM review_logs
        WHERE user_id = :u ORDER BY reviewed_at, id"""
)
_AS_LEARNER = text(
    """SELECT b.id, b.session_date, b.duration, b.status, b.payment_status, b.price,
              b.currency, b.meeting_link, b.cancel_reason,
              b.cancelled_by = :u AS cancelled_by_you, b.created_at, b.confirmed_at,
              b.trial, b.cancel_notice_hours, b.reschedule_limit, b.reschedules,
              b.series_id, b.series_index AS series_week, e.display_name AS expert,
              b.shared_curriculum_id AS shared_plan
         FROM bookings b LEFT JOIN experts e ON e.id = b.expert_id
        WHERE b.user_id = :u ORDER BY b.session_date, b.id"""
)
# Homework on the person's bookings: sent to them as learner, or sent by them as expert.
_HOMEWORK = text(
    """SELECT h.booking_id, CASE WHEN b.user_id = :u THEN 'learner' ELSE 'expert' END AS "as",
              h.title, h.description, h.proposed_position, h.created_at, h.answered_at,
              h.accepted
         FROM homework h JOIN bookings b ON b.id = h.booking_id
         LEFT JOIN experts e ON e.id = b.expert_id
        WHERE b.user_id = :u OR e.user_id = :u ORDER BY h.created_at, h.booking_id"""
)
_AS_EXPERT = text(
    """SELECT b.id, b.session_date, b.duration, b.status, b.payment_status, b.price,
              b.currency, b.meeting_link, b.cancel_reason,
              b.cancelled_by = :u AS cancelled_by_you, b.created_at, b.confirmed_at,
              b.trial, b.cancel_notice_hours, b.reschedule_limit, b.reschedules,
              b.series_id, b.series_index AS series_week, l.name AS learner
         FROM bookings b JOIN experts e ON e.id = b.expert_id
         LEFT JOIN users l ON l.id = b.user_id
        WHERE e.user_id = :u ORDER BY b.session_date, b.id"""
)
# Feedback the person gave: as learner their stars, review and own notes; as expert their notes.
_FEEDBACK_GIVEN = text(
    """SELECT f.booking_id, 'learner' AS "as", f.rating, f.review, f.user_notes AS notes,
              f.created_at
         FROM session_feedback f JOIN bookings b ON b.id = f.booking_id
        WHERE b.user_id = :u
       UNION ALL
       SELECT f.booking_id, 'expert', NULL, NULL, f.expert_notes, f.created_at
         FROM session_feedback f JOIN bookings b ON b.id = f.booking_id
         JOIN experts e ON e.id = b.expert_id
        WHERE e.user_id = :u AND f.expert_notes IS NOT NULL
        ORDER BY created_at, booking_id"""
)
# Feedback the person received: as expert the stars and review; as learner the expert's notes.
_FEEDBACK_RECEIVED = text(
    """SELECT f.booking_id, 'expert' AS "as", f.rating, f.review, NULL AS notes, f.created_at
         FROM session_feedback f JOIN bookings b ON b.id = f.booking_id
         JOIN experts e ON e.id = b.expert_id
        WHERE e.user_id = :u AND (f.rating IS NOT NULL OR f.review IS NOT NULL)
       UNION ALL
       SELECT f.booking_id, 'learner', NULL, NULL, f.expert_notes, f.created_at
         FROM session_feedback f JOIN bookings b ON b.id = f.booking_id
        WHERE b.user_id = :u AND f.expert_notes IS NOT NULL
        ORDER BY created_at, booking_id"""
)
_COMMISSIONS = text(
    """SELECT c.booking_id, c.expert_earnings, c.platform_commission, c.rate, c.currency,
              c.status, c.payment_date, c.created_at, c.learner_refund, c.payable_at,
              c.decision
         FROM commissions c JOIN bookings b ON b.id = c.booking_id
         JOIN experts e ON e.id = b.expert_id
        WHERE e.user_id = :u ORDER BY c.created_at, c.booking_id"""
)
# Problems reported with the user's bookings (either side): their own words only.
_DISPUTES = text(
    """SELECT d.booking_id, d.opened_by, d.kind,
              CASE WHEN (d.opened_by = 'learner') = (b.user_id IS NOT DISTINCT FROM :u)
                   THEN d.details ELSE d.answer END AS your_words,
              d.opened_at, d.answered_at, d.decision, d.decided_at
         FROM booking_disputes d JOIN bookings b ON b.id = d.booking_id
         LEFT JOIN experts e ON e.id = b.expert_id
        WHERE b.user_id = :u OR e.user_id = :u ORDER BY d.opened_at, d.booking_id"""
)
_EXPERT = text(
    """SELECT id, display_name, bio, credentials, hourly_rate_min, hourly_rate_max, currency,
              timezone, languages, verification_status, approval_date, total_sessions,
              average_rating, rating_count, meeting_link, created_at, updated_at,
              cancel_notice_hours, trial_price, reschedule_limit
         FROM experts WHERE user_id = :u"""
)
_SPECIALTIES = text(
    """SELECT subject, proficiency_level FROM expert_specialties
        WHERE expert_id = :e ORDER BY subject"""
)
_AVAILABILITY = text(
    """SELECT day_of_week, time_slots, timezone FROM expert_availability
        WHERE expert_id = :e ORDER BY day_of_week"""
)
_TIME_OFF = text(
    """SELECT starts_on, ends_on FROM expert_time_off WHERE expert_id = :e
        ORDER BY starts_on"""
)
_FOCUS_TIMERS = text(
    """SELECT id, curriculum_id, session_id, minutes, started_at, ends_at, stopped_at, logged_at
         FROM focus_timers WHERE user_id = :u ORDER BY started_at, id"""
)
_WAITLIST = text(
    """SELECT w.id, w.expert_id, e.display_name AS expert, w.starts_on, w.ends_on, w.minutes,
              w.created_at, w.expires_at
         FROM waitlist_entries w LEFT JOIN experts e ON e.id = w.expert_id
        WHERE w.user_id = :u ORDER BY w.starts_on, w.id"""
)
_COUNTS = text(
    f"""SELECT (SELECT count(*) FROM curricula WHERE user_id = :u) AS curricula,
              (SELECT count(*) FROM {ALL_SESSIONS} s JOIN curricula c ON c.id = s.curriculum_id
                WHERE c.user_id = :u AND s.completed_at IS NOT NULL) AS sessions_done,
              (SELECT count(*) FROM {ALL_NOTES} n WHERE n.user_id = :u) AS notes,
              (SELECT count(*) FROM platform_identities WHERE user_id = :u) AS identities,
              (SELECT count(*) FROM bookings b LEFT JOIN experts e ON e.id = b.expert_id
                WHERE (b.user_id = :u OR e.user_id = :u)
                  AND NOT b.status = ANY(:open)) AS bookings,
              EXISTS (SELECT 1 FROM experts WHERE user_id = :u) AS is_expert"""  # noqa: S608
)
_OPEN = text(
    """SELECT b.id, b.session_date, e.user_id = :u AS as_expert,
              CASE WHEN e.user_id = :u THEN b.user_id ELSE e.user_id END AS other_user_id,
              CASE WHEN e.user_id = :u THEN l.name ELSE e.display_name END AS other_name
         FROM bookings b LEFT JOIN experts e ON e.id = b.expert_id
         LEFT JOIN users l ON l.id = b.user_id
        WHERE (b.user_id = :u OR e.user_id = :u) AND b.status = ANY(:open)
        ORDER BY b.session_date, b.id"""
)
_FORGET_AS_LEARNER = text(
    """UPDATE session_feedback f SET review = NULL, user_notes = NULL
         FROM bookings b WHERE b.id = f.booking_id AND b.user_id = :u"""
)
_FORGET_AS_EXPERT = text(
    """UPDATE session_feedback f SET expert_notes = NULL
         FROM bookings b JOIN experts e ON e.id = b.expert_id
        WHERE b.id = f.booking_id AND e.user_id = :u"""
)
_KEPT = text(
    """SELECT count(*) FROM bookings b LEFT JOIN experts e ON e.id = b.expert_id
        WHERE b.user_id = :u OR e.user_id = :u"""
)
# Everything else of the user goes with this row: ON DELETE CASCADE from users (identities,
# curricula with their sessions, progress, notes, focus timers, flows, link codes,
# notifications, the expert profile with its specialties, hours and time off); bookings keep,
# SET NULL (0007).
_DELETE = text("DELETE FROM users WHERE id = :u")


class SqlDataRightsRepository:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    async def _rows(self, statement: Any, **params: object) -> list[dict[str, Any]]:
        result = await self._tx.conn.execute(statement, params)
        return [dict(row) for row in result.mappings()]

    async def take_snapshot(self) -> None:
        await self._tx.conn.execute(
            text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        )

    async def lock_user(self, user_id: UUID) -> bool:
        found = await self._tx.conn.scalar(
            text("SELECT id FROM users WHERE id = :u FOR UPDATE"), {"u": user_id}
        )
        return found is not None

    async def document(self, user_id: UUID) -> dict[str, Any]:
        u = user_id
        profile = await self._rows(_PROFILE, u=u)
        sessions = await self._rows(_SESSIONS, u=u)
        progress = {row.pop("curriculum_id"): row for row in await self._rows(_PROGRESS, u=u)}
        curricula = await self._rows(_CURRICULA, u=u)
        for curriculum in curricula:
            curriculum["progress"] = progress.get(curriculum["id"])
            curriculum["sessions"] = [
                {k: v for k, v in s.items() if k not in ("curriculum_id", "curriculum")}
                for s in sessions
                if s["curriculum_id"] == curriculum["id"]
            ]
        as_learner = await self._rows(_AS_LEARNER, u=u)
        for booking in as_learner:
            booking["expert"] = booking["expert"] or DELETED_NAME
        as_expert = await self._rows(_AS_EXPERT, u=u)
        for booking in as_expert:
            booking["learner"] = booking["learner"] or DELETED_NAME
        experts = await self._rows(_EXPERT, u=u)
        expert = experts[0] if experts else None
        if expert is not None:
            e = expert["id"]
            expert["specialties"] = await self._rows(_SPECIALTIES, e=e)
            expert["availability"] = await self._rows(_AVAILABILITY, e=e)
            expert["time_off"] = await self._rows(_TIME_OFF, e=e)
        preferences = await self._tx.conn.scalar(_PREFERENCES, {"u": u})
        return {
            "profile": profile[0] if profile else None,
            "platform_identities": await self._rows(_IDENTITIES, u=u),
            "notification_preferences": preferences or {},
            "curricula": curricula,
            "notes": await self._rows(_NOTES, u=u),
            "focus_timers": await self._rows(_FOCUS_TIMERS, u=u),
            "waitlist": await self._rows(_WAITLIST, u=u),
            "review_cards": await self._rows(_CARDS, u=u),
            "reviews": await self._rows(_REVIEWS, u=u),
            "bookings_as_learner": as_learner,
            "bookings_as_expert": as_expert,
            "homework": await self._rows(_HOMEWORK, u=u),
            "feedback_given": await self._rows(_FEEDBACK_GIVEN, u=u),
            "feedback_received": await self._rows(_FEEDBACK_RECEIVED, u=u),
            "commissions": await self._rows(_COMMISSIONS, u=u),
            "disputes": await self._rows(_DISPUTES, u=u),
            "expert_profile": expert,
            "study_habits": next(iter(await self._rows(_HABITS, u=u)), None),
            "vacations": await self._rows(_VACATIONS, u=u),
        }

    async def study_sessions(self, user_id: UUID) -> list[StudySession]:
        return [
            StudySession(
                curriculum_id=row["curriculum_id"],
                curriculum=row["curriculum"],
                number=row["session_number"],
                title=row["title"],
                completed_at=row["completed_at"],
                completed_local_date=row["completed_local_date"],
                minutes_spent=row["minutes_spent"],
                notes=row["notes"],
            )
            for row in await self._rows(_STUDY, u=user_id)
        ]

    async def holdings(self, user_id: UUID, open_statuses: Sequence[str]) -> Holdings:
        params = {"u": user_id, "open": list(open_statuses)}
        counts = (await self._tx.conn.execute(_COUNTS, params)).mappings().one()
        open_bookings = tuple(
            OpenBooking(
                id=row["id"],
                starts_at=row["session_date"],
                as_expert=bool(row["as_expert"]),
                other_user_id=row["other_user_id"],
                other_name=row["other_name"] or DELETED_NAME,
            )
            for row in await self._rows(_OPEN, **params)
        )
        return Holdings(
            curricula=counts["curricula"],
            sessions_done=counts["sessions_done"],
            notes=counts["notes"],
            identities=counts["identities"],
            bookings=counts["bookings"],
            is_expert=counts["is_expert"],
            open_bookings=open_bookings,
        )

    async def forget_texts_on_kept_bookings(self, user_id: UUID) -> None:
        await self._tx.conn.execute(_FORGET_AS_LEARNER, {"u": user_id})
        await self._tx.conn.execute(_FORGET_AS_EXPERT, {"u": user_id})

    async def delete_user(self, user_id: UUID) -> int:
        kept = await self._tx.conn.scalar(_KEPT, {"u": user_id})
        await self._tx.conn.execute(_DELETE, {"u": user_id})
        return int(kept or 0)
