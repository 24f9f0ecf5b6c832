"""The /chart picture: a PNG drawn with matplotlib's Agg canvas, never pyplot.

Only ``Figure`` and ``FigureCanvasAgg`` are used, so no global figure state and no GUI backend;
one picture is drawn at a time (``_DRAWING``), as matplotlib's font and text caches are shared
by the threads the bot draws in (``asyncio.to_thread``). The font is DejaVu Sans, which comes
with matplotlib (nothing is downloaded), followed by any of ``FALLBACK_FONTS`` installed on the
machine; characters none of them has (emoji, say) are left out of titles rather than drawn as
empty boxes.

matplotlib keeps a font cache in its config folder. When ``MPLCONFIGDIR`` is not set and the
usual folder cannot be written (a read-only home), a folder of the bot's own in the temporary
directory is used instead, so the cache is built once and kept, with no warning every start.
matplotlib is imported with the first picture, not when the bot starts.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
import threading
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.handlers.formatting import duration, plural
from domain.learning.chart import WEEKS, ProgressChart

if TYPE_CHECKING:
    from matplotlib.backend_bases import RendererBase
    from matplotlib.figure import Figure

DPI = 110
WIDTH = 9.0  # inches: 990 pixels wide; the height follows the number of plans
MARGIN = 0.45
# Minutes in a day -> colour, as on GitHub: none, then four greens from light to dark.
NONE = "#ebedf0"
GREENS = ("#9be9a8", "#40c463", "#30a14e", "#216e39")
LEVELS = (30, 60, 120)  # below 30 min, 30-59, 60-119, 2 h and more
LEGEND = ("none", "< 30 min", "30–59 min", "1–2 h", "2 h +")
INK, MUTED, TODAY, OTHERS = "#1f2328", "#59636e", "#0969da", "#8c959f"
DAY_LABELS = {0: "Mon", 2: "Wed", 4: "Fri", 6: "Sun"}
FONT = "DejaVu Sans"
FALLBACK_FONTS = ("Noto Sans", "Noto Sans CJK JP", "Noto Sans CJK SC", "WenQuanYi Zen Hei")
ROW = 0.62  # inches per plan: its title line and its bar
LABEL_COLUMN = 0.75  # inches left of the grid for the day names
CELL = (WIDTH - 2 * MARGIN - LABEL_COLUMN) / WEEKS  # a day's square, with its gap
MONTHS = 0.35  # the line of month names over the grid
GRID_TOP = 1.45
GRID_HEIGHT = MONTHS + 7 * CELL
PLANS_TOP = GRID_TOP + GRID_HEIGHT + 0.95

_DRAWING = threading.Lock()


def colour(minutes: int, sessions: int) -> str:
    """The cell colour of a day with ``minutes`` of study in ``sessions`` sessions."""
    if sessions <= 0 and minutes <= 0:
        return NONE
    return GREENS[sum(minutes >= edge for edge in LEVELS)]


def render_png(chart: ProgressChart) -> bytes:
    """The chart as PNG bytes (blocking: call it in a worker thread)."""
    with _DRAWING:
        _use_writable_config_dir()
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        rows = len(chart.plans) + (chart.others is not None)
        height = PLANS_TOP + 0.5 + ROW * max(rows, 1) + 0.1
        figure = Figure(figsize=(WIDTH, height), dpi=DPI, facecolor="white")
        canvas = FigureCanvasAgg(figure)
        _Drawing(figure, canvas.get_renderer(), height).draw(chart)
        out = io.BytesIO()
        figure.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
        return out.getvalue()


def _use_writable_config_dir() -> None:
    """Set ``MPLCONFIGDIR`` to a private temporary folder when matplotlib's own is read-only
    (only before matplotlib is first imported; a set ``MPLCONFIGDIR`` is kept)."""
    if "MPLCONFIGDIR" in os.environ or "matplotlib" in sys.modules:
        return
    home = Path.home()
    config = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config") / "matplotlib"
    cached = Path(os.environ.get("XDG_CACHE_HOME") or home / ".cache") / "matplotlib"
    if _writable(config) and _writable(cached):
        return
    own = Path(tempfile.gettempdir()) / f"syllabot-matplotlib-{os.getuid()}"
    own.mkdir(mode=0o700, exist_ok=True)
    os.environ["MPLCONFIGDIR"] = str(own)


def _writable(folder: Path) -> bool:
    """True when ``folder`` exists writable, or could be made (its nearest parent is)."""
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            return candidate.is_dir() and os.access(candidate, os.W_OK | os.X_OK)
    return False


class _Drawing:
    """Places everything in inches from the top left, measuring texts where they might not fit."""

    def __init__(self, figure: Figure, renderer: RendererBase, height: float) -> None:
        self.renderer = renderer
        # One axes over the whole picture, its units inches from the top left corner.
        self.ax = figure.add_axes((0, 0, 1, 1))
        self.ax.set_xlim(0, WIDTH)
        self.ax.set_ylim(height, 0)
        self.ax.axis("off")
        self.shapes: list[Any] = []  # drawn as one collection: add_patch is slow with many

    def text(self, x: float, y: float, words: str, size: float, **style: Any) -> Any:
        """Text at ``x`` inches from the left, its middle ``y`` inches from the top."""
        style.setdefault("color", INK)
        style.setdefault("va", "center")
        return self.ax.text(x, y, words, fontsize=size, fontfamily=_families(), **style)

    def width(self, text: Any) -> float:
        """How wide ``text`` is drawn, in inches."""
        return float(text.get_window_extent(self.renderer).width) / DPI

    def square(self, x: float, y: float, side: float, fill: str, edge: str | None = None) -> None:
        """A rounded square, its top left corner at (``x``, ``y``) inches."""
        from matplotlib.patches import FancyBboxPatch

        self.shapes.append(
            FancyBboxPatch(
                (x, y),
                side,
                side,
                boxstyle=f"round,pad=0,rounding_size={0.14 * side:.3f}",
                facecolor=fill,
                edgecolor=edge or "none",
                linewidth=2.4 if edge else 0,
            )
        )

    def bar(self, x: float, y: float, length: float, thickness: float, fill: str) -> None:
        """A bar from ``x``, its middle ``y`` inches from the top."""
        from matplotlib.patches import Rectangle

        self.shapes.append(
            Rectangle((x, y - thickness / 2), length, thickness, facecolor=fill, edgecolor="none")
        )

    def draw(self, chart: ProgressChart) -> None:
        right = WIDTH - MARGIN
        self.text(MARGIN, 0.45, f"Your last {WEEKS} weeks", 20, weight="bold")
        self.text(right, 0.4, _span(chart.first_day, max([chart.today, *chart.sessions])), 11,
                  color=MUTED, ha="right")  # fmt: skip
        self.text(right, 0.68, chart.timezone, 10, color=MUTED, ha="right")
        streak = f"Daily streak: {plural(chart.streak, 'day')}" if chart.streak else "No streak"
        facts = [streak, plural(chart.total_sessions, "session"), duration(chart.total_minutes)]
        facts.append(f"on {plural(chart.active_days, 'day')}")
        if not chart.total_sessions:
            facts = [streak, "no sessions in these weeks"]
        self.text(MARGIN, 1.0, "  ·  ".join(facts), 13)
        self.grid(chart, top=GRID_TOP)
        self.legend(GRID_TOP + GRID_HEIGHT + 0.3)
        self.plans(chart, PLANS_TOP)
        from matplotlib.collections import PatchCollection

        self.ax.add_collection(PatchCollection(self.shapes, match_original=True), autolim=False)

    def grid(self, chart: ProgressChart, top: float) -> None:
        """Weeks as columns (oldest left), Monday to Sunday from the top."""
        left, cell = MARGIN + LABEL_COLUMN, CELL
        squares = top + MONTHS  # the months' line above
        for row, name in DAY_LABELS.items():
            self.text(left - 0.15, squares + (row + 0.5) * cell, name, 11, color=MUTED, ha="right")
        for week, label in month_labels(chart.days[::7]):
            self.text(left + week * cell + 0.05, top + 0.12, label, 11, color=MUTED)
        gap = 0.08 * cell
        for number, day in enumerate(chart.days):
            week, weekday = divmod(number, 7)
            if day > chart.today and day not in chart.sessions:
                continue  # days to come stay blank
            fill = colour(chart.minutes.get(day, 0), chart.sessions.get(day, 0))
            edge = TODAY if day == chart.today else None
            x, y = left + week * cell + gap, squares + weekday * cell + gap
            self.square(x, y, cell - 2 * gap, fill, edge)

    def legend(self, y: float) -> None:
        x, side = MARGIN + LABEL_COLUMN + 0.05, 0.2
        for label, fill in zip(LEGEND, (NONE, *GREENS), strict=True):
            self.square(x, y - side / 2, side, fill)
            x += side + 0.08 + self.width(self.text(x + side + 0.08, y, label, 11, color=MUTED))
            x += 0.3
        self.square(x, y - side / 2, side, "white", TODAY)
        self.text(x + side + 0.08, y, "today", 11, color=MUTED)

    def plans(self, chart: ProgressChart, top: float) -> None:
        """Sessions done in these weeks per plan: a title line over a bar, busiest first."""
        self.text(MARGIN, top, "Sessions per plan in these weeks", 14, weight="bold")
        rows = [
            (p.title, p.sessions, f"{duration(p.minutes)} · {p.done}/{p.total} overall", GREENS[2])
            for p in chart.plans
        ]
        if chart.others is not None:
            other = plural(chart.others.plans, "other plan")
            rows.append((other, chart.others.sessions, duration(chart.others.minutes), OTHERS))
        if not rows:
            hint = "No sessions in these weeks." if chart.ever_studied else "No sessions yet."
            self.text(MARGIN, top + 0.55, hint + " Log one with /done after you study.", 12,
                      color=MUTED)  # fmt: skip
            return
        most = max(sessions for _, sessions, _, _ in rows) or 1
        span = WIDTH - 2 * MARGIN
        for number, (title, sessions, detail, fill) in enumerate(rows):
            y = top + 0.5 + number * ROW
            shown = self.text(WIDTH - MARGIN, y, detail, 10.5, color=MUTED, ha="right")
            self.fitted(MARGIN, y, drawable_title(title), span - self.width(shown) - 0.25, 12)
            length = max(0.8 * span * sessions / most, 0.04)
            self.bar(MARGIN, y + 0.2, length, 0.13, fill)
            self.text(MARGIN + length + 0.08, y + 0.2, str(sessions), 11)

    def fitted(self, x: float, y: float, words: str, room: float, size: float) -> None:
        """``words`` cut (with an ellipsis) to what fits in ``room`` inches."""
        text = self.text(x, y, words, size)
        if self.width(text) <= room:
            return
        low, high = 1, len(words)  # the longest cut that fits: at least one character
        while low < high:
            middle = (low + high + 1) // 2
            text.set_text(words[:middle].rstrip() + "…")
            if self.width(text) <= room:
                low = middle
            else:
                high = middle - 1
        text.set_text(words[:low].rstrip() + "…")


def month_labels(mondays: list[date]) -> list[tuple[int, str]]:
    """(column, "Oct") over the first week of each month, never two labels side by side."""
    found: list[tuple[int, str]] = []
    for week, monday in enumerate(mondays):
        if week == 0 or monday.month != mondays[week - 1].month:
            found.append((week, f"{monday:%b}"))
    if len(found) > 1 and found[1][0] - found[0][0] < 2:
        found = found[1:]  # the first column's month is only a sliver
    return found


def _span(first: date, last: date) -> str:
    start = f"{first.day} {first:%b}" + ("" if first.year == last.year else f" {first.year}")
    return f"{start} – {last.day} {last:%b} {last.year}"


def drawable_title(title: str) -> str:
    """``title`` in the characters the fonts have (no emoji boxes), spaces tidied."""
    kept = " ".join("".join(c for c in title if ord(c) in _glyphs()).split())
    return kept if any(c.isalnum() for c in kept) else "(a title I cannot draw)"


@cache
def _families() -> list[str]:
    """DejaVu Sans, then the installed fallbacks (used for characters it has not)."""
    from matplotlib import font_manager

    installed = {font.name for font in font_manager.fontManager.ttflist}
    return [FONT, *(name for name in FALLBACK_FONTS if name in installed)]


@cache
def _glyphs() -> frozenset[int]:
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    found: set[int] = set()
    for family in _families():
        path = font_manager.findfont(font_manager.FontProperties(family=family))
        found.update(FT2Font(path).get_charmap())
    return frozenset(found)
