"""``syllabot db cleanup`` and ``syllabot db unarchive``: the retention jobs, run now."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import typer

from bot.cli_runner import read_settings, run_command
from bot.handlers.formatting import plural
from domain.accounts.model import CleanupReport


def report_lines(report: CleanupReport) -> list[str]:
    """What one clean-up run did, for a person."""
    return [
        f"Inactive accounts: {plural(report.warned, 'person', 'people')} warned, "
        f"{plural(report.deleted, 'account')} deleted, "
        f"{plural(report.protected, 'account')} kept (an expert's open bookings or money "
        "still owed).",
        f"Archived: {plural(report.sessions_archived, 'session')} and "
        f"{plural(report.notes_archived, 'note')} of curricula archived over two years ago.",
        f"Pruned: {plural(report.notifications_pruned, 'old notification')} and "
        f"{plural(report.updates_pruned, 'old update claim')}.",
    ]


def db_cleanup() -> None:
    """Run the retention and clean-up jobs now (the daily maintenance runs them too): warn
    and delete inactive accounts, archive old session data, prune old notifications."""
    settings = read_settings()
    said: list[str] = []

    async def main() -> None:
        from bot.bootstrap import open_database
        from db.uow import SqlAlchemyUnitOfWork
        from domain.accounts.retention import clean_up
        from domain.marketplace.payments import ManualPayments
        from domain.shared.clock import SystemClock

        async with open_database(settings) as engine:
            report = await clean_up(
                lambda: SqlAlchemyUnitOfWork(engine),
                SystemClock(),
                settings.retention(),
                ManualPayments(),
            )
        said.extend(report_lines(report))

    run_command(main())
    for line in said:
        typer.echo(line)


def db_unarchive(
    curriculum: Annotated[str, typer.Argument(help="The curriculum's id (as in /export).")],
) -> None:
    """Bring a curriculum's archived sessions and notes back into the live tables."""
    try:
        curriculum_id = UUID(curriculum)
    except ValueError:
        typer.echo(f"“{curriculum}” is not a curriculum id (see /export).", err=True)
        raise typer.Exit(2) from None
    settings = read_settings()
    said: list[str] = []
    failed: list[str] = []

    async def main() -> None:
        from bot.bootstrap import open_database
        from db.uow import SqlAlchemyUnitOfWork
        from domain.accounts.retention import unarchive
        from domain.shared.errors import NotFound

        async with open_database(settings) as engine:
            try:
                sessions, notes = await unarchive(
                    curriculum_id, lambda: SqlAlchemyUnitOfWork(engine), settings.retention()
                )
            except NotFound as error:
                failed.append(error.message)
                return
        said.append(f"Restored {plural(sessions, 'session')} and {plural(notes, 'note')}.")

    run_command(main())
    for line in said:
        typer.echo(line)
    if failed:
        typer.echo(failed[0], err=True)
        raise typer.Exit(1)
