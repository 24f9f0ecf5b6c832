"""/chart: the learner's last twelve weeks as a picture (the data: ``domain.learning.chart``;
the drawing: ``chart_picture``, run in a worker thread so the chat loop never waits on it)."""

from __future__ import annotations

import asyncio

from bot.handlers.base import Attachment, Command, Handler, Reply, Request
from bot.handlers.formatting import duration, plural
from bot.handlers.learning.chart_picture import render_png
from domain.learning.chart import WEEKS, ProgressChart, progress_chart
from domain.learning.curricula import NO_CURRICULUM

NO_SESSIONS = (
    "No sessions logged yet, so there is nothing to draw. Log one with /done after you "
    "study, and /chart shows your weeks filling in."
)


def _caption(chart: ProgressChart) -> str:
    if not chart.total_sessions:
        done = f"no sessions in the last {WEEKS} weeks"
    else:
        done = (
            f"{plural(chart.total_sessions, 'session')}, {duration(chart.total_minutes)} "
            f"on {plural(chart.active_days, 'day')} in the last {WEEKS} weeks"
        )
    streak = f"🔥 daily streak {plural(chart.streak, 'day')}" if chart.streak else "no streak now"
    return f"📊 Your study ({chart.timezone}): {done} · {streak}."


async def chart(req: Request) -> Reply:
    """Your last 12 weeks as a picture: minutes a day, your streak, sessions per plan."""
    data = await progress_chart(req.user_id, req.ctx.uow(), req.ctx.clock)
    if not data.ever_studied:
        return Reply(NO_SESSIONS if data.curricula else NO_CURRICULUM)
    picture = await asyncio.to_thread(render_png, data)
    name = f"syllabot-chart-{data.today:%Y-%m-%d}.png"
    return Reply(_caption(data), attachment=Attachment(name, picture, "image/png"))


COMMANDS = [
    Command("chart", chart, "your last 12 weeks as a picture: minutes a day, streak, plans"),
]

BUTTONS: dict[str, Handler] = {}
