"""The ``creditcare`` command: serve, migrate, demo-data, token, export-schema."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click

from api.settings import get_settings

if TYPE_CHECKING:
    from api.authz.policy import Policy


@click.group()
def main() -> None:
    """creditcare: credit-customer maintenance as a GraphQL API."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int)
def serve(host: str, port: int, workers: int) -> None:
    """Serve the API (GraphQL at /graphql, Prometheus metrics at /metrics).

    With several workers, /metrics answers for all of them: they share a PROMETHEUS_MULTIPROC_DIR,
    a new temporary directory removed at exit (or the one set, emptied of an earlier run's values).
    """
    import uvicorn

    settings = get_settings()
    with _metrics_directory(workers):
        uvicorn.run(
            "api.asgi:create_app", factory=True, host=host, port=port, workers=workers,
            log_level=settings.log_level, access_log=settings.access_log,
        )


_PROMETHEUS_FILE = re.compile(r"(?:counter|histogram|summary|gauge_(?:live)?(?:all|min|max|sum|mostrecent))_\d+\.db")


@contextmanager
def _metrics_directory(workers: int) -> Iterator[None]:
    """A PROMETHEUS_MULTIPROC_DIR for the workers (prometheus-client's multiprocess mode), if needed.

    Set before uvicorn starts the workers: prometheus-client reads it when first imported.
    """
    import os
    import shutil
    import tempfile

    configured = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if configured:
        # Counters of an earlier run would add to this one's: remove prometheus-client's files only.
        directory = Path(configured)
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):
            if _PROMETHEUS_FILE.fullmatch(stale.name):
                stale.unlink(missing_ok=True)
        yield
        return
    if workers <= 1:
        yield
        return
    created = tempfile.mkdtemp(prefix="creditcare-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = created
    try:
        yield
    finally:
        os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
        shutil.rmtree(created, ignore_errors=True)


@main.command()
@click.option("--revision", default="head", show_default=True, help="Target revision.")
def migrate(revision: str) -> None:
    """Apply the database migrations (the only way tables are created)."""
    from api.db import migrations

    url = get_settings().database_url
    migrations.upgrade(url, revision)
    click.echo(f"database at revision {revision} ({_safe(url)})")


@main.command("demo-data")
@click.option("--per-branch", default=60, show_default=True, type=int, help="Customers per branch.")
def demo_data(per_branch: int) -> None:
    """Load a demo portfolio: four branches, managers, graded customers with three years of statements."""
    from api.db.session import create_engine, create_sessionmaker
    from api.lifespan import plugin_host
    from api.services.demo import load_demo_data

    async def run() -> None:
        engine = create_engine(get_settings().async_database_url)
        try:
            async with create_sessionmaker(engine).begin() as session:
                summary = await load_demo_data(
                    session, customers_per_branch=per_branch, host=plugin_host(get_settings())
                )
        finally:
            await engine.dispose()
        if summary.already_loaded:
            click.echo("customers already exist: demo data not loaded again")
        else:
            click.echo(
                f"loaded {summary.customers} customers, {summary.statements} statements, "
                f"{summary.branches} branches, {summary.staff} relationship managers"
            )

    asyncio.run(run())


@main.command()
@click.option("--sub", required=True, help="Username (the staff member's login).")
@click.option("--role", "roles", multiple=True, required=True, help="A role; repeat for several.")
@click.option("--branch", default=None, help="Branch code.")
@click.option("--nda/--no-nda", default=False, help="Confidentiality agreement signed.")
@click.option("--ttl-minutes", default=None, type=int, help="Lifetime (default: CREDITCARE_TOKEN_TTL_MINUTES).")
def token(sub: str, roles: tuple[str, ...], branch: str | None, nda: bool, ttl_minutes: int | None) -> None:
    """Print a signed development token (alone on the last line)."""
    from api.auth import issue_token

    settings = get_settings()
    ttl = timedelta(minutes=ttl_minutes or settings.token_ttl_minutes)
    click.echo(issue_token(settings.secret_key, sub=sub, roles=list(roles), branch=branch, nda=nda, ttl=ttl))


@main.command("export-schema")
def export_schema() -> None:
    """Print the GraphQL schema (SDL)."""
    from schema.root import build_schema

    click.echo(str(build_schema()).rstrip("\n"))


@main.group()
def policy() -> None:
    """Work with the Casbin policies (policies/ by default, CREDITCARE_POLICY_DIR otherwise)."""


def _file_policy(policy_dir: Path | None) -> Policy:
    from api.authz.policy import Policy, load_file_enforcer

    directory = policy_dir or get_settings().policy_dir
    return Policy(load_file_enforcer(directory), source=f"file:{directory}")


@policy.command("test")
@click.argument("decisions_csv", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--policy-dir", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None)
def policy_test(decisions_csv: Path | None, policy_dir: Path | None) -> None:
    """Check every row of a decision table (default: decisions.csv beside the policy)."""
    from api.authz.decision_table import check, read_decision_table

    loaded = _file_policy(policy_dir)
    table = decisions_csv or (policy_dir or get_settings().policy_dir) / "decisions.csv"
    try:
        rows = read_decision_table(table)
    except ValueError as exc:
        raise click.ClickException(f"{table}: {exc}") from None
    failures = check(loaded, rows)
    for failure in failures:
        click.echo(f"FAIL {table}:{failure}", err=True)
    if failures:
        raise SystemExit(1)
    click.echo(f"{len(rows)} decisions hold ({table})")


@policy.command("explain")
@click.option("--role", "roles", multiple=True, help="A role; repeat for several (none: no role).")
@click.option(
    "--object", "obj", required=True, help="A schema coordinate, e.g. Customer.financialStatements, or rows:Customer."
)
@click.option(
    "--action", required=True, help="read, read_masked, read_with_consent, write; own/branch/all/consented for rows."
)
@click.option(
    "--agreement/--no-agreement", default=True, show_default=True, help="Holds a valid confidentiality agreement."
)
@click.option("--policy-dir", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None)
def policy_explain(roles: tuple[str, ...], obj: str, action: str, agreement: bool, policy_dir: Path | None) -> None:
    """Print the decision for one request and the policy lines that made it."""
    from api.authz.policy import Subject

    loaded = _file_policy(policy_dir)
    subject = Subject(roles=frozenset(roles), agreement=agreement)
    allowed, rules = loaded.explain(subject, obj, action)
    click.echo(f"request: {subject.casbin_sub} | {obj} | {action}")
    groups = sorted(loaded.groups_of(obj))
    if groups:
        click.echo(f"{obj} is in: {', '.join(groups)}")
    click.echo(f"decision: {'allow' if allowed else 'deny'}")
    if rules:
        for rule in rules:
            click.echo("because: p, " + ", ".join(rule))
    else:
        click.echo("because: no rule allows it (deny by default)")
    if action == "read":
        click.echo(f"field access: {loaded.decisions(subject).field(obj).value}")


@main.group()
def plugins() -> None:
    """Grading plugins (entry-point group ``creditcare``)."""


@plugins.command("list")
def plugins_list() -> None:
    """List each plugin, its distribution and version, its strategies and their industries."""
    from api.lifespan import plugin_host

    host = plugin_host(get_settings())
    for plugin in host.plugins:
        click.echo(f"{plugin.name}  ({plugin.distribution} {plugin.distribution_version})")
        for strategy in plugin.strategies:
            click.echo(f"  {strategy.id} {strategy.version}: {', '.join(strategy.industries)}")
    if host.blocked:
        click.echo(f"blocked: {', '.join(sorted(host.blocked))}")


@main.command()
@click.option("--all", "everyone", is_flag=True, help="Every customer.")
@click.option("--industry", default=None, help="Only customers whose GB/T 4754 code starts with this.")
@click.option("--batch-size", default=2000, show_default=True, type=click.IntRange(1, 10_000))
@click.option(
    "--resume/--restart", default=True, show_default=True, help="Continue an unfinished run of the same selection."
)
def regrade(everyone: bool, industry: str | None, batch_size: int, resume: bool) -> None:
    """Re-grade customers in bulk, in batches, resumably; report how many changed grade."""
    if everyone == (industry is not None):
        raise click.UsageError("give either --all or --industry")
    asyncio.run(_regrade(industry, batch_size, resume))


async def _regrade(industry: str | None, batch_size: int, resume: bool) -> None:
    from api.db.session import create_engine, create_sessionmaker
    from api.lifespan import plugin_host
    from api.services import regrade as bulk

    settings = get_settings()
    host = plugin_host(settings)
    engine = create_engine(settings.async_database_url)
    sessions = create_sessionmaker(engine)
    try:
        async with sessions.begin() as session:
            run = await bulk.open_run(session, industry=industry, resume=resume, started_by="cli")
            run_id, total, before = run.id, await bulk.remaining(session, run), (run.processed, run.changed, run.failed)
        if before[0]:
            click.echo(f"resuming run #{run_id}: {before[0]} customers already done")
        processed, changed, failed = before
        with click.progressbar(length=total, label=f"run #{run_id}", file=None) as bar:
            while True:
                result = await bulk.regrade_batch(sessions, run_id=run_id, host=host,
                                                  timeout=settings.grading_timeout_seconds, size=batch_size)
                for change in result.changes:
                    host.grade_changed(customer_ref=_customer_ref(change.customer_id), previous_grade=change.previous,
                                       new_grade=change.new, strategy_id=change.strategy_id, assessed_at=change.at)
                processed += result.processed
                changed += result.changed
                failed += result.failed
                bar.update(result.processed)
                if result.done:
                    break
    finally:
        await engine.dispose()
    click.echo(f"regraded {processed} customers: {changed} changed grade, {failed} failed (run #{run_id})")


def _customer_ref(customer_id: int) -> str:
    from strawberry.relay import GlobalID

    return str(GlobalID("Customer", str(customer_id)))


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
