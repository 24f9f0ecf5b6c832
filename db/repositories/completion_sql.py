"""The statements of /done and /undo, and the rule for which plan is the current one.

Only constant SQL fragments are joined here; every value is a bound parameter.
"""

from __future__ import annotations

from sqlalchemy import text

from db.tx import DriverStatement

# The curriculum a learner's commands act on (``current_id``, /done): the one they chose
# (created, opened, switched to, resumed or studied last) while it is active or paused; once it is
# finished or archived, their newest active one; otherwise the chosen one as it is, so "already
# done" and "already archived" are said of it; with none chosen, their newest active (then
# paused) one.
CURRENT_CURRICULUM = """
    COALESCE(
        (SELECT cc.id FROM curricula cc
          WHERE cc.id = u.current_curriculum_id AND cc.status IN ('active', 'paused')),
        (SELECT cc.id FROM curricula cc
          WHERE cc.user_id = u.id AND cc.status = 'active'
          ORDER BY cc.created_at DESC LIMIT 1),
        u.current_curriculum_id,
        (SELECT cc.id FROM curricula cc
          WHERE cc.user_id = u.id AND cc.status = 'paused'
          ORDER BY cc.created_at DESC LIMIT 1)
    )
"""


CURRENT_ID = text("SELECT " + CURRENT_CURRICULUM + " FROM users u WHERE u.id = :user_id")
COMPLETION_CONTEXT = DriverStatement(
    """
    SELECT u.timezone, c.id AS curriculum_id, c.title, c.status, c.total_sessions,
           c.session_duration, p.sessions_completed, p.total_time_spent, p.current_streak,
           p.last_session_date, p.last_session_local_date,
           s.id AS session_id, s.session_number, s.title AS session_title,
           t.studied_today, days.study_days, days.plan_days,
           vac.vacation_starts, vac.vacation_ends, vac.vacation_ended_at
      FROM users u
      JOIN curricula c ON c.user_id = u.id AND c.id = COALESCE(CAST(:curriculum_id AS uuid), """
    + CURRENT_CURRICULUM
    + """)
      JOIN user_progress p ON p.user_id = u.id AND p.curriculum_id = c.id
      LEFT JOIN LATERAL (
            SELECT id, session_number, title FROM sessions
             WHERE curriculum_id = c.id AND completed_at IS NULL
             ORDER BY session_number LIMIT 1) s ON true
      -- the streaks' inputs: the learner's latest study days (any plan, and this plan's),
      -- unless this plan was studied today already (at :now in the learner's zone): then
      -- another session today changes no streak, and the history is not read
      CROSS JOIN LATERAL (
            SELECT coalesce(p.last_session_local_date
                            = (CAST(:now AS timestamptz) AT TIME ZONE u.timezone)::date, false)
                   AS studied_today) t
      LEFT JOIN LATERAL (
            SELECT coalesce(array_agg(day), '{}') AS study_days,
                   coalesce(array_agg(day) FILTER (WHERE mine), '{}') AS plan_days
              FROM (SELECT d.completed_local_date AS day, bool_or(d.curriculum_id = c.id) AS mine
                      FROM sessions d JOIN curricula dc ON dc.id = d.curriculum_id
                     WHERE dc.user_id = u.id AND d.completed_local_date IS NOT NULL
                       AND NOT t.studied_today
                     GROUP BY 1 ORDER BY 1 DESC LIMIT 1000) latest) days ON true
      -- ... and vacations
      LEFT JOIN LATERAL (
            SELECT coalesce(array_agg(v.starts_on), '{}') AS vacation_starts,
                   coalesce(array_agg(v.ends_on), '{}') AS vacation_ends,
                   coalesce(array_agg(v.ended_early_at), '{}') AS vacation_ended_at
              FROM (SELECT starts_on, ends_on, ended_early_at FROM vacations
                     WHERE user_id = u.id ORDER BY starts_on DESC, id LIMIT 50) v) vac ON true
     WHERE u.id = :user_id
    """
)


# The first lock of the lock order (``domain.learning.ports``). NO KEY: inserting a row that
# references the user (its foreign-key check) is not blocked by it.
LOCK_USER = DriverStatement("SELECT 1 FROM users WHERE id = :user_id FOR NO KEY UPDATE")


# One atomic statement, one round trip, so it needs no transaction around it: hold the learner's
# row, then (only if the progress is still what the domain decided on) update the progress,
# complete the session, keep the note and complete the curriculum, in the lock order; the plan
# studied becomes the learner's chosen one (it may have been current only as the newest active
# one, after another was finished or archived), and a vacation under way ends (it covers the days
# before this one). Should the progress stay but the session not
# (moved, split or deleted by a /plan edit in between), the last line divides by zero: the
# statement fails as a whole, so a half-written completion can never commit, and
# ``record_completion`` reports it as not written.
RECORD_COMPLETION = DriverStatement(
    """
    WITH u AS (
        SELECT current_curriculum_id AS chosen FROM users WHERE id = :user_id FOR NO KEY UPDATE
    ), p AS (
        UPDATE user_progress
           SET sessions_completed = coalesce(sessions_completed, 0) + 1,
               total_time_spent = coalesce(total_time_spent, 0) + :minutes,
               current_streak = :streak,
               last_session_date = :at,
               last_session_local_date = :day
         WHERE user_id = :user_id AND curriculum_id = :curriculum_id
           AND coalesce(sessions_completed, 0) = :was_completed
           AND coalesce(current_streak, 0) = :was_streak
           AND last_session_local_date IS NOT DISTINCT FROM CAST(:was_day AS date)
           AND EXISTS (SELECT 1 FROM u)
        RETURNING 1
    ), s AS (
        UPDATE sessions
           SET completed_at = :at, completed_local_date = :day, minutes_spent = :minutes
         WHERE id = :session_id AND curriculum_id = :curriculum_id AND completed_at IS NULL
           AND session_number = coalesce(CAST(:number AS integer), session_number)
           AND EXISTS (SELECT 1 FROM p)
        RETURNING id
    ), n AS (
        INSERT INTO user_notes (user_id, session_id, content, created_at, updated_at)
        SELECT :user_id, s.id, CAST(:note AS text), :at, :at FROM s
         WHERE CAST(:note AS text) IS NOT NULL
        RETURNING 1
    ), c AS (
        UPDATE curricula SET status = 'completed'
         WHERE id = :curriculum_id AND CAST(:completes AS boolean) AND EXISTS (SELECT 1 FROM s)
        RETURNING 1
    ), v AS (
        UPDATE vacations SET ends_on = CAST(:day AS date) - 1, ended_early_at = :at
         WHERE user_id = :user_id AND ended_early_at IS NULL
           AND starts_on <= CAST(:day AS date) AND ends_on >= CAST(:day AS date)
           AND EXISTS (SELECT 1 FROM s)
        RETURNING 1
    ), chosen AS (
        UPDATE users SET current_curriculum_id = :curriculum_id
         WHERE id = :user_id AND EXISTS (SELECT 1 FROM s)
           AND (SELECT chosen FROM u) IS DISTINCT FROM CAST(:curriculum_id AS uuid)
        RETURNING 1
    )
    SELECT CASE WHEN EXISTS (SELECT 1 FROM p) THEN 1 / (SELECT count(*) FROM s)::int ELSE 0 END
      AS written, (SELECT count(*) FROM v) AS vacations_ended
    """
)


DIVISION_BY_ZERO = "22012"  # SQLSTATE of the failure above


# /undo's writes as one statement, in the lock order (each step waits for the one before): the
# progress goes back to the previous completion, the session is pending again, the note written
# by that /done (it carries the completion's own timestamp) goes, and a completed curriculum is
# active again. Run it holding the learner's row (``lock_learner``).
REVERT_COMPLETION = text(
    """
    WITH prev AS (
        SELECT completed_at, completed_local_date FROM sessions
         WHERE curriculum_id = :curriculum_id AND completed_at IS NOT NULL AND id <> :session_id
         ORDER BY completed_at DESC, session_number DESC LIMIT 1
    ), p AS (
        UPDATE user_progress
           SET sessions_completed = sessions_completed - 1,
               total_time_spent = total_time_spent - :minutes,
               current_streak = :streak,
               last_session_date = (SELECT completed_at FROM prev),
               last_session_local_date = (SELECT completed_local_date FROM prev)
         WHERE curriculum_id = :curriculum_id
        RETURNING 1
    ), s AS (
        UPDATE sessions SET completed_at = NULL, completed_local_date = NULL, minutes_spent = NULL
         WHERE id = :session_id AND EXISTS (SELECT 1 FROM p)
        RETURNING 1
    ), n AS (
        DELETE FROM user_notes
         WHERE session_id = :session_id AND created_at = :completed_at AND EXISTS (SELECT 1 FROM s)
        RETURNING 1
    ), c AS (
        UPDATE curricula SET status = 'active'
         WHERE id = :curriculum_id AND status = 'completed' AND EXISTS (SELECT 1 FROM s)
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM n) + (SELECT count(*) FROM c)
    """
)
