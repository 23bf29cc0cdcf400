"""The complaint code lists as GraphQL enums, each value described."""

from __future__ import annotations

from api.db.enums import (
    CompensationStatus,
    ComplaintCategory,
    ComplaintCause,
    ComplaintChannel,
    ComplaintOutcome,
    ComplaintStatus,
    ExaminationKind,
    TeamCapacity,
)
from schema.reference import described_enum

# strawberry.enum() registers the GraphQL enum on the class itself and returns it: the aliases are
# those same classes, spelled so that type checkers accept them as types.
described_enum(ComplaintChannel, name="ComplaintChannel", description="Where a complaint came in.", values={
    "HOTLINE": "The customer service hotline.",
    "EMAIL": "E-mail.",
    "ONLINE": "The online platform (app, web, messaging).",
    "BRANCH_COUNTER": "In person at a branch.",
    "LETTER": "A letter.",
    "REGULATOR_REFERRAL": "Referred by the regulator (or another authority).",
})
described_enum(ComplaintStatus, name="ComplaintStatus", description="Where a complaint is in its handling.", values={
    "RECEIVED": "Taken in; the decision day is promised.",
    "INVESTIGATING": "An investigation team is looking into it.",
    "PLAN_AGREED": "A handling plan is agreed.",
    "FEEDBACK_GIVEN": "The result was told to the complainant.",
    "CLOSED": "Closed, with an outcome.",
    "REOPENED": "Reopened after closing: the complainant came back.",
    "ESCALATED": "Escalated to a superior institution, head office or the regulator.",
})
described_enum(ComplaintCategory, name="ComplaintCategory", description="What a complaint is about.", values={
    "LOAN_TERMS": "Loan terms: rates, limits, conditions.",
    "FEES_AND_CHARGES": "Fees and charges.",
    "PROCESSING_DELAY": "Delays in handling an application or a request.",
    "SERVICE_ATTITUDE": "Staff attitude and manner.",
    "INFORMATION_DISCLOSURE": "Information given (or not) about products and terms.",
    "COLLECTION_PRACTICE": "How arrears were collected.",
    "PRIVACY": "Handling of personal or business information.",
    "OTHER": "Anything else.",
})
described_enum(ComplaintCause, name="ComplaintCause", description="The root cause an investigation found.", values={
    "PRODUCT_DESIGN": "The product or its terms.",
    "PROCESS_GAP": "A missing or faulty procedure.",
    "STAFF_CONDUCT": "A member of staff's conduct.",
    "STAFF_ERROR": "A member of staff's mistake.",
    "SYSTEM_FAULT": "A fault of a system.",
    "COMMUNICATION": "Information not given, or given unclearly.",
    "THIRD_PARTY": "A third party (agent, partner, supplier).",
    "MISUNDERSTANDING": "The complainant misunderstood; the lender acted as agreed.",
    "NO_FAULT_FOUND": "No fault was found.",
})
described_enum(ComplaintOutcome, name="ComplaintOutcome", description="How a complaint ended.", values={
    "UPHELD": "The complaint was justified.",
    "PARTLY_UPHELD": "The complaint was partly justified.",
    "NOT_UPHELD": "The complaint was not justified.",
    "WITHDRAWN": "The complainant withdrew it.",
})
described_enum(TeamCapacity, name="TeamCapacity", description="In which capacity a member sits on a team.", values={
    "CREDIT": "Credit staff.",
    "RISK": "Risk expert.",
})
described_enum(ExaminationKind, name="ExaminationKind", description="What an investigation examined.", values={
    "FILES": "Files and records.",
    "TALK": "A talk with the customer or staff.",
    "SITE_VISIT": "A visit to the site.",
})
described_enum(
    CompensationStatus, name="CompensationStatus", description="Where a compensation is.", values={
        "PROPOSED": "Proposed, waiting for a second person's approval.",
        "APPROVED": "Approved by a second person; not yet paid.",
        "PAID": "Paid.",
        "WITHDRAWN": "Withdrawn before payment.",
    },
)
ComplaintChannelEnum = ComplaintChannel
ComplaintStatusEnum = ComplaintStatus
ComplaintCategoryEnum = ComplaintCategory
ComplaintCauseEnum = ComplaintCause
ComplaintOutcomeEnum = ComplaintOutcome
TeamCapacityEnum = TeamCapacity
ExaminationKindEnum = ExaminationKind
CompensationStatusEnum = CompensationStatus
