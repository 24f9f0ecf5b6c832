"""The ``syllabot`` command line (typer)."""

from __future__ import annotations

import asyncio
import getpass
import logging
import signal
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

import typer

from bot.config import Settings, SettingsError, load_settings
from domain.marketplace import bookings
from domain.marketplace.commands import ReinstateExpert, SuspendExpert, VerifyExpert

if TYPE_CHECKING:
    from contextlib import AsyncExitStack

    from bot.handlers.courier import Courier
    from bot.handlers.router import Dispatcher

app = typer.Typer(
    help="Syllabot: a chat-first study companion.", no_args_is_help=True, add_completion=False
)
db_app = typer.Typer(help="Manage the database schema (Alembic).", no_args_is_help=True)
app.add_typer(db_app, name="db")
admin_app = typer.Typer(help="Operate the expert marketplace.", no_args_is_help=True)
app.add_typer(admin_app, name="admin")

logger = logging.getLogger("syllabot")

CHAT_DELIVERY_SECONDS = 1.0  # how often `syllabot chat` looks for the person's notifications


def _settings() -> Settings:
    try:
        settings = load_settings()
    except SettingsError as error:
        typer.echo(f"Configuration error: {error}", err=True)
        raise typer.Exit(2) from None
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    return settings


def _run(coro: Coroutine[Any, Any, None]) -> None:
    """Run ``coro``; turn a failure into one clear line instead of a traceback."""
    try:
        asyncio.run(coro)
    except KeyboardInterrupt:
        pass
    except typer.Exit:  # a command's own exit status, its message already said
        raise
    except (OSError, ConnectionError) as error:
        logger.debug("failed", exc_info=True)
        typer.echo(f"Could not reach the database: {error}", err=True)
        raise typer.Exit(1) from None
    except Exception as error:  # the last line of defence: no traceback for the user
        logger.debug("failed", exc_info=True)
        typer.echo(f"Syllabot stopped: {type(error).__name__}: {error}", err=True)
        raise typer.Exit(1) from None


@app.command()
def chat(
    user: Annotated[
        str | None, typer.Option(help="Who you are in this chat (default: your login name).")
    ] = None,
) -> None:
    """Chat with Syllabot in this terminal (standard input may be a pipe)."""
    settings = _settings()

    async def main() -> None:
        from bot.adapters.terminal import PLATFORM, TerminalChat
        from bot.bootstrap import bootstrap, open_database, planner_for
        from bot.scheduler import Scheduler
        from bot.worker import NotificationWorker

        async with open_database(settings) as engine:
            dispatcher = bootstrap(engine, policy=settings.policy(), planner=planner_for(settings))
            terminal = TerminalChat(dispatcher, user or getpass.getuser())
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

    _run(main())


Platforms = Callable[["AsyncExitStack", "Dispatcher"], Awaitable["dict[str, Courier]"]]


def _serve(settings: Settings, platforms: Platforms) -> None:
    """Run until Ctrl+C or SIGTERM, all in one asyncio loop: the database, the platforms that
    ``platforms`` starts (returning their couriers), and the scheduler delivering to them;
    everything is closed in reverse order."""

    async def main() -> None:
        from contextlib import AsyncExitStack

        from bot.bootstrap import bootstrap, open_database, planner_for
        from bot.scheduler import Scheduler
        from bot.worker import NotificationWorker

        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        async with AsyncExitStack() as running:
            engine = await running.enter_async_context(open_database(settings))
            dispatcher = bootstrap(engine, policy=settings.policy(), planner=planner_for(settings))
            couriers = await platforms(running, dispatcher)
            scheduler = Scheduler(NotificationWorker(dispatcher.ctx, couriers), dispatcher.ctx)
            scheduler.start()
            running.push_async_callback(scheduler.stop)
            await stop.wait()
        typer.echo("Stopped.")

    _run(main())


@app.command()
def run() -> None:
    """Run the bot process: the database now, the chat platforms whose tokens are set."""
    settings = _settings()

    async def platforms(running: AsyncExitStack, dispatcher: Dispatcher) -> dict[str, Courier]:
        from bot.bootstrap import discord_adapter, telegram_adapter

        typer.echo("Syllabot is running; the database is ready. Press Ctrl+C to stop.")
        couriers: dict[str, Courier] = {}
        if settings.telegram_bot_token:
            telegram = await running.enter_async_context(telegram_adapter(settings, dispatcher))
            couriers["telegram"] = telegram
            mode = "webhook" if settings.telegram_webhook_url else "long polling"
            typer.echo(f"Telegram: on, as @{telegram.username} ({mode}).")
        else:
            typer.echo("Telegram: off. Set TELEGRAM_BOT_TOKEN to connect a Telegram bot.")
        if settings.discord_bot_token:
            discord = await running.enter_async_context(discord_adapter(settings, dispatcher))
            couriers["discord"] = discord  # reminders and alerts go by direct message
            scope = "to one server" if settings.discord_guild_id else "globally"
            typer.echo(f"Discord: on, as {discord.username} (commands synced {scope}).")
        else:
            typer.echo("Discord: off. Set DISCORD_BOT_TOKEN to connect a Discord bot.")
        typer.echo("`syllabot chat` talks to the same database from a terminal.")
        return couriers

    _serve(settings, platforms)


@app.command()
def worker() -> None:
    """Only deliver reminders and alerts (any number of workers may share one database)."""
    settings = _settings()

    async def platforms(running: AsyncExitStack, dispatcher: Dispatcher) -> dict[str, Courier]:
        from bot.bootstrap import discord_adapter, telegram_adapter

        couriers: dict[str, Courier] = {}
        if settings.telegram_bot_token:
            couriers["telegram"] = await running.enter_async_context(
                telegram_adapter(settings, dispatcher, receive=False)
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
    settings = _settings()

    async def main() -> None:
        from db import migrate
        from db.engine import database_url

        async with database_url(settings.database_url, settings.data_dir) as url:
            if action == "upgrade":
                await migrate.upgrade(url, revision)
            elif action == "downgrade":
                await migrate.downgrade(url, revision)
            typer.echo(f"Schema revision: {await migrate.current(url) or 'empty'}")

    _run(main())


def _admin(work: Callable[[Settings, Any], Awaitable[None]]) -> None:
    """Run ``work(settings, unit-of-work factory)`` against the configured database."""
    settings = _settings()

    async def main() -> None:
        from bot.bootstrap import open_database
        from db.uow import SqlAlchemyUnitOfWork

        async with open_database(settings) as engine:
            await work(settings, lambda: SqlAlchemyUnitOfWork(engine))

    _run(main())


def _expert_id(text: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        typer.echo(f"“{text}” is not an expert id; see `syllabot admin experts`.", err=True)
        raise typer.Exit(2) from None


@admin_app.command("experts")
def admin_experts(
    status: Annotated[
        str,
        typer.Option(
            help="Which experts: all, pending, verified, rejected or suspended. Experts "
            "waiting for review (a new profile or a verified expert's changes) come first."
        ),
    ] = "all",
) -> None:
    """List experts with their id, status, rates and specialties."""
    from domain.marketplace.verification import list_experts, needs_review, statuses_of
    from domain.shared.errors import DomainError

    try:
        statuses_of(status)
    except DomainError as error:
        typer.echo(error.message, err=True)
        raise typer.Exit(2) from None

    async def work(settings: Settings, uow: Any) -> None:
        found = await list_experts(None, uow(), settings.policy(), status)
        if not found:
            typer.echo("No experts yet." if status == "all" else f"No {status} experts.")
        for expert in found:
            subjects = ", ".join(s.subject for s in expert.specialties)
            state = expert.status.value
            if expert.changes_pending:
                fields = ", ".join(c.field for c in expert.changes_pending)
                state += f", changes to {fields} waiting"
            elif needs_review(expert):
                state += " (waiting for review)"
            typer.echo(
                f"{expert.id}  {expert.display_name}  {state}  "
                f"{expert.rate_min}-{expert.rate_max} {expert.currency}/h  [{subjects}]"
            )
            if expert.rejection_reason:
                typer.echo(f"    rejected because: {expert.rejection_reason}")

    _admin(work)


@admin_app.command("verify")
def admin_verify(
    expert_id: Annotated[str, typer.Argument(help="The expert's id, as `admin experts` lists.")],
    reject: Annotated[bool, typer.Option("--reject", help="Reject instead of approving.")] = False,
    reason: Annotated[
        str | None,
        typer.Option(help="Why it is rejected (required with --reject); the expert reads it."),
    ] = None,
) -> None:
    """Approve (or --reject --reason ...) what an expert submitted: a new profile or a verified
    expert's changes to credentials or specialties; the expert is told."""
    target = _expert_id(expert_id)
    if reject and not (reason or "").strip():
        typer.echo('A rejection needs --reason "...": the expert reads it.', err=True)
        raise typer.Exit(2)

    async def work(settings: Settings, uow: Any) -> None:
        from domain.marketplace.verification import verify_expert
        from domain.shared.clock import SystemClock
        from domain.shared.errors import DomainError

        try:
            command = VerifyExpert(None, target, not reject, reason)
            done = await verify_expert(command, uow(), SystemClock(), settings.policy())
        except DomainError as error:
            typer.echo(error.message, err=True)
            raise typer.Exit(1) from None
        name = done.expert.display_name
        if done.changes:
            verdict = "approved" if done.approved else "rejected"
            typer.echo(f"{name}'s changes to {', '.join(done.changes)} are {verdict}.")
        else:
            typer.echo(f"{name} is now {done.expert.status.value}.")

    _admin(work)


def _suspension(expert_id: str, *, suspend: bool) -> None:
    target = _expert_id(expert_id)

    async def work(settings: Settings, uow: Any) -> None:
        from domain.marketplace.verification import reinstate_expert, suspend_expert
        from domain.shared.clock import SystemClock
        from domain.shared.errors import DomainError

        try:
            if suspend:
                done = await suspend_expert(
                    SuspendExpert(None, target), uow(), SystemClock(), settings.policy()
                )
            else:
                done = await reinstate_expert(
                    ReinstateExpert(None, target), uow(), SystemClock(), settings.policy()
                )
        except DomainError as error:
            typer.echo(error.message, err=True)
            raise typer.Exit(1) from None
        typer.echo(f"{done.display_name} is now {done.status.value}.")

    _admin(work)


@admin_app.command("suspend")
def admin_suspend(
    expert_id: Annotated[str, typer.Argument(help="The expert's id, as `admin experts` lists.")],
) -> None:
    """Suspend a verified expert: not searchable or bookable until reinstated."""
    _suspension(expert_id, suspend=True)


@admin_app.command("reinstate")
def admin_reinstate(
    expert_id: Annotated[str, typer.Argument(help="The expert's id, as `admin experts` lists.")],
) -> None:
    """Reinstate a suspended expert: searchable and bookable again."""
    _suspension(expert_id, suspend=False)


@admin_app.command("payouts")
def admin_payouts() -> None:
    """Mark every pending commission row paid out (after paying the experts)."""

    async def work(settings: Settings, uow: Any) -> None:
        from domain.shared.clock import SystemClock

        rows, total = await bookings.pay_out(uow(), SystemClock())
        typer.echo(f"Marked {rows} payout(s) paid, {total} in expert earnings.")

    _admin(work)


@admin_app.command("expire")
def admin_expire() -> None:
    """Cancel booking requests nobody answered within 48 hours (frees their slots)."""

    async def work(settings: Settings, uow: Any) -> None:
        from domain.shared.clock import SystemClock

        typer.echo(f"Expired {await bookings.expire_pending(uow(), SystemClock())} request(s).")

    _admin(work)


def main() -> None:
    app(prog_name="syllabot")


if __name__ == "__main__":
    main()
