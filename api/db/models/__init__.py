"""All tables; importing this package registers them on ``Base.metadata``."""

from api.db.models.customer import Customer, CustomerChange
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

__all__ = [
    "BasicInformation",
    "Branch",
    "CreditEvent",
    "CreditInformation",
    "Customer",
    "CustomerChange",
    "FinancialStatement",
    "Guarantee",
    "MajorInvestment",
    "OperatingInformation",
    "StaffMember",
]
