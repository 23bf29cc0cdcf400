"""All tables; importing this package registers them on ``Base.metadata``."""

from api.db.models.access import AuditEntry, CasbinRule, Consent
from api.db.models.complaint import (
    Complaint,
    ComplaintCompensation,
    ComplaintExtension,
    ComplaintFeedback,
    ComplaintInvestigation,
    ComplaintPlan,
    ComplaintTeamMember,
    ComplaintTransition,
)
from api.db.models.credit import (
    BorrowerClassification,
    CreditApplication,
    CreditApplicationStep,
    CreditFacility,
    FacilityClassification,
    Repayment,
    RepaymentInstallment,
)
from api.db.models.customer import Customer, CustomerChange
from api.db.models.exchange_rate import ExchangeRate
from api.db.models.external import ExternalEvent, ExternalReview
from api.db.models.grading import GradeAssessment, GradeOverride, GradingFailure, RegradeRun
from api.db.models.information import (
    BasicInformation,
    CreditEvent,
    CreditInformation,
    FinancialStatement,
    Guarantee,
    MajorInvestment,
    OperatingInformation,
)
from api.db.models.organisation import Branch, StaffMember
from api.db.models.policy_version import PolicyVersion
from api.db.models.servicing import ServiceFollowUp, ServiceRecord, ServiceRecordVersion
from api.db.models.treatment import RecallDecision, TreatmentAction
from api.db.models.warnings import EarlyWarning

__all__ = [
    "AuditEntry",
    "BasicInformation",
    "BorrowerClassification",
    "Branch",
    "CasbinRule",
    "Complaint",
    "ComplaintCompensation",
    "ComplaintExtension",
    "ComplaintFeedback",
    "ComplaintInvestigation",
    "ComplaintPlan",
    "ComplaintTeamMember",
    "ComplaintTransition",
    "Consent",
    "CreditApplication",
    "CreditApplicationStep",
    "CreditEvent",
    "CreditFacility",
    "CreditInformation",
    "Customer",
    "CustomerChange",
    "EarlyWarning",
    "ExchangeRate",
    "ExternalEvent",
    "ExternalReview",
    "FacilityClassification",
    "FinancialStatement",
    "GradeAssessment",
    "GradeOverride",
    "GradingFailure",
    "Guarantee",
    "MajorInvestment",
    "OperatingInformation",
    "PolicyVersion",
    "RecallDecision",
    "RegradeRun",
    "Repayment",
    "RepaymentInstallment",
    "ServiceFollowUp",
    "ServiceRecord",
    "ServiceRecordVersion",
    "StaffMember",
    "TreatmentAction",
]
