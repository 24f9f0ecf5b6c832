"""``syllabot admin``: operating the expert marketplace from the command line."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from uuid import UUID

import typer

from bot.cli_runner import read_settings, run_command
from bot.config import Settings
from bot.handlers.formatting import money, plural
from domain.marketplace import bookings, payments
from domain.marketplace.commands import ReinstateExpert, SuspendExpert, VerifyExpert

admin_app = typer.Typer(
    help="Operate the expert marketplace.", no_args_is_help=True, rich_markup_mode="markdown"
)


def _admin(work: Callable[[Settings, Any], Awaitable[None]]) -> None:
    """Run ``work(settings, unit-of-work factory)`` against the configured database."""
    settings = read_settings()

    async def main() -> None:
        from bot.bootstrap import open_database
        from db.uow import SqlAlchemyUnitOfWork

        async with open_database(settings) as engine:
            await work(settings, lambda: SqlAlchemyUnitOfWork(engine))

    run_command(main())


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
                f"{money(expert.rate_min, expert.currency)}–"
                f"{money(expert.rate_max, expert.currency)} an hour  [{subjects}]"
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
    """Mark every payable commission row paid out (after paying the experts): the learner said
    the session happened, or 72 hours passed without a problem, or an admin decided one."""

    async def work(settings: Settings, uow: Any) -> None:
        from domain.shared.clock import SystemClock

        rows, total = await payments.pay_out(uow(), SystemClock())
        paid = money(total, settings.currency)
        typer.echo(f"Marked {plural(rows, 'payout')} paid, {paid} in expert earnings.")

    _admin(work)


@admin_app.command("disputes")
def admin_disputes() -> None:
    """List open disputes (problems reported after a session), the oldest first."""

    async def work(settings: Settings, uow: Any) -> None:
        from bot.handlers.marketplace.disputes import KIND_WORDS
        from domain.marketplace.disputes import open_disputes

        found = await open_disputes(None, uow(), settings.policy(), limit=1000)
        if not found:
            typer.echo("No open disputes.")
        for d in found:
            b, dispute = d.booking, d.dispute
            answer = f"“{dispute.answer}”" if dispute.answer else "not given yet"
            typer.echo(
                f"{b.ref}  {b.learner_name} with {b.expert_name}  "
                f"{b.starts_at:%Y-%m-%d %H:%M} UTC  {money(b.price, b.currency)}  "
                f"reported by the {dispute.opened_by.value} {dispute.opened_at:%Y-%m-%d %H:%M} "
                f"UTC: {KIND_WORDS[dispute.kind]}"
            )
            typer.echo(f"    their words: {dispute.details or '—'} · the other side: {answer}")
        if found:
            typer.echo("Decide one with `syllabot admin resolve <ref> refund|pay|split`.")

    _admin(work)


@admin_app.command("resolve")
def admin_resolve(
    ref: Annotated[
        str, typer.Argument(help="The booking's reference, as `admin disputes` lists.")
    ],
    decision: Annotated[
        str,
        typer.Argument(
            help="refund (all back to the learner), pay (the expert, less commission) or "
            "split (half back, the rest paid less commission)."
        ),
    ],
) -> None:
    """Decide an open dispute; both sides and the admins are told, and the ledger records it."""
    from domain.marketplace.model import Decision

    try:
        chosen = Decision(decision.strip().lower())
    except ValueError:
        typer.echo("Decide with refund, pay or split.", err=True)
        raise typer.Exit(2) from None

    async def work(settings: Settings, uow: Any) -> None:
        from bot.handlers.marketplace.disputes import decision_text
        from domain.marketplace.dispute_model import ResolveDispute
        from domain.marketplace.disputes import resolve_dispute
        from domain.shared.clock import SystemClock
        from domain.shared.errors import DomainError

        policy = settings.policy()
        try:
            booking = await bookings.find_booking(None, ref, uow())
            command = ResolveDispute(None, booking.id, chosen)
            done = await resolve_dispute(command, uow(), SystemClock(), policy)
        except DomainError as error:
            typer.echo(error.message, err=True)
            raise typer.Exit(1) from None
        typer.echo(
            f"Booking {done.booking.ref} decided: "
            f"{decision_text(done.booking, chosen, policy)}. Both sides have been told."
        )

    _admin(work)


@admin_app.command("expire")
def admin_expire() -> None:
    """Cancel booking requests nobody answered within 48 hours (frees their slots)."""

    async def work(settings: Settings, uow: Any) -> None:
        from domain.shared.clock import SystemClock

        expired = await bookings.expire_pending(uow(), SystemClock())
        typer.echo(f"Expired {plural(expired, 'booking request')}.")

    _admin(work)
