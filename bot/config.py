"""Settings from the environment and an optional ``.env`` file (pydantic-settings)."""

from __future__ import annotations

import re
from datetime import time, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs
from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import SettingsConfigDict

from bot.terms_settings import TERMS_EXPECTED, TermsSettings
from db.backups import BackupConfig, Keep
from domain.accounts.retention import Retention
from domain.marketplace.model import Policy


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("syllabot", appauthor=False))


class Settings(TermsSettings):
    """Everything Syllabot reads from its environment. Nothing else reads ``os.environ``."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="postgresql+asyncpg://user:pass@host:port/db; unset runs an embedded server",
    )
    data_dir: Path = Field(default_factory=default_data_dir, alias="SYLLABOT_DATA_DIR")
    log_level: str = "WARNING"
    log_format: str = Field(default="text", description="text, or json: one object per line")
    # Operating (README "Operating"): /healthz, /readyz and /metrics on SYLLABOT_HTTP_PORT.
    http_port: int | None = Field(default=None, ge=1, le=65535, alias="SYLLABOT_HTTP_PORT")
    http_host: str = Field(default="127.0.0.1", alias="SYLLABOT_HTTP_HOST")
    ready_max_outbox_lag: float = Field(
        default=300.0,
        ge=0,
        le=86400,
        alias="SYLLABOT_READY_MAX_OUTBOX_LAG",
        description="seconds the oldest due notification may wait before /readyz says 503",
    )
    db_pool_size: int = Field(default=10, ge=1, le=200, alias="SYLLABOT_DB_POOL_SIZE")
    db_max_overflow: int = Field(default=0, ge=0, le=200, alias="SYLLABOT_DB_MAX_OVERFLOW")
    db_pool_timeout: float = Field(default=30.0, gt=0, le=600, alias="SYLLABOT_DB_POOL_TIMEOUT")
    db_pool_recycle: int = Field(default=1800, ge=-1, le=86400, alias="SYLLABOT_DB_POOL_RECYCLE")
    db_pool_pre_ping: bool = Field(default=False, alias="SYLLABOT_DB_POOL_PRE_PING")
    pgbouncer: bool = Field(default=False, alias="SYLLABOT_PGBOUNCER")
    listen_url: str | None = Field(
        default=None,
        alias="SYLLABOT_LISTEN_URL",
        description="a direct PostgreSQL URL for the cache's LISTEN (PgBouncer can't carry it)",
    )
    cache_ttl_seconds: float = Field(default=60.0, ge=0, le=86400, alias="SYLLABOT_CACHE_TTL")
    auto_migrate: bool = Field(default=True, alias="SYLLABOT_AUTO_MIGRATE")
    telegram_bot_token: str | None = None
    telegram_api_base_url: str | None = Field(
        default=None, description="python-telegram-bot's base_url, e.g. http://127.0.0.1:8081/bot"
    )
    telegram_webhook_url: str | None = Field(
        default=None, description="public HTTPS URL Telegram posts updates to; unset: polling"
    )
    telegram_webhook_listen: str = "127.0.0.1"
    telegram_webhook_port: int = Field(default=8443, ge=1, le=65535)
    telegram_webhook_secret: str | None = Field(default=None, validate_default=True)
    discord_bot_token: str | None = None
    discord_guild_id: int | None = Field(
        default=None, ge=1, description="sync slash commands to this server only (instant)"
    )
    discord_api_base_url: str | None = Field(
        default=None, description="Discord's REST API, e.g. http://127.0.0.1:8082/api/v10"
    )
    discord_gateway_url: str | None = Field(
        default=None, description="the first gateway connection, e.g. ws://127.0.0.1:8082/"
    )
    discord_shard_count: int | None = Field(
        default=None, ge=1, le=100_000, description="shards in all; unset: what Discord says"
    )
    discord_shard_ids: str | None = Field(
        default=None,
        validate_default=True,
        description="the shards this process runs, e.g. 0,1; unset: all of them",
    )
    # Several processes on one database (README "Several instances"): the messages a second
    # all processes together may send on each bot token (0: each process paces only itself).
    telegram_send_budget: float = Field(
        default=29.0, ge=0, le=1000, alias="SYLLABOT_TELEGRAM_SEND_BUDGET"
    )
    discord_send_budget: float = Field(
        default=48.0, ge=0, le=1000, alias="SYLLABOT_DISCORD_SEND_BUDGET"
    )
    # false: no limits of our own on Telegram (benchmarks, a Bot API server without any).
    telegram_rate_limits: bool = Field(default=True, alias="SYLLABOT_TELEGRAM_RATE_LIMITS")
    outbox_lease_seconds: int = Field(default=120, ge=5, le=3600, alias="SYLLABOT_OUTBOX_LEASE")
    deliver_every_seconds: float = Field(default=5.0, gt=0, le=300, alias="SYLLABOT_DELIVER_EVERY")
    # The expert marketplace (see the README's marketplace section).
    admins: str = Field(default="", alias="SYLLABOT_ADMINS")
    currency: str = Field(default="EUR", alias="SYLLABOT_CURRENCY", pattern=r"^[A-Z]{3}$")
    commission_rate: Decimal = Field(
        default=Decimal("0.15"), ge=0, le=1, alias="SYLLABOT_COMMISSION_RATE"
    )
    min_notice_hours: int = Field(default=12, ge=0, le=720, alias="SYLLABOT_MIN_NOTICE_HOURS")
    horizon_days: int = Field(default=30, ge=1, le=365, alias="SYLLABOT_BOOKING_HORIZON_DAYS")
    buffer_minutes: int = Field(default=15, ge=0, le=240, alias="SYLLABOT_BOOKING_BUFFER_MINUTES")
    cancel_notice_hours: int = Field(
        default=12, ge=0, le=720, alias="SYLLABOT_CANCEL_NOTICE_HOURS"
    )
    # Retention: an account with no message or booking this long is deleted (warned 30 days
    # ahead).
    inactive_days: int = Field(default=730, ge=60, le=36500, alias="SYLLABOT_INACTIVE_DAYS")
    # The optional language-model planner (any OpenAI-compatible Chat Completions server).
    llm_base_url: str | None = Field(
        default=None,
        alias="SYLLABOT_LLM_BASE_URL",
        description="e.g. http://127.0.0.1:11434/v1 (Ollama); unset plans offline only",
    )
    llm_model: str | None = Field(default=None, alias="SYLLABOT_LLM_MODEL", validate_default=True)
    llm_api_key: SecretStr | None = Field(default=None, alias="SYLLABOT_LLM_API_KEY")
    llm_timeout_seconds: float = Field(default=20.0, gt=0, le=600, alias="SYLLABOT_LLM_TIMEOUT")
    # Backups (README "Operating Syllabot").
    backup_dir: Path | None = Field(
        default=None,
        alias="SYLLABOT_BACKUP_DIR",
        description="where dumps and manifests go; unset: <SYLLABOT_DATA_DIR>/backups",
    )
    backup_mirror: Path | None = Field(
        default=None,
        alias="SYLLABOT_BACKUP_MIRROR",
        description="a second directory (e.g. a mounted remote file system) for a copy of each",
    )
    pg_bin: Path | None = Field(
        default=None,
        alias="SYLLABOT_PG_BIN",
        description="the directory of pg_dump and pg_restore to use; unset: searched",
    )
    backup_at: time = Field(default=time(3, 30), alias="SYLLABOT_BACKUP_AT")  # UTC, daily
    backup_keep_daily: int = Field(default=7, ge=1, le=366, alias="SYLLABOT_BACKUP_KEEP_DAILY")
    backup_keep_weekly: int = Field(default=4, ge=0, le=520, alias="SYLLABOT_BACKUP_KEEP_WEEKLY")
    backup_keep_monthly: int = Field(
        default=12, ge=0, le=1200, alias="SYLLABOT_BACKUP_KEEP_MONTHLY"
    )
    pitr: bool = Field(
        default=False,
        alias="SYLLABOT_PITR",
        description="archive the embedded server's WAL and take weekly base backups",
    )
    operator_timezone: str = Field(
        default="UTC",
        alias="SYLLABOT_OPERATOR_TIMEZONE",
        description="the IANA zone `syllabot db restore --at` reads times in",
    )

    @field_validator("operator_timezone")
    @classmethod
    def _iana_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("") from None  # said by EXPECTED
        return value

    @field_validator("llm_model")
    @classmethod
    def _llm_model(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value in (None, ""):
            if info.data.get("llm_base_url"):
                raise ValueError(
                    "must be set when SYLLABOT_LLM_BASE_URL is set: the name of the model to "
                    "ask, such as llama3.1"
                )
            return None
        return value

    @field_validator("admins")
    @classmethod
    def _admin_pairs(cls, value: str) -> str:
        for item in filter(None, (part.strip() for part in value.split(","))):
            platform, sep, user = item.partition(":")
            if not sep or not platform or not user:
                raise ValueError(
                    f"must be a comma-separated list of platform:user-id pairs such as "
                    f"telegram:12345,discord:678; “{item}” is not one"
                )
        return value

    @field_validator("discord_shard_ids")
    @classmethod
    def _shard_ids(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value in (None, ""):
            return None
        count = info.data.get("discord_shard_count")
        if count is None:
            raise ValueError(
                "needs DISCORD_SHARD_COUNT: set it to the number of shards in all processes"
            )
        items = [part.strip() for part in value.split(",")]
        if not all(item.isdigit() and int(item) < count for item in items):
            raise ValueError(
                f"must be a comma-separated list of shard numbers from 0 to {count - 1} "
                f"(DISCORD_SHARD_COUNT is {count}), such as 0,1"
            )
        if len(set(map(int, items))) != len(items):
            raise ValueError("must name each shard once, such as 0,1")
        return value

    def discord_shards(self) -> tuple[int, ...] | None:
        """The shard ids this process runs (None: all, as many as Discord recommends if unset)."""
        if self.discord_shard_ids is None:
            return None
        return tuple(int(item) for item in self.discord_shard_ids.split(","))

    def policy(self) -> Policy:
        """The marketplace's numbers as the domain wants them."""
        pairs = (part.strip().partition(":") for part in self.admins.split(",") if part.strip())
        return Policy(
            currency=self.currency,
            commission_rate=self.commission_rate,
            min_notice=timedelta(hours=self.min_notice_hours),
            horizon=timedelta(days=self.horizon_days),
            buffer=timedelta(minutes=self.buffer_minutes),
            free_cancellation_notice=timedelta(hours=self.cancel_notice_hours),
            min_cancellation_notice=timedelta(hours=self.cancel_notice_min_hours),
            max_cancellation_notice=timedelta(hours=self.cancel_notice_max_hours),
            admins=frozenset((platform.strip(), user.strip()) for platform, _, user in pairs),
        )

    def retention(self) -> Retention:
        """The retention windows as the domain wants them."""
        return Retention(inactive_after=timedelta(days=self.inactive_days))

    def backup_config(self) -> BackupConfig:
        """Where backups go and how many are kept, as ``db.backups`` wants them."""
        return BackupConfig(
            directory=self.backup_dir or self.data_dir / "backups",
            mirror=self.backup_mirror,
            keep=Keep(self.backup_keep_daily, self.backup_keep_weekly, self.backup_keep_monthly),
            embedded=self.database_url is None,
            pg_bin=self.pg_bin,
            pitr=self.pitr,
        )

    def wal_archive(self) -> Path | None:
        """Where the embedded server archives its write-ahead log (SYLLABOT_PITR=true)."""
        if not self.pitr or self.database_url is not None:
            return None
        return self.backup_config().directory / "wal"

    @field_validator(
        "discord_guild_id",
        "discord_shard_count",
        "llm_api_key",
        "backup_dir",
        "backup_mirror",
        "pg_bin",
        "http_port",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("data_dir", mode="before")
    @classmethod
    def _blank_is_the_default_dir(cls, value: object) -> object:
        return default_data_dir() if value == "" else value  # never the current folder

    @field_validator(
        "telegram_api_base_url", "telegram_webhook_url", "llm_base_url", "discord_api_base_url"
    )
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        return _url(value, ("http://", "https://"))

    @field_validator("discord_gateway_url")
    @classmethod
    def _ws_url(cls, value: str | None) -> str | None:
        return _url(value, ("ws://", "wss://"))

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value in (None, ""):
            if info.data.get("telegram_webhook_url"):
                rule = EXPECTED["telegram_webhook_secret"]
                raise ValueError(f"must be set when TELEGRAM_WEBHOOK_URL is set: {rule}")
            return None
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value):
            raise ValueError("")  # said by EXPECTED
        return value

    @field_validator("database_url", "listen_url")
    @classmethod
    def _asyncpg_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith("postgresql+asyncpg://"):
            raise ValueError("")  # said by EXPECTED
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("")  # said by EXPECTED
        return level

    @field_validator("log_format")
    @classmethod
    def _known_format(cls, value: str) -> str:
        form = value.strip().lower() or "text"
        if form not in {"text", "json"}:
            raise ValueError("")  # said by EXPECTED
        return form

    def secrets(self) -> list[str]:
        """Every secret value set here (tokens, the webhook secret, database passwords), for
        the log's redaction (``bot.logs``)."""
        found = [self.telegram_bot_token, self.discord_bot_token, self.telegram_webhook_secret]
        if self.llm_api_key is not None:
            found.append(self.llm_api_key.get_secret_value())
        for url in (self.database_url, self.listen_url):
            if url:
                found.append(urlsplit(url).password)
        return [value for value in found if value]


# What each setting must be, in plain words: "SYLLABOT_CURRENCY must be <this>".
EXPECTED = {
    "database_url": (
        "a PostgreSQL URL that starts with postgresql+asyncpg://, such as "
        "postgresql+asyncpg://user:password@localhost:5432/syllabot (or unset, to run the "
        "embedded server)"
    ),
    "data_dir": "a folder path, such as ~/.local/share/syllabot",
    "log_level": "one of DEBUG, INFO, WARNING, ERROR or CRITICAL",
    "log_format": "text or json",
    "http_port": "a port number from 1 to 65535, such as 9100 (or unset: no HTTP server)",
    "http_host": "an address to listen on, such as 127.0.0.1 or 0.0.0.0",
    "ready_max_outbox_lag": ("a number of seconds from 0 (not checked) to 86400, such as 300"),
    "db_pool_size": "a whole number from 1 to 200, such as 10",
    "db_max_overflow": "a whole number of extra connections from 0 to 200, such as 0",
    "db_pool_timeout": "a number of seconds above 0 and at most 600, such as 30",
    "db_pool_recycle": "a whole number of seconds from -1 (never) to 86400, such as 1800",
    "db_pool_pre_ping": "true or false",
    "pgbouncer": "true or false (true when DATABASE_URL goes through PgBouncer)",
    "listen_url": (
        "a PostgreSQL URL that starts with postgresql+asyncpg://, straight to the server "
        "(not through PgBouncer), such as postgresql+asyncpg://user:password@db:5432/syllabot"
    ),
    "cache_ttl_seconds": "a number of seconds from 0 (no cache) to 86400, such as 60",
    "auto_migrate": "true or false",
    "telegram_bot_token": "the token @BotFather gave, such as 123456:ABC-DEF",
    "telegram_api_base_url": (
        "a URL that starts with http:// or https://, such as http://127.0.0.1:8081/bot"
    ),
    "telegram_webhook_url": (
        "a URL that starts with https://, such as https://bot.example.org/telegram"
    ),
    "telegram_webhook_listen": "an address to listen on, such as 127.0.0.1 or 0.0.0.0",
    "telegram_webhook_port": "a port number from 1 to 65535, such as 8443",
    "telegram_webhook_secret": (
        "1 to 256 characters of letters A-Z and a-z, digits, _ and -, such as s3cret-token"
    ),
    "discord_bot_token": "the token of the bot in the Discord developer portal",
    "discord_guild_id": "a Discord server id: a whole number such as 123456789012345678",
    "discord_api_base_url": (
        "a URL that starts with http:// or https://, such as http://127.0.0.1:8082/api/v10"
    ),
    "discord_gateway_url": "a URL that starts with ws:// or wss://, such as ws://127.0.0.1:8082/",
    "discord_shard_count": "a whole number of shards from 1 to 100000, such as 2",
    "discord_shard_ids": (
        "a comma-separated list of shard numbers below DISCORD_SHARD_COUNT, such as 0,1"
    ),
    "telegram_send_budget": (
        "a number of messages a second from 0 (no shared budget) to 1000, such as 29"
    ),
    "discord_send_budget": (
        "a number of requests a second from 0 (no shared budget) to 1000, such as 48"
    ),
    "telegram_rate_limits": "true or false (false: no flood control, pacing or send budget)",
    "outbox_lease_seconds": "a whole number of seconds from 5 to 3600, such as 120",
    "deliver_every_seconds": "a number of seconds above 0 and at most 300, such as 5",
    "admins": (
        "a comma-separated list of platform:user-id pairs such as telegram:12345,discord:678"
    ),
    "currency": "a three-letter currency code such as EUR",
    "commission_rate": "a fraction from 0 to 1, such as 0.15 for 15%",
    "min_notice_hours": "a whole number of hours from 0 to 720, such as 12",
    "horizon_days": "a whole number of days from 1 to 365, such as 30",
    "buffer_minutes": "a whole number of minutes from 0 to 240, such as 15",
    "cancel_notice_hours": "a whole number of hours from 0 to 720, such as 12",
    **TERMS_EXPECTED,
    "inactive_days": "a whole number of days from 60 to 36500, such as 730",
    "llm_base_url": (
        "a URL that starts with http:// or https://, such as http://127.0.0.1:11434/v1"
    ),
    "llm_model": "the name of the model to ask, such as llama3.1",
    "llm_api_key": "the API key of the language-model server",
    "llm_timeout_seconds": "a number of seconds above 0 and at most 600, such as 20",
    "backup_dir": "a folder path for the backups, such as /var/backups/syllabot",
    "backup_mirror": "a second folder path the backups are copied to, such as /mnt/far/syllabot",
    "pg_bin": "the folder holding pg_dump and pg_restore, such as /usr/lib/postgresql/16/bin",
    "backup_at": "a UTC time of day as HH:MM, such as 03:30",
    "backup_keep_daily": "a whole number of daily backups from 1 to 366, such as 7",
    "backup_keep_weekly": "a whole number of weekly backups from 0 to 520, such as 4",
    "backup_keep_monthly": "a whole number of monthly backups from 0 to 1200, such as 12",
    "pitr": "true or false (true: archive the write-ahead log for point-in-time recovery)",
    "operator_timezone": "an IANA time zone name, such as Europe/Berlin or UTC",
}


def _url(value: str | None, schemes: tuple[str, ...]) -> str | None:
    """A URL setting: blank is unset; otherwise it must start with one of ``schemes``."""
    if value in (None, ""):
        return None
    if not value.startswith(schemes):
        raise ValueError("")  # said by EXPECTED
    return value


class SettingsError(Exception):
    """A configuration value is wrong; the message is one line naming the variable."""


ENV_NAMES = {
    "database_url": "DATABASE_URL",
    "SYLLABOT_DATA_DIR": "SYLLABOT_DATA_DIR",
    "log_level": "LOG_LEVEL",
    "log_format": "LOG_FORMAT",
    "SYLLABOT_DB_POOL_SIZE": "SYLLABOT_DB_POOL_SIZE",
    "SYLLABOT_AUTO_MIGRATE": "SYLLABOT_AUTO_MIGRATE",
    "llm_model": "SYLLABOT_LLM_MODEL",  # its default is validated: reported by field name
}  # fields with an alias are reported under the alias, which is the variable's name


# A field as pydantic reports it (its alias, when it has one) -> its name in EXPECTED.
FIELDS = {
    str(info.alias): name for name, info in Settings.model_fields.items() if info.alias is not None
}


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning a validation error into a one-line :class:`SettingsError`
    that names the variable and the form it expects, in plain words (never the value given,
    which may be a secret)."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "?"
        name = ENV_NAMES.get(field, field.upper())
        said = first["msg"].removeprefix("Value error, ") if first["type"] == "value_error" else ""
        expected = EXPECTED.get(FIELDS.get(field, field), "set correctly (see the README)")
        raise SettingsError(f"{name} {said or 'must be ' + expected}") from None
