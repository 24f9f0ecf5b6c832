"""deploy/ cannot rot: the environment template names every setting (and nothing else), its
secrets are blank, every value in it (the commented defaults too) is one the settings accept,
and the units and the Caddyfile agree with it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.config import Settings, load_settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
TEMPLATE = DEPLOY / "syllabot.env.example"
SECRETS = {
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_WEBHOOK_SECRET",
    "DISCORD_BOT_TOKEN",
    "SYLLABOT_LLM_API_KEY",
    "DATABASE_URL",  # it carries the database password
}
LINE = re.compile(r"^(?P<commented>#\s?)?(?P<name>[A-Z][A-Z0-9_]*)=(?P<value>.*)$")


def variables() -> dict[str, tuple[bool, str]]:
    """Each variable the template sets: (commented out, value)."""
    found: dict[str, tuple[bool, str]] = {}
    for line in TEMPLATE.read_text().splitlines():
        match = LINE.match(line)
        if match:
            assert match["name"] not in found, f"{match['name']} appears twice"
            found[match["name"]] = (bool(match["commented"]), match["value"])
    return found


def setting_names() -> set[str]:
    return {(info.alias or name).upper() for name, info in Settings.model_fields.items()}


def test_the_template_lists_every_setting_and_nothing_else() -> None:
    listed = set(variables())
    assert setting_names() - listed == set(), "missing from deploy/syllabot.env.example"
    assert listed - setting_names() == set(), "not a setting (a typo?)"


def test_the_secrets_in_the_template_are_blank() -> None:
    found = variables()
    assert {name: found[name][1] for name in SECRETS} == dict.fromkeys(SECRETS, "")


def test_every_value_in_the_template_is_accepted(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env of the working tree
    for name in setting_names():
        monkeypatch.delenv(name, raising=False)
    for name, (_, value) in variables().items():
        monkeypatch.setenv(name, value)  # the commented defaults as well
    settings = load_settings()
    assert settings.http_port == 9100 and settings.log_format == "json"
    assert settings.auto_migrate is False


def test_the_units_read_the_template_and_run_the_commands() -> None:
    for unit, command in (
        ("syllabot-run.service", "syllabot run"),
        ("syllabot-run@.service", "syllabot run"),
        ("syllabot-worker.service", "syllabot worker"),
    ):
        text = (DEPLOY / unit).read_text()
        assert "EnvironmentFile=/etc/syllabot/syllabot.env" in text, unit
        assert f"ExecStart=/opt/syllabot/venv/bin/{command}\n" in text, unit
        assert "RestartPreventExitStatus=2" in text, unit  # a configuration error


def test_the_caddyfile_health_checks_the_port_the_template_serves_health_on() -> None:
    caddy = (DEPLOY / "Caddyfile").read_text()
    port = variables()["SYLLABOT_HTTP_PORT"][1]
    assert f"health_port {port}" in caddy
    assert "health_uri /healthz" in caddy
    webhook_port = Settings.model_fields["telegram_webhook_port"].default
    assert f"127.0.0.11:{webhook_port} 127.0.0.12:{webhook_port}" in caddy
