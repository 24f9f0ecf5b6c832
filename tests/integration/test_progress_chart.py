"""/chart's data from real completions: minutes per local day, the grid's weeks, the streak and
sessions per plan, in the learner's zone across a DST change and a move to another zone."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

from PIL import Image
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.handlers.router import Dispatcher
from db.uow import SqlAlchemyUnitOfWork
from domain.accounts.model import SetTimezone
from domain.accounts.registration import set_timezone
from domain.learning.chart import DAYS, progress_chart
from domain.learning.commands import CreateCurriculum, LogSession, OpenCurriculum
from domain.learning.curricula import create_curriculum, open_curriculum
from domain.learning.model import CurriculumSpec, SkillLevel
from domain.learning.planner import TemplatePlanner
from domain.learning.sessions import log_session
from tests.support import FakeClock, Learner, people

SPEC = CurriculumSpec("Go", 30, 25, SkillLevel.BEGINNER)


async def _learner(engine: AsyncEngine, clock: FakeClock, zone: str) -> UUID:
    (learner,) = await people(engine, 1)
    await set_timezone(SetTimezone(learner, zone), SqlAlchemyUnitOfWork(engine), clock)
    return learner


async def _log(engine: AsyncEngine, clock: FakeClock, learner: UUID, at: datetime, minutes: int):
    clock.set(at)
    await log_session(LogSession(learner, minutes), SqlAlchemyUnitOfWork(engine), clock)


async def test_minutes_fall_on_berlin_days_across_the_end_of_summer_time(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    learner = await _learner(engine, clock, "Europe/Berlin")
    uow = SqlAlchemyUnitOfWork(engine)
    await create_curriculum(CreateCurriculum(learner, SPEC), uow, TemplatePlanner())
    # Summer time ends on Sunday 25 October 2026 at 03:00 (CEST, UTC+2 -> CET, UTC+1).
    for at, minutes in [
        (datetime(2026, 10, 24, 21, 30, tzinfo=UTC), 10),  # Sat 23:30 CEST
        (datetime(2026, 10, 24, 22, 30, tzinfo=UTC), 20),  # Sun 00:30 CEST (Saturday in UTC)
        (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), 30),  # Sun 02:30 CET, the hour lived twice
        (datetime(2026, 10, 25, 22, 30, tzinfo=UTC), 40),  # Sun 23:30 CET
        (datetime(2026, 10, 25, 23, 30, tzinfo=UTC), 50),  # Mon 00:30 CET (Sunday in UTC)
    ]:
        await _log(engine, clock, learner, at, minutes)

    chart = await progress_chart(learner, SqlAlchemyUnitOfWork(engine), clock)
    assert chart.today == date(2026, 10, 26)
    assert chart.minutes == {
        date(2026, 10, 24): 10,
        date(2026, 10, 25): 90,
        date(2026, 10, 26): 50,
    }
    assert chart.sessions == {date(2026, 10, 24): 1, date(2026, 10, 25): 3, date(2026, 10, 26): 1}
    assert chart.streak == 3
    # twelve whole weeks from a Monday: the 25-hour Sunday is one day among them
    assert chart.first_day == date(2026, 8, 10) and chart.first_day.weekday() == 0
    assert len(set(chart.days)) == DAYS and chart.days[-1] == date(2026, 11, 1)
    assert chart.days.count(date(2026, 10, 25)) == 1
    (plan,) = chart.plans
    assert (plan.title, plan.sessions, plan.minutes, plan.done) == ("Go (beginner)", 5, 150, 5)


async def test_a_move_to_another_zone_keeps_the_days_studied_where_they_were(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    learner = await _learner(engine, clock, "Europe/Berlin")
    uow = SqlAlchemyUnitOfWork(engine)
    await create_curriculum(CreateCurriculum(learner, SPEC), uow, TemplatePlanner())
    await _log(engine, clock, learner, datetime(2026, 11, 1, 12, 0, tzinfo=UTC), 30)  # Sun
    await _log(engine, clock, learner, datetime(2026, 11, 1, 23, 30, tzinfo=UTC), 45)  # Mon 00:30
    # Off to Los Angeles, where it is still Sunday evening: the Monday stays a Monday, and the
    # grid reaches its week, so the session is not out of sight until midnight there.
    clock.set(datetime(2026, 11, 2, 3, 0, tzinfo=UTC))
    await set_timezone(SetTimezone(learner, "America/Los_Angeles"), uow, clock)
    chart = await progress_chart(learner, SqlAlchemyUnitOfWork(engine), clock)
    assert chart.timezone == "America/Los_Angeles" and chart.today == date(2026, 11, 1)
    assert chart.minutes == {date(2026, 11, 1): 30, date(2026, 11, 2): 45}
    assert chart.days[-7] == date(2026, 11, 2)  # the week of the latest session
    assert chart.streak == 2

    # A week later, in Los Angeles: days there, the earlier ones as they were.
    await _log(engine, clock, learner, datetime(2026, 11, 9, 7, 30, tzinfo=UTC), 20)  # Sun 23:30
    chart = await progress_chart(learner, SqlAlchemyUnitOfWork(engine), clock)
    assert chart.minutes == {date(2026, 11, 1): 30, date(2026, 11, 2): 45, date(2026, 11, 8): 20}
    assert chart.streak == 1 and chart.days[-1] == date(2026, 11, 8)


async def test_only_the_twelve_weeks_count_and_only_the_learners_own_plans(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    learner = await _learner(engine, clock, "UTC")
    other = await _learner(engine, clock, "UTC")
    uow = SqlAlchemyUnitOfWork(engine)
    go = (
        await create_curriculum(CreateCurriculum(learner, SPEC), uow, TemplatePlanner())
    ).overview
    spec = CurriculumSpec("Español — verbos", 10, 30, SkillLevel.BEGINNER)
    await create_curriculum(CreateCurriculum(learner, spec), uow, TemplatePlanner())
    await create_curriculum(CreateCurriculum(other, SPEC), uow, TemplatePlanner())
    today = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)  # a Wednesday
    await _log(engine, clock, learner, today - timedelta(days=100), 25)  # before the grid
    await _log(engine, clock, learner, today - timedelta(days=2), 25)
    await _log(engine, clock, learner, today - timedelta(days=1), 35)
    await open_curriculum(OpenCurriculum(learner, go.id), uow)
    await _log(engine, clock, learner, today, 45)
    await _log(engine, clock, other, today, 60)

    chart = await progress_chart(learner, SqlAlchemyUnitOfWork(engine), clock)
    assert chart.first_day == date(2026, 9, 14) and chart.days[-1] == date(2026, 12, 6)
    assert chart.total_minutes == 105 and chart.total_sessions == 3
    assert [(p.title, p.sessions, p.done, p.total) for p in chart.plans] == [
        ("Español — verbos (beginner)", 2, 3, 10),
        ("Go (beginner)", 1, 1, 30),
    ]
    assert chart.streak == 3 and chart.others is None


async def test_chart_replies_with_a_png_picture_and_a_caption(
    dispatcher: Dispatcher, clock: FakeClock
) -> None:
    ada = Learner(dispatcher)
    await ada.say("/new Español — verbos | 10 | 30 | beginner")
    await ada.say("/done 40")
    text = await ada.say("/chart")
    assert "1 session, 40 min on 1 day in the last 12 weeks" in text
    assert "daily streak 1 day" in text
    (reply,) = ada.last
    assert reply.attachment is not None and reply.attachment.image
    assert reply.attachment.filename == "syllabot-chart-2026-03-02.png"
    picture = reply.attachment.content
    assert picture.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(picture)) as image:
        assert image.format == "PNG" and image.width == 990
        assert 800 < image.height < 1400


async def test_chart_without_sessions_says_what_to_do_instead_of_an_empty_picture(
    dispatcher: Dispatcher,
) -> None:
    bo = Learner(dispatcher)
    assert "/chart — your last 12 weeks as a picture" in await bo.say("/help")
    assert "no curriculum yet" in await bo.say("/chart")
    await bo.say("/new Go | 3 | 30 | beginner")
    assert "No sessions logged yet" in await bo.say("/chart")
    assert all(reply.attachment is None for reply in bo.last)
