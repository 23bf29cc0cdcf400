"""`creditcare regrade`: bulk re-grading in batches, resumable, reporting how many changed grade."""

from __future__ import annotations

import asyncio

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from api.cli import main
from api.db.models import Customer, GradeAssessment, GradingFailure, RegradeRun
from api.db.session import create_engine, create_sessionmaker
from api.services import regrade as bulk
from api.services.demo import load_demo_data
from api.settings import get_settings, to_async_url
from plugins.manager import PluginHost, builtin_plugins
from plugins.spec import Decision, Facts, hookimpl


async def _with_sessions(url: str, work):  # type: ignore[no-untyped-def]
    engine = create_engine(to_async_url(url))
    try:
        return await work(create_sessionmaker(engine))
    finally:
        await engine.dispose()


def _portfolio(url: str, per_branch: int = 4) -> None:
    async def work(sessions):  # type: ignore[no-untyped-def]
        async with sessions.begin() as session:
            await load_demo_data(session, customers_per_branch=per_branch)

    asyncio.run(_with_sessions(url, work))


def _query(url: str, stmt):  # type: ignore[no-untyped-def]
    async def work(sessions):  # type: ignore[no-untyped-def]
        async with sessions() as session:
            return (await session.execute(stmt)).all()

    return asyncio.run(_with_sessions(url, work))


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CREDITCARE_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield lambda *args: CliRunner().invoke(main, list(args))
    get_settings.cache_clear()


def _graded_portfolio(url: str, per_branch: int = 4) -> None:
    """A demo portfolio graded by its assessors, every required question answered."""

    async def work(sessions):  # type: ignore[no-untyped-def]
        async with sessions.begin() as session:
            await load_demo_data(session, customers_per_branch=per_branch,
                                 host=PluginHost(extra=builtin_plugins(), entry_points=False))

    asyncio.run(_with_sessions(url, work))


def test_regrade_reuses_the_answers_still_valid_and_keeps_every_grade_in_force(cli, database_url):
    _graded_portfolio(database_url)  # 16 customers, assessed with answers
    before = dict(_query(database_url, select(Customer.id, Customer.grade)))
    result = cli("regrade", "--all", "--batch-size", "5")
    assert result.exit_code == 0, result.output
    assert "regraded 16 customers: 0 changed grade, 0 provisional" in result.output  # same facts and answers
    assert dict(_query(database_url, select(Customer.id, Customer.grade))) == before
    regraded = _query(database_url, select(GradeAssessment.provisional, func.count())
                      .where(GradeAssessment.trigger == "regrade").group_by(GradeAssessment.provisional))
    assert regraded == [(False, 16)]


def test_regrade_of_customers_never_assessed_is_provisional_and_puts_no_grade_in_force(cli, database_url):
    _portfolio(database_url)  # 16 customers, never graded: nobody has answered their questions
    statuses = dict(_query(database_url, select(Customer.id, Customer.credit_status)))
    result = cli("regrade", "--all", "--batch-size", "5")
    assert result.exit_code == 0, result.output
    assert "regraded 16 customers: 0 changed grade, 16 provisional" in result.output
    assert _query(database_url, select(func.count()).select_from(Customer).where(Customer.grade.is_not(None))) == [(0,)]
    assert dict(_query(database_url, select(Customer.id, Customer.credit_status))) == statuses
    stored = _query(database_url, select(GradeAssessment.trigger, GradeAssessment.provisional, func.count())
                    .group_by(GradeAssessment.trigger, GradeAssessment.provisional))
    assert stored == [("regrade", True, 16)]
    missing = _query(database_url, select(GradeAssessment.missing_answers).limit(1))[0][0]
    assert missing and all(isinstance(question, str) for question in missing)


def test_regrade_by_industry_touches_only_that_industry(cli, database_url):
    _graded_portfolio(database_url)
    result = cli("regrade", "--industry", "C")
    assert result.exit_code == 0, result.output
    regraded = _query(database_url, select(Customer.industry_code).join(
        GradeAssessment, GradeAssessment.customer_id == Customer.id).where(GradeAssessment.trigger == "regrade"))
    assert regraded and all(code.startswith("C") for (code,) in regraded)
    others = _query(database_url, select(func.count()).select_from(Customer)
                    .where(~Customer.industry_code.startswith("C")))
    assert others[0][0] > 0


def test_an_interrupted_regrade_resumes_where_it_stopped(cli, database_url):
    _portfolio(database_url)

    async def first_batch_only(sessions):  # type: ignore[no-untyped-def]
        async with sessions.begin() as session:
            run_id = (await bulk.open_run(session, industry=None, resume=False, started_by="test")).id
        host = PluginHost(extra=builtin_plugins(), entry_points=False)
        return await bulk.regrade_batch(sessions, run_id=run_id, host=host, timeout=2.0, size=6)

    first = asyncio.run(_with_sessions(database_url, first_batch_only))
    assert (first.processed, first.done) == (6, False)
    result = cli("regrade", "--all", "--batch-size", "4")
    assert result.exit_code == 0, result.output
    assert "resuming run" in result.output and "6 customers already done" in result.output
    assert "regraded 16 customers" in result.output
    assert _query(database_url, select(func.count()).select_from(GradeAssessment)) == [(16,)]  # none twice
    runs = _query(database_url, select(RegradeRun.processed, RegradeRun.finished_at.is_not(None)))
    assert runs == [(16, True)]


def test_regrade_needs_a_selection(cli):
    result = cli("regrade")
    assert result.exit_code != 0
    assert "--all or --industry" in result.output


class _Broken:
    id, version, industries, questions = "broken", "1", ("C",), ()

    def grade(self, facts: Facts) -> Decision:
        raise RuntimeError("no")


class _BrokenPlugin:
    @hookimpl
    def creditcare_register_grading_strategies(self) -> list[_Broken]:
        return [_Broken()]


def test_a_regrade_records_each_customer_it_failed_to_grade(database_url):
    _portfolio(database_url)

    async def run(sessions):  # type: ignore[no-untyped-def]
        async with sessions.begin() as session:
            run_id = (await bulk.open_run(session, industry=None, resume=False, started_by="test")).id
        host = PluginHost(extra=[*builtin_plugins(), ("broken", _BrokenPlugin())], entry_points=False,
                          preferences={"C": "broken"})
        return run_id, await bulk.regrade_batch(sessions, run_id=run_id, host=host, timeout=2.0, size=100)

    run_id, result = asyncio.run(_with_sessions(database_url, run))
    manufacturers = _query(database_url, select(Customer.id).where(Customer.industry_code.startswith("C")))
    assert result.failed == len(manufacturers) > 0
    failures = _query(database_url, select(GradingFailure.customer_id, GradingFailure.triggered_by,
                                            GradingFailure.trigger, GradingFailure.strategy_id))
    assert sorted(failures) == [(cid, f"regrade:{run_id}", "regrade", "broken") for (cid,) in sorted(manufacturers)]
