"""The lender's calendar: business dates are dates where the lender is, not in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


def business_date(moment: datetime, timezone: str) -> date:
    """The date ``moment`` falls on in the lender's time zone."""
    return moment.astimezone(ZoneInfo(timezone)).date()


def business_today(timezone: str | None = None) -> date:
    """Today where the lender is (``CREDITCARE_TIMEZONE``)."""
    if timezone is None:
        from api.settings import get_settings

        timezone = get_settings().timezone
    return business_date(datetime.now(UTC), timezone)
