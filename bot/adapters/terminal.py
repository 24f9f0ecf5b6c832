"""The terminal adapter: the same bot on standard input and output.

Every message shown is numbered, and every button gets a label of its own, ``#<message>.<button>``
(``#3.1``: button 1 of message 3), which presses it for as long as the chat runs; ``#N`` is
short for button N of the latest answer that had buttons. Standard input may be a pipe: one
message per line, and the chat ends at the end of input.

The chat is also the terminal's courier (``send``): the notification worker running beside
it (``syllabot chat``) delivers the person's reminders and alerts here, printed as they arrive
(input is read without blocking the event loop) in a 📬 frame with a number of its own, so
that they are neither taken for the answer to what was typed nor change what ``#N`` presses.
"""

from __future__ import annotations

import asyncio
import os
import re
import stat
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
NOTICE_BAR = "  │ "
BANNER = (
    "Syllabot in your terminal. #1 presses button 1 of the latest answer, #3.1 button 1 of "
    "message 3; /quit or Ctrl+D leaves."
)
GOODBYE = "Goodbye! Your progress is saved; `syllabot chat` picks up where you left off."
QUIT = ("/quit", "/exit")
_LABEL = re.compile(r"#(?:(\d{1,9})\.)?(\d{1,9})")


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
        self._shown = 0  # messages numbered so far
        self._messages: dict[int, list[Button]] = {}  # message number -> its buttons
        self._buttons: list[Button] = []  # what ``#N`` presses: the latest answer's buttons
        self._pressed: int | None = None  # the message whose button is being answered
        self._notices: list[int] = []  # the numbers of the notices shown
        self._prompting = False  # "you> " is on screen, waiting for a line

    @property
    def chat_id(self) -> str:
        """This chat as the worker addresses it (the identity's external id)."""
        return self._identity.external_id

    @property
    def buttons(self) -> list[Button]:
        """The buttons ``#N`` presses: those of the latest answer that had any."""
        return list(self._buttons)

    def labelled(self) -> dict[str, Button]:
        """Every button still pressable, by its full label (``#3.1``), oldest first."""
        return {
            f"#{message}.{number}": button
            for message, buttons in self._messages.items()
            for number, button in enumerate(buttons, start=1)
        }

    @property
    def interactive(self) -> bool:
        return self._in.isatty()

    async def run(self, *, catch_up: Callable[[], Awaitable[object]] | None = None) -> None:
        """Chat until end of input or /quit (interactive: Ctrl+D or Ctrl+C too).

        First ``catch_up`` (delivering what arrived while the chat was closed), then, when
        interactive, what ``/start`` says (the welcome, or welcome back with the next session
        and the open step); piped, only the step of a wizard left open, with its buttons.
        Leaving says goodbye, also when the chat is cancelled (Ctrl+C), unless input ended.
        """
        lines = _Lines(self._in)
        try:
            if self.interactive:
                self._write(BANNER + "\n")
                if catch_up is not None:
                    await catch_up()
                await self.enter("/start")
            else:
                left_open = await self._dispatcher.resume(self._identity)
                if catch_up is not None:
                    await catch_up()
                if left_open is not None:
                    self._write("(Where we left off:)\n")
                    self._show(left_open)
            while True:
                if self.interactive:
                    self._write(PROMPT)
                    self._prompting = True
                line = await lines.readline()
                self._prompting = False
                if not line:
                    if self.interactive:  # Ctrl+D
                        self._write("\n" + GOODBYE + "\n")
                    return
                text = line.strip()
                if text in QUIT:
                    self._write(GOODBYE + "\n")
                    return
                if text:
                    await self.enter(text)
        except asyncio.CancelledError:  # Ctrl+C: asyncio.run cancels the chat
            self._write(("\n" if self._prompting else "") + GOODBYE + "\n")
            raise

    async def enter(self, text: str) -> list[Reply]:
        """Send one line as the user would type it; print (and return) the replies."""
        incoming = self._incoming(text)
        if incoming is None:
            return []
        try:
            replies = await self._dispatcher.handle(incoming)
            for reply in replies:
                self._show(reply)
        finally:
            self._pressed = None
        return replies

    async def send(self, chat_id: str, reply: Reply) -> Delivery:
        """Show a notification (the courier's side: the worker serves only this chat's user).

        It is framed under a 📬 line with its own number; its buttons are pressed by their
        full label and never change what ``#N`` presses."""
        if self._prompting:
            self._write("\n")
        number = self._number()
        self._notices.append(number)
        self._write(f"📬 Notice #{number} (not an answer to what you typed):\n")
        self._print(reply, number, NOTICE_BAR, NOTICE_BAR)
        if self._prompting:
            self._write(PROMPT)
        return SENT

    def _incoming(self, text: str) -> Incoming | None:
        label = _LABEL.fullmatch(text)
        if label is None:
            return Incoming(self._identity, text=text)
        number = int(label[2])
        if label[1] is None:  # "#N": the latest answer's buttons
            buttons, message = self._buttons, self._latest()
            if not 1 <= number <= len(buttons):
                notice = next((n for n in reversed(self._notices) if self._messages[n]), None)
                hint = (
                    ""
                    if notice is None
                    else f"; a notice's buttons go by their full label, #{notice}.1"
                )
                self._write(f"(there is no button {number} on the last message{hint})\n")
                return None
        else:
            message = int(label[1])
            buttons = self._messages.get(message, [])
            if not 1 <= number <= len(buttons):
                self._write(f"(there is no button #{message}.{number})\n")
                return None
        button = buttons[number - 1]
        if button.payload is None:  # a link: nothing to send
            self._write(f"(open {button.url})\n")
            return None
        self._pressed = message
        return Incoming(self._identity, payload=button.payload)

    def _latest(self) -> int | None:
        """The number of the message whose buttons ``#N`` presses."""
        return next((m for m, b in self._messages.items() if b is self._buttons), None)

    def _number(self) -> int:
        self._shown += 1
        return self._shown

    def _show(self, reply: Reply) -> None:
        """Print an answer. An edit keeps the number of the message whose button was pressed
        (its buttons are replaced); anything else is a new message."""
        edited = reply.edit and self._pressed is not None
        number = self._pressed if edited and self._pressed is not None else self._number()
        self._pressed = None  # a second reply to the same press is a message of its own
        self._print(reply, number, "bot (updated)> " if reply.edit else "bot> ", INDENT)
        if reply.buttons or edited:
            self._buttons = self._messages[number]

    def _print(self, reply: Reply, number: int, first: str, indent: str) -> None:
        buttons = [button for row in reply.buttons for button in row]
        self._messages[number] = buttons
        self._write(first + reply.text.replace("\n", "\n" + indent) + "\n")
        done = 0
        for row in reply.buttons:
            labels = []
            for button in row:
                done += 1
                link = f" → {button.url}" if button.url else ""
                labels.append(f"[#{number}.{done} {button.label}{link}]")
            self._write(indent + "  ".join(labels) + "\n")
        if reply.attachment is not None:
            # A shared temporary folder: what is saved there (an /export) is the person's alone.
            self._files.mkdir(mode=0o700, parents=True, exist_ok=True)
            path = self._files / Path(reply.attachment.filename).name
            path.touch(mode=0o600)
            path.chmod(0o600)
            path.write_bytes(reply.attachment.content)
            kind = "🖼 Picture" if reply.attachment.image else "📎 File"
            self._write(f"{indent}{kind} saved: {path.resolve()}\n")

    def _write(self, text: str) -> None:
        self._out.write(text)
        self._out.flush()


class _Lines:
    """Lines of standard input, read without blocking the event loop.

    A terminal or a pipe is watched by the loop (``add_reader``) and read when it has data, so
    notices print while the person types nothing and Ctrl+C (which cancels the loop's task)
    leaves at once: no thread is left waiting for a line. Anything else (a file, a test's
    StringIO) is read in a worker thread, where a read never waits for a person.
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._fd: int | None = None
        self._buffer = b""
        self._ended = False
        try:
            fd = stream.fileno()
            mode = os.fstat(fd).st_mode
        except (OSError, ValueError):
            return
        if os.isatty(fd) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
            self._fd = fd

    async def readline(self) -> str:
        """The next line with its newline; "" at the end of input."""
        if self._fd is None:
            return await asyncio.to_thread(self._stream.readline)
        while b"\n" not in self._buffer and not self._ended:
            await self._readable(self._fd)
            try:
                chunk = os.read(self._fd, 65536)
            except BlockingIOError:
                continue
            except OSError:  # the terminal went away
                chunk = b""
            self._ended = not chunk
            self._buffer += chunk
        line, newline, self._buffer = self._buffer.partition(b"\n")
        return (line + newline).decode(errors="replace")

    @staticmethod
    async def _readable(fd: int) -> None:
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[None] = loop.create_future()

        def wake() -> None:
            if not ready.done():
                ready.set_result(None)

        loop.add_reader(fd, wake)
        try:
            await ready
        finally:
            loop.remove_reader(fd)
