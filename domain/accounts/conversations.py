"""Multi-step flows (wizards) whose state lives in the database, not in process memory.

Each step gets a fresh random ``token`` that the step's buttons carry, so a button from an
earlier step, an expired flow, or somebody else's chat is recognised as stale.

A step that does something moves (or ends) the flow in the same transaction as its effect: the
use case calls ``step_of``/``move``/``finish`` inside its own unit of work, or, when an existing
service does the work, runs it on ``ending(...)``/``moving(...)``: units of work that move the
flow when the service commits. So a crash never leaves the effect done and the flow open.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from uuid import UUID

from domain.accounts.model import Conversation
from domain.accounts.ports import (
    ConversationRepository,
    DataRightsRepository,
    DeliveryRepository,
    LinkRepository,
    RetentionRepository,
    UserRepository,
)
from domain.learning.ports import (
    CardRepository,
    CurriculumRepository,
    FocusTimerRepository,
    HabitRepository,
    NoteRepository,
    PlanRepository,
)
from domain.marketplace.ports import (
    BookingRepository,
    DisputeRepository,
    ExpertRepository,
    HomeworkRepository,
    SeriesRepository,
    WaitlistRepository,
)
from domain.notifications.ports import NotificationRepository
from domain.shared.clock import Clock
from domain.shared.errors import InvalidInput
from domain.unit_of_work import UnitOfWork

FLOW_TTL = timedelta(hours=12)
STALE = "That button has expired or isn't valid any more. Nothing was changed."
CANCELLED = "Stopped. Nothing was changed."
# The steps a flow went through to reach its current one, kept in its data (``advance``), so
# ◀ Back works the same way for every flow (``back``).
HISTORY = "_back"


def new_token() -> str:
    return secrets.token_hex(4)


async def current(user_id: UUID, uow: UnitOfWork, clock: Clock) -> Conversation | None:
    """The user's unfinished flow, or None (an expired one is treated as gone)."""
    async with uow:
        conversation = await uow.conversations.get(user_id)
    if conversation is None or conversation.expires_at <= clock.now():
        return None
    return conversation


async def save(
    user_id: UUID, flow: str, step: str, data: dict[str, object], uow: UnitOfWork, clock: Clock
) -> Conversation:
    """Start a flow or move it to ``step``, replacing any other flow of the user."""
    async with uow:
        conversation = await move(uow, user_id, flow, step, data, clock.now())
        await uow.commit()
    return conversation


async def end(user_id: UUID, uow: UnitOfWork) -> None:
    async with uow:
        await uow.conversations.clear(user_id)
        await uow.commit()


async def end_step(user_id: UUID, token: str, uow: UnitOfWork) -> None:
    """End the user's flow if it is still at the step of ``token`` (else leave it be)."""
    async with uow:
        await uow.conversations.clear(user_id, token=token)
        await uow.commit()


# -- inside a use case's own unit of work ----------------------------------------------------


async def step_of(
    uow: UnitOfWork,
    user_id: UUID,
    token: str,
    flows: tuple[str, ...],
    now: datetime,
    *,
    lock: bool = False,
) -> Conversation:
    """The user's unfinished flow (one of ``flows``) at the step whose buttons carry ``token``.

    With ``lock`` the flow's row stays locked until the transaction ends, so a second press of
    the same button waits and then finds the step gone. Anything else is stale.
    """
    conversation = await uow.conversations.get(user_id, lock=lock)
    if (
        conversation is None
        or conversation.expires_at <= now
        or conversation.flow not in flows
        or conversation.token != token
    ):
        raise InvalidInput(STALE)
    return conversation


async def move(
    uow: UnitOfWork, user_id: UUID, flow: str, step: str, data: dict[str, object], now: datetime
) -> Conversation:
    """Put the user's flow at ``step`` with a fresh token (replacing any other flow)."""
    conversation = Conversation(flow, step, data, new_token(), now + FLOW_TTL)
    await uow.conversations.put(user_id, conversation)
    return conversation


async def advance(
    uow: UnitOfWork,
    user_id: UUID,
    current: Conversation,
    step: str,
    data: dict[str, object],
    now: datetime,
) -> Conversation:
    """Move ``current`` on to ``step``, remembering the way back: the step it leaves joins the
    history; a step already in the history (asked again) cuts the history back to it."""
    way = history(current)
    if step in way:
        way = way[: way.index(step)]
    elif step != current.step:
        way = [*way, current.step]
    return await move(uow, user_id, current.flow, step, {**data, HISTORY: way}, now)


def history(conversation: Conversation) -> list[str]:
    """The steps before the current one, oldest first (empty: it is the first)."""
    way = conversation.data.get(HISTORY)
    return [str(step) for step in way] if isinstance(way, list) else []


def answers(data: dict[str, object]) -> dict[str, object]:
    """A flow's data without what this module keeps in it."""
    return {key: value for key, value in data.items() if key != HISTORY}


async def back(user_id: UUID, token: str, uow: UnitOfWork, clock: Clock) -> Conversation:
    """◀ Back: the flow at the step before the one whose buttons carry ``token``, with what was
    answered so far (the answer to come is asked again). Stale if that step is gone."""
    now = clock.now()
    async with uow:
        conversation = await _any_step(uow, user_id, token, now)
        way = history(conversation)
        if not way:
            raise InvalidInput("This is the first step; there is nothing to go back to.")
        data = {**conversation.data, HISTORY: way[:-1]}
        previous = await move(uow, user_id, conversation.flow, way[-1], data, now)
        await uow.commit()
    return previous


async def cancel(user_id: UUID, token: str, uow: UnitOfWork, clock: Clock) -> Conversation:
    """✖ Cancel: end the flow whose current step's buttons carry ``token``; nothing else
    changes. Stale if that step is gone (a second press, another flow since)."""
    async with uow:
        conversation = await _any_step(uow, user_id, token, clock.now())
        await finish(uow, user_id, token)
        await uow.commit()
    return conversation


async def _any_step(uow: UnitOfWork, user_id: UUID, token: str, now: datetime) -> Conversation:
    conversation = await uow.conversations.get(user_id, lock=True)
    if conversation is None or conversation.expires_at <= now or conversation.token != token:
        raise InvalidInput(STALE)
    return conversation


async def finish(uow: UnitOfWork, user_id: UUID, token: str) -> None:
    """End the user's flow at the step of ``token``; stale (and so rolled back) if it is gone."""
    if not await uow.conversations.clear(user_id, token=token):
        raise InvalidInput(STALE)


class FlowOnCommit:
    """Units of work (a call makes one, as ``Context.uow`` does) whose first commit also moves
    ``user_id``'s flow, in the same transaction: it ends the flow at the step of ``token``
    (``ending``), and/or puts it at a new step, ``conversation`` (``moving``).

    Hand it to the service that does a flow's step: its effect and the flow's move commit
    together or not at all, and a second submission of an ended step finds it gone and changes
    nothing. ``done`` tells whether that happened (a step that wrote nothing committed nothing).
    """

    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        user_id: UUID,
        *,
        token: str | None = None,
        conversation: Conversation | None = None,
    ) -> None:
        self._uow, self.user_id, self.token = uow, user_id, token
        self.conversation = conversation
        self.done = False

    def __call__(self) -> UnitOfWork:
        return _FlowUnitOfWork(self, self._uow())


def ending(uow: Callable[[], UnitOfWork], user_id: UUID, token: str) -> FlowOnCommit:
    """Units of work that end the user's flow at the step of ``token`` when they commit."""
    return FlowOnCommit(uow, user_id, token=token)


def moving(
    uow: Callable[[], UnitOfWork],
    user_id: UUID,
    flow: str,
    step: str,
    data: dict[str, object],
    now: datetime,
) -> FlowOnCommit:
    """Units of work that put the user's flow at ``step`` (``.conversation``) when they commit."""
    conversation = Conversation(flow, step, data, new_token(), now + FLOW_TTL)
    return FlowOnCommit(uow, user_id, conversation=conversation)


class _FlowUnitOfWork:
    """A unit of work that, on its first commit, makes the move of its ``FlowOnCommit``."""

    def __init__(self, flow: FlowOnCommit, inner: UnitOfWork) -> None:
        self._flow, self._inner = flow, inner

    async def __aenter__(self) -> _FlowUnitOfWork:
        await self._inner.__aenter__()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._inner.__aexit__(*exc_info)

    def each_statement(self) -> _FlowUnitOfWork:
        """Itself: the flow's move must commit with the work, so this stays one transaction."""
        return self

    async def commit(self) -> None:
        flow = self._flow
        if not flow.done:
            if flow.token is not None:
                await finish(self._inner, flow.user_id, flow.token)
            if flow.conversation is not None:
                await self._inner.conversations.put(flow.user_id, flow.conversation)
        await self._inner.commit()
        flow.done = True

    @property
    def users(self) -> UserRepository:
        return self._inner.users

    @property
    def curricula(self) -> CurriculumRepository:
        return self._inner.curricula

    @property
    def notes(self) -> NoteRepository:
        return self._inner.notes

    @property
    def habits(self) -> HabitRepository:
        return self._inner.habits

    @property
    def plans(self) -> PlanRepository:
        return self._inner.plans

    @property
    def focus(self) -> FocusTimerRepository:
        return self._inner.focus

    @property
    def cards(self) -> CardRepository:
        return self._inner.cards

    @property
    def conversations(self) -> ConversationRepository:
        return self._inner.conversations

    @property
    def experts(self) -> ExpertRepository:
        return self._inner.experts

    @property
    def bookings(self) -> BookingRepository:
        return self._inner.bookings

    @property
    def notifications(self) -> NotificationRepository:
        return self._inner.notifications

    @property
    def deliveries(self) -> DeliveryRepository:
        return self._inner.deliveries

    @property
    def links(self) -> LinkRepository:
        return self._inner.links

    @property
    def data_rights(self) -> DataRightsRepository:
        return self._inner.data_rights

    @property
    def retention(self) -> RetentionRepository:
        return self._inner.retention

    @property
    def waitlist(self) -> WaitlistRepository:
        return self._inner.waitlist

    @property
    def series(self) -> SeriesRepository:
        return self._inner.series

    @property
    def disputes(self) -> DisputeRepository:
        return self._inner.disputes

    @property
    def homework(self) -> HomeworkRepository:
        return self._inner.homework
