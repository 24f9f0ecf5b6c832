"""`syllabot chat` fed by a pipe: a plain message logged with its tap, and /focus with Stop."""

from __future__ import annotations

from tests.scenarios.test_cli import db_env, run_cli

__all__ = ["db_env"]  # the fixture, used by name

SCRIPT = """\
/new Spanish | 10 | 30 | beginner
studied 40 min of verbs
#1
I will study 30 min tomorrow
/focus 15
/focus
#1
#1
/progress
"""


def test_a_plain_message_and_a_focus_timer_in_the_terminal(db_env: dict[str, str]) -> None:
    result = run_cli("chat", "--user", "pipe-focus", stdin=SCRIPT, env=db_env)
    out = result.stdout
    assert result.returncode == 0, result.stderr
    assert "Log 40 min on session 1, " in out and "[#2.1 Log it]  [#2.2 No]" in out
    assert "Session 1 of 10 done" in out and "(40 min)" in out
    assert "I answer commands" in out  # a plan, not a log
    assert "Focus: 15 min on session 2" in out and "⏹ Stop" in out
    assert "A focus timer is already running" in out
    assert "Stopped after less than a minute: nothing to log." in out
    assert "there is no button 1" in out  # the stopped timer's message has no buttons left
    assert "1/10 sessions" in out
    assert "Traceback" not in out + result.stderr
