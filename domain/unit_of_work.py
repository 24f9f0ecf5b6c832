"""The unit of work: one transaction over every context's repositories."""

from __future__ import annotations

from typing import Protocol

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


class UnitOfWork(Protocol):
    """One transaction over all repositories: ``async with uow: ...; await uow.commit()``.

    Leaving the block without ``commit()`` rolls back.
    """

    @property
    def users(self) -> UserRepository: ...

    @property
    def curricula(self) -> CurriculumRepository: ...

    @property
    def notes(self) -> NoteRepository: ...

    @property
    def habits(self) -> HabitRepository: ...

    @property
    def plans(self) -> PlanRepository: ...

    @property
    def focus(self) -> FocusTimerRepository: ...

    @property
    def cards(self) -> CardRepository: ...

    @property
    def conversations(self) -> ConversationRepository: ...

    @property
    def experts(self) -> ExpertRepository: ...

    @property
    def bookings(self) -> BookingRepository: ...

    @property
    def notifications(self) -> NotificationRepository: ...

    @property
    def series(self) -> SeriesRepository: ...

    @property
    def homework(self) -> HomeworkRepository: ...

    @property
    def deliveries(self) -> DeliveryRepository: ...

    @property
    def links(self) -> LinkRepository: ...

    @property
    def data_rights(self) -> DataRightsRepository: ...

    @property
    def retention(self) -> RetentionRepository: ...

    @property
    def waitlist(self) -> WaitlistRepository: ...

    @property
    def disputes(self) -> DisputeRepository: ...

    async def __aenter__(self) -> UnitOfWork: ...

    async def __aexit__(self, *exc_info: object) -> None: ...

    async def commit(self) -> None: ...

    def each_statement(self) -> UnitOfWork:
        """A unit of work with no transaction around it: each statement commits on its own, so
        no BEGIN or COMMIT travels (``commit()`` has nothing left to do). Only for a use case
        whose one write is a single statement that re-checks what it read (``/done``)."""
        ...
