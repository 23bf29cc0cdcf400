"""The shape of the code (docs/architecture.md): imports point down, and the right packages are ours."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[1]


def test_import_linter_contracts_in_pyproject_hold():
    lint_imports = Path(sys.executable).parent / "lint-imports"
    assert lint_imports.exists(), f"{lint_imports} missing: install the test extra (pip install -e '.[test]')"
    result = subprocess.run(
        [str(lint_imports), "--no-logo", "--no-cache"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, f"lint-imports failed:\n{result.stdout}\n{result.stderr}"
    assert "0 broken" in result.stdout, result.stdout


def test_our_schema_package_is_imported_not_pypis_schema():
    import schema

    location = Path(schema.__file__).resolve()
    assert location.is_relative_to(REPO / "schema"), (
        f"'import schema' gives {location}, not this repository's schema/ "
        "(is PyPI's 'schema' package installed and shadowing ours?)"
    )
    import schema.root

    assert callable(schema.root.build_schema)


def _requirement_names(requirements: list[str]) -> set[str]:
    return {canonicalize_name(Requirement(r).name) for r in requirements}


def test_the_frozen_casbin_distribution_is_never_required():
    installed = importlib.metadata.requires("creditcare") or []
    assert "casbin" not in _requirement_names(installed), (
        "creditcare requires the frozen 'casbin' distribution; depend on 'pycasbin' only "
        "(both install `import casbin`)"
    )
    # The installed metadata can lag behind an edit of pyproject.toml: check the source too.
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = [*project.get("dependencies", [])]
    for extra in project.get("optional-dependencies", {}).values():
        declared += extra
    assert "casbin" not in _requirement_names(declared), "pyproject.toml names 'casbin'; use 'pycasbin'"


def test_import_casbin_never_comes_from_the_frozen_casbin_distribution():
    providers = importlib.metadata.packages_distributions().get("casbin", [])
    assert "casbin" not in {canonicalize_name(p) for p in providers}, (
        f"'import casbin' is provided by {providers}: uninstall the frozen 'casbin' distribution"
    )


@pytest.mark.parametrize("directory", ["policies", "migrations", "tests"])
def test_data_and_test_directories_are_not_packages(directory):
    found = [
        str(p.relative_to(REPO)) for p in (REPO / directory).rglob("__init__.py")
        if "__pycache__" not in p.parts
    ]
    assert found == [], f"{directory}/ must not be a package; remove {found}"
