"""Discord: the platform-neutral handlers on discord.py 2.x.

How one interaction travels:

1. The gateway delivers ``INTERACTION_CREATE`` (or ``MESSAGE_CREATE`` for a direct message);
   discord.py's connection state turns it into an :class:`discord.Interaction`.
2. A slash command (every :class:`~bot.handlers.base.Command`, with one optional, described
   ``args`` parameter, autocompleted by the command's ``suggest``) or a component of
   :mod:`.components` (a button, menu or form, found by its ``custom_id`` template, so they
   keep working after a restart) reaches :class:`~.adapter.DiscordAdapter`.
3. The interaction is deferred at once, well within Discord's 3 seconds; then one user's
   interactions and messages run one at a time, in order
   (:class:`bot.handlers.ordering.InOrder`), while different users run concurrently;
   :meth:`Dispatcher.handle_update <bot.handlers.router.Dispatcher.handle_update>` claims it
   (at most once) and answers with platform-neutral replies.
4. The replies are rendered by :mod:`.render`: split at 2,000 characters on line boundaries,
   buttons at most 5 a row and 5 rows, ephemeral in a server channel (only the person who
   asked sees them), ``edit`` replies to a button press edit that message in place. A reply's
   ``choose`` buttons become one select menu (:class:`~.components.PayloadMenu`), its ``ask``
   a button opening a form (:class:`~.components.AskButton`, a modal whose text is handled as
   if typed).

As a notification courier (:meth:`DiscordAdapter.send`) it writes direct messages.
"""

from bot.adapters.discord.adapter import PLATFORM, DiscordAdapter, DiscordUnavailable
from bot.adapters.discord.components import ASK_PREFIX, CUSTOM_ID_PREFIX, MENU_ID
from bot.adapters.discord.render import MAX_TEXT

__all__ = [
    "ASK_PREFIX",
    "CUSTOM_ID_PREFIX",
    "MAX_TEXT",
    "MENU_ID",
    "PLATFORM",
    "DiscordAdapter",
    "DiscordUnavailable",
]
