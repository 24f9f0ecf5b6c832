"""Telegram: the platform-neutral handlers on python-telegram-bot v22.

How one update travels:

1. Long polling (``getUpdates``) or our webhook server (:mod:`.webhook`: 403 without the right
   ``X-Telegram-Bot-Api-Secret-Token``, 400 for a body that is not an update) puts it in the
   Application's queue.
2. :class:`~.processor.UpdateProcessor`, as it arrives: flood control per user (a token bucket,
   :mod:`.flood`; a user over the limit gets one polite notice and is then skipped), and a
   button press is answered with ``answerCallbackQuery`` at once, before any database work.
   After that one user's updates run one at a time and in order
   (:class:`bot.handlers.ordering.InOrder`), while different users run concurrently. In
   webhook mode, where several processes may each receive some of a user's updates, the
   webhook claims each update before answering 200 and it then also waits for the user's
   turn across processes (``Dispatcher.turn``, ``db.turns``), held while it runs.
3. The message or button handler of :class:`~.adapter.TelegramAdapter` hands it to
   :meth:`Dispatcher.handle_update <bot.handlers.router.Dispatcher.handle_update>`, which
   claims the update id first: an update delivered a second time stops there.
4. The dispatcher answers with platform-neutral replies, rendered by :mod:`.render`: text
   HTML-escaped and split at 4,096 characters on line boundaries, buttons as inline keyboards,
   ``edit`` replies to a button press edit that message in place.

Every outgoing request goes through :class:`~.limits.ChatRateLimiter` (about 30 messages a
second overall, 20 a minute per group, about one a second per private chat, and a slot in the
token's send budget shared by every process; a 429 is waited out and the request retried,
except for notifications: the worker paces those and waits out 429s).
"""

from bot.adapters.telegram.adapter import PLATFORM, TelegramAdapter, TelegramUnavailable
from bot.adapters.telegram.flood import FloodGate, FloodLimit, Verdict
from bot.adapters.telegram.limits import ChatRateLimiter
from bot.adapters.telegram.webhook import Webhook

__all__ = [
    "PLATFORM",
    "ChatRateLimiter",
    "FloodGate",
    "FloodLimit",
    "TelegramAdapter",
    "TelegramUnavailable",
    "Verdict",
    "Webhook",
]
