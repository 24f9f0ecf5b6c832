"""Races between the writers of one learner's progress, against real PostgreSQL."""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.handlers.router import FAILURE, Dispatcher
from tests.support import Learner


async def test_done_and_undo_at_the_same_moment_never_fail_and_keep_the_counts_consistent(
    dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    ida = Learner(dispatcher)
    await ida.say("/new Go | 60 | 20 | beginner")
    for _ in range(5):
        await ida.say("/done 20 warm-up")
    pairs = 40
    sent = [ida.chat.enter(line) for _ in range(pairs) for line in ("/done 15 tap", "/undo")]
    replies = [reply.text for replies in await asyncio.gather(*sent) for reply in replies]
    assert FAILURE not in replies
    assert not [r for r in replies if "went wrong" in r or "changed while" in r]
    dones = sum(r.startswith("✅ Session") for r in replies)
    undos = sum(r.startswith("↩️ Undone") for r in replies)
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    """SELECT p.sessions_completed, p.total_time_spent,
                              count(s.completed_at) AS completed,
                              coalesce(sum(s.minutes_spent), 0) AS minutes,
                              max(s.session_number) FILTER (WHERE s.completed_at IS NOT NULL)
                                  AS highest
                         FROM user_progress p
                         JOIN platform_identities i ON i.user_id = p.user_id
                         JOIN sessions s ON s.curriculum_id = p.curriculum_id
                        WHERE i.platform = 'terminal' AND i.external_id = :name
                        GROUP BY p.id"""
                ),
                {"name": ida.name},
            )
        ).one()
    assert row.sessions_completed == row.completed == row.highest == 5 + dones - undos
    assert row.total_time_spent == row.minutes


async def test_done_and_plan_edits_at_the_same_moment_keep_the_completed_sessions_first(
    dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    eli = Learner(dispatcher)
    await eli.say("/new Go | 120 | 20 | beginner")
    edits = ("/plan edit move {n} 120", "/plan edit delete {n}", "/plan edit split {n}")
    sent = []
    for n in range(1, 31):
        sent += [eli.chat.enter("/done 10"), eli.chat.enter(edits[n % 3].format(n=n + 1))]
    replies = [reply.text for replies in await asyncio.gather(*sent) for reply in replies]
    assert FAILURE not in replies
    assert not [r for r in replies if "went wrong" in r or "changed while" in r]
    dones = sum(r.startswith("✅ Session") for r in replies)
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    """SELECT p.sessions_completed, count(s.completed_at) AS completed,
                              max(s.session_number) FILTER (WHERE s.completed_at IS NOT NULL)
                                  AS highest,
                              min(s.session_number) FILTER (WHERE s.completed_at IS NULL)
                                  AS first_open
                         FROM user_progress p
                         JOIN platform_identities i ON i.user_id = p.user_id
                         JOIN sessions s ON s.curriculum_id = p.curriculum_id
                        WHERE i.platform = 'terminal' AND i.external_id = :name
                        GROUP BY p.id"""
                ),
                {"name": eli.name},
            )
        ).one()
    assert row.sessions_completed == row.completed == row.highest == dones == 30
    assert row.first_open == 31
