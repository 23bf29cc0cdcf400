"""A realistic demo portfolio: branches, relationship managers, customers with three years of figures."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.clock import business_today
from api.db.models import Customer
from api.principal import Principal
from api.reference.identifiers import make_credit_code, make_resident_id
from api.services import access, customers, grading, information, organisation, revisits
from api.services.demo_contacts import add_complaints, add_contacts
from api.services.scope import RowScope
from api.services.warning_runs import WarningConfig, evaluate_customers, high
from api.settings import get_settings
from plugins.manager import PluginHost

DEMO_PRINCIPAL = Principal(sub="demo-loader", roles=frozenset({"admin"}))
ALL = RowScope.everything()

BRANCHES = [
    ("HZ01", "Hangzhou Main Branch", "330100"),
    ("SH01", "Shanghai Pudong Branch", "310115"),
    ("BJ01", "Beijing Chaoyang Branch", "110105"),
    ("SZ01", "Shenzhen Futian Branch", "440304"),
]
MANAGERS = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "niaj"]

# (industry code, name stem, typical revenue in yuan, typical employees) per lender class.
INDUSTRIES: dict[str, list[tuple[str, str, int, int]]] = {
    "manufacturing": [
        ("C13", "Agri-Food Processing", 180_000_000, 420), ("C26", "Chemical Materials", 350_000_000, 650),
        ("C34", "General Machinery", 120_000_000, 310), ("C38", "Electrical Equipment", 260_000_000, 540),
        ("C39", "Electronics", 500_000_000, 900), ("C18", "Apparel", 60_000_000, 380),
    ],
    "services": [
        ("I65", "Software", 40_000_000, 120), ("G54", "Road Freight", 90_000_000, 350),
        ("H61", "Hotels", 30_000_000, 160), ("L72", "Business Consulting", 25_000_000, 80),
        ("M74", "Engineering Services", 35_000_000, 110),
    ],
    "wholesale_retail": [
        ("F51", "Trading", 300_000_000, 60), ("F52", "Retail Stores", 80_000_000, 240),
    ],
    "real_estate": [
        ("K701", "Property Development", 600_000_000, 150), ("K702", "Property Services", 40_000_000, 700),
    ],
}
PREFIXES = ["Zhejiang", "Huaxin", "Dongfang", "Jinqiao", "Xinghai", "Tianrun", "Yongsheng", "Hengtai",
            "Ruifeng", "Baolong", "Minghua", "Kaiyuan", "Longteng", "Shengda", "Fuxing", "Hongyun"]
SUFFIXES = ["Co., Ltd.", "Group Co., Ltd.", "Holdings Co., Ltd.", "Industrial Co., Ltd."]
SURNAMES = ["Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Zhao", "Huang", "Zhou", "Wu"]
GIVEN = ["Wei", "Fang", "Min", "Jing", "Lei", "Yan", "Qiang", "Jun", "Hui", "Ping"]


async def _vary(session: AsyncSession, rng: random.Random, customer: Customer, n: int, today: date) -> None:
    """Make the portfolio uneven, as real ones are: statuses, a late payer, a new legal representative."""
    p = DEMO_PRINCIPAL
    if n % 9 == 4:
        await information.record_credit_information(
            session, principal=p, scope=ALL, customer_id=customer.id, expected_version=customer.version,
            data={"add_events": [{"occurred_on": date(today.year - 1, 6, 20), "kind": "overdue", "days_past_due": 35,
                                  "description": "Instalment paid 35 days late."}]},
        )
        await customers.set_credit_status(
            session, principal=p, scope=ALL, customer_id=customer.id, expected_version=customer.version,
            data={"status": "watch", "basis": "Instalment 35 days past due last year; operations under review."},
        )
    elif n % 7 == 3:
        await customers.set_credit_status(
            session, principal=p, scope=ALL, customer_id=customer.id, expected_version=customer.version,
            data={"status": "premium", "basis": "AA or better external rating; ten years without arrears."},
        )
    if n % 11 == 6:
        await information.record_basic_information(
            session, principal=p, scope=ALL, customer_id=customer.id, expected_version=customer.version,
            data={"legal_representative_name": f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}"},
        )


async def _grade(
    session: AsyncSession, rng: random.Random, customer: Customer, host: PluginHost, quality: float
) -> None:
    """Grade with answers an assessor might give such a company (better ones for better firms)."""
    strategy = host.strategy_for(customer.industry_code)
    answers = {}
    for question in strategy.strategy.questions:
        ids = [a.id for a in question.answers]  # cards list answers best first
        pick = min(int((1 - quality) * len(ids) + rng.uniform(-0.7, 0.7)), len(ids) - 1)
        answers[question.id] = ids[max(pick, 0)]
    await grading.assess_grade(
        session, principal=DEMO_PRINCIPAL, scope=ALL, customer_id=customer.id, answers=answers,
        host=host, timeout=10.0, customer=customer,
    )


@dataclass(frozen=True)
class DemoSummary:
    branches: int
    staff: int
    customers: int
    statements: int
    already_loaded: bool = False


async def has_customers(session: AsyncSession) -> bool:
    return bool(await session.scalar(select(func.count()).select_from(Customer)))


def _money(value: float) -> Decimal:
    return Decimal(f"{max(value, 0):.2f}")


def _statement(
    rng: random.Random, year: int, revenue: float, employees: int, sector: str, quality: float
) -> dict[str, Any]:
    """One year's figures for a company of ``quality`` (0 weak … 1 strong), with some noise."""

    def jitter(value: float, spread: float = 0.08) -> float:
        return value * rng.uniform(1 - spread, 1 + spread)

    assets = revenue * rng.uniform(0.8, 1.6) * (3.0 if sector == "real_estate" else 1.0)
    leverage = min(max(jitter(0.88 - 0.5 * quality), 0.2), 0.97)
    liabilities = assets * leverage
    debt = liabilities * rng.uniform(0.3, 0.55)
    short_term_debt = debt * rng.uniform(0.35, 0.6)
    current_liabilities = liabilities * rng.uniform(0.45, 0.7)
    current_assets = current_liabilities * jitter(0.85 + 1.4 * quality)
    net = revenue * jitter(-0.04 + 0.17 * quality, 0.2)
    interest = debt * rng.uniform(0.04, 0.06)
    return {
        "period_end": date(year, 12, 31), "period_kind": "annual", "currency": "CNY",
        "total_assets": _money(assets), "total_liabilities": _money(liabilities),
        "current_assets": _money(min(current_assets, assets * 0.9)),
        "current_liabilities": _money(current_liabilities),
        "cash": _money(short_term_debt * jitter(0.5 + 1.2 * quality, 0.2)),
        "accounts_receivable": _money(revenue * rng.uniform(0.08, 0.3) * (1.4 - 0.6 * quality)),
        "inventory": _money(current_assets * rng.uniform(0.1, 0.3)),
        "short_term_debt": _money(short_term_debt),
        "long_term_debt": _money(debt - short_term_debt),
        "advances_from_customers": _money(liabilities * (rng.uniform(0.2, 0.4) if sector == "real_estate" else 0.02)),
        "equity": _money(assets - liabilities), "revenue": _money(revenue),
        "cost_of_sales": _money(revenue * rng.uniform(0.6, 0.85)),
        "operating_profit": Decimal(f"{net * 1.25 + interest:.2f}"),
        "interest_expense": _money(interest),
        "net_profit": Decimal(f"{net:.2f}"),
        "operating_cash_flow": Decimal(f"{net + assets * 0.03 * quality:.2f}"),
        "investing_cash_flow": Decimal(f"{-assets * rng.uniform(0.01, 0.08):.2f}"),
        "financing_cash_flow": Decimal(f"{assets * rng.uniform(-0.05, 0.05):.2f}"),
        "employees": employees,
        "audit_opinion": rng.choices(["unqualified", "qualified", "unaudited"], [85, 10, 5])[0],
        "auditor": rng.choice(["Pan-China CPA", "BDO China Shu Lun Pan", "Tianjian CPA"]),
        "taxes_paid": _money(revenue * rng.uniform(0.01, 0.05)),
        "tax_credit_rating": rng.choice(["A", "A", "B", "M"]),
    }


async def load_demo_data(
    session: AsyncSession, *, customers_per_branch: int = 60, seed: int = 20111, today: date | None = None,
    host: PluginHost | None = None,
) -> DemoSummary:
    """Load the portfolio unless customers already exist (loading twice changes nothing).

    With a plugin ``host``, every customer is also graded, with plausible assessor answers.
    """
    if await has_customers(session):
        return DemoSummary(0, 0, 0, 0, already_loaded=True)
    rng = random.Random(seed)
    today = today or business_today()
    p = DEMO_PRINCIPAL
    staff = 0
    for index, (code, name, _region) in enumerate(BRANCHES):
        await organisation.create_branch(session, principal=p, data={"code": code, "name": name})
        for username in MANAGERS[index * 3 : index * 3 + 3]:
            await organisation.create_staff_member(
                session, principal=p,
                data={"username": username, "name": f"{username.title()} {rng.choice(SURNAMES)}", "branch_code": code},
            )
            await access.record_agreement(
                session, principal=p,
                data={"username": username, "signed_on": date(today.year - 2, 3, 1), "reference": f"NDA-{username}"},
            )
            staff += 1
    sectors = list(INDUSTRIES)
    count = statements = 0
    used_names: set[str] = set()
    loaded: list[Customer] = []
    timezone = get_settings().timezone
    sla = get_settings().sla_policies()[get_settings().complaint_sla]
    for index, (code, _name, region) in enumerate(BRANCHES):
        managers = MANAGERS[index * 3 : index * 3 + 3]
        for n in range(customers_per_branch):
            sector = sectors[n % len(sectors)]
            industry, stem, revenue, employees = rng.choice(INDUSTRIES[sector])
            name = f"{rng.choice(PREFIXES)} {stem} {rng.choice(SUFFIXES)}"
            while name in used_names:
                name = f"{rng.choice(PREFIXES)} {rng.choice(PREFIXES)} {stem} {rng.choice(SUFFIXES)}"
            used_names.add(name)
            customer = await customers.create_customer(
                session, principal=p, scope=ALL,
                data={"name": name, "credit_code": make_credit_code(rng, region=region),
                      "industry_code": industry, "branch_code": code,
                      "relationship_manager_username": managers[n % len(managers)]},
            )
            scale = rng.lognormvariate(0, 0.9)
            await information.record_basic_information(
                session, principal=p, scope=ALL, customer_id=customer.id, expected_version=customer.version,
                data={
                    "registration_authority": "Administration for Market Regulation",
                    "established_on": date(rng.randint(1995, 2018), rng.randint(1, 12), rng.randint(1, 28)),
                    "registered_address":
                        f"{rng.randint(1, 999)} {rng.choice(['Jiefang', 'Renmin', 'Zhongshan', 'Binjiang'])} Road",
                    "articles_reference": f"AOA-{customer.id:06d}",
                    "legal_representative_name": f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}",
                    "legal_representative_id_type": "resident_id_card",
                    "legal_representative_id_number": make_resident_id(rng, region=region),
                    "legal_representative_phone": f"+86 13{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}",
                    "registered_capital": {
                        "amount": _money(revenue * scale * rng.uniform(0.05, 0.3)), "currency": "CNY",
                    },
                    "business_scope": f"{stem}; related technical services; import and export.",
                },
            )
            base_revenue = revenue * scale
            quality = rng.betavariate(2.4, 1.6)  # most firms sound, a tail of weak ones
            # Some customers have not reported for a while: their financials are stale.
            years = (4, 3, 2) if n % 17 == 5 else (3, 2, 1)
            for year_back in years:
                year = today.year - year_back
                growth = rng.uniform(0.85, 1.2) ** (years[0] - year_back)
                await information.record_financial_statement(
                    session, principal=p, scope=ALL, customer_id=customer.id, expected_version=customer.version,
                    data=_statement(rng, year, base_revenue * growth, max(1, int(employees * scale)), sector, quality),
                )
                statements += 1
            await information.record_operating_information(
                session, principal=p, scope=ALL, customer_id=customer.id, expected_version=customer.version,
                data={
                    "market_share_percent": Decimal(f"{rng.uniform(0.1, 12):.2f}"),
                    "industry_position": rng.choice(["leader", "major", "average", "average", "minor"]),
                    "main_products": [stem, f"{stem} services"],
                    "sales_channels": rng.sample(["direct sales", "distributors", "online", "tenders"], 2),
                    "upstream_partners": [f"{rng.choice(PREFIXES)} Supply Co., Ltd."],
                    "downstream_partners": [f"{rng.choice(PREFIXES)} Trading Co., Ltd."],
                },
            )
            await information.record_credit_information(
                session, principal=p, scope=ALL, customer_id=customer.id, expected_version=customer.version,
                data={
                    "credit_report_reference": f"PBOC-{today.year}-{customer.id:08d}",
                    "credit_report_date":
                        date(today.year, 1, 15) if today >= date(today.year, 1, 15) else date(today.year - 1, 12, 15),
                    "external_rating": rng.choice(["AAA", "AA+", "AA", "AA-", "A+", "A", "BBB"]),
                    "external_rating_agency": rng.choice(["China Chengxin", "Dagong", "Lianhe"]),
                    "add_events": [
                        {"occurred_on": date(today.year - 1, rng.randint(1, 12), 10), "kind": "loan_repaid",
                         "description": "Working-capital loan repaid on schedule."}
                    ],
                },
            )
            await _vary(session, rng, customer, n, today)
            await add_contacts(session, rng, customer.id, managers[n % len(managers)], today)
            await add_complaints(session, rng, customer.id, managers[n % len(managers)], today, sla, timezone)
            if host is not None:
                await _grade(session, rng, customer, host, quality)
            await revisits.refresh(session, customer, timezone)  # the demo's revisits restart the schedule
            loaded.append(customer)
            count += 1
    if host is not None:  # what the nightly evaluation would have raised
        config = WarningConfig(host, get_settings().warning_parameters, 2.0, timezone)
        raised = await evaluate_customers(session, loaded, config, trigger="schedule", as_of=today)
        by_id = {customer.id: customer for customer in loaded}
        for customer_id in high(raised):  # a HIGH warning: revisit now (their grades already saw the arrears)
            await revisits.bring_forward(session, by_id[customer_id], today)
    return DemoSummary(len(BRANCHES), staff, count, statements)
