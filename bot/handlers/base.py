"""Platform-neutral values that flow between adapters and handlers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from uuid import UUID

from bot.handlers.meter import Meter, NoMeter
from bot.handlers.payloads import STALE
from bot.review_scheduler import FsrsScheduler
from domain.accounts import conversations
from domain.accounts.model import Conversation, Identity  # Identity: for the adapters too
from domain.accounts.ports import LocalTurns, Turns
from domain.accounts.retention import Retention
from domain.learning.ports import CurriculumPlanner, ReviewScheduler
from domain.marketplace.model import Policy
from domain.marketplace.payments import ManualPayments, PaymentProvider
from domain.marketplace.ports import NoCache, SearchCache
from domain.shared.clock import Clock
from domain.shared.errors import InvalidInput
from domain.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Incoming:
    """One thing a person did: typed ``text`` or pressed a button carrying ``payload``."""

    identity: Identity
    text: str | None = None
    payload: str | None = None
    private: bool = True
    answers: str | None = None  # text from a form (``Ask``): the token of the step it answers
    # False where typed messages never reach the bot (a Discord server channel: only slash
    # commands, buttons and forms do), so a step waiting for typed text says where to go.
    hears_text: bool = True


@dataclass(frozen=True)
class Button:
    """A button that sends ``payload`` back when pressed, or (``url``) a link to open."""

    label: str
    payload: str | None = None
    url: str | None = None

    def __post_init__(self) -> None:
        if (self.payload is None) == (self.url is None):
            raise ValueError("a button has either a payload or a url")


@dataclass(frozen=True)
class Ask:
    """Free text a reply asks for, which an adapter may collect in a form (Discord: a modal)
    rather than as the next typed message. The answer goes to the current flow's step whose
    ``token`` this is, or, with ``command``, runs as ``/<command> <text>``. ``title`` and
    ``label`` name the form and its field (at most 45 characters each)."""

    title: str
    label: str
    token: str | None = None
    command: str | None = None

    def __post_init__(self) -> None:
        if (self.token is None) == (self.command is None):
            raise ValueError("an ask answers either a flow step (token) or a command")


@dataclass(frozen=True)
class Attachment:
    """A file sent with a reply, after its text (e.g. a calendar to import). An ``image``
    (an ``image/*`` type, e.g. /chart's PNG) is shown as a picture where the platform can."""

    filename: str
    content: bytes
    mime_type: str = "application/octet-stream"

    @property
    def image(self) -> bool:
        return self.mime_type.startswith("image/")


@dataclass(frozen=True)
class Reply:
    """A message to show. ``edit`` asks to replace the message whose button was pressed.

    ``open_private`` (set on answers in group chats) asks the adapter for one more button that
    opens the private chat with the bot, which starts there with ``/start <open_private>``
    ("" for a plain ``/start``); only the adapter knows how to link there.

    ``choose`` (a short prompt, e.g. "Pick a time") says the payload buttons are the options of
    one choice: an adapter may show them as a menu under that prompt (Discord's select menu);
    the others show the buttons as they are. The last ``controls`` rows (◀ Back, ✖ Cancel,
    turning a page) are not options: they stay buttons under the menu. ``ask``: see
    :class:`Ask`. ``attachment``: a file every adapter sends after the text (Telegram a
    document, or a photo for an image; Discord a file, an image shown inline; the terminal
    writes it to a folder and prints its path).
    ``awaits_text``: the step waits for typed text that no button or form can give.
    """

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    edit: bool = False
    open_private: str | None = None
    choose: str | None = None
    ask: Ask | None = None
    attachment: Attachment | None = None
    controls: int = 0
    awaits_text: bool = False


@dataclass(frozen=True)
class Context:
    """What handlers may use: a fresh unit of work per call, the clock, the planner, and the
    marketplace's policy and payment provider."""

    uow: Callable[[], UnitOfWork]
    clock: Clock
    planner: CurriculumPlanner
    policy: Policy = field(default_factory=Policy)
    payments: PaymentProvider = field(default_factory=ManualPayments)
    # Search pages and profile cards, read through (db.cache; kept nowhere by default).
    cache: SearchCache = field(default_factory=NoCache)
    retention: Retention = field(default_factory=Retention)  # windows of the clean-up jobs
    reviews: ReviewScheduler = field(default_factory=FsrsScheduler)  # FSRS, for /review
    # Drops a user's identities from the dispatcher's cache (after /link merged that user).
    forget_user: Callable[[UUID], None] = field(default=lambda _user_id: None)
    meter: Meter = field(default_factory=NoMeter)  # what /metrics counts (bot.observability)
    # One person's turn across processes (db.turns, in webhook mode); none by default.
    turns: Turns = field(default_factory=LocalTurns)


@dataclass(frozen=True)
class Request:
    """An incoming message resolved to a known user, with the command's arguments."""

    ctx: Context
    user_id: UUID
    incoming: Incoming
    args: str = ""
    button_args: tuple[str, ...] = field(default=())
    newcomer: bool = False  # the user was created for this very message (first contact)


Replies = Reply | Sequence[Reply]
Handler = Callable[[Request], Awaitable[Replies]]
# A flow's current step asked again (after a restart), with its buttons.
Prompt = Callable[[Request, Conversation], Awaitable[Reply]]
# Suggestions for a command's argument while it is typed: (what to show, what it stands for).
Suggest = Callable[[Request, str], Awaitable[Sequence[tuple[str, str]]]]


@dataclass(frozen=True)
class Command:
    """A slash command: ``name`` without the slash, one ``summary`` line for /help.

    A ``personal`` command shows or changes the user's own data, so in a group chat it is not
    run: the answer is a button to the private chat instead. ``suggest`` offers values for the
    argument as it is typed (adapters that can show them, e.g. Discord's autocomplete).
    """

    name: str
    handler: Handler
    summary: str
    usage: str = ""
    personal: bool = True
    suggest: Suggest | None = None


def rows(*buttons: Button, per_row: int = 3) -> tuple[tuple[Button, ...], ...]:
    """Lay ``buttons`` out in rows of at most ``per_row``."""
    return tuple(tuple(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row))


async def flow_of_button(req: Request, token: str, *flows: str) -> Conversation:
    """The unfinished flow a pressed button belongs to: one of ``flows``, at the step whose
    buttons carry ``token``. Anything else (expired, finished, another user's) is stale."""
    conversation = await conversations.current(req.user_id, req.ctx.uow(), req.ctx.clock)
    if conversation is None or conversation.flow not in flows or conversation.token != token:
        raise InvalidInput(STALE)
    return conversation
