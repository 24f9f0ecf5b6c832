"""What experts and learners type in the marketplace, read forgivingly (issue 12)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest

from domain.marketplace.model import CENT, SEARCH_MINUTES, price_terms
from domain.marketplace.parsing import (
    language_name,
    language_names,
    parse_languages,
    parse_rate_range,
    parse_search,
)
from domain.marketplace.rules import price_for
from domain.shared.errors import InvalidInput


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("€20 - €40", "20", "40"),
        ("20–40", "20", "40"),
        ("20 to 40", "20", "40"),
        ("20 TO 40", "20", "40"),
        ("30", "30", "30"),
        ("€30", "30", "30"),
        ("20-40 EUR/h", "20", "40"),
        ("EUR 25.50 - 40 per hour", "25.50", "40"),
        ("20,50 - 40", "20.50", "40"),
    ],
)
def test_rates_are_read_as_people_write_them(text: str, low: str, high: str) -> None:
    assert parse_rate_range(text, currency="EUR") == (Decimal(low), Decimal(high))


def test_a_rate_in_another_currency_is_refused_not_taken_for_ours() -> None:
    with pytest.raises(InvalidInput, match="Rates are in EUR, not USD"):
        parse_rate_range("$20 - $40", currency="EUR")
    with pytest.raises(InvalidInput, match="Rates are in EUR, not GBP"):
        parse_rate_range("20-40 GBP", currency="EUR")


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("Spanish, English", ("es", "en")),
        ("spanish and english", ("es", "en")),
        ("en, de", ("en", "de")),
        ("en de", ("en", "de")),
        ("Deutsch; français", ("de", "fr")),
        ("Scottish Gaelic", ("gd",)),
        ("deu, eng", ("de", "en")),
        ("English, en", ("en",)),
    ],
)
def test_languages_by_name_or_code_are_stored_as_iso_codes(text: str, codes: tuple[str]) -> None:
    assert parse_languages(text) == codes


def test_an_unknown_language_is_named_in_the_refusal() -> None:
    with pytest.raises(InvalidInput, match="“Elvish”"):
        parse_languages("Spanish, Elvish")


def test_languages_are_shown_by_name() -> None:
    assert language_names(("es", "en")) == "Spanish, English"
    assert language_name("de") == "German"


def test_an_unknown_search_filter_is_pointed_out_not_searched_for() -> None:
    with pytest.raises(InvalidInput, match="I don't know the filter “price=20”"):
        parse_search("python price=20")
    assert parse_search("python lang=Spanish max=€40").language == "es"
    assert parse_search("python max=€40").max_rate == Decimal("40.00")


def test_the_budget_sql_terms_say_the_price_a_session_costs() -> None:
    for minutes in (30, 60, 90):
        low, high = price_terms(minutes)
        rate_min, rate_max = Decimal("25.55"), Decimal("40.45")
        in_sql = (low * rate_min + high * rate_max).quantize(CENT, ROUND_HALF_UP)  # round(x, 2)
        assert in_sql == price_for(rate_min, rate_max, minutes)
    assert price_for(Decimal(20), Decimal(40), SEARCH_MINUTES) == Decimal("30.00")
