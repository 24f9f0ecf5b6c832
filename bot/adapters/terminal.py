"""The terminal adapter: the same bot on standard input and output.

Replies are printed; their buttons are numbered, and ``#N`` presses button N of the latest
message that had buttons. Standard input may be a pipe: one message per line, and the chat
ends at the end of input.

The chat is also the terminal's courier (``send``): the notification worker running beside
it (``syllabot chat``) delivers the person's reminders and alerts here, printed as they arrive
under a 📬 line so that they are not taken for the answer to what was typed.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TextIO

from bot.handlers.base import Button, Identity, Incoming, Reply
from bot.handlers.courier import SENT, Delivery
from bot.handlers.router import Dispatcher

PLATFORM = "terminal"
PROMPT = "you> "
INDENT = "     "


class TerminalChat:
    def __init__(
        self,
        dispatcher: Dispatcher,
        user: str,
        *,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        files: Path | None = None,
    ) -> None:
        self._dispatcher = dispatcher
        # where a reply's attachment is written (its path is printed)
        self._files = files or Path(tempfile.gettempdir()) / "syllabot-files"
        self._identity = Identity(PLATFORM, user, chat_id=f"terminal:{user}", display_name=user)
        self._in = stdin or sys.stdin
        self._out = stdout or sys.stdout
        self._buttons: list[Button] = []
        self._prompting = False  # "you> " is on screen, waiting for a line

    @property
    def chat_id(self) -> str:
        """This chat as the worker addresses it (the identity's external id)."""
        return self._identity.external_id

    @property
    def buttons(self) -> list[Button]:
        """The buttons ``#N`` presses: those of the latest message that had any."""
        return list(self._buttons)

    @property
    def interactive(self) -> bool:
        return self._in.isatty()

    async def run(self, *, catch_up: Callable[[], Awaitable[object]] | None = None) -> None:
        """Chat until end of input (or /quit when interactive).

        First: the welcome (when interactive), then ``catch_up`` (delivering what arrived
        while the chat was closed), then the step of a wizard left open, with its buttons.
        """
        if self.interactive:
            self._write("Syllabot in your terminal. Type /help, or /quit to leave.\n")
        left_open = await self._dispatcher.resume(self._identity)
        if left_open is None and self.interactive:
            await self.enter("/start")
        if catch_up is not None:
            await catch_up()
        if left_open is not None:
            self._write("(Where we left off:)\n")
            self._show(left_open)
        while True:
            if self.interactive:
                self._write(PROMPT)
                self._prompting = True
            line = await asyncio.to_thread(self._in.readline)
            self._prompting = False
            if not line:
                break
            text = line.strip()
            if not text:
                continue
            if text in ("/quit", "/exit"):
                break
            await self.enter(text)

    async def enter(self, text: str) -> list[Reply]:
        """Send one line as the user would type it; print (and return) the replies."""
        incoming = self._incoming(text)
        if incoming is None:
            return []
        replies = await self._dispatcher.handle(incoming)
        for reply in replies:
            self._show(reply)
        return replies

    async def send(self, chat_id: str, reply: Reply) -> Delivery:
        """Show a notification (the courier's side: the worker serves only this chat's user)."""
        if self._prompting:
            self._write("\n")
        self._write("📬 A notification (not an answer to what you typed):\n")
        self._show(reply, prefix=INDENT)
        if self._prompting:
            self._write(PROMPT)
        return SENT

    def _incoming(self, text: str) -> Incoming | None:
        if text.startswith("#") and text[1:].isdigit():
            number = int(text[1:])
            if not 1 <= number <= len(self._buttons):
                self._write(f"(there is no button {number} on the last message)\n")
                return None
            button = self._buttons[number - 1]
            if button.payload is None:  # a link: nothing to send
                self._write(f"(open {button.url})\n")
                return None
            return Incoming(self._identity, payload=button.payload)
        return Incoming(self._identity, text=text)

    def _show(self, reply: Reply, prefix: str | None = None) -> None:
        prefix = prefix or ("bot (updated)> " if reply.edit else "bot> ")
        self._write(prefix + reply.text.replace("\n", "\n" + INDENT) + "\n")
        if reply.buttons:
            self._buttons = [button for row in reply.buttons for button in row]
            number = 0
            for row in reply.buttons:
                labels = []
                for button in row:
                    number += 1
                    link = f" → {button.url}" if button.url else ""
                    labels.append(f"[#{number} {button.label}{link}]")
                self._write(INDENT + "  ".join(labels) + "\n")
        if reply.attachment is not None:
            self._files.mkdir(parents=True, exist_ok=True)
            path = self._files / Path(reply.attachment.filename).name
            path.write_bytes(reply.attachment.content)
            self._write(f"{INDENT}📎 {reply.attachment.mime_type} file saved: {path.resolve()}\n")
        self._out.flush()

    def _write(self, text: str) -> None:
        self._out.write(text)
        self._out.flush()
