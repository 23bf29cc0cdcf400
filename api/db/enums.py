"""Closed vocabularies stored in the database (as checked strings, portable across databases)."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Enum as SAEnum

from api.reference.loan_classification import RiskCategory
from api.reference.sizes import Size as EnterpriseSize
from plugins.spec import Severity

__all__ = ["EnterpriseSize", "RiskCategory"]  # re-exported: the size classes and risk categories are reference data


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


class ServiceStage(StrEnum):
    """When a contact happened in the loan's life (R-S1, R-S2, R-S3)."""

    PRE_LOAN = "pre_loan"
    IN_LOAN = "in_loan"
    POST_LOAN = "post_loan"


class ServiceKind(StrEnum):
    """What a service contact was (R-S1 … R-S3)."""

    NEEDS_ANALYSIS = "needs_analysis"
    POLICY_EXPLANATION = "policy_explanation"
    PROFESSIONAL_GUIDANCE = "professional_guidance"
    APPROVAL_PROGRESS = "approval_progress"
    CONTRACT_SIGNING = "contract_signing"
    REVISIT = "revisit"
    RISK_WARNING = "risk_warning"
    VALUE_ADDED_SERVICE = "value_added_service"
    SITE_VISIT = "site_visit"
    WARNING_FOLLOW_UP = "warning_follow_up"
    TRAINING = "training"
    MARKET_INFORMATION = "market_information"
    SUPPLY_CHAIN_FINANCE = "supply_chain_finance"


class ServiceChannel(StrEnum):
    """How a service contact was made."""

    ON_SITE = "on_site"
    AT_BRANCH = "at_branch"
    PHONE = "phone"
    VIDEO = "video"
    EMAIL = "email"
    ONLINE = "online"
    LETTER = "letter"


class ComplaintChannel(StrEnum):
    """Where a complaint came in (R-Q1)."""

    HOTLINE = "hotline"
    EMAIL = "email"
    ONLINE = "online"
    BRANCH_COUNTER = "branch_counter"
    LETTER = "letter"
    REGULATOR_REFERRAL = "regulator_referral"


class ComplaintStatus(StrEnum):
    """A complaint's state (R-Q1 … R-Q3); every state but ``closed`` is open.

    The moves between them are ``api.services.complaint_states.MOVES``.
    """

    RECEIVED = "received"
    INVESTIGATING = "investigating"
    PLAN_AGREED = "plan_agreed"
    FEEDBACK_GIVEN = "feedback_given"
    CLOSED = "closed"
    REOPENED = "reopened"
    ESCALATED = "escalated"


class ComplaintCategory(StrEnum):
    """What a complaint is about (R-Q1)."""

    LOAN_TERMS = "loan_terms"
    FEES_AND_CHARGES = "fees_and_charges"
    PROCESSING_DELAY = "processing_delay"
    SERVICE_ATTITUDE = "service_attitude"
    INFORMATION_DISCLOSURE = "information_disclosure"
    COLLECTION_PRACTICE = "collection_practice"
    PRIVACY = "privacy"
    OTHER = "other"


class ComplaintCause(StrEnum):
    """The root cause an investigation found (R-Q2): the taxonomy the periodic review counts (R-Q4)."""

    PRODUCT_DESIGN = "product_design"
    PROCESS_GAP = "process_gap"
    STAFF_CONDUCT = "staff_conduct"
    STAFF_ERROR = "staff_error"
    SYSTEM_FAULT = "system_fault"
    COMMUNICATION = "communication"
    THIRD_PARTY = "third_party"
    MISUNDERSTANDING = "misunderstanding"
    NO_FAULT_FOUND = "no_fault_found"


class ComplaintOutcome(StrEnum):
    """How a complaint ended."""

    UPHELD = "upheld"
    PARTLY_UPHELD = "partly_upheld"
    NOT_UPHELD = "not_upheld"
    WITHDRAWN = "withdrawn"


class TeamCapacity(StrEnum):
    """In which capacity a member sits on an investigation team (R-Q2)."""

    CREDIT = "credit"
    RISK = "risk"


class ExaminationKind(StrEnum):
    """What an investigation examined (R-Q2)."""

    FILES = "files"
    TALK = "talk"
    SITE_VISIT = "site_visit"


class CompensationStatus(StrEnum):
    """Where a compensation is: proposed, approved by a second person, paid (or withdrawn)."""

    PROPOSED = "proposed"
    APPROVED = "approved"
    PAID = "paid"
    WITHDRAWN = "withdrawn"


# How urgent an early warning is: the plugins' contract's own values (``plugins.spec.Severity``).
WarningSeverity = Severity


class WarningStatus(StrEnum):
    """Where an early warning is in its life (R-S3): raised → acknowledged → measures taken → closed."""

    RAISED = "raised"
    ACKNOWLEDGED = "acknowledged"
    MEASURES_TAKEN = "measures_taken"
    CLOSED = "closed"


class ExternalEventKind(StrEnum):
    """What happened outside the customers (R-I3)."""

    POLICY_CHANGE = "policy_change"
    MARKET_SHOCK = "market_shock"
    OTHER = "other"


class ExternalEffect(StrEnum):
    """How an external event affects one customer, as its relationship manager assessed it."""

    NONE = "none"
    POSITIVE = "positive"
    NEGATIVE = "negative"


class FacilityStatus(StrEnum):
    """Whether a facility still runs."""

    ACTIVE = "active"
    SETTLED = "settled"  # repaid in full and closed


class ApplicationStatus(StrEnum):
    """Where a credit application is (R-S2)."""

    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class TreatmentActionKind(StrEnum):
    """What a grade's treatment asks to be done (R-G1: a D-grade customer's exposure is shrunk, loans recalled)."""

    EXPOSURE_REDUCTION = "exposure_reduction"  # a plan: target balance and day
    EARLY_RECALL = "early_recall"  # a decision per running facility


class TreatmentActionStatus(StrEnum):
    """Where a treatment task stands."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    WITHDRAWN = "withdrawn"  # the grade left the treatment that raised it
