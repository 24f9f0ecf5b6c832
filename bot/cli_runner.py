"""What every ``syllabot`` command shares: the settings, read once with a one-line error, and
running a command's coroutine without ever showing a traceback."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

import typer

from bot import logs
from bot.adapters.lifecycle import PlatformUnavailable
from bot.config import Settings, SettingsError, load_settings

logger = logging.getLogger("syllabot")


def read_settings() -> Settings:
    try:
        settings = load_settings()
    except SettingsError as error:
        typer.echo(f"Configuration error: {error}", err=True)
        raise typer.Exit(2) from None
    logs.configure(settings.log_level, settings.log_format, settings.secrets())
    return settings


INTERRUPTED = 130  # the exit status of a program stopped by Ctrl+C (128 + SIGINT)


def run_command(coro: Coroutine[Any, Any, None]) -> None:
    """Run ``coro``; turn a failure into one clear line instead of a traceback. Ctrl+C
    cancels it (its clean-ups run) and exits with status 130."""
    try:
        asyncio.run(coro)
    except KeyboardInterrupt:
        raise typer.Exit(INTERRUPTED) from None
    except typer.Exit:  # a command's own exit status, its message already said
        raise
    except PlatformUnavailable as error:  # Telegram or Discord, never "the database"
        logger.debug("failed", exc_info=True)
        typer.echo(logs.redact(f"Could not start: {error}"), err=True)
        raise typer.Exit(1) from None
    except (OSError, ConnectionError) as error:
        logger.debug("failed", exc_info=True)
        typer.echo(logs.redact(f"Could not reach the database: {error}"), err=True)
        raise typer.Exit(1) from None
    except Exception as error:  # the last line of defence: no traceback for the user
        logger.debug("failed", exc_info=True)
        typer.echo(logs.redact(f"Syllabot stopped: {type(error).__name__}: {error}"), err=True)
        raise typer.Exit(1) from None
