"""Plugins run in worker processes: a hung, crashing, chatty or snooping plugin cannot hurt the
service, its secrets, or another plugin. Through the GraphQL endpoint, with the misbehaving
plugins of ``sample_plugins`` loaded by reference as installed plugins are."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

import factories as f
from plugins.manager import PluginConfigurationError, PluginHost
from plugins.sandbox import PluginSource

ASSESS = """mutation($input: AssessGradeInput!) { assessGrade(input: $input) {
  __typename
  ... on GradePayload { assessment { grade strategyId reasons knockOuts } }
  ... on GradingFailedError { code message strategyId }
} }"""
ROOT = Path(__file__).resolve().parent.parent


async def _assess(api: Any, customer_id: str) -> dict[str, Any]:
    return (await api.ok(ASSESS, {"input": {"customerId": customer_id, "answers": []}}))["assessGrade"]


async def test_a_hung_strategy_is_stopped_at_its_deadline_naming_its_plugin_and_the_service_goes_on(api, sandboxed):
    await f.organisation(api)
    c = await f.customer(api)
    host = sandboxed("hangs")
    for _ in range(3):  # each time a fresh worker hangs and is stopped: none is left behind
        started = time.perf_counter()
        result = await _assess(api, c["id"])
        assert time.perf_counter() - started < 2.0
        assert result["__typename"] == "GradingFailedError", result
        assert result["strategyId"] == "hangs"
        assert "plugin 'hangs' took longer than 0.5 s" in result["message"]
    pool = host.pools["hangs"]
    assert all(worker.process.poll() is None for worker in pool._idle) and len(pool._idle) <= pool.size
    # The built-in strategies, in this process, are untouched.
    services = await f.customer(api, name="Services Client Co., Ltd.", industryCode="I65")
    assert (await _assess(api, services["id"]))["__typename"] == "GradePayload"


async def test_one_plugins_hangs_never_take_capacity_from_another(api, sandboxed):
    await f.organisation(api)
    hung = await f.customer(api)
    farm = await f.customer(api, name="Farm Produce Trading Co., Ltd.", industryCode="F51")
    sandboxed("hangs", "steady_plugin", prefer="hangs")
    started = time.perf_counter()
    hung_gradings = [asyncio.create_task(_assess(api, hung["id"])) for _ in range(8)]
    await asyncio.sleep(0.05)
    steady = await _assess(api, farm["id"])
    assert steady["__typename"] == "GradePayload" and steady["assessment"]["strategyId"] == "steady", steady
    # Not queued behind the hangs: graded while every hung grading is still waiting for its deadline
    # (a wall-clock bound here failed on a loaded machine without saying anything about capacity).
    assert not any(task.done() for task in hung_gradings), "the steady plugin waited until the hung ones failed"
    failures = await asyncio.gather(*hung_gradings)
    assert {r["__typename"] for r in failures} == {"GradingFailedError"}
    assert all("plugin 'hangs'" in r["message"] for r in failures)
    assert time.perf_counter() - started < 3.0  # bounded: nobody queued behind the hangs without a deadline


async def test_a_strategy_that_kills_its_worker_fails_naming_the_plugin(api, sandboxed):
    await f.organisation(api)
    c = await f.customer(api)
    sandboxed("crashes")
    for _ in range(2):
        result = await _assess(api, c["id"])
        assert result["__typename"] == "GradingFailedError", result
        assert "plugin 'crashes' stopped while grading (exit status 3)" in result["message"]


async def test_a_plugin_sees_neither_the_secret_key_nor_the_database(api, sandboxed, monkeypatch):
    secret, url = "s3cret-key-the-plugin-must-never-see-0123456789", "postgresql://app:pa55word@db.internal/credit"
    monkeypatch.setenv("CREDITCARE_SECRET_KEY", secret)
    monkeypatch.setenv("CREDITCARE_DATABASE_URL", url)
    await f.organisation(api)
    c = await f.customer(api)
    sandboxed("snoops")
    result = await _assess(api, c["id"])
    assert result["__typename"] == "GradePayload", result
    found = json.loads(result["assessment"]["reasons"][0])
    assert found["environment"] == {} and found["cwd"] == []
    assert secret not in json.dumps(found) and "pa55word" not in json.dumps(found)


async def test_what_a_plugin_returns_is_bounded_and_its_codes_declared(api, sandboxed):
    await f.organisation(api)
    c = await f.customer(api)
    sandboxed("verbose")
    result = await _assess(api, c["id"])
    assert result["__typename"] == "GradingFailedError", result
    assert "returned a reason of 5000 characters; at most 500" in result["message"]
    sandboxed("undeclared")
    result = await _assess(api, c["id"])
    assert "returned factor code 'SECRET_SAUCE', which is not one of the reason codes it declares" in \
        result["message"]


async def test_a_slow_grade_changed_hook_delays_no_request_and_is_cut_off(api, sandboxed, caplog):
    await f.organisation(api)
    c = await f.customer(api)
    # Cut at 3 s: a request that waited for the hook (30 s) would take at least that long, while
    # the grading itself, worker start included, takes well under it even on a busy machine.
    sandboxed("slow_listener", prefer="listener", hook_timeout=3)
    with caplog.at_level(logging.ERROR, logger="plugins.sandbox"):
        started = time.perf_counter()
        assert (await _assess(api, c["id"]))["__typename"] == "GradePayload"
        assert (await api.ok("{ me { subject } }"))["me"]["subject"] == "alice"
        assert time.perf_counter() - started < 2.5  # the hook runs elsewhere
        for _ in range(200):
            if "took longer than 3 s in creditcare_grade_changed" in caplog.text:
                break
            await asyncio.sleep(0.05)
    assert "plugin 'slow_listener' took longer than 3 s in creditcare_grade_changed" in caplog.text


async def test_a_grade_changed_hook_in_a_worker_is_told_of_each_change(api, sandboxed, monkeypatch, tmp_path):
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # the listener notes there (a worker keeps TMPDIR)
    await f.organisation(api)
    c = await f.customer(api)
    sandboxed("quick_listener", prefer="listener")
    assert (await _assess(api, c["id"]))["__typename"] == "GradePayload"
    notes = tmp_path / "notes.jsonl"
    for _ in range(100):
        if notes.exists() and notes.read_text():
            break
        await asyncio.sleep(0.05)
    assert [json.loads(line) for line in notes.read_text().splitlines()] == [{"customer": c["id"], "grade": "B"}]


RECORD_CREDIT = """mutation($input: CreditInformationInput!) { recordCreditInformation(input: $input) {
  __typename ... on CustomerPayload { customer { version } } } }"""
VERSION = "query($id: ID!) { customer(id: $id) { version } }"


@pytest.mark.parametrize(("event", "grade", "knock_out"), [
    ({"kind": "DEFAULT", "description": "Defaulted on a term loan."}, "D", "Non-performing loan: grade D"),
    ({"kind": "OVERDUE", "daysPastDue": 45, "description": "45 days late."}, "C",
     "30 days or more past due: grade C or worse"),
], ids=["non-performing", "45-days-past-due"])
async def test_the_mandatory_knock_outs_cap_any_strategys_grade(api, sandboxed, event, grade, knock_out):
    await f.organisation(api)
    c = await f.customer(api)
    sandboxed("lenient")  # grades A whatever the facts
    assert (await _assess(api, c["id"]))["assessment"]["grade"] == "A"
    version = (await api.ok(VERSION, {"id": c["id"]}))["customer"]["version"]
    recorded = await api.ok(RECORD_CREDIT, {"input": {"customerId": c["id"], "version": version, "addEvents": [
        {"occurredOn": (date.today() - timedelta(days=10)).isoformat(), **event}]}})
    assert recorded["recordCreditInformation"]["__typename"] == "CustomerPayload", recorded
    assessment = (await _assess(api, c["id"]))["assessment"]
    assert assessment["grade"] == grade and assessment["strategyId"] == "lenient"
    assert knock_out in assessment["knockOuts"] and assessment["reasons"][0] == knock_out


async def test_a_strategy_sees_the_stored_facts_it_needs_without_asking_the_assessor(api, sandboxed):
    await f.organisation(api)
    c = await f.customer(api)
    sandboxed("echo")

    version = (await api.ok(VERSION, {"id": c["id"]}))["customer"]["version"]
    rated = await api.ok(RECORD_CREDIT, {"input": {
        "customerId": c["id"], "version": version, "externalRating": "AA-", "externalRatingAgency": "China Chengxin",
        "externalRatingDate": "2025-06-30"}})
    assert rated["recordCreditInformation"]["__typename"] == "CustomerPayload", rated
    version = (await api.ok(VERSION, {"id": c["id"]}))["customer"]["version"]
    await f.statement(api, c["id"], version, taxCreditRating="A", taxesPaid="4500000.00")
    seen = json.loads((await _assess(api, c["id"]))["assessment"]["reasons"][0])
    assert seen == {"external_rating": ["AA-", "China Chengxin"], "external_rating_date": "2025-06-30",
                    "tax_credit_rating": "A", "taxes_paid": "4500000.00"}


def test_a_plugin_that_fails_to_import_stops_the_host_with_one_line_naming_it():
    with pytest.raises(PluginConfigurationError) as failure:
        PluginHost(entry_points=False, isolation="process",
                   sources=[PluginSource("broken", "sample_plugins_missing", "broken-scorecards", "0.3")])
    message = str(failure.value)
    assert "\n" not in message
    assert "plugin 'broken' failed to load: ModuleNotFoundError: No module named 'sample_plugins_missing'" in message
    assert "broken-scorecards 0.3" in message and "CREDITCARE_DISABLED_PLUGINS=broken" in message


def _installed_broken_plugin(directory: Path) -> dict[str, str]:
    """An environment in which a distribution whose plugin cannot be imported is installed."""
    info = directory / "broken_scorecards-0.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-scorecards\nVersion: 0.3\n")
    (info / "entry_points.txt").write_text("[creditcare]\nbroken = broken_scorecards.plugin\n")
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CREDITCARE_")}
    return {**environment, "PYTHONPATH": str(directory), "CREDITCARE_DATABASE_URL": f"sqlite:///{directory}/x.db"}


def test_serve_and_plugins_list_refuse_a_plugin_that_fails_to_import_in_one_line(tmp_path):
    environment = _installed_broken_plugin(tmp_path)
    command = [str(Path(sys.executable).parent / "creditcare")]
    for args in (["plugins", "list"], ["serve", "--port", "0"]):
        done = subprocess.run([*command, *args], env=environment, cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert done.returncode == 1, (done.stdout, done.stderr)
        assert "Traceback" not in done.stderr, done.stderr
        [line] = [line for line in done.stderr.splitlines() if line.strip()]
        assert "plugin 'broken' failed to load: ModuleNotFoundError" in line
        assert "CREDITCARE_DISABLED_PLUGINS=broken" in line
    disabled = {**environment, "CREDITCARE_DISABLED_PLUGINS": "broken"}
    done = subprocess.run([*command, "plugins", "list"], env=disabled, cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0 and "blocked: broken" in done.stdout, (done.stdout, done.stderr)
