"""A pytest plugin: tests skipped for want of PostgreSQL are loud, and in CI they fail.

Every database test runs on SQLite and on PostgreSQL; without ``CREDITCARE_TEST_POSTGRES_URL``
the PostgreSQL variants skip, and a skip is easy to miss. So:

- the run ends with a banner counting and naming every test that skipped for want of PostgreSQL;
- with ``CREDITCARE_REQUIRE_POSTGRES=1`` (``.ci/run`` sets it) such a test fails instead
  (``postgres_url()`` fails rather than skips, and any other PostgreSQL skip is reported failed).

A skip counts as a PostgreSQL skip when its reason names ``CREDITCARE_TEST_POSTGRES_URL`` (so
every skip that the absence of PostgreSQL causes must name it) or when it is the ``postgresql``
variant of a test parametrized over the ``db_server`` fixture, whatever its reason.

Registered by ``tests/conftest.py`` (``pytest_plugins``); tested by ``tests/test_postgres_skips.py``.
(PYTEST_DONT_REWRITE: conftest imports it before registering it, and it has no asserts.)
"""

from __future__ import annotations

import os
from collections.abc import Generator

import pytest

POSTGRES_ENV = "CREDITCARE_TEST_POSTGRES_URL"
REQUIRE_ENV = "CREDITCARE_REQUIRE_POSTGRES"
EXAMPLE_URL = "postgresql://postgres@127.0.0.1:5432/test"

_SKIPPED = pytest.StashKey[dict[str, str]]()  # node id -> skip reason, in the order they skipped


class PostgresRequired(pytest.fail.Exception):
    """``postgres_url()`` without PostgreSQL when ``CREDITCARE_REQUIRE_POSTGRES=1``: a failure."""


def postgres_required() -> bool:
    """Whether a test may not skip for want of PostgreSQL (``CREDITCARE_REQUIRE_POSTGRES=1``)."""
    return os.environ.get(REQUIRE_ENV, "").strip().lower() in {"1", "true", "yes"}


def postgres_url() -> str:
    """The configured PostgreSQL server's URL; without one, skip the test (fail it when required)."""
    url = os.environ.get(POSTGRES_ENV)
    if url:
        return url
    if postgres_required():
        raise PostgresRequired(
            f"no PostgreSQL configured ({POSTGRES_ENV} is not set) and {REQUIRE_ENV}=1: "
            "the PostgreSQL variants must run, not skip",
            pytrace=False,
        )
    pytest.skip(f"no PostgreSQL configured ({POSTGRES_ENV} is not set)")


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple):  # (path, line, "Skipped: reason")
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def _is_postgres_skip(item: pytest.Item, reason: str) -> bool:
    callspec = getattr(item, "callspec", None)
    variant = callspec is not None and callspec.params.get("db_server") == "postgresql"
    return variant or POSTGRES_ENV in reason


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    skipped = item.config.stash.setdefault(_SKIPPED, {})
    if call.excinfo is not None and call.excinfo.errisinstance(PostgresRequired):
        skipped.setdefault(item.nodeid, str(call.excinfo.value))  # failed already, by postgres_url()
    elif report.skipped and not hasattr(report, "wasxfail"):
        reason = _skip_reason(report)
        if _is_postgres_skip(item, reason):
            skipped.setdefault(item.nodeid, reason)
            if postgres_required():
                report.outcome = "failed"
                report.longrepr = (
                    f"skipped for want of PostgreSQL ({reason}), and {REQUIRE_ENV}=1 forbids that: "
                    f"configure {POSTGRES_ENV}"
                )
    return report


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    skipped = config.stash.get(_SKIPPED, {})
    if not skipped:
        return
    if postgres_required():
        title = f"{len(skipped)} PostgreSQL test(s) FAILED: no PostgreSQL, and {REQUIRE_ENV}=1"
    else:
        title = f"{len(skipped)} test(s) SKIPPED: PostgreSQL is not configured"
    terminalreporter.write_sep("!", title, red=True, bold=True)
    terminalreporter.write_line(
        f"Set {POSTGRES_ENV} (e.g. {EXAMPLE_URL}) to run them. CI ({REQUIRE_ENV}=1) fails on any of them."
    )
    for nodeid in skipped:
        terminalreporter.write_line(f"  {nodeid}")
    terminalreporter.write_sep("!", title, red=True, bold=True)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Repeat the count as the very last line, below pytest's own summary, where it cannot be missed."""
    skipped = config.stash.get(_SKIPPED, {})
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if skipped and reporter is not None:
        what = "FAILED" if postgres_required() else "SKIPPED"
        reporter.write_sep("!", f"{len(skipped)} PostgreSQL test(s) {what}: listed above", red=True, bold=True)
