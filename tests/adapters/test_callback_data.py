"""Every button the handlers can produce fits Telegram's 64 bytes of callback_data."""

from __future__ import annotations

import json
import uuid
import zoneinfo

from bot.handlers import payloads
from bot.handlers.router import Dispatcher
from domain.accounts.conversations import new_token
from domain.learning.model import SkillLevel
from tests.adapters.harness import Person, running
from tests.adapters.telegram_emulator import MAX_CALLBACK_DATA, BotApiEmulator

HEX = uuid.UUID(int=2**128 - 1).hex  # every id argument is a UUID in hex: 32 characters
TOKEN = "f" * len(new_token())  # a wizard step's token
LONGEST_ZONE = max((z for z in zoneinfo.available_timezones() if len(z) <= 40), key=len)

# Per button action, the longest arguments it is ever given. A new action needs a line here.
LONGEST_ARGS: dict[str, list[tuple[str, ...]]] = {
    # learners
    "wz": [(TOKEN, str(index)) for index, _ in enumerate(SkillLevel)] + [(TOKEN, "-")],
    "pp": [(HEX, "999")],
    "keep": [()],  # the inactivity warning's Keep my account
    "co": [(HEX,)],
    "tz": [(LONGEST_ZONE,)],
    "st": [(what,) for what in ("study", "streak", "review", "bookings", "quiet", "mute")],
    # review cards: Show answer, a rating, Review now; the offers of a note's or session's cards
    "rv": [("a", HEX, "99999"), ("r", HEX, "99999", "4"), ("go",)],
    "cd": [("n", HEX), ("s", HEX)],
    # "did you mean": a command, with what was typed after it when that fits (else no button)
    "cmd": [("session_notes",), ("timezone", "A" * 40)],
    "pe": [(HEX,), ("list",)],
    "px": [(letter, HEX) for letter in "udsmx"],
    "hw": [(letter, HEX) for letter in "efh"],
    # /focus: Stop, Log it, Different, No; a plain message's Log it (per plan) and No
    "fo": [(letter, HEX) for letter in "sldn"],
    "ql": [(TOKEN, "7"), (TOKEN, "n")],
    # the expert marketplace
    "xw": [(TOKEN, "0"), (TOKEN, "-")],
    "xp": [(HEX, "trial", "off"), (HEX, "reschedules", "any"), (HEX, "cancel", "default")],
    "av": [(HEX, "y"), (HEX, "n")],
    "ax": [(HEX,)],
    "ar": [(TOKEN, code) for code in "yex"],
    "as": [(HEX, "s"), (HEX, "r")],
    "es": [(TOKEN, "999")],
    "ep": [(HEX,)],
    "bk": [(HEX,)],
    "bf": [
        (TOKEN, "480"),
        (TOKEN, "d20261231"),
        (TOKEN, "p99"),
        (TOKEN, "s9999"),
        (TOKEN, "ok"),
        (TOKEN, "t30"),
        (TOKEN, "w"),  # 🔔 on a full day
        (TOKEN, "rw"),  # a weekly series: repeat, weeks, book
        (TOKEN, "w12"),
        (TOKEN, "sb"),
        (TOKEN, "h99"),  # share a plan (its index at the share step), or not
        (TOKEN, "h-"),
    ],
    "sa": [(HEX, "c"), (HEX, "d")],  # Confirm all / Decline all of a series
    "bm": [(HEX, answer, "99999999999") for answer in "ad"],
    "bo": [(HEX,)],
    "bx": [
        (HEX, code)
        for code in ("cf", "dc", "rs", "cn", "cp", "ns", "pd", "rf", "ms", "r5", "ic")
        + ("hy", "pb", "da", "vp", "sh", "us", "hm", "hw")
    ],
    # after a session: a kind of problem, Skip / Cancel under its words, an admin's decision
    "dk": [(HEX, code) for code in ("ea", "cs", "ot")],
    "dz": [(TOKEN,)],
    "dd": [(HEX, code) for code in ("r", "p", "s")],
    # a plan shared with a booking's expert (its first 8 hex digits, or none); the expert's
    # pages of it; homework: Skip the objectives, Add it / Decline
    "bs": [(HEX, "f" * 8), (HEX, "-")],
    "bp": [(HEX, "999")],
    "hs": [(TOKEN,)],
    "ha": [(HEX, "a"), (HEX, "d")],
    "rr": [(TOKEN,)],
    "mx": [(TOKEN,)],
    # a free time offered in a notice (minutes since the epoch, up to int_arg's bound); 🔕 Leave
    "bw": [(HEX, "90", "1000000000")],
    "wx": [(HEX,)],
    # every flow
    "fl": [(TOKEN, "b"), (TOKEN, "x")],
    # the learner's own data: /delete_me's confirm, keep, and cancel-my-sessions-first
    "dm": [("go", TOKEN), ("no", TOKEN), ("cx", TOKEN)],
}


def test_every_button_action_with_its_longest_arguments_fits_64_bytes(
    dispatcher: Dispatcher,
) -> None:
    missing = set(dispatcher.buttons) - set(LONGEST_ARGS)
    assert not missing, f"add the longest arguments of button action(s) {missing} to LONGEST_ARGS"
    user = uuid.uuid4()
    for action, variants in LONGEST_ARGS.items():
        for args in variants:
            payload = payloads.encode(user, action, *args)  # raises beyond 64 bytes
            assert len(payload.encode()) <= MAX_CALLBACK_DATA
            assert payloads.decode(user, payload) == (action, args)


def test_deep_links_fit_telegrams_start_parameter() -> None:
    for kind in ("c", "e"):
        link = payloads.deep_link(kind, HEX)
        assert len(link) <= 64 and payloads.parse_deep_link(link) == (kind, HEX)


async def test_the_buttons_of_a_whole_learner_journey_fit_64_bytes(
    api: BotApiEmulator, dispatcher: Dispatcher
) -> None:
    async with running(api, dispatcher) as adapter:
        pia = Person(api, adapter, "Pia")
        await pia.say("/timezone Comodrivadavia")  # suggests the longest zone name there is
        assert "America/Argentina/ComodRivadavia" in pia.buttons()
        await pia.press("America/Argentina/ComodRivadavia")
        await pia.say("/new")
        await pia.say("Eine sehr lange Fachbezeichnung " * 3)
        await pia.press("Skip")  # a subject I don't know, and no topics of her own
        await pia.say("365")
        await pia.say("480")
        await pia.press("Intermediate")
        await pia.say("goals")
        await pia.press("Skip")
        await pia.say("/plan 40")
        await pia.press("◀ Previous")
        await pia.say("/plans")
        await pia.press(next(b for b in pia.buttons() if b.startswith("Open 1. ")))

    sent = [
        button["callback_data"]
        for call in api.calls
        if call.method in ("sendMessage", "editMessageText") and call.params.get("reply_markup")
        for row in json.loads(call.params["reply_markup"])["inline_keyboard"]
        for button in row
        if "callback_data" in button
    ]
    assert {data.split(":")[2] for data in sent} == {"tz", "wz", "pp", "co", "fl"}
    assert max(len(data.encode()) for data in sent) <= MAX_CALLBACK_DATA
    assert all(call.status == 200 for call in api.calls if call.method != "getUpdates")
