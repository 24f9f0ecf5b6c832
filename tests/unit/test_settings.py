"""A wrong setting is one plain line: the variable's name and the form it expects."""

from __future__ import annotations

import pytest

from bot.config import EXPECTED, Settings, SettingsError, load_settings

# One wrong value for every setting that can be wrong, by the variable a person sets.
WRONG = {
    "DATABASE_URL": ("database_url", "postgresql://localhost/syllabot"),
    "LOG_LEVEL": ("log_level", "loud"),
    "LOG_FORMAT": ("log_format", "xml"),
    "SYLLABOT_HTTP_PORT": ("SYLLABOT_HTTP_PORT", "http"),
    "SYLLABOT_READY_MAX_OUTBOX_LAG": ("SYLLABOT_READY_MAX_OUTBOX_LAG", "-1"),
    "SYLLABOT_DB_POOL_SIZE": ("SYLLABOT_DB_POOL_SIZE", "0"),
    "SYLLABOT_AUTO_MIGRATE": ("SYLLABOT_AUTO_MIGRATE", "maybe"),
    "TELEGRAM_API_BASE_URL": ("telegram_api_base_url", "127.0.0.1:8081/bot"),
    "TELEGRAM_WEBHOOK_URL": ("telegram_webhook_url", "bot.example.org"),
    "TELEGRAM_WEBHOOK_PORT": ("telegram_webhook_port", "99999"),
    "TELEGRAM_WEBHOOK_SECRET": ("telegram_webhook_secret", "not a secret"),
    "DISCORD_GUILD_ID": ("discord_guild_id", "my server"),
    "DISCORD_SHARD_COUNT": ("discord_shard_count", "0"),
    "SYLLABOT_ADMINS": ("SYLLABOT_ADMINS", "alice"),
    "SYLLABOT_CURRENCY": ("SYLLABOT_CURRENCY", "euro"),
    "SYLLABOT_COMMISSION_RATE": ("SYLLABOT_COMMISSION_RATE", "15%"),
    "SYLLABOT_MIN_NOTICE_HOURS": ("SYLLABOT_MIN_NOTICE_HOURS", "a day"),
    "SYLLABOT_BOOKING_HORIZON_DAYS": ("SYLLABOT_BOOKING_HORIZON_DAYS", "0"),
    "SYLLABOT_BOOKING_BUFFER_MINUTES": ("SYLLABOT_BOOKING_BUFFER_MINUTES", "-5"),
    "SYLLABOT_CANCEL_NOTICE_HOURS": ("SYLLABOT_CANCEL_NOTICE_HOURS", "1000"),
    "SYLLABOT_LLM_BASE_URL": ("SYLLABOT_LLM_BASE_URL", "localhost:11434"),
    "SYLLABOT_LLM_TIMEOUT": ("SYLLABOT_LLM_TIMEOUT", "0"),
}


@pytest.mark.parametrize("variable", sorted(WRONG))
def test_a_wrong_setting_names_the_variable_and_the_expected_form(variable: str) -> None:
    field, value = WRONG[variable]
    extra = {"telegram_webhook_url": "https://bot.example.org/tg"} if "SECRET" in variable else {}
    with pytest.raises(SettingsError) as error:
        load_settings(**{field: value}, **extra)
    message = str(error.value)
    assert message.startswith(f"{variable} must be "), message
    assert "\n" not in message
    for jargon in ("String should", "Input should", "pattern", "Value error", "type="):
        assert jargon not in message


def test_the_currency_error_reads_as_the_readme_says() -> None:
    with pytest.raises(SettingsError) as error:
        load_settings(SYLLABOT_CURRENCY="euro")
    assert str(error.value) == "SYLLABOT_CURRENCY must be a three-letter currency code such as EUR"


def test_a_setting_needed_by_another_says_which() -> None:
    with pytest.raises(SettingsError) as error:
        load_settings(SYLLABOT_LLM_BASE_URL="http://127.0.0.1:11434/v1")
    assert str(error.value).startswith(
        "SYLLABOT_LLM_MODEL must be set when SYLLABOT_LLM_BASE_URL is set: the name of the model"
    )


def test_every_setting_has_its_expected_form_in_plain_words() -> None:
    assert set(EXPECTED) == set(Settings.model_fields)


def test_a_blank_data_dir_is_the_default_not_the_current_folder() -> None:
    assert load_settings(SYLLABOT_DATA_DIR="").data_dir == load_settings().data_dir


def test_discord_shard_ids_are_read_within_the_shard_count() -> None:
    settings = load_settings(discord_shard_count="4", discord_shard_ids="1, 3")
    assert settings.discord_shard_count == 4 and settings.discord_shards() == (1, 3)
    assert load_settings(discord_shard_count="", discord_shard_ids="").discord_shards() is None


@pytest.mark.parametrize(
    ("count", "ids", "said"),
    [
        (None, "0", "DISCORD_SHARD_IDS needs DISCORD_SHARD_COUNT: set it to the number of"),
        (
            "2",
            "2",
            "DISCORD_SHARD_IDS must be a comma-separated list of shard numbers from 0 to 1",
        ),
        ("2", "0,zero", "DISCORD_SHARD_IDS must be a comma-separated list of shard numbers"),
        ("2", "1,1", "DISCORD_SHARD_IDS must name each shard once, such as 0,1"),
    ],
)
def test_wrong_discord_shard_ids_say_what_is_wrong(count: str | None, ids: str, said: str) -> None:
    with pytest.raises(SettingsError) as error:
        load_settings(discord_shard_count=count, discord_shard_ids=ids)
    assert str(error.value).startswith(said)
