"""Enterprise size under the 2011 SME size standard (工信部联企业〔2011〕300号)."""

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from api.reference.sizes import (
    Size,
    SizeInputs,
    SizeResult,
    classify_size,
    default_size_rules,
    load_size_rules,
)

WAN = Decimal(10000)
YI = 10000  # 亿 in 万

# Transcribed from the standard itself (万元 / persons), independently of the JSON, so a
# typo in the data file fails here. Per rule: an industry code, then large/medium/small
# minimums as {metric: value}.
STANDARD: dict[str, tuple[str, dict[Size, dict[str, int]]]] = {
    "agriculture": ("A01", {
        Size.LARGE: {"revenue": 20000}, Size.MEDIUM: {"revenue": 500}, Size.SMALL: {"revenue": 50},
    }),
    "industry": ("C13", {
        Size.LARGE: {"employees": 1000, "revenue": 40000},
        Size.MEDIUM: {"employees": 300, "revenue": 2000},
        Size.SMALL: {"employees": 20, "revenue": 300},
    }),
    "construction": ("E48", {
        Size.LARGE: {"revenue": 80000, "total_assets": 80000},
        Size.MEDIUM: {"revenue": 6000, "total_assets": 5000},
        Size.SMALL: {"revenue": 300, "total_assets": 300},
    }),
    "wholesale": ("F51", {
        Size.LARGE: {"employees": 200, "revenue": 40000},
        Size.MEDIUM: {"employees": 20, "revenue": 5000},
        Size.SMALL: {"employees": 5, "revenue": 1000},
    }),
    "retail": ("F52", {
        Size.LARGE: {"employees": 300, "revenue": 20000},
        Size.MEDIUM: {"employees": 50, "revenue": 500},
        Size.SMALL: {"employees": 10, "revenue": 100},
    }),
    "transport": ("G54", {
        Size.LARGE: {"employees": 1000, "revenue": 30000},
        Size.MEDIUM: {"employees": 300, "revenue": 3000},
        Size.SMALL: {"employees": 20, "revenue": 200},
    }),
    "warehousing": ("G59", {
        Size.LARGE: {"employees": 200, "revenue": 30000},
        Size.MEDIUM: {"employees": 100, "revenue": 1000},
        Size.SMALL: {"employees": 20, "revenue": 100},
    }),
    "postal": ("G60", {
        Size.LARGE: {"employees": 1000, "revenue": 30000},
        Size.MEDIUM: {"employees": 300, "revenue": 2000},
        Size.SMALL: {"employees": 20, "revenue": 100},
    }),
    "accommodation": ("H61", {
        Size.LARGE: {"employees": 300, "revenue": 10000},
        Size.MEDIUM: {"employees": 100, "revenue": 2000},
        Size.SMALL: {"employees": 10, "revenue": 100},
    }),
    "catering": ("H62", {
        Size.LARGE: {"employees": 300, "revenue": 10000},
        Size.MEDIUM: {"employees": 100, "revenue": 2000},
        Size.SMALL: {"employees": 10, "revenue": 100},
    }),
    "telecom": ("I64", {
        Size.LARGE: {"employees": 2000, "revenue": 100000},
        Size.MEDIUM: {"employees": 100, "revenue": 1000},
        Size.SMALL: {"employees": 10, "revenue": 100},
    }),
    "software_it": ("I65", {
        Size.LARGE: {"employees": 300, "revenue": 10000},
        Size.MEDIUM: {"employees": 100, "revenue": 1000},
        Size.SMALL: {"employees": 10, "revenue": 50},
    }),
    "real_estate_development": ("K701", {
        Size.LARGE: {"revenue": 200000, "total_assets": 10000},
        Size.MEDIUM: {"revenue": 1000, "total_assets": 5000},
        Size.SMALL: {"revenue": 100, "total_assets": 2000},
    }),
    "property_management": ("K702", {
        Size.LARGE: {"employees": 1000, "revenue": 5000},
        Size.MEDIUM: {"employees": 300, "revenue": 1000},
        Size.SMALL: {"employees": 100, "revenue": 500},
    }),
    "leasing_business_services": ("L72", {
        Size.LARGE: {"employees": 300, "total_assets": 120000},
        Size.MEDIUM: {"employees": 100, "total_assets": 8000},
        Size.SMALL: {"employees": 10, "total_assets": 100},
    }),
    "other": ("M73", {Size.LARGE: {"employees": 300}, Size.MEDIUM: {"employees": 100}, Size.SMALL: {"employees": 10}}),
    # The 2015 standard for financial enterprises (银发〔2015〕309号), in 亿元 (× YI 万元).
    "financial_deposit_taking": ("J6621", {
        Size.LARGE: {"total_assets": 40000 * YI}, Size.MEDIUM: {"total_assets": 5000 * YI},
        Size.SMALL: {"total_assets": 50 * YI},
    }),
    "financial_non_deposit": ("J6635", {
        Size.LARGE: {"total_assets": 1000 * YI}, Size.MEDIUM: {"total_assets": 200 * YI},
        Size.SMALL: {"total_assets": 50 * YI},
    }),
    "financial_securities": ("J6711", {
        Size.LARGE: {"total_assets": 1000 * YI}, Size.MEDIUM: {"total_assets": 100 * YI},
        Size.SMALL: {"total_assets": 10 * YI},
    }),
    "financial_insurance": ("J6811", {
        Size.LARGE: {"total_assets": 5000 * YI}, Size.MEDIUM: {"total_assets": 400 * YI},
        Size.SMALL: {"total_assets": 20 * YI},
    }),
    "financial_trust": ("J6911", {
        Size.LARGE: {"trust_assets": 1000 * YI}, Size.MEDIUM: {"trust_assets": 400 * YI},
        Size.SMALL: {"trust_assets": 20 * YI},
    }),
    "financial_holding": ("J6920", {
        Size.LARGE: {"total_assets": 40000 * YI}, Size.MEDIUM: {"total_assets": 5000 * YI},
        Size.SMALL: {"total_assets": 50 * YI},
    }),
    "financial_other": ("J6950", {
        Size.LARGE: {"total_assets": 1000 * YI}, Size.MEDIUM: {"total_assets": 200 * YI},
        Size.SMALL: {"total_assets": 50 * YI},
    }),
}

NEXT_DOWN = {Size.LARGE: Size.MEDIUM, Size.MEDIUM: Size.SMALL, Size.SMALL: Size.MICRO}

BOUNDARY_CASES = [
    pytest.param(rule_id, code, tier, minimums, id=f"{rule_id}-{tier}")
    for rule_id, (code, tiers) in STANDARD.items()
    for tier, minimums in tiers.items()
]


def _inputs(values: dict[str, Decimal]) -> SizeInputs:
    employees = values.get("employees")
    return SizeInputs(
        employees=None if employees is None else int(employees),
        revenue=values.get("revenue"),
        total_assets=values.get("total_assets"),
        trust_assets=values.get("trust_assets"),
    )


def _in_units(minimums: dict[str, int]) -> dict[str, Decimal]:
    # Money is stated in 万元 in the standard; the API takes yuan.
    return {m: Decimal(v) if m == "employees" else Decimal(v) * WAN for m, v in minimums.items()}


def test_shipped_rules_cover_all_sixteen_groups_of_the_standard_and_the_seven_financial_kinds() -> None:
    rules = default_size_rules()
    assert rules.version == "MIIT-2011-300+PBOC-2015-309"
    assert sorted(rule.id for rule in rules.rules) == sorted(STANDARD)


@pytest.mark.parametrize(("rule_id", "code", "tier", "minimums"), BOUNDARY_CASES)
def test_exactly_at_threshold_is_that_tier(rule_id: str, code: str, tier: Size, minimums: dict[str, int]) -> None:
    result = classify_size(code, _inputs(_in_units(minimums)))
    assert result is not None
    assert (result.rule_id, result.size) == (rule_id, tier)


@pytest.mark.parametrize(("rule_id", "code", "tier", "minimums"), BOUNDARY_CASES)
def test_one_unit_below_any_threshold_is_the_next_tier_down(
    rule_id: str, code: str, tier: Size, minimums: dict[str, int]
) -> None:
    at_threshold = _in_units(minimums)
    for metric in minimums:
        below = dict(at_threshold)
        below[metric] -= 1  # one person, or one yuan
        result = classify_size(code, _inputs(below))
        assert result is not None
        assert (result.rule_id, result.size) == (rule_id, NEXT_DOWN[tier]), metric


def test_a_cent_below_a_money_threshold_is_below_it() -> None:
    result = classify_size("C13", SizeInputs(employees=1000, revenue=Decimal("399999999.99"), total_assets=None))
    assert result is not None and result.size is Size.MEDIUM


def test_zero_metrics_are_micro() -> None:
    result = classify_size("C13", SizeInputs(employees=0, revenue=Decimal(0), total_assets=Decimal(0)))
    assert result is not None and result.size is Size.MICRO


@pytest.mark.parametrize(
    ("code", "rule_id"),
    [
        ("K701", "real_estate_development"),
        ("K702", "property_management"),
        ("K703", "other"),
        ("K70", "other"),
        ("F51", "wholesale"),
        ("F52", "retail"),
        ("G54", "transport"),
        ("G58", "transport"),
        ("G59", "warehousing"),
        ("G60", "postal"),
        ("G53", "other"),
        ("I63", "telecom"),
        ("I65", "software_it"),
        ("B06", "industry"),
        ("D44", "industry"),
        ("L71", "leasing_business_services"),
        ("J66", "financial_other"),  # a bare division: the 2015 rule's catch-all, not the 2011 fallback
        ("J662", "financial_deposit_taking"),
        ("S91", "other"),
    ],
)
def test_rule_is_chosen_by_longest_code_prefix(code: str, rule_id: str) -> None:
    assert default_size_rules().rule_for(code).id == rule_id


def test_same_figures_size_differently_by_industry() -> None:
    inputs = SizeInputs(employees=250, revenue=Decimal("35000000.00"), total_assets=Decimal("60000000"))
    sizes = {code: classify_size(code, inputs) for code in ["F51", "F52", "K701", "K702"]}
    assert {code: r.size if r else None for code, r in sizes.items()} == {
        "F51": Size.SMALL,
        "F52": Size.MEDIUM,
        "K701": Size.MEDIUM,
        "K702": Size.SMALL,
    }


@pytest.mark.parametrize(
    ("code", "inputs"),
    [
        ("C13", SizeInputs(employees=None, revenue=Decimal("1000000"), total_assets=Decimal("1"))),
        ("C13", SizeInputs(employees=50, revenue=None, total_assets=Decimal("1"))),
        ("K701", SizeInputs(employees=50, revenue=Decimal("1000000"), total_assets=None)),
        ("M73", SizeInputs(employees=None, revenue=Decimal("1000000"), total_assets=Decimal("1"))),
    ],
)
def test_missing_needed_metric_gives_none(code: str, inputs: SizeInputs) -> None:
    assert classify_size(code, inputs) is None


def test_metric_the_rule_does_not_use_may_be_missing() -> None:
    result = classify_size("A01", SizeInputs(employees=None, revenue=Decimal("600000"), total_assets=None))
    assert result is not None and result.size is Size.SMALL


def test_result_carries_version_and_only_the_used_inputs() -> None:
    inputs = SizeInputs(employees=250, revenue=Decimal("35000000.00"), total_assets=Decimal("999"))
    assert classify_size("C13", inputs) == SizeResult(
        size=Size.SMALL,
        rule_version="MIIT-2011-300+PBOC-2015-309",
        rule_id="industry",
        inputs={"employees": "250", "revenue": "35000000.00"},
    )


def test_result_inputs_are_json_ready() -> None:
    result = classify_size("K701", SizeInputs(employees=None, revenue=Decimal("1.50"), total_assets=Decimal(7)))
    assert result is not None
    assert json.loads(json.dumps(result.inputs)) == {"revenue": "1.50", "total_assets": "7"}


def test_explicit_rules_are_used_instead_of_the_default(tmp_path: Path) -> None:
    doc = _shipped_doc()
    doc["version"] = "TEST-1"
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    rules = load_size_rules(path)
    result = classify_size("C13", SizeInputs(employees=1, revenue=Decimal(1), total_assets=None), rules)
    assert result is not None and result.rule_version == "TEST-1"


def test_default_rules_are_loaded_once() -> None:
    assert default_size_rules() is default_size_rules()


def _shipped_doc() -> dict[str, Any]:
    path = Path(__file__).resolve().parents[1] / "api" / "reference" / "size_rules_2011.json"
    return json.loads(path.read_text(encoding="utf-8"))


def _break_threshold(doc: dict[str, Any]) -> None:
    doc["rules"][1]["tiers"]["medium"]["revenue"] = "lots"


def _float_threshold(doc: dict[str, Any]) -> None:
    doc["rules"][1]["tiers"]["medium"]["revenue"] = 20000000.0


def _unknown_metric(doc: dict[str, Any]) -> None:
    doc["rules"][1]["tiers"]["small"]["profit"] = "1"


def _missing_tier(doc: dict[str, Any]) -> None:
    del doc["rules"][1]["tiers"]["small"]


def _inverted_tiers(doc: dict[str, Any]) -> None:
    doc["rules"][1]["tiers"]["small"]["revenue"] = "900000000"


def _duplicate_prefix(doc: dict[str, Any]) -> None:
    doc["rules"][0]["industry_prefixes"].append("C")


def _no_version(doc: dict[str, Any]) -> None:
    del doc["version"]


def _bad_fallback(doc: dict[str, Any]) -> None:
    doc["fallback_rule"] = "nowhere"


@pytest.mark.parametrize(
    ("corrupt", "message"),
    [
        (_break_threshold, "rule 'industry' tier 'medium'.revenue is not a number: 'lots'"),
        (_float_threshold, "rule 'industry' tier 'medium'.revenue must be a string"),
        (_unknown_metric, "unknown metric 'profit'"),
        (_missing_tier, "rule 'industry' tiers must be exactly large, medium, small"),
        (_inverted_tiers, "tier 'small' revenue threshold exceeds tier 'medium'"),
        (_duplicate_prefix, "industry prefix 'C' is claimed by both 'agriculture' and 'industry'"),
        (_no_version, "non-empty string 'version'"),
        (_bad_fallback, "fallback_rule 'nowhere' is not a rule id"),
    ],
)
def test_malformed_rules_file_gives_value_error_naming_the_problem(
    corrupt: Callable[[dict[str, Any]], None], message: str, tmp_path: Path
) -> None:
    doc = _shipped_doc()
    corrupt(doc)
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ValueError, match=r"rules\.json") as caught:
        load_size_rules(path)
    assert message in str(caught.value)


def test_rules_file_that_is_not_json_gives_value_error(tmp_path: Path) -> None:
    path = tmp_path / "rules.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_size_rules(path)


def test_a_trust_company_has_no_size_until_its_trust_assets_are_known() -> None:
    statement = SizeInputs(employees=300, revenue=Decimal("900000000"), total_assets=Decimal("9000000000"))
    assert classify_size("J6911", statement) is None


def test_a_bank_is_sized_by_the_2015_rule_not_the_other_industries_fallback() -> None:
    result = classify_size("J6621", SizeInputs(employees=5, revenue=None, total_assets=Decimal("600000000000")))
    assert result is not None and (result.rule_id, result.size) == ("financial_deposit_taking", Size.MEDIUM)


@pytest.mark.parametrize("code", ["J6610", "J6650", "J6750", "J6870", "S9121", "T9600"])
def test_the_central_bank_supervisors_and_sections_s_and_t_are_not_sized(code: str) -> None:
    result = classify_size(code, SizeInputs(employees=5000, revenue=Decimal(1), total_assets=Decimal(1)))
    assert result is not None and result.size is Size.NOT_APPLICABLE
