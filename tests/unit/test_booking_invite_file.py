"""A booking's .ics invite: an iTIP message calendar applications import, made from the stored
version alone (the same version, the same bytes), at the booking's real instants in UTC on
both sides of a DST change, with names that need escaping read back as they are."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from icalendar import Calendar

from bot.handlers.marketplace.booking_invites import invite_file
from domain.marketplace.invites import is_current, next_invite, told
from domain.marketplace.model import Booking, BookingStatus, PaymentStatus

STAMP = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
LINK = "https://meet.jit.si/syllabot-abc"


def booking(starts_at: datetime, status: BookingStatus = BookingStatus.SCHEDULED) -> Booking:
    return Booking(
        id=uuid.uuid4(),
        learner_id=uuid.uuid4(),
        expert_id=uuid.uuid4(),
        expert_user_id=uuid.uuid4(),
        expert_name="Grace Hopper",
        learner_name='Ada, "the Countess"; Lovelace',
        starts_at=starts_at,
        minutes=90,
        status=status,
        payment_status=PaymentStatus.PENDING,
        price=Decimal("30.00"),
        currency="EUR",
        meeting_link=LINK,
        invite_sequence=4,
        invited_at=STAMP,
    )


@pytest.mark.parametrize(
    "start",
    [
        datetime(2026, 3, 29, 0, 30, tzinfo=UTC),  # 01:30 Berlin (CET), over the change to CEST
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC),  # 02:30 Berlin (CEST), the first of the fold
        datetime(2026, 10, 25, 1, 30, tzinfo=UTC),  # 02:30 Berlin again (CET)
    ],
)
def test_the_event_is_at_the_bookings_instants_in_utc_across_dst(start: datetime) -> None:
    b = booking(start)
    content = invite_file(b, b.expert_user_id).content
    assert b"DTSTART:" + start.strftime("%Y%m%dT%H%M%SZ").encode() + b"\r\n" in content
    (event,) = Calendar.from_ical(content).walk("VEVENT")
    assert event.decoded("DTSTART") == start
    assert event.decoded("DTEND") == start + timedelta(minutes=90)


def test_an_invite_is_made_from_its_version_alone_and_reads_back_as_written() -> None:
    b = booking(datetime(2026, 3, 4, 10, 0, tzinfo=UTC))
    file = invite_file(b, b.expert_user_id)
    assert file.filename == f"syllabot-booking-{b.ref}.ics" and file.mime_type == "text/calendar"
    assert invite_file(b, b.expert_user_id) == file
    lines = file.content.split(b"\r\n")
    assert lines[0] == b"BEGIN:VCALENDAR" and lines[-1] == b""
    assert all(b"\n" not in line and len(line) <= 75 for line in lines)  # CRLF, folded
    calendar = Calendar.from_ical(file.content)
    assert (calendar["METHOD"], calendar["VERSION"]) == ("REQUEST", "2.0")
    (event,) = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == 'Session with Ada, "the Countess"; Lovelace'
    assert event.decoded("DTSTAMP") == STAMP and event["SEQUENCE"] == 4
    assert (str(event["URL"]), str(event["LOCATION"])) == (LINK, LINK)
    learner = Calendar.from_ical(invite_file(b, b.learner_id).content).walk("VEVENT")[0]
    assert str(learner["SUMMARY"]) == "Session with Grace Hopper"
    assert str(learner["UID"]) == str(event["UID"]) == f"{b.id}@syllabot"


def test_a_called_off_booking_cancels_and_a_moved_request_is_tentative() -> None:
    start = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
    cancelled = invite_file(booking(start, BookingStatus.CANCELLED), uuid.uuid4()).content
    calendar = Calendar.from_ical(cancelled)
    (event,) = calendar.walk("VEVENT")
    assert (calendar["METHOD"], event["STATUS"]) == ("CANCEL", "CANCELLED")
    assert "URL" not in event  # no room to join any more
    pending = invite_file(booking(start, BookingStatus.PENDING), uuid.uuid4()).content
    assert Calendar.from_ical(pending).walk("VEVENT")[0]["STATUS"] == "TENTATIVE"


def test_versions_rise_from_the_first_confirmation_and_a_notice_names_its_own() -> None:
    start = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
    never = replace(booking(start), invite_sequence=None, invited_at=None)
    assert next_invite(never, STAMP) == {} and told({}) == {}
    first = next_invite(never, STAMP, confirming=True)
    assert first == {"invite_sequence": 0, "invited_at": STAMP}
    issued = replace(never, invite_sequence=0, invited_at=STAMP)
    later = STAMP + timedelta(hours=1)
    assert next_invite(issued, later) == {"invite_sequence": 1, "invited_at": later}
    assert next_invite(issued, later, confirming=True)["invite_sequence"] == 1
    assert is_current(issued, told(first)) and not is_current(issued, {})
    assert not is_current(replace(issued, invite_sequence=1), told(first))
