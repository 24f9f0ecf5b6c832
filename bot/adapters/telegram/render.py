"""Platform-neutral replies as Telegram messages: text HTML-escaped and split at 4,096
characters on line boundaries, buttons as inline keyboards, an ``edit`` reply to a button press
edits that message in place."""

from __future__ import annotations

import html
import logging

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
)
from telegram.constants import ChatType, MessageLimit, ParseMode
from telegram.error import BadRequest

from bot.adapters.text import split_text
from bot.handlers.base import Attachment, Button, Reply

logger = logging.getLogger(__name__)

PRIVATE_CHAT_LABEL = "💬 Open our private chat"
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


async def render(
    bot: Bot,
    reply: Reply,
    chat_id: int,
    *,
    quote: Message | None = None,
    pressed: Message | None = None,
) -> None:
    """Send ``reply`` to the chat: quoting ``quote`` in a group, or, for an ``edit`` reply,
    replacing the ``pressed`` message (sent anew if that message cannot be edited)."""
    parts = [p for p in split_text(reply.text, MessageLimit.MAX_TEXT_LENGTH) if p.strip()]
    parts = parts or ["…"]
    markup = _markup(reply, bot.username)
    if reply.edit and pressed is not None:
        first, parts = parts[0], parts[1:]
        try:
            await bot.edit_message_text(
                _html(first),
                chat_id=chat_id,
                message_id=pressed.message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=None if parts else markup,
                link_preview_options=NO_PREVIEW,
            )
        except BadRequest as error:
            if "not modified" not in str(error).lower():
                logger.info("Telegram: edit failed (%s); sending instead", error)
                parts = [first, *parts]
    reply_to = (
        ReplyParameters(quote.message_id, allow_sending_without_reply=True)
        if quote is not None and quote.chat.type != ChatType.PRIVATE
        else None
    )
    for number, part in enumerate(parts, start=1):
        await bot.send_message(
            chat_id,
            _html(part),
            parse_mode=ParseMode.HTML,
            reply_markup=markup if number == len(parts) else None,
            reply_parameters=reply_to if number == 1 else None,
            link_preview_options=NO_PREVIEW,
        )
    if reply.attachment is not None:
        await _send_file(bot, chat_id, reply.attachment)


async def _send_file(bot: Bot, chat_id: int, file: Attachment) -> None:
    """A document; an image as a photo, or as a document should Telegram refuse the photo
    (its sides, say)."""
    if file.image:
        try:
            await bot.send_photo(chat_id, InputFile(file.content, filename=file.filename))
            return
        except BadRequest as error:
            logger.info("Telegram: photo refused (%s); sending it as a document", error)
    await bot.send_document(chat_id, InputFile(file.content, filename=file.filename, attach=True))


def private_link(username: str, start: str = "") -> str:
    """``https://t.me/<bot>``, opening the private chat (with ``/start <start>``)."""
    link = f"https://t.me/{username}"
    return f"{link}?start={start}" if start else link


def _markup(reply: Reply, username: str) -> InlineKeyboardMarkup | None:
    keyboard = [[_button(button) for button in row] for row in reply.buttons if row]
    if reply.open_private is not None:
        link = private_link(username, reply.open_private)
        keyboard.append([InlineKeyboardButton(PRIVATE_CHAT_LABEL, url=link)])
    return InlineKeyboardMarkup(keyboard) if keyboard else None


def _button(button: Button) -> InlineKeyboardButton:
    if button.url is not None:
        return InlineKeyboardButton(button.label, url=button.url)
    return InlineKeyboardButton(button.label, callback_data=button.payload)


def _html(text: str) -> str:
    """Handlers write plain text: every ``<``, ``>`` and ``&`` shows literally."""
    return html.escape(text, quote=False)
