"""Skips for want of PostgreSQL are loud, and fatal with CREDITCARE_REQUIRE_POSTGRES=1 (postgres_skips.py).

Each case runs pytest in a subprocess on a small generated test file, with the plugin loaded as
the suite loads it; the last one runs a real database test of the suite, through its conftest.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from postgres_skips import POSTGRES_ENV, REQUIRE_ENV

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent

GENERATED = '''
import pytest

from postgres_skips import postgres_url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_server(request):
    return postgres_url() if request.param == "postgresql" else "sqlite://"


def test_on_both_databases(db_server):
    assert db_server


@pytest.mark.skipif(True, reason="needs PostgreSQL: set CREDITCARE_TEST_POSTGRES_URL")
def test_postgresql_only():
    pass


def test_skipped_for_another_reason():
    pytest.skip("wrk is not installed")
'''


def _pytest(directory: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in (POSTGRES_ENV, REQUIRE_ENV, "PYTEST_ADDOPTS")}
    clean["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TESTS), clean.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=directory, env={**clean, **env}, capture_output=True, text=True, timeout=300,
    )


@pytest.fixture
def generated(tmp_path: Path) -> Path:
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")  # keep out the repository's settings
    (tmp_path / "test_generated.py").write_text(GENERATED, encoding="utf-8")
    return tmp_path


def test_without_postgresql_the_run_passes_with_a_banner_naming_the_skipped_tests(generated: Path) -> None:
    result = _pytest(generated, "-p", "postgres_skips", env={})
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "2 test(s) SKIPPED: PostgreSQL is not configured" in out, out
    assert "test_generated.py::test_on_both_databases[postgresql]" in out
    assert "test_generated.py::test_postgresql_only" in out
    banner = out[out.index("SKIPPED: PostgreSQL is not configured"):]
    assert "test_skipped_for_another_reason" not in banner  # only PostgreSQL skips are counted
    assert "3 skipped" in out
    assert out.rstrip().splitlines()[-1].strip("! ") == "2 PostgreSQL test(s) SKIPPED: listed above"


def test_when_required_every_postgresql_skip_fails_the_run(generated: Path) -> None:
    result = _pytest(generated, "-p", "postgres_skips", "-rfE", env={REQUIRE_ENV: "1"})
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    assert f"2 PostgreSQL test(s) FAILED: no PostgreSQL, and {REQUIRE_ENV}=1" in out, out
    assert "test_on_both_databases[postgresql]" in out and "test_postgresql_only" in out
    assert f"{REQUIRE_ENV}=1" in out
    assert "1 passed" in out and "1 skipped" in out  # SQLite ran; an unrelated skip stays a skip


def test_with_postgresql_configured_the_variants_run(generated: Path) -> None:
    url = "postgresql://nobody@127.0.0.1:1/unused"  # the generated tests only read it
    result = _pytest(generated, "-p", "postgres_skips", "-v", env={POSTGRES_ENV: url})
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "test_on_both_databases[postgresql] PASSED" in out, out
    # A skip that names the variable still counts (here it skips whatever the configuration).
    assert "1 test(s) SKIPPED: PostgreSQL is not configured" in out, out


def test_the_suite_wires_it_in_the_postgresql_server_fixture_fails_when_required() -> None:
    # Real database tests of the suite, their PostgreSQL variants only (the SQLite ones are deselected).
    selection = ["tests/test_auth.py", "-k", "postgresql", "-q"]
    skipped = _pytest(REPO, *selection, env={})
    assert skipped.returncode == 0, skipped.stdout + skipped.stderr
    assert "test(s) SKIPPED: PostgreSQL is not configured" in skipped.stdout, skipped.stdout
    assert "tests/test_auth.py::test_valid_token_may_read[postgresql]" in skipped.stdout

    required = _pytest(REPO, *selection, env={REQUIRE_ENV: "1"})
    assert required.returncode == 1, required.stdout + required.stderr
    assert f"and {REQUIRE_ENV}=1: the PostgreSQL variants must run, not skip" in required.stdout, required.stdout
