"""Understanding a study session told in plain words: "studied 40 min of verbs", "did 1h15 of
calculus today", "45 minutes, chapter 3 exercises", "just did half an hour of spanish".

English only, and cautious: a message is a log only when it holds exactly one length of time
and nothing that makes it a plan, a question, a wish, a habit, a denial or another day ("I will
study 30 min tomorrow", "should I study 40 min?", "remind me in 20 minutes", "30 min is too
much", "I didn't do 20 min", "studied 40 min yesterday"). What is left once the length of time
and the words around it ("studied", "for", "of", "today") are taken out is the note, and it is
also what names a plan when the learner has several (:func:`plans_named`). Nothing here logs:
the learner confirms with one tap (``bot.handlers.learning.quick_log``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from rapidfuzz import fuzz

from domain.learning.matching import find_subject, normalize
from domain.learning.model import PlainLog
from domain.learning.parsing import LOGGED_MINUTES_RANGE, NOTE_MAX

MAX_LENGTH = 300  # a longer message is not a quick log

_UNITS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "ninety": 90}
_WORD_NUMBER = (
    rf"(?:(?:{'|'.join(_TENS)})(?:[\s-](?:{'|'.join(list(_UNITS)[:9])}))?"
    rf"|{'|'.join(sorted(_UNITS, key=len, reverse=True))}|an?)"
)
_NUM = rf"(?:[0-9]{{1,3}}(?:[.,][0-9]{{1,2}})?|{_WORD_NUMBER})"
_H = r"(?:h|hrs?|hours?)"
_M = r"(?:m|mins?|minutes?)"
_B = r"(?![\w'’])"  # the end of a word
# One length of time, as people write it; the alternatives are tried in this order.
_DURATION = re.compile(
    rf"(?<![\w.,])(?:"
    rf"(?P<quarters>a\s+quarter|three\s+quarters|3\s+quarters)\s+of\s+an?\s+hour{_B}"
    rf"|(?:half(?:\s+(?:of\s+)?an?)?|a\s+half)\s+hours?{_B}(?P<half>)"
    rf"|(?P<h_and_half>{_NUM})\s+and\s+a\s+half\s+hours?{_B}"
    rf"|(?P<hours_half>{_NUM})\s+hours?\s+and\s+a\s+half{_B}"
    rf"|(?P<hours>{_NUM})\s*-?\s*{_H}{_B}"
    rf"(?:\s*(?:and\s+)?(?P<extra>[0-9]{{1,2}}|{_WORD_NUMBER})(?:\s*-?\s*{_M})?{_B})?"
    rf"|(?P<hours_glued>[0-9]{{1,2}})h(?P<glued>[0-9]{{1,2}})(?:m|min)?{_B}"
    rf"|(?P<minutes>{_NUM})\s*-?\s*{_M}{_B}"
    rf")",
    re.IGNORECASE,
)

# Words that make a message something other than "I did this": plans and wishes, questions
# and requests, habits, denials, other days, and opinions about a length of time.
_NOT_A_LOG = frozenset(
    """will 'll ll gonna going shall tomorrow later soon next plan planning want wanna wants
    need needs hope intend intending should must would could might may maybe perhaps if
    whether remind reminder timer alarm schedule ago yesterday last every each daily usually
    always often normally per weekly week weeks not no never nothing didn't don't doesn't
    haven't hasn't hadn't couldn't can't cannot won't wasn't weren't isn't aren't without
    too than enough left remaining break late wait until till is are was were seems seem
    feels feel sounds try trying aim goal target how what when why where which who can do
    does you your let's lets make set change instead tonight's""".split()
)
_NO = re.compile(r"\b\w+n[’']t\b|\bnot\b", re.IGNORECASE)
_THANKS = re.compile(r"\bthank\s+you\b", re.IGNORECASE)
# "I study 20 min every day", "we practise 30 minutes": a habit, not a session done.
_PRESENT = re.compile(
    r"\b(?:i|we)\s+(?:(?:just|usually|always|often|really|also)\s+)?"
    r"(?:study|practi[cs]e|learn|work|spend|revise|read|do|go|try|like|prefer|love|hate)\b",
    re.IGNORECASE,
)
_IMPERATIVE = re.compile(
    r"^(?:please\s+)?(?:study|practi[cs]e|learn|work|spend|revise|log|add|start|give|tell"
    r"|show|stop)\b",
    re.IGNORECASE,
)
# A past verb makes "in 40 minutes" a duration ("went through chapter 4 in 50 minutes");
# without one, "in 20 minutes" is a moment to come.
_PAST = re.compile(
    r"\b(?:studied|did|done|spent|practi[cs]ed|worked|finished|completed|revised|reviewed"
    r"|learned|learnt|logged|went|covered|solved|wrote|read|watched|listened|drilled|trained"
    r"|coded|memori[sz]ed|managed|put|got|had|been)\b",
    re.IGNORECASE,
)
_IN_DURATION = re.compile(r"\b(?:in|within|for\s+the\s+next)\s*$", re.IGNORECASE)
_A_DAY = re.compile(r"^\s*(?:a|an)\s+(?:day|week|night|session)\b", re.IGNORECASE)

# What is taken off the ends of the rest to leave the note.
_LEAD = re.compile(
    r"^(?:(?:i've|ive|we've|i\s+have|i|we|have|has|just|finally|also|today|ok|okay|so|yay"
    r"|studied|studying|did|done|doing|spent|practi[cs]ed|practi[cs]ing|worked|working|on"
    r"|finished|completed|revised|revising|reviewed|learned|learnt|learning|logged|been"
    r"|went\s+through|went\s+over|put\s+in|got\s+in|managed|had|a|an|my|another|solid"
    r"|good|great|quick|of|for|about|around|roughly|nearly|almost|over|some|with|at|least"
    r"|focused|focus|pomodoro\s+of|session\s+(?:on|of|about)|minutes?|hours?)\b[\s,:;.!-]*)+",
    re.IGNORECASE,
)
_TAIL = re.compile(
    r"(?:[\s,;:.!-]*\b(?:today|this\s+(?:morning|afternoon|evening)|tonight|just\s+now|now"
    r"|earlier(?:\s+today)?|done|finished|completed|in\s+total|total|so\s+far|straight"
    r"|of\s+study(?:ing)?|studying|on|of|for|in|yay|woo+)\b)+[\s,;:.!-]*$|[\s,;:.!-]+$",
    re.IGNORECASE,
)


def _number(word: str) -> Decimal | None:
    word = word.strip().lower().replace(",", ".")
    if word in ("a", "an"):
        return Decimal(1)
    if word in _UNITS:
        return Decimal(_UNITS[word])
    parts = re.split(r"[\s-]+", word)
    if parts[0] in _TENS:
        return Decimal(_TENS[parts[0]] + (_UNITS[parts[1]] if len(parts) > 1 else 0))
    try:
        return Decimal(word)
    except InvalidOperation:
        return None


def _minutes(match: re.Match[str]) -> int | None:
    """The length of time ``match`` stands for, in whole minutes (None: not one)."""
    if match["quarters"] is not None:
        return 15 if match["quarters"].lower().startswith("a") else 45
    if match["half"] is not None:
        return 30
    for group in ("h_and_half", "hours_half"):
        if match[group] is not None:
            whole = _number(match[group])
            return None if whole is None else int(whole * 60) + 30
    if match["hours_glued"] is not None:
        glued = int(match["glued"])
        return None if glued > 59 else int(match["hours_glued"]) * 60 + glued
    if match["hours"] is not None:
        hours = _number(match["hours"])
        extra: Decimal | None = Decimal(0) if match["extra"] is None else _number(match["extra"])
        if hours is None or extra is None or extra > 59:
            return None
        if extra and hours != hours.to_integral_value():
            return None  # "1.5 h 20": not a length
        return int((hours * 60 + extra).to_integral_value())
    minutes = _number(match["minutes"])
    if minutes is None or minutes != minutes.to_integral_value():
        return None
    return int(minutes)


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+(?:'[a-z]+)?", text.lower().replace("’", "'")))


def parse_plain_log(text: str) -> PlainLog | None:
    """The session ``text`` tells of (minutes and a note), or None if it does not tell of one
    (the rules in this module's docstring)."""
    message = " ".join(text.split())
    if not message or len(message) > MAX_LENGTH or message.startswith("/"):
        return None
    if "?" in message:
        return None
    found = list(_DURATION.finditer(message))
    if len(found) != 1:
        return None  # none, or several ("20 min of verbs and 30 of nouns"): ask with /done
    match = found[0]
    minutes = _minutes(match)
    if minutes is None or not LOGGED_MINUTES_RANGE[0] <= minutes <= LOGGED_MINUTES_RANGE[1]:
        return None
    before, after = message[: match.start()], message[match.end() :]
    unthanked = _THANKS.sub(" ", message)
    if _words(unthanked) & _NOT_A_LOG or _NO.search(unthanked):
        return None
    if _PRESENT.search(message) or _IMPERATIVE.match(message):
        return None
    if _IN_DURATION.search(before) and not _PAST.search(message):
        return None  # "in 20 minutes": a moment to come
    if _A_DAY.match(after):
        return None  # "20 minutes a day": a habit
    return PlainLog(minutes, _note(before, after))


def _note(before: str, after: str) -> str | None:
    """What the message says beside its length of time, without the words around it."""
    parts = [_trim(before), _trim(after)]
    note = ", ".join(part for part in parts if part)
    return note[:NOTE_MAX] or None


def _trim(part: str) -> str:
    previous = None
    while previous != part:
        previous = part
        part = _LEAD.sub("", part.strip(" \t,;:.!-"))
        part = _TAIL.sub("", part).strip(" \t,;:.!-")
    return part


# -- which plan a note names ------------------------------------------------------------------

CLOSE = 85.0  # rapidfuzz ratio (0-100) of a word to a plan's word: "calclus" ~ "calculus" is 93
_SMALL = frozenset("the a an of on in for and to with my some new session sessions".split())


def plans_named(note: str | None, plans: Sequence[Sequence[str]]) -> list[int]:
    """Which of ``plans`` a note names: indexes of the plans whose names (per plan, the texts
    naming it: subject, title, next session's title) share a word with the note (rapidfuzz's
    ratio at least ``CLOSE`` for words of four letters or more, equal otherwise) or name the
    catalogue subject the note names. Those scoring best only; empty when the note names
    none of them."""
    if not note:
        return []
    words = [w for w in normalize(note).split() if w not in _SMALL and len(w) >= 2]
    if not words:
        return []
    named = find_subject(note)
    scores = []
    for index, names in enumerate(plans):
        best = 0.0
        for name in names:
            if named is not None and find_subject(name) == named:
                best = max(best, 100.0)
            for plan_word in normalize(name).split():
                if plan_word in _SMALL:
                    continue
                for word in words:
                    if word == plan_word:
                        best = max(best, 100.0)
                    elif min(len(word), len(plan_word)) >= 4:
                        best = max(best, fuzz.ratio(word, plan_word))
        if best >= CLOSE:
            scores.append((best, index))
    top = max((score for score, _ in scores), default=0.0)
    return [index for score, index in sorted(scores, key=lambda s: -s[0]) if score == top]
