"""Platform-neutral replies as Discord messages: split at 2,000 characters on line boundaries,
buttons at most 5 a row and 5 rows, a reply's ``choose`` buttons as one select menu and its
``ask`` as a button opening a form."""

from __future__ import annotations

import io
import logging
from typing import Any

import discord

from bot.adapters.discord.components import MAX_LABEL, AskButton, PayloadButton, PayloadMenu
from bot.adapters.text import split_text
from bot.handlers.base import Button, Reply

logger = logging.getLogger(__name__)

MAX_TEXT = 2000  # characters in one message
MAX_PER_ROW = 5  # buttons in an action row
MAX_ROWS = 5  # action rows under a message
MAX_OPTIONS = 25  # options in a select menu
MAX_ALT = 1024  # characters of an attachment's description
PRIVATE_CHAT_LABEL = "💬 Open our private chat"


def messages(reply: Reply, private_link: str) -> list[tuple[str, discord.ui.View | None]]:
    """The reply as Discord messages: its text in parts, the buttons under the last
    (``private_link`` is where a reply's ``open_private`` button leads)."""
    parts = [p for p in split_text(reply.text, MAX_TEXT, length=len) if p.strip()] or ["…"]
    view = _view(reply, private_link)
    return [(part, view if n == len(parts) else None) for n, part in enumerate(parts, 1)]


def file_of(reply: Reply) -> discord.File | None:
    """The reply's attachment as a file to upload after its text, if it has one. Discord shows
    an image (a .png) inline; its description (alt text) is the reply's text."""
    if reply.attachment is None:
        return None
    content = io.BytesIO(reply.attachment.content)
    alt = reply.text[:MAX_ALT] if reply.attachment.image else None
    return discord.File(content, filename=reply.attachment.filename, description=alt)


def _view(reply: Reply, private_link: str) -> discord.ui.View | None:
    """Rows of buttons (at most 5 a row and 5 rows); ``choose`` buttons as a select menu in
    the first row, ``ask`` as a button opening a form in the last."""
    split = len(reply.buttons) - reply.controls
    button_rows = [row for row in reply.buttons[:split] if row]
    controls = [row for row in reply.buttons[split:] if row]
    choices = [b for row in button_rows for b in row if b.payload is not None]
    items: list[list[discord.ui.Item[Any]]] = []
    if reply.choose and 0 < len(choices) <= MAX_OPTIONS:
        items.append([PayloadMenu.of(choices, reply.choose)])
        button_rows = [kept for row in button_rows if (kept := tuple(b for b in row if b.url))]
    button_rows += controls
    if reply.open_private is not None:
        button_rows.append((Button(PRIVATE_CHAT_LABEL, url=private_link),))
    items += [
        [_item(button) for button in row[i : i + MAX_PER_ROW]]
        for row in button_rows
        for i in range(0, len(row), MAX_PER_ROW)
    ]
    if reply.ask is not None:
        items.append([AskButton.of(reply.ask)])
    if len(items) > MAX_ROWS:
        logger.warning("Discord: %d rows of buttons; showing the first 5", len(items))
        items = items[: MAX_ROWS - 1] + items[-1:] if reply.ask else items[:MAX_ROWS]
    if not items:
        return None
    view = discord.ui.View(timeout=None)
    for number, row_items in enumerate(items):
        for item in row_items:
            item.row = number
            view.add_item(item)
    # Stopped before it is sent, so discord.py keeps no copy of it in memory: presses reach
    # PayloadButton through its template, the same before and after a restart.
    view.stop()
    return view


def _item(button: Button) -> discord.ui.Item[Any]:
    if button.url is not None:
        return discord.ui.Button(label=button.label[:MAX_LABEL], url=button.url)
    assert button.payload is not None
    return PayloadButton(button.payload, button.label)
