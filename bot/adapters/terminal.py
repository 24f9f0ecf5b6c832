"""The terminal adapter: the same bot on standard input and output.

Replies are printed; their buttons are numbered, and ``#N`` presses button N of the latest
message that had buttons. Standard input may be a pipe: one message per line, and the chat
ends at the end of input.
"""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from bot.handlers.base import Button, Incoming, Reply
from bot.handlers.router import Dispatcher
from domain.accounts.model import Identity

PLATFORM = "terminal"


class TerminalChat:
    def __init__(
        self,
        dispatcher: Dispatcher,
        user: str,
        *,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
    ) -> None:
        self._dispatcher = dispatcher
        self._identity = Identity(PLATFORM, user, chat_id=f"terminal:{user}", display_name=user)
        self._in = stdin or sys.stdin
        self._out = stdout or sys.stdout
        self._buttons: list[Button] = []

    @property
    def buttons(self) -> list[Button]:
        """The buttons ``#N`` presses: those of the latest message that had any."""
        return list(self._buttons)

    @property
    def interactive(self) -> bool:
        return self._in.isatty()

    async def run(self) -> None:
        """Chat until end of input (or /quit when interactive)."""
        if self.interactive:
            self._write("Syllabot in your terminal. Type /help, or /quit to leave.\n")
        await self.send("/start")
        while True:
            if self.interactive:
                self._write("you> ")
            line = await asyncio.to_thread(self._in.readline)
            if not line:
                break
            text = line.strip()
            if not text:
                continue
            if text in ("/quit", "/exit"):
                break
            await self.send(text)

    async def send(self, text: str) -> list[Reply]:
        """Send one line as the user would type it; print (and return) the replies, then any
        notifications that arrived for this user meanwhile (marked 📬)."""
        incoming = self._incoming(text)
        if incoming is None:
            return []
        replies = await self._dispatcher.handle(incoming)
        for reply in replies:
            self._show(reply)
        arrived = await self._dispatcher.notices(self._identity)
        for notice in arrived:
            self._show(notice, prefix="📬 ")
        return [*replies, *arrived]

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
        self._write(prefix + reply.text.replace("\n", "\n     ") + "\n")
        if reply.buttons:
            self._buttons = [button for row in reply.buttons for button in row]
            number = 0
            for row in reply.buttons:
                labels = []
                for button in row:
                    number += 1
                    link = f" → {button.url}" if button.url else ""
                    labels.append(f"[#{number} {button.label}{link}]")
                self._write("     " + "  ".join(labels) + "\n")
        self._out.flush()

    def _write(self, text: str) -> None:
        self._out.write(text)
        self._out.flush()
