"""The migrated schema is the seed schema plus exactly the documented additions.

The reference is ``seed_schema.sql`` (the seed's own DDL) loaded into a scratch database; the
two databases are compared through ``pg_catalog``, so types, lengths, defaults, nullability,
index and constraint definitions are compared as PostgreSQL itself sees them.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import delete, func, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool

from db.migrate import alembic_config, current, downgrade, upgrade
from db.models import (
    Base,
    ConversationStateRow,
    CurriculumRow,
    PlatformIdentityRow,
    SessionFeedbackRow,
    SessionRow,
    UserNoteRow,
    UserProgressRow,
    UserRow,
)
from tests.conftest import create_database, drop_database

SEED_SQL = Path(__file__).with_name("seed_schema.sql")

# (table, column) -> (type as format_type() shows it, nullable, default as pg_get_expr() shows it)
Column = tuple[str, bool, str | None]

# Deviation (a): chat-created users have neither an email nor a password.
MADE_NULLABLE = {("users", "email"), ("users", "password_hash")}

NOW = "now()"
TIMESTAMPTZ = "timestamp with time zone"
ADDED_COLUMNS: dict[tuple[str, str], Column] = {
    # (b) the curriculum /plan, /next and /done act on
    ("users", "current_curriculum_id"): ("uuid", True, None),
    # (e) exact /undo, and streaks that survive a time-zone change
    ("sessions", "minutes_spent"): ("integer", True, None),
    ("sessions", "completed_local_date"): ("date", True, None),
    # (f)
    ("user_progress", "last_session_local_date"): ("date", True, None),
    # (c) who a user is on each chat platform
    ("platform_identities", "id"): ("uuid", False, "gen_random_uuid()"),
    ("platform_identities", "user_id"): ("uuid", False, None),
    ("platform_identities", "platform"): ("character varying(20)", False, None),
    ("platform_identities", "external_id"): ("character varying(255)", False, None),
    ("platform_identities", "chat_id"): ("character varying(255)", True, None),
    ("platform_identities", "display_name"): ("character varying(255)", True, None),
    ("platform_identities", "created_at"): (TIMESTAMPTZ, False, NOW),
    ("platform_identities", "updated_at"): (TIMESTAMPTZ, False, NOW),
    # (d) durable multi-step wizard state
    ("conversation_states", "user_id"): ("uuid", False, None),
    ("conversation_states", "flow"): ("character varying(50)", False, None),
    ("conversation_states", "step"): ("character varying(50)", False, None),
    ("conversation_states", "data"): ("jsonb", False, "'{}'::jsonb"),
    ("conversation_states", "token"): ("character varying(16)", False, None),
    ("conversation_states", "expires_at"): (TIMESTAMPTZ, False, None),
    ("conversation_states", "created_at"): (TIMESTAMPTZ, False, NOW),
    ("conversation_states", "updated_at"): (TIMESTAMPTZ, False, NOW),
    # 0002: platform updates already handled (duplicate deliveries have no second effect)
    ("processed_updates", "platform"): ("character varying(20)", False, None),
    ("processed_updates", "update_id"): ("bigint", False, None),
    ("processed_updates", "received_at"): (TIMESTAMPTZ, False, NOW),
    ("processed_updates", "waiting_sender"): ("character varying(64)", True, None),  # 0019
    ("send_budgets", "name"): ("character varying(80)", False, None),  # 0019
    ("send_budgets", "tokens"): ("double precision", False, None),
    ("send_budgets", "refilled_at"): (TIMESTAMPTZ, False, None),
    # 0003: the marketplace
    ("experts", "currency"): ("character varying(3)", False, "'EUR'::character varying"),
    ("experts", "meeting_link"): ("character varying(500)", True, None),
    ("experts", "rating_count"): ("integer", False, "0"),
    ("expert_time_off", "id"): ("uuid", False, "gen_random_uuid()"),
    ("expert_time_off", "expert_id"): ("uuid", False, None),
    ("expert_time_off", "starts_on"): ("date", False, None),
    ("expert_time_off", "ends_on"): ("date", False, None),
    ("expert_time_off", "created_at"): (TIMESTAMPTZ, False, NOW),
    ("bookings", "price"): ("numeric(10,2)", False, None),
    ("bookings", "currency"): ("character varying(3)", False, None),
    ("bookings", "cancel_reason"): ("text", True, None),
    ("bookings", "cancelled_by"): ("uuid", True, None),
    ("bookings", "confirmed_at"): (TIMESTAMPTZ, True, None),
    ("bookings", "proposed_start"): (TIMESTAMPTZ, True, None),  # 0007
    ("bookings", "proposed_by"): ("uuid", True, None),
    ("bookings", "move_reason"): ("text", True, None),
    ("bookings", "invite_sequence"): ("integer", True, None),  # 0024
    ("bookings", "invited_at"): (TIMESTAMPTZ, True, None),
    ("bookings", "expires_at"): (TIMESTAMPTZ, True, None),
    # 0021: experts' own terms, and the terms a booking was made under
    ("experts", "cancel_notice_hours"): ("smallint", True, None),
    ("experts", "trial_price"): ("numeric(10,2)", True, None),
    ("experts", "reschedule_limit"): ("smallint", True, None),
    ("bookings", "cancel_notice_hours"): ("smallint", True, None),
    ("bookings", "reschedule_limit"): ("smallint", True, None),
    ("bookings", "reschedules"): ("integer", False, "0"),
    ("bookings", "trial"): ("boolean", False, "false"),
    ("commissions", "rate"): ("numeric(5,4)", False, None),
    ("commissions", "currency"): ("character varying(3)", False, None),
    ("notifications", "id"): ("uuid", False, "gen_random_uuid()"),
    ("notifications", "user_id"): ("uuid", False, None),
    ("notifications", "kind"): ("character varying(50)", False, None),
    ("notifications", "data"): ("jsonb", False, "'{}'::jsonb"),
    ("notifications", "due_at"): (TIMESTAMPTZ, False, NOW),
    ("notifications", "sent_at"): (TIMESTAMPTZ, True, None),
    ("notifications", "created_at"): (TIMESTAMPTZ, False, NOW),
    # 0004: delivery by workers
    ("notifications", "status"): ("character varying(20)", False, "'pending'::character varying"),
    ("notifications", "claimed_until"): (TIMESTAMPTZ, True, None),
    ("notifications", "attempts"): ("integer", False, "0"),
    ("notifications", "last_error"): ("text", True, None),
    ("notifications", "expires_at"): (TIMESTAMPTZ, True, None),
    ("notifications", "dedupe_key"): ("character varying(200)", True, None),
    ("platform_identities", "blocked_at"): (TIMESTAMPTZ, True, None),
    # 0005: /link codes (a hash only) and wrong guesses, one row per user
    ("link_codes", "user_id"): ("uuid", False, None),
    ("link_codes", "code_hash"): ("character varying(64)", True, None),
    ("link_codes", "expires_at"): (TIMESTAMPTZ, True, None),
    ("link_codes", "failed_guesses"): ("integer", False, "0"),
    ("link_codes", "guesses_since"): (TIMESTAMPTZ, True, None),
    ("link_codes", "created_at"): (TIMESTAMPTZ, False, NOW),
    # 0006: a curriculum's study schedule (/schedule)
    ("curricula", "schedule_days"): ("integer[]", True, None),
    ("curricula", "schedule_at"): ("time without time zone", True, None),
    ("curricula", "schedule_from"): ("date", True, None),
    ("curricula", "schedule_baseline"): ("integer", True, None),
    # 0007: how a booking ended, and the messages relayed between its sides
    ("bookings", "cancel_kind"): ("character varying(20)", True, None),
    ("bookings", "cancelled_at"): (TIMESTAMPTZ, True, None),
    ("booking_messages", "id"): ("uuid", False, "gen_random_uuid()"),
    ("booking_messages", "booking_id"): ("uuid", False, None),
    ("booking_messages", "sender_id"): ("uuid", False, None),
    ("booking_messages", "body"): ("text", False, None),
    ("booking_messages", "created_at"): (TIMESTAMPTZ, False, NOW),
    # 0008: backup runs (db backup / verify)
    ("backup_runs", "id"): ("uuid", False, "gen_random_uuid()"),
    ("backup_runs", "kind"): ("character varying(20)", False, None),
    ("backup_runs", "backup"): ("character varying(200)", False, None),
    ("backup_runs", "outcome"): ("character varying(20)", False, "'running'::character varying"),
    ("backup_runs", "detail"): ("text", True, None),
    ("backup_runs", "size_bytes"): ("bigint", True, None),
    ("backup_runs", "seconds"): ("double precision", True, None),
    ("backup_runs", "started_at"): (TIMESTAMPTZ, False, NOW),
    ("backup_runs", "finished_at"): (TIMESTAMPTZ, True, None),
    ("backup_runs", "claim"): ("character varying(100)", True, None),
    # 0010: expert review (changes waiting apart, rejection reasons)
    ("experts", "rejection_reason"): ("text", True, None),
    ("expert_profile_changes", "id"): ("uuid", False, "gen_random_uuid()"),
    ("expert_profile_changes", "expert_id"): ("uuid", False, None),
    ("expert_profile_changes", "field"): ("character varying(20)", False, None),
    ("expert_profile_changes", "value"): ("jsonb", False, None),
    ("expert_profile_changes", "rejected_reason"): ("text", True, None),
    ("expert_profile_changes", "submitted_at"): (TIMESTAMPTZ, False, NOW),
    # 0014: retention (last seen, the inactivity warning) and the archive tables
    ("users", "last_seen_at"): (TIMESTAMPTZ, False, NOW),
    ("users", "inactive_warned_at"): (TIMESTAMPTZ, True, None),
    ("archived_sessions", "id"): ("uuid", False, None),
    ("archived_sessions", "curriculum_id"): ("uuid", True, None),
    ("archived_sessions", "session_number"): ("integer", False, None),
    ("archived_sessions", "title"): ("character varying(255)", False, None),
    ("archived_sessions", "objectives"): ("text[]", True, None),
    ("archived_sessions", "materials"): ("text", True, None),
    ("archived_sessions", "resources"): ("jsonb", True, None),
    ("archived_sessions", "completed_at"): (TIMESTAMPTZ, True, None),
    ("archived_sessions", "notes"): ("text", True, None),
    ("archived_sessions", "created_at"): (TIMESTAMPTZ, True, None),
    ("archived_sessions", "minutes_spent"): ("integer", True, None),
    ("archived_sessions", "completed_local_date"): ("date", True, None),
    ("archived_sessions", "archived_at"): (TIMESTAMPTZ, False, NOW),
    ("archived_user_notes", "id"): ("uuid", False, None),
    ("archived_user_notes", "user_id"): ("uuid", True, None),
    ("archived_user_notes", "session_id"): ("uuid", True, None),
    ("archived_user_notes", "content"): ("text", False, None),
    ("archived_user_notes", "created_at"): (TIMESTAMPTZ, True, None),
    ("archived_user_notes", "updated_at"): (TIMESTAMPTZ, True, None),
    ("cache_changes", "xid"): ("xid8", False, "pg_current_xact_id()"),  # 0015
    ("cache_changes", "payload"): ("text", False, None),
    # 0017: vacations and weekly goals
    ("vacations", "id"): ("uuid", False, "gen_random_uuid()"),
    ("vacations", "user_id"): ("uuid", False, None),
    ("vacations", "starts_on"): ("date", False, None),
    ("vacations", "ends_on"): ("date", False, None),
    ("vacations", "ended_early_at"): (TIMESTAMPTZ, True, None),
    ("vacations", "created_at"): (TIMESTAMPTZ, False, NOW),
    ("study_habits", "user_id"): ("uuid", False, None),
    ("study_habits", "goal_minutes"): ("integer", True, None),
    ("study_habits", "goal_sessions"): ("integer", True, None),
    ("study_habits", "week_starts"): ("smallint", False, "0"),
    ("study_habits", "updated_at"): (TIMESTAMPTZ, False, NOW),
    # 0018: /focus timers
    ("focus_timers", "id"): ("uuid", False, "gen_random_uuid()"),
    ("focus_timers", "user_id"): ("uuid", False, None),
    ("focus_timers", "curriculum_id"): ("uuid", False, None),
    ("focus_timers", "session_id"): ("uuid", False, None),
    ("focus_timers", "minutes"): ("integer", False, None),
    ("focus_timers", "started_at"): (TIMESTAMPTZ, False, None),
    ("focus_timers", "ends_at"): (TIMESTAMPTZ, False, None),
    ("focus_timers", "stopped_at"): (TIMESTAMPTZ, True, None),
    ("focus_timers", "logged_at"): (TIMESTAMPTZ, True, None),
    # 0022: the waitlist of a fully booked day
    ("waitlist_entries", "id"): ("uuid", False, "gen_random_uuid()"),
    ("waitlist_entries", "user_id"): ("uuid", False, None),
    ("waitlist_entries", "expert_id"): ("uuid", False, None),
    ("waitlist_entries", "starts_on"): ("date", False, None),
    ("waitlist_entries", "ends_on"): ("date", False, None),
    ("waitlist_entries", "minutes"): ("integer", False, None),
    ("waitlist_entries", "created_at"): (TIMESTAMPTZ, False, None),
    ("waitlist_entries", "expires_at"): (TIMESTAMPTZ, False, None),
    # 0016: spaced-repetition review cards (FSRS state in columns) and their ratings
    ("review_cards", "id"): ("uuid", False, "gen_random_uuid()"),
    ("review_cards", "user_id"): ("uuid", False, None),
    ("review_cards", "curriculum_id"): ("uuid", True, None),
    ("review_cards", "session_id"): ("uuid", True, None),
    ("review_cards", "note_id"): ("uuid", True, None),
    ("review_cards", "source"): ("character varying(10)", False, None),
    ("review_cards", "front"): ("text", False, None),
    ("review_cards", "back"): ("text", False, None),
    ("review_cards", "state"): ("smallint", False, "1"),
    ("review_cards", "step"): ("integer", True, None),
    ("review_cards", "stability"): ("double precision", True, None),
    ("review_cards", "difficulty"): ("double precision", True, None),
    ("review_cards", "due"): (TIMESTAMPTZ, False, None),
    ("review_cards", "last_review"): (TIMESTAMPTZ, True, None),
    ("review_cards", "reps"): ("integer", False, "0"),
    ("review_cards", "created_at"): (TIMESTAMPTZ, False, NOW),
    ("review_logs", "id"): ("uuid", False, "gen_random_uuid()"),
    ("review_logs", "card_id"): ("uuid", False, None),
    ("review_logs", "user_id"): ("uuid", False, None),
    ("review_logs", "rating"): ("smallint", False, None),
    ("review_logs", "reviewed_at"): (TIMESTAMPTZ, False, NOW),
    # 0023: weekly series of bookings
    ("booking_series", "id"): ("uuid", False, "gen_random_uuid()"),
    ("booking_series", "learner_id"): ("uuid", True, None),
    ("booking_series", "expert_id"): ("uuid", True, None),
    ("booking_series", "weekday"): ("smallint", False, None),
    ("booking_series", "local_time"): ("time without time zone", False, None),
    ("booking_series", "timezone"): ("character varying(64)", False, None),
    ("booking_series", "weeks"): ("smallint", False, None),
    ("booking_series", "minutes"): ("integer", False, None),
    ("booking_series", "created_at"): (TIMESTAMPTZ, False, NOW),
    ("bookings", "series_id"): ("uuid", True, None),
    ("bookings", "series_index"): ("smallint", True, None),
    # 0025: after the session: the learner's yes, held ledger rows, disputes
    ("bookings", "happened_at"): (TIMESTAMPTZ, True, None),
    ("commissions", "payable_at"): (TIMESTAMPTZ, True, None),
    ("commissions", "learner_refund"): ("numeric(10,2)", False, "0"),
    ("commissions", "decision"): ("character varying(10)", True, None),
    ("booking_disputes", "id"): ("uuid", False, "gen_random_uuid()"),
    ("booking_disputes", "booking_id"): ("uuid", False, None),
    ("booking_disputes", "opened_by"): ("character varying(10)", False, None),
    ("booking_disputes", "kind"): ("character varying(20)", False, None),
    ("booking_disputes", "details"): ("text", True, None),
    ("booking_disputes", "answer"): ("text", True, None),
    ("booking_disputes", "opened_at"): (TIMESTAMPTZ, False, None),
    ("booking_disputes", "answered_at"): (TIMESTAMPTZ, True, None),
    ("booking_disputes", "decided_at"): (TIMESTAMPTZ, True, None),
    ("booking_disputes", "decided_by"): ("uuid", True, None),
    ("booking_disputes", "decision"): ("character varying(10)", True, None),
    # 0026: a plan shared with a booking's expert, and the homework they send
    ("bookings", "shared_curriculum_id"): ("uuid", True, None),
    ("homework", "id"): ("uuid", False, "gen_random_uuid()"),
    ("homework", "booking_id"): ("uuid", False, None),
    ("homework", "curriculum_id"): ("uuid", True, None),
    ("homework", "title"): ("character varying(255)", False, None),
    ("homework", "description"): ("text", True, None),
    ("homework", "proposed_position"): ("integer", False, None),
    ("homework", "created_at"): (TIMESTAMPTZ, False, NOW),
    ("homework", "answered_at"): (TIMESTAMPTZ, True, None),
    ("homework", "accepted"): ("boolean", True, None),
}

ADDED_INDEXES = {
    "idx_platform_identities_user_id": (
        "CREATE INDEX idx_platform_identities_user_id "
        "ON public.platform_identities USING btree (user_id)"
    ),
    "idx_processed_updates_received_at": (
        "CREATE INDEX idx_processed_updates_received_at "
        "ON public.processed_updates USING btree (received_at)"
    ),
    "idx_expert_specialties_expert_id": (
        "CREATE INDEX idx_expert_specialties_expert_id "
        "ON public.expert_specialties USING btree (expert_id)"
    ),
    "idx_expert_specialties_subject_lower": (
        "CREATE INDEX idx_expert_specialties_subject_lower "
        "ON public.expert_specialties USING btree (lower((subject)::text))"
    ),
    "idx_expert_specialties_subject_words": (
        "CREATE INDEX idx_expert_specialties_subject_words ON public.expert_specialties "
        "USING gin (to_tsvector('simple'::regconfig, (subject)::text))"
    ),
    "idx_bookings_expert_id_holding": (
        "CREATE INDEX idx_bookings_expert_id_holding ON public.bookings "
        "USING btree (expert_id, session_date) WHERE ((status)::text = ANY "
        "((ARRAY['pending'::character varying, 'scheduled'::character varying])::text[]))"
    ),
    "idx_expert_time_off_expert_id": (
        "CREATE INDEX idx_expert_time_off_expert_id "
        "ON public.expert_time_off USING btree (expert_id)"
    ),
    "idx_bookings_expert_id_session_date": (
        "CREATE INDEX idx_bookings_expert_id_session_date "
        "ON public.bookings USING btree (expert_id, session_date)"
    ),
    "idx_notifications_pending": (
        "CREATE INDEX idx_notifications_pending ON public.notifications USING btree (due_at) "
        "WHERE ((status)::text = 'pending'::text)"
    ),
    "idx_notifications_user_id": (
        "CREATE INDEX idx_notifications_user_id ON public.notifications USING btree (user_id)"
    ),
    "idx_booking_messages_booking_id": (
        "CREATE INDEX idx_booking_messages_booking_id "
        "ON public.booking_messages USING btree (booking_id, created_at)"
    ),
    "idx_backup_runs_backup": (
        "CREATE INDEX idx_backup_runs_backup "
        "ON public.backup_runs USING btree (backup, started_at)"
    ),
    "idx_users_last_seen_at": (  # 0014
        "CREATE INDEX idx_users_last_seen_at ON public.users USING btree (last_seen_at)"
    ),
    "idx_user_notes_session_id": (
        "CREATE INDEX idx_user_notes_session_id ON public.user_notes USING btree (session_id)"
    ),
    "idx_archived_sessions_curriculum_id": (
        "CREATE INDEX idx_archived_sessions_curriculum_id "
        "ON public.archived_sessions USING btree (curriculum_id)"
    ),
    "idx_archived_user_notes_user_id": (
        "CREATE INDEX idx_archived_user_notes_user_id "
        "ON public.archived_user_notes USING btree (user_id)"
    ),
    "idx_archived_user_notes_session_id": (
        "CREATE INDEX idx_archived_user_notes_session_id "
        "ON public.archived_user_notes USING btree (session_id)"
    ),
    "idx_cache_changes_xid": (  # 0015
        "CREATE INDEX idx_cache_changes_xid ON public.cache_changes USING btree (xid)"
    ),
    "idx_vacations_user_id": (  # 0017
        "CREATE INDEX idx_vacations_user_id ON public.vacations USING btree (user_id, starts_on)"
    ),
    "idx_sessions_completed_days": (
        "CREATE INDEX idx_sessions_completed_days ON public.sessions USING btree "
        "(curriculum_id, completed_local_date) WHERE (completed_local_date IS NOT NULL)"
    ),
    "idx_focus_timers_user_id": (  # 0018
        "CREATE INDEX idx_focus_timers_user_id "
        "ON public.focus_timers USING btree (user_id, ends_at)"
    ),
    "idx_focus_timers_session_id": (
        "CREATE INDEX idx_focus_timers_session_id ON public.focus_timers USING btree (session_id)"
    ),
    "idx_focus_timers_curriculum_id": (
        "CREATE INDEX idx_focus_timers_curriculum_id "
        "ON public.focus_timers USING btree (curriculum_id)"
    ),
    "idx_waitlist_entries_expert_id": (  # 0022
        "CREATE INDEX idx_waitlist_entries_expert_id "
        "ON public.waitlist_entries USING btree (expert_id, starts_on)"
    ),
    "idx_review_cards_user_id_due": (  # 0016: what /review asks
        "CREATE INDEX idx_review_cards_user_id_due "
        "ON public.review_cards USING btree (user_id, due)"
    ),
    "idx_review_cards_objective": (  # 0016: an objective is one card of its session
        "CREATE UNIQUE INDEX idx_review_cards_objective ON public.review_cards "
        "USING btree (session_id, front) WHERE ((source)::text = 'objective'::text)"
    ),
    "idx_review_logs_user_id_reviewed_at": (
        "CREATE INDEX idx_review_logs_user_id_reviewed_at "
        "ON public.review_logs USING btree (user_id, reviewed_at)"
    ),
    "idx_review_logs_card_id": (
        "CREATE INDEX idx_review_logs_card_id ON public.review_logs USING btree (card_id)"
    ),
    "idx_processed_updates_waiting": (  # 0019
        "CREATE INDEX idx_processed_updates_waiting ON public.processed_updates "
        "USING btree (platform, waiting_sender, update_id) WHERE (waiting_sender IS NOT NULL)"
    ),
    "idx_bookings_series_id": (  # 0023
        "CREATE INDEX idx_bookings_series_id ON public.bookings "
        "USING btree (series_id) WHERE (series_id IS NOT NULL)"
    ),
    "idx_commissions_payable": (  # 0025: what a payout run pays
        "CREATE INDEX idx_commissions_payable ON public.commissions USING btree (payable_at) "
        "WHERE (((status)::text = 'pending'::text) AND (payable_at IS NOT NULL))"
    ),
    "idx_booking_disputes_open": (
        "CREATE INDEX idx_booking_disputes_open ON public.booking_disputes "
        "USING btree (opened_at) WHERE (decided_at IS NULL)"
    ),
}

# Constraints that have no counterpart (same table, kind and definition) in the seed.
ADDED_CONSTRAINTS = {
    "fk_users_current_curriculum_id",
    "uq_sessions_curriculum_id_session_number",
    "ck_curricula_total_sessions_range",
    "ck_curricula_session_duration_range",
    "ck_curricula_skill_level",
    "ck_curricula_status",
    "pk_platform_identities",
    "fk_platform_identities_user_id",
    "uq_platform_identities_platform_external_id",
    "pk_conversation_states",
    "fk_conversation_states_user_id",
    # 0002
    "pk_processed_updates",
    "pk_send_budgets",  # 0019
    # 0003
    "uq_experts_user_id",
    "ck_experts_rate_range",
    "ck_experts_verification_status",
    "ck_expert_specialties_proficiency_level",
    "uq_expert_availability_expert_id_day_of_week",
    "ck_expert_availability_day_of_week_range",
    "pk_expert_time_off",
    "fk_expert_time_off_expert_id",
    "ck_expert_time_off_range",
    "fk_bookings_cancelled_by",
    "fk_bookings_proposed_by",  # 0007
    "ck_bookings_status",
    "ck_bookings_payment_status",
    "ck_bookings_duration_price",
    "uq_session_feedback_booking_id",
    "uq_commissions_booking_id",
    "ck_commissions_status",
    "pk_notifications",
    "fk_notifications_user_id",
    # 0004
    "ck_notifications_status",
    "uq_notifications_dedupe_key",
    # 0005
    "pk_link_codes",
    "fk_link_codes_user_id",
    "uq_link_codes_code_hash",
    # 0007
    "ck_bookings_cancel_kind",
    "ck_experts_policies",  # 0021
    "ck_bookings_policies",
    "pk_booking_messages",
    "fk_booking_messages_booking_id",
    "fk_booking_messages_sender_id",
    "pk_backup_runs",
    "uq_backup_runs_claim",
    "ck_backup_runs_kind",
    "ck_backup_runs_outcome",
    "pk_expert_profile_changes",
    "fk_expert_profile_changes_expert_id",
    "uq_expert_profile_changes_expert_id_field",
    "ck_expert_profile_changes_field",
    # 0014
    "pk_archived_sessions",
    "fk_archived_sessions_curriculum_id",
    "pk_archived_user_notes",
    "fk_archived_user_notes_user_id",
    "fk_archived_user_notes_session_id",
    # 0017
    "pk_vacations",
    "fk_vacations_user_id",
    "ck_vacations_range",
    "pk_study_habits",
    "fk_study_habits_user_id",
    "ck_study_habits_week_starts",
    "ck_study_habits_one_goal",
    "ck_study_habits_goal_minutes",
    "ck_study_habits_goal_sessions",
    # 0018
    "pk_focus_timers",
    "fk_focus_timers_user_id",
    "fk_focus_timers_curriculum_id",
    "fk_focus_timers_session_id",
    "ck_focus_timers_minutes_range",
    "ck_focus_timers_ends_after_start",
    # 0022
    "pk_waitlist_entries",
    "fk_waitlist_entries_user_id",
    "fk_waitlist_entries_expert_id",
    "uq_waitlist_entries_user_id_expert_id_starts_on_ends_on",
    "ck_waitlist_entries_dates",
    "ck_waitlist_entries_minutes",
    # 0016
    "pk_review_cards",
    "fk_review_cards_user_id",
    "fk_review_cards_curriculum_id",
    "fk_review_cards_session_id",
    "fk_review_cards_note_id",
    "uq_review_cards_note_id",
    "ck_review_cards_source",
    "ck_review_cards_state",
    "pk_review_logs",
    "fk_review_logs_card_id",
    "fk_review_logs_user_id",
    "ck_review_logs_rating",
    # 0023
    "pk_booking_series",
    "fk_booking_series_learner_id",
    "fk_booking_series_expert_id",
    "ck_booking_series_weekday",
    "ck_booking_series_weeks",
    "fk_bookings_series_id",
    # 0025
    "ck_commissions_amounts",
    "ck_commissions_decision",
    "pk_booking_disputes",
    "fk_booking_disputes_booking_id",
    "fk_booking_disputes_decided_by",
    "uq_booking_disputes_booking_id",
    "ck_booking_disputes_opened_by",
    "ck_booking_disputes_kind",
    "ck_booking_disputes_decision",
    "ck_booking_disputes_decided",
    "fk_bookings_shared_curriculum_id",
    "pk_homework",
    "fk_homework_booking_id",
    "fk_homework_curriculum_id",
    "uq_homework_booking_id",
    "ck_homework_proposed_position",
    "ck_homework_answer",
}

# The names the seed gives in its "Foreign Key Constraints" block.
# 0007: a deleted account's bookings stay the other side's (/delete_me), so these two seed
# foreign keys set NULL instead of cascading (README, schema section).
SET_NULL_INSTEAD = {
    ("bookings", "f", "FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE"),
    ("bookings", "f", "FOREIGN KEY (expert_id) REFERENCES experts(id) ON DELETE CASCADE"),
}

SEED_FK_NAMES = {
    "fk_curricula_user_id",
    "fk_sessions_curriculum_id",
    "fk_user_progress_user_id",
    "fk_user_progress_curriculum_id",
}


@dataclass(frozen=True)
class Constraint:
    table: str
    kind: str  # pg_constraint.contype: p, u, f, c
    name: str
    columns: tuple[str, ...]
    definition: str


@dataclass(frozen=True)
class Catalog:
    relations: frozenset[str]
    columns: dict[tuple[str, str], Column]
    indexes: dict[str, str]  # name -> pg_get_indexdef, for indexes not backing a constraint
    constraints: list[Constraint]
    triggers: dict[str, str]  # name -> pg_get_triggerdef
    functions: frozenset[str]

    def by_definition(self) -> dict[tuple[str, str, str], Constraint]:
        return {(c.table, c.kind, c.definition): c for c in self.constraints}


_PUBLIC = "relnamespace = 'public'::regnamespace"

_RELATIONS = text(f"SELECT relname FROM pg_class WHERE {_PUBLIC}")
_COLUMNS = text(
    f"""
    SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull,
           pg_get_expr(d.adbin, d.adrelid)
    FROM pg_attribute a
    JOIN pg_class c ON c.oid = a.attrelid
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE c.{_PUBLIC} AND c.relkind = 'r' AND c.relname <> 'alembic_version'
      AND a.attnum > 0 AND NOT a.attisdropped
    """
)
_INDEXES = text(
    f"""
    SELECT i.relname, pg_get_indexdef(i.oid)
    FROM pg_index x
    JOIN pg_class i ON i.oid = x.indexrelid
    JOIN pg_class t ON t.oid = x.indrelid
    WHERE t.{_PUBLIC} AND t.relname <> 'alembic_version'
      AND NOT EXISTS (
        SELECT 1 FROM pg_constraint k
        WHERE k.conindid = x.indexrelid AND k.contype IN ('p', 'u', 'x')
      )
    """
)
_CONSTRAINTS = text(
    f"""
    SELECT t.relname, k.contype::text, k.conname,
           ARRAY(
             SELECT a.attname
             FROM unnest(k.conkey) WITH ORDINALITY AS key(attnum, position)
             JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = key.attnum
             ORDER BY key.position
           ),
           pg_get_constraintdef(k.oid)
    FROM pg_constraint k
    JOIN pg_class t ON t.oid = k.conrelid
    WHERE t.{_PUBLIC} AND t.relname <> 'alembic_version'
    """
)
_TRIGGERS = text(
    f"""
    SELECT g.tgname, pg_get_triggerdef(g.oid)
    FROM pg_trigger g JOIN pg_class t ON t.oid = g.tgrelid
    WHERE t.{_PUBLIC} AND NOT g.tgisinternal
    """
)
_FUNCTIONS = text("SELECT proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace")


async def read_catalog(url: str) -> Catalog:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            relations = (await conn.execute(_RELATIONS)).scalars()
            columns = (await conn.execute(_COLUMNS)).all()
            indexes = (await conn.execute(_INDEXES)).all()
            constraints = (await conn.execute(_CONSTRAINTS)).all()
            triggers = (await conn.execute(_TRIGGERS)).all()
            functions = (await conn.execute(_FUNCTIONS)).scalars()
            return Catalog(
                relations=frozenset(relations),
                columns={
                    (t, c): (typ, nullable, default) for t, c, typ, nullable, default in columns
                },
                indexes=dict(indexes),
                constraints=[
                    Constraint(t, kind, name, tuple(cols), definition)
                    for t, kind, name, cols, definition in constraints
                ],
                triggers=dict(triggers),
                functions=frozenset(functions),
            )
    finally:
        await engine.dispose()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


@pytest.fixture(scope="module")
async def seed(server_url: str) -> AsyncIterator[Catalog]:
    """The catalog of a scratch database created by the seed's own SQL."""
    url = await create_database(server_url)
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            raw = await conn.get_raw_connection()
            # asyncpg's execute() without arguments runs a multi-statement script.
            await raw.driver_connection.execute(SEED_SQL.read_text())  # type: ignore[union-attr]
        yield await read_catalog(url)
    finally:
        await engine.dispose()
        await drop_database(server_url, url)


@pytest.fixture(scope="module")
async def ours(database_url: str) -> Catalog:
    """The catalog of the test session's database, migrated to head."""
    return await read_catalog(database_url)


# --- migrations -------------------------------------------------------------------------------


async def test_migrations_go_up_to_head_down_to_an_empty_database_and_up_again(
    server_url: str,
) -> None:
    url = await create_database(server_url)
    try:
        assert await current(url) is None

        await upgrade(url)
        assert await current(url) == head_revision()
        assert "users" in (await read_catalog(url)).relations

        await downgrade(url)
        empty = await read_catalog(url)
        assert await current(url) is None
        # alembic keeps its (now empty) version table; nothing of ours is left.
        assert empty.relations == {"alembic_version", "alembic_version_pkc"}
        assert empty.functions == set()
        assert empty.triggers == {}

        await upgrade(url)
        assert await current(url) == head_revision()
    finally:
        await drop_database(server_url, url)


async def test_two_migrators_starting_at_once_do_not_collide(server_url: str) -> None:
    url = await create_database(server_url)
    try:
        # Both interleave on the event loop; the advisory lock makes the second wait and
        # then find the schema at head. (Without it they hang: one blocks on the other's
        # CREATE TABLE while sharing Alembic's process-global context.)
        await asyncio.gather(upgrade(url), upgrade(url))
        assert await current(url) == head_revision()
    finally:
        await drop_database(server_url, url)


# --- the schema is the seed plus the documented additions -------------------------------------


async def test_seed_columns_keep_type_default_nullability_and_only_documented_ones_are_added(
    seed: Catalog, ours: Catalog
) -> None:
    expected = dict(seed.columns)
    for key in MADE_NULLABLE:
        typ, _, default = expected[key]
        expected[key] = (typ, True, default)
    expected.update(ADDED_COLUMNS)

    assert ours.columns == expected


async def test_every_seed_index_exists_under_its_seed_name_on_the_same_columns(
    seed: Catalog, ours: Catalog
) -> None:
    assert seed.indexes, "the seed SQL defines indexes"
    assert ours.indexes == seed.indexes | ADDED_INDEXES


async def test_seed_constraints_are_kept_and_only_documented_ones_are_added(
    seed: Catalog, ours: Catalog
) -> None:
    mine = ours.by_definition()
    missing = set(seed.by_definition()) - set(mine)
    assert missing == SET_NULL_INSTEAD
    for table, kind, definition in SET_NULL_INSTEAD:
        set_null = definition.replace("CASCADE", "SET NULL")
        assert (table, kind, set_null) in mine

    replaced = {(t, k, d.replace("CASCADE", "SET NULL")) for t, k, d in SET_NULL_INSTEAD}
    added = {
        c.name
        for key, c in mine.items()
        if key not in seed.by_definition() and key not in replaced
    }
    assert added == ADDED_CONSTRAINTS

    rating = mine[("session_feedback", "c", "CHECK (((rating >= 1) AND (rating <= 5)))")]
    assert rating.name == "ck_session_feedback_rating_range"
    assert ("user_progress", "u", "UNIQUE (user_id, curriculum_id)") in mine
    assert ("users", "u", "UNIQUE (email)") in mine


async def test_every_seed_foreign_key_cascades_and_each_is_named_fk_table_column_once(
    seed: Catalog, ours: Catalog
) -> None:
    seed_fks = [c for c in seed.constraints if c.kind == "f"]
    our_fks = [c for c in ours.constraints if c.kind == "f"]
    assert len(seed_fks) == 13

    for fk in our_fks:
        assert len(fk.columns) == 1
        assert fk.name == f"fk_{fk.table}_{fk.columns[0]}"
    assert len({(fk.table, fk.columns) for fk in our_fks}) == len(our_fks), "one FK per column"

    mine = ours.by_definition()
    for fk in seed_fks:
        assert "ON DELETE CASCADE" in fk.definition
        definition = fk.definition
        if (fk.table, "f", definition) in SET_NULL_INSTEAD:
            definition = definition.replace("CASCADE", "SET NULL")
        assert mine[(fk.table, "f", definition)].name == f"fk_{fk.table}_{fk.columns[0]}"
    assert SEED_FK_NAMES <= {fk.name for fk in our_fks}

    current_curriculum = next(fk for fk in our_fks if fk.name == "fk_users_current_curriculum_id")
    assert current_curriculum.definition == (
        "FOREIGN KEY (current_curriculum_id) REFERENCES curricula(id) ON DELETE SET NULL"
    )


NOTIFYING_TABLES = (
    "experts",
    "expert_specialties",
    "expert_availability",
    "expert_time_off",
    "bookings",
    "session_feedback",
)


async def test_every_table_with_updated_at_has_the_updated_at_trigger(ours: Catalog) -> None:
    tables = {table for table, column in ours.columns if column == "updated_at"}
    # and the search cache's notifying triggers (migration 0013, db/cache.py)
    notifying = NOTIFYING_TABLES
    assert ours.triggers == {
        **{
            f"trg_{table}_updated_at": (
                f"CREATE TRIGGER trg_{table}_updated_at BEFORE UPDATE ON public.{table} "
                "FOR EACH ROW EXECUTE FUNCTION set_updated_at()"
            )
            for table in tables
        },
        **{
            f"trg_{table}_notify_cache": (
                f"CREATE TRIGGER trg_{table}_notify_cache AFTER INSERT OR DELETE OR UPDATE "
                f"ON public.{table} FOR EACH ROW EXECUTE FUNCTION syllabot_notify_{table}()"
            )
            for table in notifying
        },
    }
    assert ours.functions == {"set_updated_at", *(f"syllabot_notify_{t}" for t in notifying)}


@pytest.mark.filterwarnings("ignore:Did not recognize type 'xid8':sqlalchemy.exc.SAWarning")
async def test_orm_models_agree_with_the_migrated_schema(engine: AsyncEngine) -> None:
    def differences(sync_conn: Connection) -> list[Any]:
        context = MigrationContext.configure(
            sync_conn, opts={"compare_type": True, "compare_server_default": True}
        )
        return compare_metadata(context, Base.metadata)

    async with engine.connect() as conn:
        assert await conn.run_sync(differences) == []


# --- behaviour --------------------------------------------------------------------------------

Sessions = async_sessionmaker[AsyncSession]
RowT = TypeVar("RowT", bound=Base)
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


def _curriculum(user_id: uuid.UUID | None, **overrides: object) -> CurriculumRow:
    fields: dict[str, object] = {
        "user_id": user_id,
        "title": "Rust in 30 days",
        "subject": "Rust",
        "total_sessions": 30,
        "session_duration": 45,
        "skill_level": "beginner",
    }
    return CurriculumRow(**(fields | overrides))


async def _add(session: AsyncSession, row: RowT) -> RowT:
    session.add(row)
    await session.flush()
    return row


async def test_updated_at_moves_to_the_updating_transactions_time(
    session_factory: Sessions,
) -> None:
    async with session_factory() as session:
        user = UserRow(name="Ada", created_at=LONG_AGO, updated_at=LONG_AGO)
        await _add(session, user)
        await session.commit()

    async with session_factory() as session:
        row = await session.get(UserRow, user.id)
        assert row is not None
        row.name = "Ada Lovelace"
        await session.flush()
        transaction_time = await session.scalar(select(func.now()))
        await session.commit()

    async with session_factory() as session:
        created, updated = (
            await session.execute(
                select(UserRow.created_at, UserRow.updated_at).where(UserRow.id == user.id)
            )
        ).one()
    assert created == LONG_AGO
    assert updated == transaction_time
    assert updated is not None and updated > LONG_AGO


async def test_deleting_a_user_deletes_everything_they_own(session_factory: Sessions) -> None:
    async with session_factory() as session:
        user = await _add(session, UserRow(name="Grace"))
        curriculum = await _add(session, _curriculum(user.id))
        user.current_curriculum_id = curriculum.id
        lesson = await _add(
            session, SessionRow(curriculum_id=curriculum.id, session_number=1, title="Intro")
        )
        session.add_all(
            [
                UserProgressRow(user_id=user.id, curriculum_id=curriculum.id),
                UserNoteRow(user_id=user.id, session_id=lesson.id, content="ownership!"),
                PlatformIdentityRow(
                    user_id=user.id, platform="telegram", external_id=uuid.uuid4().hex
                ),
                ConversationStateRow(
                    user_id=user.id,
                    flow="plan",
                    step="title",
                    token="n0nce",
                    expires_at=datetime.now(UTC) + timedelta(hours=1),
                ),
            ]
        )
        await session.commit()

    async with session_factory() as session:
        await session.execute(delete(UserRow).where(UserRow.id == user.id))
        await session.commit()

        owned = {
            "curricula": select(CurriculumRow).where(CurriculumRow.user_id == user.id),
            "sessions": select(SessionRow).where(SessionRow.curriculum_id == curriculum.id),
            "progress": select(UserProgressRow).where(UserProgressRow.user_id == user.id),
            "notes": select(UserNoteRow).where(UserNoteRow.user_id == user.id),
            "identities": select(PlatformIdentityRow).where(
                PlatformIdentityRow.user_id == user.id
            ),
            "conversation": select(ConversationStateRow).where(
                ConversationStateRow.user_id == user.id
            ),
        }
        left = {
            name: await session.scalar(select(func.count()).select_from(query.subquery()))
            for name, query in owned.items()
        }
    assert left == dict.fromkeys(owned, 0)


async def test_deleting_the_current_curriculum_clears_it_on_the_user(
    session_factory: Sessions,
) -> None:
    async with session_factory() as session:
        user = await _add(session, UserRow(name="Edsger"))
        curriculum = await _add(session, _curriculum(user.id))
        user.current_curriculum_id = curriculum.id
        await session.commit()

    async with session_factory() as session:
        await session.execute(delete(CurriculumRow).where(CurriculumRow.id == curriculum.id))
        await session.commit()
        pointer = await session.scalar(
            select(UserRow.current_curriculum_id).where(UserRow.id == user.id)
        )
        still_there = await session.get(UserRow, user.id)
    assert still_there is not None
    assert pointer is None


async def test_a_rating_of_six_is_refused(session_factory: Sessions) -> None:
    async with session_factory() as session:
        with pytest.raises(IntegrityError, match="ck_session_feedback_rating_range"):
            await _add(session, SessionFeedbackRow(rating=6))


async def test_a_curriculum_of_zero_sessions_is_refused(session_factory: Sessions) -> None:
    async with session_factory() as session:
        with pytest.raises(IntegrityError, match="ck_curricula_total_sessions_range"):
            await _add(session, _curriculum(None, total_sessions=0))


async def test_the_same_platform_account_cannot_belong_to_two_identities(
    session_factory: Sessions,
) -> None:
    external_id = uuid.uuid4().hex
    async with session_factory() as session:
        first = await _add(session, UserRow(name="Barbara"))
        second = await _add(session, UserRow(name="Barbara too"))
        await _add(
            session,
            PlatformIdentityRow(user_id=first.id, platform="discord", external_id=external_id),
        )
        with pytest.raises(IntegrityError, match="uq_platform_identities_platform_external_id"):
            await _add(
                session,
                PlatformIdentityRow(
                    user_id=second.id, platform="discord", external_id=external_id
                ),
            )


async def test_a_second_progress_row_for_the_same_user_and_curriculum_is_refused(
    session_factory: Sessions,
) -> None:
    async with session_factory() as session:
        user = await _add(session, UserRow(name="Donald"))
        curriculum = await _add(session, _curriculum(user.id))
        await _add(session, UserProgressRow(user_id=user.id, curriculum_id=curriculum.id))
        with pytest.raises(IntegrityError, match="uq_user_progress_user_id_curriculum_id"):
            await _add(session, UserProgressRow(user_id=user.id, curriculum_id=curriculum.id))
