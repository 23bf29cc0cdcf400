"""Closed vocabularies stored in the database (as checked strings, portable across databases)."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Enum as SAEnum

from api.reference.sizes import Size as EnterpriseSize

__all__ = ["EnterpriseSize"]  # re-exported: the size classes are reference data


class CreditStatus(StrEnum):
    PREMIUM = "premium"
    GENERAL = "general"
    WATCH = "watch"
    NON_PERFORMING = "non_performing"


class IdDocumentType(StrEnum):
    RESIDENT_ID_CARD = "resident_id_card"
    PASSPORT = "passport"
    OTHER = "other"


class PeriodKind(StrEnum):
    ANNUAL = "annual"
    SEMIANNUAL = "semiannual"
    QUARTERLY = "quarterly"


class AuditOpinion(StrEnum):
    UNQUALIFIED = "unqualified"
    QUALIFIED = "qualified"
    ADVERSE = "adverse"
    DISCLAIMER = "disclaimer"
    UNAUDITED = "unaudited"


class IndustryPosition(StrEnum):
    LEADER = "leader"
    MAJOR = "major"
    AVERAGE = "average"
    MINOR = "minor"


class CreditEventKind(StrEnum):
    LOAN_REPAID = "loan_repaid"
    OVERDUE = "overdue"
    DEFAULT = "default"
    RESTRUCTURING = "restructuring"
    LITIGATION = "litigation"
    ENFORCEMENT = "enforcement"
    OTHER = "other"


class GuaranteeStatus(StrEnum):
    ACTIVE = "active"
    RELEASED = "released"
    CALLED = "called"


class InfoGroup(StrEnum):
    """Which part of a customer's record a change touched."""

    CUSTOMER = "customer"
    BASIC = "basic"
    FINANCIAL = "financial"
    OPERATING = "operating"
    CREDIT = "credit"


def enum_column(enum: type[StrEnum], name: str) -> SAEnum:
    """A portable enum column: a VARCHAR with a named CHECK constraint listing the values."""
    return SAEnum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=24,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )
