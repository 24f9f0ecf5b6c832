"""Step-by-step flows ("wizards") whose answers are kept in the database between messages.

A ``Wizard`` asks its ``Step``s in order. Typed answers are parsed by the step; a bad one gets
its message and the same question again. Steps may offer Skip and choice buttons, whose
payloads carry the step's token, so a button from an earlier step, a finished wizard or
another chat is stale. The last answer hands every parsed value to ``finish``, whose units of
work (``req.ctx.uow``) end the wizard when they commit: the wizard's effect and its end are one
transaction, so a crash between them cannot leave the wizard open at its last step.

Every flow's steps end with the same two buttons (``controls``): ◀ Back, to the step before
with its buttons (the history ``conversations.advance`` keeps), and ✖ Cancel, which ends the
flow and changes nothing else. One payload (``fl``) and one handler (``navigate``) serve every
flow; a flow shows a step again through its ``PROMPTS`` entry, as after a restart.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from uuid import UUID

from bot.handlers import payloads
from bot.handlers.base import Ask, Button, Prompt, Replies, Reply, Request, flow_of_button, rows
from domain.accounts import conversations
from domain.accounts.model import Conversation
from domain.shared.errors import InvalidInput

Choices = Callable[[Request], Awaitable[list[tuple[str, str]]]]
Finish = Callable[[Request, dict[str, object]], Awaitable[Replies]]
SKIP = "-"


def skipped(text: str | None) -> str | None:
    """A typed answer to a question that offers Skip: ``skip`` typed (any case) is the button
    pressed (None), as the questions' "(or Skip)" says; anything else is the answer."""
    return None if text is not None and text.strip().casefold() == "skip" else text


NAVIGATE = "fl"  # the payload action of ◀ Back and ✖ Cancel, in every flow
BACK, CANCEL = "b", "x"


def controls(req: Request, conversation: Conversation) -> tuple[tuple[Button, ...], ...]:
    """The row of ◀ Back (unless at the first step) and ✖ Cancel under a flow's step."""
    back = bool(conversations.history(conversation))
    return control_row(req.user_id, conversation.token, back=back)


def control_row(
    user_id: UUID, token: str, *, back: bool, cancel: str = "✖ Cancel"
) -> tuple[tuple[Button, ...], ...]:
    """◀ Back (``back``: there is a step before) and ✖ Cancel (labelled ``cancel``, where
    "Cancel" would read as the flow's own action) for the step of ``token``."""
    stop = Button(cancel, payloads.encode(user_id, NAVIGATE, token, CANCEL))
    if not back:
        return ((stop,),)
    return ((Button("◀ Back", payloads.encode(user_id, NAVIGATE, token, BACK)), stop),)


async def navigate(req: Request, prompts: Mapping[str, Prompt]) -> Reply:
    """◀ Back or ✖ Cancel under any flow's step (the step's token re-checked)."""
    if len(req.button_args) != 2 or req.button_args[1] not in (BACK, CANCEL):
        raise InvalidInput(payloads.STALE)
    token, choice = req.button_args
    ctx = req.ctx
    if choice == CANCEL:
        await conversations.cancel(req.user_id, token, ctx.uow(), ctx.clock)
        return Reply(conversations.CANCELLED, edit=True)
    previous = await conversations.back(req.user_id, token, ctx.uow(), ctx.clock)
    prompt = prompts.get(previous.flow)
    if prompt is None:
        raise InvalidInput(payloads.STALE)
    return replace(await prompt(req, previous), edit=True)


@dataclass(frozen=True)
class Step:
    """One question: how to read the answer, whether Skip is offered, and answer buttons
    (``choices`` gives (label, answer) pairs; pressing one is typing its answer). A ``form``
    label marks a long-text answer that an adapter may collect in a form (see ``Ask``)."""

    question: str | Callable[[Request], str]
    parse: Callable[[str], object]
    skippable: bool = False
    choices: Choices | None = None
    form: str | None = None
    when: Callable[[dict[str, object]], bool] | None = (
        None  # asked only if, given the answers so far
    )


class Wizard:
    def __init__(
        self, flow: str, action: str, title: str, steps: dict[str, Step], finish: Finish
    ) -> None:
        self.flow, self.action, self.title = flow, action, title
        self.steps, self.order, self.finish = steps, list(steps), finish

    async def start(self, req: Request) -> Reply:
        conversation = await conversations.save(
            req.user_id, self.flow, self.order[0], {}, req.ctx.uow(), req.ctx.clock
        )
        return await self.prompt(req, conversation)

    async def answer(self, req: Request, conversation: Conversation, text: str | None) -> Replies:
        """An answer to the current step (``None``: Skip)."""
        step = self.steps[conversation.step]
        if step.skippable:
            text = skipped(text)
        if text is None and not step.skippable:
            raise InvalidInput("This step can't be skipped.")
        try:
            value = None if text is None else step.parse(text)
        except InvalidInput as error:
            return [Reply(error.message), await self.prompt(req, conversation)]
        data = {**conversation.data, conversation.step: value}
        following = self._next(conversation.step, data)
        if following is None:
            ending = conversations.ending(req.ctx.uow, req.user_id, conversation.token)
            answers = conversations.answers(data)
            replies = await self.finish(replace(req, ctx=replace(req.ctx, uow=ending)), answers)
            if not ending.done:  # the finish wrote nothing: the wizard ends on its own
                await conversations.end(req.user_id, req.ctx.uow())
            return replies
        uow = req.ctx.uow()
        async with uow:
            now = req.ctx.clock.now()
            moved = await conversations.advance(
                uow, req.user_id, conversation, following, data, now
            )
            await uow.commit()
        return await self.prompt(req, moved)

    def _asked(self, data: dict[str, object]) -> list[str]:
        """The steps that apply, given the answers so far."""
        return [n for n in self.order if (when := self.steps[n].when) is None or when(data)]

    def _next(self, step: str, data: dict[str, object]) -> str | None:
        asked = self._asked(data)
        later = self.order[self.order.index(step) + 1 :]
        return next((n for n in later if n in asked), None)

    async def button(self, req: Request) -> Replies:
        """Skip, or one of the step's choices."""
        if len(req.button_args) != 2:
            raise InvalidInput(payloads.STALE)
        token, choice = req.button_args
        conversation = await flow_of_button(req, token, self.flow)
        if choice == SKIP:
            return await self.answer(req, conversation, None)
        options = await self._choices(req, conversation)
        if not choice.isdigit() or int(choice) >= len(options):
            raise InvalidInput(payloads.STALE)
        return await self.answer(req, conversation, options[int(choice)][1])

    async def _choices(self, req: Request, conversation: Conversation) -> list[tuple[str, str]]:
        choices = self.steps[conversation.step].choices
        return [] if choices is None else await choices(req)

    async def prompt(self, req: Request, conversation: Conversation) -> Reply:
        """The current step's question with its buttons (also to show it again after a restart)."""
        step = self.steps[conversation.step]
        asked = self._asked(conversation.data)
        number = asked.index(conversation.step) + 1 if conversation.step in asked else 1
        question = step.question(req) if callable(step.question) else step.question
        text = f"{self.title}, step {number} of {len(asked)}: {question}"
        token = conversation.token
        buttons = [
            Button(label, payloads.encode(req.user_id, self.action, token, str(index)))
            for index, (label, _answer) in enumerate(await self._choices(req, conversation))
        ]
        if step.skippable:
            buttons.append(Button("Skip", payloads.encode(req.user_id, self.action, token, SKIP)))
        ask = None if step.form is None else Ask(self.title[:45], step.form, token=token)
        return Reply(
            text,
            (*rows(*buttons), *controls(req, conversation)),
            ask=ask,
            awaits_text=ask is None and step.choices is None,
        )
