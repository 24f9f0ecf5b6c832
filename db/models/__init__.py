"""SQLAlchemy models: the seed schema (``seed-schema.md``) plus what a chat product needs.

The migrations own the schema; these models mirror them exactly (an integration test runs
alembic's ``compare_metadata`` against a migrated database). Columns the seed leaves without
NOT NULL stay nullable here, defaults are server defaults written as the seed writes them, and
``updated_at`` is maintained by the ``set_updated_at()`` trigger, not by the ORM.

Deviations from the seed, each with its reason:

* ``users.email`` and ``users.password_hash`` are nullable: chat-created users have neither.
* ``users.current_curriculum_id``: the curriculum ``/plan``, ``/next`` and ``/done`` act on.
* ``sessions.minutes_spent`` (``/undo`` subtracts exactly this) and
  ``sessions.completed_local_date``, ``user_progress.last_session_local_date`` (streaks count
  the learner's local dates, so a later time-zone change does not rewrite history).
* ``UNIQUE(curriculum_id, session_number)`` on sessions and CHECKs on curricula.
* Tables ``platform_identities`` (who someone is on Telegram/Discord/terminal) and
  ``conversation_states`` (multi-step wizards survive restarts and second instances).
* ``bookings.user_id`` and ``bookings.expert_id`` SET NULL on delete (0007): a deleted
  account's past bookings stay the other side's.
* One foreign key per column, named ``fk_<table>_<column>`` (the seed adds a second, named
  copy of four inline REFERENCES).
* ``users.last_seen_at``, ``users.inactive_warned_at`` and tables ``archived_sessions``,
  ``archived_user_notes`` (0014): retention of inactive accounts and old session data.
* Table ``focus_timers`` (0018): /focus timers, what their Stop, Log it and No re-check.
* Tables ``review_cards`` and ``review_logs`` (0016): spaced-repetition cards with their
  FSRS state, and each rating.
* Table ``backup_runs`` (operating Syllabot): each backup and verification and its outcome.
* ``processed_updates.waiting_sender`` and table ``send_budgets`` (0019): several processes
  on one database keep a person's updates in order and share one send budget per bot.
* Table ``waitlist_entries`` (0022): learners waiting for a time to free up on a fully
  booked day of an expert.
* Table ``booking_series`` and ``bookings.series_id`` (0023): weekly series of bookings.
* ``bookings.shared_curriculum_id`` and table ``homework`` (0026): a plan shared with a
  booking's expert, and the homework that expert sends into it.
"""

from db.models.accounts import (
    ConversationStateRow,
    LinkCodeRow,
    PlatformIdentityRow,
    ProcessedUpdateRow,
    UserRow,
)
from db.models.base import Base
from db.models.focus import FocusTimerRow
from db.models.learning import (
    ArchivedSessionRow,
    ArchivedUserNoteRow,
    CurriculumRow,
    ReviewCardRow,
    ReviewLogRow,
    SessionRow,
    StudyHabitsRow,
    UserNoteRow,
    UserProgressRow,
    VacationRow,
)
from db.models.marketplace import (
    BookingDisputeRow,
    BookingMessageRow,
    BookingRow,
    BookingSeriesRow,
    CommissionRow,
    ExpertAvailabilityRow,
    ExpertProfileChangeRow,
    ExpertRow,
    ExpertSpecialtyRow,
    ExpertTimeOffRow,
    HomeworkRow,
    SessionFeedbackRow,
    WaitlistEntryRow,
)
from db.models.notifications import NotificationRow
from db.models.operations import BackupRunRow, SendBudgetRow

__all__ = [
    "ArchivedSessionRow",
    "ArchivedUserNoteRow",
    "BackupRunRow",
    "Base",
    "BookingMessageRow",
    "BookingRow",
    "BookingDisputeRow",
    "BookingSeriesRow",
    "CommissionRow",
    "ConversationStateRow",
    "CurriculumRow",
    "ExpertAvailabilityRow",
    "ExpertProfileChangeRow",
    "ExpertRow",
    "ExpertSpecialtyRow",
    "ExpertTimeOffRow",
    "FocusTimerRow",
    "HomeworkRow",
    "LinkCodeRow",
    "NotificationRow",
    "PlatformIdentityRow",
    "ProcessedUpdateRow",
    "ReviewCardRow",
    "ReviewLogRow",
    "SendBudgetRow",
    "SessionFeedbackRow",
    "SessionRow",
    "StudyHabitsRow",
    "UserNoteRow",
    "UserProgressRow",
    "VacationRow",
    "UserRow",
    "WaitlistEntryRow",
]
