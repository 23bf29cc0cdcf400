"""Exchange rates the lender records, to compare figures in other currencies with yuan thresholds."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base, UTCDateTime, utcnow


class ExchangeRate(Base):
    """Yuan per unit of a currency, in force from a date until the next rate of that currency."""

    __tablename__ = "exchange_rate"
    __table_args__ = (UniqueConstraint("currency", "effective_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(String(3))
    # 8 places: what central-bank middle rates publish, with room for currencies worth little.
    cny_per_unit: Mapped[Decimal] = mapped_column(Numeric(18, 8))
    effective_on: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(200))
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
