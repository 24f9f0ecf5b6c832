"""The operator's limits on the terms experts set themselves (``/expert cancel``): a part of
``bot.config.Settings``, kept apart so each stays a readable size."""

from __future__ import annotations

from pydantic import Field, ValidationInfo, field_validator
from pydantic_settings import BaseSettings


class TermsSettings(BaseSettings):
    """The range an expert's own free-cancellation window may take."""

    cancel_notice_min_hours: int = Field(
        default=2, ge=0, le=720, alias="SYLLABOT_CANCEL_NOTICE_MIN_HOURS"
    )
    cancel_notice_max_hours: int = Field(
        default=72, ge=0, le=720, alias="SYLLABOT_CANCEL_NOTICE_MAX_HOURS"
    )

    @field_validator("cancel_notice_max_hours")
    @classmethod
    def _at_least_the_min(cls, value: int, info: ValidationInfo) -> int:
        low = info.data.get("cancel_notice_min_hours")
        if low is not None and value < low:
            raise ValueError("")  # said by TERMS_EXPECTED
        return value


TERMS_EXPECTED = {
    "cancel_notice_min_hours": "a whole number of hours from 0 to 720, such as 2",
    "cancel_notice_max_hours": (
        "a whole number of hours from 0 to 720, at least SYLLABOT_CANCEL_NOTICE_MIN_HOURS, "
        "such as 72"
    ),
}
