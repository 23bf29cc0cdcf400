"""Early-warning rules from plugins: found through the hook, run in worker processes like grading
strategies, their thresholds configurable, their failures contained; the contract check for authors."""

from __future__ import annotations

import time
from typing import Any

import pytest

import factories as f
import sample_plugins
from plugins.manager import PluginConfigurationError, PluginHost, builtin_plugins
from plugins.rule_testing import check_rule_plugin, check_warning_rule, warning_facts
from plugins.spec import Finding, Severity

WARNINGS = """query($id: ID!) { customer(id: $id) {
  earlyWarnings { ruleId ruleVersion severity message evidence } } }"""
THIN = {"netProfit": "3000000.00"}  # 2.5 % of the default statement's 120,000,000 revenue


async def test_a_plugins_rule_runs_in_its_workers_and_raises_through_the_service(api, sandboxed):
    await f.organisation(api)
    sandboxed("watchful")
    c = await f.customer(api)
    await f.statement(api, c["id"], c["version"], **THIN)
    shown = (await api.ok(WARNINGS, {"id": c["id"]}))["customer"]["earlyWarnings"]
    [thin] = [w for w in shown if w["ruleId"] == "THIN_MARGIN"]
    assert (thin["ruleVersion"], thin["severity"], thin["message"]) == ("2.1", "HIGH", "Net margin 2.5%")
    assert thin["evidence"]["limit"] == "5"


async def test_the_lender_sets_a_rules_threshold_without_a_code_change(api, sandboxed, settings, monkeypatch):
    await f.organisation(api)
    monkeypatch.setattr(settings, "warning_parameters", {"THIN_MARGIN": {"min_margin_percent": "2"}})
    sandboxed("watchful")
    c = await f.customer(api)
    await f.statement(api, c["id"], c["version"], **THIN)
    shown = (await api.ok(WARNINGS, {"id": c["id"]}))["customer"]["earlyWarnings"]
    assert "THIN_MARGIN" not in [w["ruleId"] for w in shown]


async def test_a_hanging_rule_is_cut_off_and_the_statement_and_other_rules_still_count(api, sandboxed, caplog):
    await f.organisation(api)
    sandboxed("hanging_rules")
    c = await f.customer(api)
    started = time.monotonic()
    after = await f.statement(api, c["id"], c["version"], periodEnd="2024-12-31", revenue="100000000.00")
    await f.statement(api, c["id"], after["version"], revenue="10000000.00")
    assert time.monotonic() - started < 2.5  # two evaluations, each cut at 0.5 s
    shown = (await api.ok(WARNINGS, {"id": c["id"]}))["customer"]["earlyWarnings"]
    assert [w["ruleId"] for w in shown] == ["REVENUE_DROP"]
    assert "warning rule 'HANGS_FOREVER' of plugin 'hanging_rules' failed" in caplog.text


def test_two_rules_with_one_id_stop_the_host_naming_both_plugins():
    with pytest.raises(PluginConfigurationError, match="'REVENUE_DROP' is registered by plugin"):
        PluginHost(extra=[*builtin_plugins(), ("twins", sample_plugins.twin_rules)], entry_points=False)


def test_the_builtin_rules_keep_the_contract_plugin_authors_test_against():
    import plugins.builtin

    assert len(check_rule_plugin(plugins.builtin)) == 7
    assert check_rule_plugin(sample_plugins.watchful)[0].id == "THIN_MARGIN"


class _Broken(sample_plugins.ThinMargin):
    def __init__(self, returns: Any) -> None:
        self.returns = returns

    def evaluate(self, facts: Any, parameters: Any) -> Any:
        return self.returns


@pytest.mark.parametrize(("returns", "problem"), [
    (None, "returned a NoneType, not a tuple of findings on healthy facts"),
    (("a warning",), "returned a str, not a Finding on healthy facts"),
    (tuple(Finding(Severity.LOW, "x", str(n)) for n in range(21)),
     "returned 21 findings, more than the 20 allowed for one customer on healthy facts"),
    ((Finding("high", "x"),), "returned the severity 'high', not LOW, MEDIUM or HIGH on healthy facts"),  # type: ignore[arg-type]
    ((Finding(Severity.LOW, ""),), "returned a message that is not text of 1–500 characters on healthy facts"),
    ((Finding(Severity.LOW, "x", evidence={"n": 1}),),  # type: ignore[dict-item]
     "returned evidence that is not at most 50 names with text values on healthy facts"),
])
def test_the_contract_check_names_what_a_rule_returned_wrong(returns, problem):
    with pytest.raises(AssertionError) as refused:
        check_warning_rule(_Broken(returns))
    assert str(refused.value) == f"rule 'THIN_MARGIN': {problem}"


def test_sample_warning_facts_give_the_rule_what_the_service_gives():
    findings = sample_plugins.ThinMargin().evaluate(warning_facts(weak=True), {"min_margin_percent": "5"})
    assert [finding.severity for finding in findings] == [Severity.HIGH]


def test_what_the_contract_allows_a_rule_fits_the_columns_the_service_stores_it_in():
    from api.db.models import EarlyWarning
    from plugins.rules import IDENTITY_LENGTHS, MAX_KEY

    columns = EarlyWarning.__table__.c
    assert {name: columns[f"rule_{name}" if name != "title" else "title"].type.length
            for name in IDENTITY_LENGTHS} == IDENTITY_LENGTHS
    assert columns.key.type.length == MAX_KEY


class _Unversioned(sample_plugins.ThinMargin):
    version = 2  # type: ignore[assignment]


def test_a_rule_whose_version_is_not_text_stops_the_host_naming_its_plugin():
    with pytest.raises(PluginConfigurationError, match="a rule of plugin 'odd': version must be text"):
        PluginHost(extra=[*builtin_plugins(), ("odd", sample_plugins.Rules(_Unversioned()))], entry_points=False)
