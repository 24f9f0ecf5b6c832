"""/chart's rules without a database: the grid's weeks, plans beyond the first five, the
colours, and the picture drawn from them."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from uuid import uuid4

from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from bot.handlers.learning.chart_picture import (
    GREENS,
    NONE,
    colour,
    drawable_title,
    month_labels,
    render_png,
)
from domain.learning.chart import DAYS, SHOWN_PLANS, chart_of, first_day
from domain.learning.model import (
    CurriculumOverview,
    CurriculumStatus,
    Progress,
    SkillLevel,
    StudyTally,
)

TODAY = date(2026, 12, 2)  # a Wednesday
ROOT = Path(__file__).resolve().parents[2]


def plan(title: str, done: int = 0, total: int = 30) -> CurriculumOverview:
    return CurriculumOverview(
        id=uuid4(),
        title=title,
        subject=title,
        level=SkillLevel.BEGINNER,
        status=CurriculumStatus.ACTIVE,
        total_sessions=total,
        session_minutes=30,
        progress=Progress(done, 0, 0, None, None),
        created_at=None,
        next_session=None,
        schedule=None,
    )


def busy(plans: list[CurriculumOverview]) -> list[StudyTally]:
    """Plan n has n + 1 sessions of 30 minutes, one a day back from today."""
    return [
        StudyTally(TODAY - timedelta(days=day), p.id, 30, 1)
        for n, p in enumerate(plans)
        for day in range(n + 1)
    ]


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)))
def test_the_grid_is_twelve_whole_weeks_from_a_monday_ending_in_the_week_of_today(
    today: date,
) -> None:
    chart = chart_of("UTC", today, [], [], [])
    assert chart.first_day == first_day(today) and chart.first_day.weekday() == 0
    assert len(chart.days) == DAYS and chart.days[-1].weekday() == 6
    assert chart.days[-7] <= today <= chart.days[-1]


def test_six_plans_are_all_named_and_more_are_the_busiest_five_and_the_others() -> None:
    six = [plan(f"Plan {n}") for n in range(6)]
    chart = chart_of("UTC", TODAY, busy(six), six, [TODAY])
    assert len(chart.plans) == 6 and chart.others is None

    eight = [plan(f"Plan {n}") for n in range(8)]
    chart = chart_of("UTC", TODAY, busy(eight), eight, [TODAY])
    assert [p.title for p in chart.plans] == ["Plan 7", "Plan 6", "Plan 5", "Plan 4", "Plan 3"]
    assert len(chart.plans) == SHOWN_PLANS
    assert chart.others is not None
    assert (chart.others.plans, chart.others.sessions, chart.others.minutes) == (3, 6, 180)
    assert chart.total_sessions == sum(range(1, 9))


def test_days_are_coloured_by_their_minutes() -> None:
    assert colour(0, 0) == NONE
    assert [colour(m, 1) for m in (1, 29, 30, 59, 60, 119, 120, 600)] == [
        GREENS[0], GREENS[0], GREENS[1], GREENS[1], GREENS[2], GREENS[2], GREENS[3], GREENS[3],
    ]  # fmt: skip


def test_months_are_named_over_their_first_week_never_two_side_by_side() -> None:
    mondays = [date(2026, 8, 31) + timedelta(weeks=n) for n in range(12)]
    # 31 Aug is a sliver of August: September's label takes the next column alone
    assert month_labels(mondays) == [(1, "Sep"), (5, "Oct"), (9, "Nov")]


def test_titles_keep_accents_and_dashes_and_leave_out_what_the_font_cannot_draw() -> None:
    assert drawable_title("Español — verbos") == "Español — verbos"
    assert drawable_title("🎵 Music   theory 🎶") == "Music theory"
    assert drawable_title("🎵🎶") == "(a title I cannot draw)"


def test_the_picture_is_a_png_as_wide_as_ever_and_taller_with_more_plans() -> None:
    heights = []
    for count in (1, 8):
        plans = [
            plan(f"Español — verbos irregulares, parte {n} " * 3, 3, 40) for n in range(count)
        ]
        chart = chart_of("Europe/Berlin", TODAY, busy(plans), plans, [TODAY])
        with Image.open(io.BytesIO(render_png(chart))) as image:
            assert image.format == "PNG" and image.width == 990
            heights.append(image.height)
    assert heights[0] < heights[1] < 1400  # eight plans: six rows, five and the others


def test_with_a_home_that_cannot_be_written_the_font_cache_goes_to_a_folder_of_our_own(
    tmp_path: Path,
) -> None:
    """A fresh process (matplotlib not imported yet) whose home cannot hold folders: the
    picture is drawn, and matplotlib does not warn about a throwaway cache folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MPL", "XDG_"))}
    env.update(HOME="/dev/null/home", TMPDIR=str(tmp_path))
    script = (
        "from datetime import date\n"
        "from domain.learning.chart import chart_of\n"
        "from bot.handlers.learning.chart_picture import render_png\n"
        "import os, sys\n"
        "png = render_png(chart_of('UTC', date(2026, 12, 2), [], [], []))\n"
        "print(os.environ['MPLCONFIGDIR'], len(png), sys.modules['matplotlib'].get_cachedir())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    folder, size, cache = done.stdout.split()
    own = tmp_path / f"syllabot-matplotlib-{os.getuid()}"
    assert folder == cache == str(own) and int(size) > 0
    assert stat.S_IMODE(own.stat().st_mode) == 0o700
    assert "temporary cache directory" not in done.stderr, done.stderr
