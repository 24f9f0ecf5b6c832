"""Settings from the environment and an optional ``.env`` file (pydantic-settings)."""

from __future__ import annotations

from pathlib import Path

import platformdirs
from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("syllabot", appauthor=False))


class Settings(BaseSettings):
    """Everything Syllabot reads from its environment. Nothing else reads ``os.environ``."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="postgresql+asyncpg://user:pass@host:port/db; unset runs an embedded server",
    )
    data_dir: Path = Field(default_factory=default_data_dir, alias="SYLLABOT_DATA_DIR")
    log_level: str = "WARNING"
    db_pool_size: int = Field(default=10, ge=1, le=200, alias="SYLLABOT_DB_POOL_SIZE")
    auto_migrate: bool = Field(default=True, alias="SYLLABOT_AUTO_MIGRATE")
    telegram_bot_token: str | None = None
    discord_bot_token: str | None = None

    @field_validator("database_url")
    @classmethod
    def _asyncpg_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith("postgresql+asyncpg://"):
            raise ValueError(
                "must start with postgresql+asyncpg:// (e.g. postgresql+asyncpg://user@host/db)"
            )
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level


class SettingsError(Exception):
    """A configuration value is wrong; the message is one line naming the variable."""


ENV_NAMES = {
    "database_url": "DATABASE_URL",
    "SYLLABOT_DATA_DIR": "SYLLABOT_DATA_DIR",
    "log_level": "LOG_LEVEL",
    "SYLLABOT_DB_POOL_SIZE": "SYLLABOT_DB_POOL_SIZE",
    "SYLLABOT_AUTO_MIGRATE": "SYLLABOT_AUTO_MIGRATE",
}


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning a validation error into a one-line :class:`SettingsError`."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "?"
        name = ENV_NAMES.get(field, field.upper())
        message = first["msg"].removeprefix("Value error, ")
        raise SettingsError(f"{name}: {message}") from None
