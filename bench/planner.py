"""How long does planning take? The offline catalogue planner against the template planner it
replaced (the baseline), in the same run, for the longest plans a learner can ask for.

For every catalogue subject and every level, a 365-session plan (and a 10-session one) with a
goal naming one of the subject's topics; the first plan of each subject also pays for loading
and checking the catalogue, which happens once per process.

    python -m bench.planner
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence

from domain.learning.catalogue import catalogue
from domain.learning.catalogue_planner import CataloguePlanner
from domain.learning.model import CurriculumSpec, PlannedSession, SkillLevel
from domain.learning.planner import TemplatePlanner

TARGET_MS = 50.0


def specs(sessions: int) -> list[CurriculumSpec]:
    return [
        CurriculumSpec(
            subject.name,
            sessions,
            60,
            level,
            goals=f"get good at {subject.topics[len(subject.topics) // 2].title}",
            background="I know the basics",
        )
        for subject in catalogue()
        for level in SkillLevel
    ]


def timed(plan: Callable[[CurriculumSpec], list[PlannedSession]], cases: Sequence[CurriculumSpec]):
    seconds = []
    for spec in cases:
        started = time.perf_counter()
        plan(spec)
        seconds.append(time.perf_counter() - started)
    return seconds


def line(name: str, seconds: list[float]) -> str:
    cuts = statistics.quantiles(seconds, n=100)
    return f"{name:<22} p50 {cuts[49] * 1000:6.2f} ms, p95 {cuts[94] * 1000:6.2f} ms"


def main() -> None:
    started = time.perf_counter()
    subjects = catalogue()
    print(
        f"catalogue: {len(subjects)} subjects, {sum(len(s.topics) for s in subjects)} topics, "
        f"loaded and checked in {(time.perf_counter() - started) * 1000:.0f} ms (once a process)"
    )
    offline, template = CataloguePlanner(), TemplatePlanner()
    for sessions in (365, 10):
        cases = specs(sessions)
        ours = timed(offline.plan, cases)
        base = timed(template.plan, cases)
        p95 = statistics.quantiles(ours, n=100)[94] * 1000
        verdict = "met" if p95 <= TARGET_MS else "MISSED"
        print(f"{sessions} sessions, {len(cases)} plans (every subject x level):")
        print(f"  {line('catalogue planner', ours)} [target p95 <= {TARGET_MS:g} ms: {verdict}]")
        print(f"  {line('template (baseline)', base)}")


if __name__ == "__main__":
    main()
