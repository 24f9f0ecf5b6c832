"""The ``syllabot`` command line (typer)."""

from __future__ import annotations

import asyncio
import getpass
import logging
import signal
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bot.cli_admin import admin_app
from bot.cli_cleanup import db_cleanup, db_unarchive
from bot.cli_runner import read_settings, run_command
from bot.config import Settings

if TYPE_CHECKING:
    from contextlib import AsyncExitStack

    from bot.handlers.courier import Courier, SendBudget
    from bot.handlers.router import Dispatcher

app = typer.Typer(
    help="Syllabot: a chat-first study companion.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",  # paragraphs wrap to the terminal, not at source lines
)
db_app = typer.Typer(
    help="Manage the database: its schema (Alembic), its backups and its clean-up.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)
app.add_typer(db_app, name="db")
app.add_typer(admin_app, name="admin")
db_app.command("cleanup")(db_cleanup)
db_app.command("unarchive")(db_unarchive)

logger = logging.getLogger("syllabot")

CHAT_DELIVERY_SECONDS = 1.0  # how often `syllabot chat` looks for the person's notifications


@app.command()
def chat(
    user: Annotated[
        str | None, typer.Option(help="Who you are in this chat (default: your login name).")
    ] = None,
) -> None:
    """Chat with Syllabot in this terminal (standard input may be a pipe)."""
    if user is not None and not user.strip():
        typer.echo(
            "--user needs a name (for example --user alice); leave it out to chat as "
            f"{getpass.getuser()}.",
            err=True,
        )
        raise typer.Exit(2)
    name = user.strip() if user is not None else getpass.getuser()
    settings = read_settings()

    async def main() -> None:
        from bot.adapters.terminal import PLATFORM, TerminalChat
        from bot.bootstrap import bootstrap, open_cache, open_database, planner_for
        from bot.scheduler import Scheduler
        from bot.worker import NotificationWorker

        async with open_database(settings) as engine, open_cache(settings, engine) as cache:
            dispatcher = bootstrap(
                engine,
                policy=settings.policy(),
                planner=planner_for(settings),
                cache=cache,
                retention=settings.retention(),
            )
            terminal = TerminalChat(dispatcher, name)
            # The worker of `syllabot run`, delivering this person's notifications here.
            worker = NotificationWorker(
                dispatcher.ctx, {PLATFORM: terminal}, chats={terminal.chat_id}
            )
            scheduler = Scheduler(
                worker,
                dispatcher.ctx,
                every_seconds=CHAT_DELIVERY_SECONDS,
                maintenance_at_start=False,
            )

            async def catch_up() -> None:  # what arrived while the chat was closed, then on
                await worker.drain()
                scheduler.start()

            try:
                await terminal.run(catch_up=catch_up)
            finally:
                if scheduler.aps.running:
                    await scheduler.stop()

    run_command(main())


# Starts the platforms: (exit stack, dispatcher, shared send budgets) -> their couriers.
Platforms = Callable[
    ["AsyncExitStack", "Dispatcher", "dict[str, SendBudget]"], Awaitable["dict[str, Courier]"]
]


def _serve(settings: Settings, platforms: Platforms) -> None:
    """Run until Ctrl+C or SIGTERM, all in one asyncio loop: the database, the platforms that
    ``platforms`` starts (returning their couriers), and the scheduler delivering to them;
    everything is closed in reverse order."""

    async def main() -> None:
        from contextlib import AsyncExitStack

        from bot.bootstrap import (
            bootstrap,
            notification_worker,
            open_cache,
            open_database,
            open_ops_server,
            open_turns,
            planner_for,
            send_budgets,
        )
        from bot.health import Platforms
        from bot.observability import Metrics
        from bot.scheduler import Backups, Scheduler

        metrics = Metrics()  # this process's registry: /metrics on SYLLABOT_HTTP_PORT
        tokens = (
            ("telegram", settings.telegram_bot_token),
            ("discord", settings.discord_bot_token),
        )
        watched = Platforms(expected=tuple(name for name, token in tokens if token))
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        async with AsyncExitStack() as running:
            engine = await running.enter_async_context(open_database(settings))
            cache = await running.enter_async_context(open_cache(settings, engine))
            turns = await running.enter_async_context(open_turns(settings, engine))
            dispatcher = bootstrap(
                engine,
                policy=settings.policy(),
                planner=planner_for(settings),
                cache=cache,
                retention=settings.retention(),
                metrics=metrics,
                turns=turns,
            )
            ops = await running.enter_async_context(
                open_ops_server(settings, engine, metrics, watched, dispatcher.ctx.clock)
            )  # up before the platforms: /healthz answers, /readyz says what is starting
            if ops is not None:
                typer.echo(
                    f"Health and metrics: http://{ops.host}:{ops.port}/healthz, /readyz, /metrics"
                )
            budgets = send_budgets(settings, engine)
            couriers = await platforms(running, dispatcher, budgets)
            watched.adapters.update(couriers)
            scheduler = Scheduler(
                notification_worker(settings, dispatcher, couriers, budgets),
                dispatcher.ctx,
                every_seconds=settings.deliver_every_seconds,
                backups=Backups(engine, settings.backup_config(), settings.backup_at),
            )
            scheduler.start()
            running.push_async_callback(scheduler.stop)
            await stop.wait()
        typer.echo("Stopped.")

    run_command(main())


@app.command()
def run() -> None:
    """Run the bot process: the database now, the chat platforms whose tokens are set."""
    settings = read_settings()

    async def platforms(
        running: AsyncExitStack, dispatcher: Dispatcher, budgets: dict[str, SendBudget]
    ) -> dict[str, Courier]:
        from bot.bootstrap import discord_adapter, telegram_adapter

        typer.echo("Syllabot is running; the database is ready. Press Ctrl+C to stop.")
        couriers: dict[str, Courier] = {}
        if settings.telegram_bot_token:
            telegram = await running.enter_async_context(
                telegram_adapter(settings, dispatcher, budget=budgets.get("telegram"))
            )
            couriers["telegram"] = telegram
            mode = "webhook" if settings.telegram_webhook_url else "long polling"
            typer.echo(f"Telegram: on, as @{telegram.username} ({mode}).")
        else:
            typer.echo("Telegram: off. Set TELEGRAM_BOT_TOKEN to connect a Telegram bot.")
        if settings.discord_bot_token:
            discord = await running.enter_async_context(discord_adapter(settings, dispatcher))
            couriers["discord"] = discord  # reminders and alerts go by direct message
            scope = "to one server" if settings.discord_guild_id else "globally"
            shards = _shards(settings)
            if discord.sync_problem is None:
                typer.echo(
                    f"Discord: on, as {discord.username} (commands synced {scope}{shards})."
                )
            else:
                typer.echo(
                    f"Discord: on, as {discord.username}{shards}, but {discord.sync_problem}"
                )
        else:
            typer.echo("Discord: off. Set DISCORD_BOT_TOKEN to connect a Discord bot.")
        typer.echo("`syllabot chat` talks to the same database from a terminal.")
        return couriers

    _serve(settings, platforms)


def _shards(settings: Settings) -> str:
    """The Discord shards this process runs, for the banner ("; shards 0, 1 of 4"); nothing
    when DISCORD_SHARD_COUNT is unset (all of them, as many as Discord recommends)."""
    count = settings.discord_shard_count
    if count is None:
        return ""
    mine = settings.discord_shards() or tuple(range(count))
    return f"; shard{'s' if len(mine) > 1 else ''} {', '.join(map(str, mine))} of {count}"


@app.command()
def worker() -> None:
    """Only deliver reminders and alerts (any number of workers may share one database)."""
    settings = read_settings()

    async def platforms(
        running: AsyncExitStack, dispatcher: Dispatcher, budgets: dict[str, SendBudget]
    ) -> dict[str, Courier]:
        from bot.bootstrap import discord_adapter, telegram_adapter

        couriers: dict[str, Courier] = {}
        if settings.telegram_bot_token:
            couriers["telegram"] = await running.enter_async_context(
                telegram_adapter(
                    settings, dispatcher, receive=False, budget=budgets.get("telegram")
                )
            )
        if settings.discord_bot_token:
            couriers["discord"] = await running.enter_async_context(
                discord_adapter(settings, dispatcher, receive=False)
            )
        where = ", ".join(couriers) or (
            "no chat platform (set TELEGRAM_BOT_TOKEN or DISCORD_BOT_TOKEN)"
        )
        typer.echo(f"Syllabot worker delivering to {where}. Press Ctrl+C to stop.")
        return couriers

    _serve(settings, platforms)


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Migrate the database up (default: to the newest schema)."""
    _migrate("upgrade", revision)


@db_app.command("downgrade")
def db_downgrade(
    revision: Annotated[
        str, typer.Argument(help="Target revision: -1 for one step, base for an empty schema.")
    ] = "-1",
) -> None:
    """Migrate the database down (default: one step)."""
    _migrate("downgrade", revision)


@db_app.command("current")
def db_current() -> None:
    """Show the database's current schema revision."""
    _migrate("current", "")


def _migrate(action: str, revision: str) -> None:
    settings = read_settings()

    async def main() -> None:
        from db import migrate
        from db.engine import database_url

        async with database_url(
            settings.database_url, settings.data_dir, archive_to=settings.wal_archive()
        ) as url:
            if action == "upgrade":
                await migrate.upgrade(url, revision)
            elif action == "downgrade":
                await migrate.downgrade(url, revision)
            typer.echo(f"Schema revision: {await migrate.current(url) or 'empty'}")

    run_command(main())


def _backups(work: Callable[[Any, str], Awaitable[list[str]]]) -> None:
    """Run ``work(backup config, database URL)`` and print the lines it returns; a
    BackupError is one line on standard error and exit status 1."""
    settings = read_settings()
    said: list[str] = []
    failed: list[str] = []

    async def main() -> None:
        from db.backups import BackupError
        from db.engine import database_url

        async with database_url(
            settings.database_url, settings.data_dir, archive_to=settings.wal_archive()
        ) as url:
            try:
                said.extend(await work(settings.backup_config(), url))
            except BackupError as error:
                failed.append(str(error))

    run_command(main())
    _said(said, failed)


def _said(said: list[str], failed: list[str]) -> None:
    for line in said:
        typer.echo(line)
    if failed:
        typer.echo(f"Backup: {failed[0]}", err=True)
        raise typer.Exit(1)


@db_app.command("backup")
def db_backup() -> None:
    """Dump the database (pg_dump -Fc) with a manifest into the backup directory
    (SYLLABOT_BACKUP_DIR), copy it to the mirror (SYLLABOT_BACKUP_MIRROR) if set, then apply
    retention."""
    from bot import operating

    _backups(operating.back_up)


@db_app.command("verify")
def db_verify(
    backup: Annotated[
        str | None, typer.Argument(help="A backup's file name (default: the newest).")
    ] = None,
) -> None:
    """Restore a backup into a scratch database and check it against its manifest."""
    from bot import operating

    _backups(lambda config, url: operating.verify_one(config, url, backup))


@db_app.command("backups")
def db_backups() -> None:
    """List the backups with their size, age and verification."""
    from bot import operating

    _backups(operating.list_all)


@db_app.command("basebackup")
def db_basebackup() -> None:
    """Copy the whole server (pg_basebackup) into the backup directory's base/ and check the
    copy with pg_verifybackup (SYLLABOT_PITR=true)."""
    from bot import operating

    _backups(operating.base_back_up)


@db_app.command("restore")
def db_restore(
    at: Annotated[
        str,
        typer.Option(
            help="The moment to go back to: 2026-12-01 10:15 in SYLLABOT_OPERATOR_TIMEZONE, "
            "or 2026-12-01 10:15Z for UTC."
        ),
    ],
    yes: Annotated[bool, typer.Option("--yes", help="Switch without asking (scripts).")] = False,
) -> None:
    """Restore the embedded server to a moment: replay the newest base backup before it and
    the archived log into a new directory, then switch to it once you confirm."""
    from zoneinfo import ZoneInfo

    from bot import operating
    from db.backups import BackupError

    settings = read_settings()
    said: list[str] = []
    failed: list[str] = []

    def confirm(question: str) -> bool:
        return yes or typer.confirm(question, default=False)

    async def main() -> None:
        try:
            said.extend(
                await operating.restore_to(
                    settings.backup_config(),
                    settings.data_dir,
                    at,
                    ZoneInfo(settings.operator_timezone),
                    confirm=confirm,
                    say=typer.echo,
                )
            )
        except BackupError as error:
            failed.append(str(error))

    run_command(main())
    _said(said, failed)


def main() -> None:
    app(prog_name="syllabot")


if __name__ == "__main__":
    main()
