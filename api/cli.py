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

from api.cli_credit import import_repayments, reclassify
from api.cli_warnings import warnings
from api.settings import Settings, get_settings

if TYPE_CHECKING:
    from datetime import datetime

    from api.authz.policy import Policy
    from api.authz.suite_run import Run
    from api.authz.validation import RuleLine


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

    On SIGTERM requests in flight get CREDITCARE_SHUTDOWN_GRACE_SECONDS to finish, then they are
    cancelled and the process exits. Connections are closed when idle after a response
    (CREDITCARE_KEEP_ALIVE_TIMEOUT_SECONDS) and when a request's head or body is late
    (CREDITCARE_HTTP_HEADER_TIMEOUT_SECONDS, CREDITCARE_HTTP_BODY_TIMEOUT_SECONDS).
    """
    import uvicorn

    settings = get_settings()
    _check_plugins(settings, keep=workers == 1)  # one worker: the app uses the host checked here
    with _metrics_directory(workers):
        uvicorn.run(
            "api.asgi:create_app", factory=True, host=host, port=port, workers=workers,
            log_level=settings.log_level, access_log=settings.access_log,
            timeout_graceful_shutdown=settings.shutdown_grace_seconds,
            timeout_keep_alive=settings.keep_alive_timeout_seconds,
            # uvicorn's own protocol with deadlines on reading a request, which uvicorn lacks
            # (named, not imported: the command does not import the application's modules).
            http="api.asgi.connections:GuardedHttp",
        )


def _check_plugins(settings: Settings, *, keep: bool) -> None:
    """Refuse to start, in one line naming the plugin and the setting that disables it, when an
    installed plugin cannot load: grading with some strategies missing would be wrong quietly."""
    from api.lifespan import plugin_host
    from plugins.manager import PluginConfigurationError

    try:
        host = plugin_host(settings)
    except PluginConfigurationError as exc:
        raise click.ClickException(str(exc)) from None
    if not keep:
        host.close()  # each server process starts its own


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
@click.option("--downgrade", is_flag=True, help="Go down to --revision (a revision id, or base).")
@click.option(
    "--discard-records", is_flag=True,
    help="Let a downgrade drop the audit log and the policy history although they hold rows (archive them first).",
)
def migrate(revision: str, downgrade: bool, discard_records: bool) -> None:
    """Apply the database migrations (the only way tables are created).

    Connects as the tables' owner (CREDITCARE_MIGRATION_DATABASE_URL, default
    CREDITCARE_DATABASE_URL) and, with CREDITCARE_APP_ROLE set (PostgreSQL), grants that role what
    the service needs. A run is one transaction: a failure or refusal changes nothing.
    See docs/database-roles.md.
    """
    from api.db import migrations

    settings = get_settings()
    url = settings.migration_url
    if downgrade and revision == "head":
        raise click.UsageError("--downgrade needs --revision: the revision to go down to, or base")
    try:
        if downgrade:
            migrations.downgrade(url, revision, discard_records=discard_records, app_role=settings.app_role)
        else:
            migrations.upgrade(url, revision, app_role=settings.app_role)
    except migrations.DowngradeRefused as refused:
        raise click.ClickException(str(refused)) from None
    granted = f"; privileges granted to {settings.app_role}" if settings.app_role and url.startswith("postgres") else ""
    click.echo(f"database at revision {revision} ({_safe(url)}){granted}")


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
@click.option(
    "--sub", required=True,
    help="Username: a staff record's login (tokens of third_party and admin may name someone without one).",
)
@click.option("--role", "roles", multiple=True, required=True, help="A role the policy knows; repeat for several.")
@click.option(
    "--branch", default=None,
    help="Branch code: must be the staff record's branch (or leave it out); the server refuses any other.",
)
@click.option(
    "--nda/--no-nda", default=False,
    help="Claim a confidentiality agreement; it counts only if the staff record shows one valid today.",
)
@click.option("--ttl-minutes", default=None, type=int, help="Lifetime (default: CREDITCARE_TOKEN_TTL_MINUTES).")
def token(sub: str, roles: tuple[str, ...], branch: str | None, nda: bool, ttl_minutes: int | None) -> None:
    """Print a signed development token (alone on the last line).

    The server answers only callers it can place: every role must be one the policy knows, the
    subject must have a staff record (except for third_party and admin), and a branch, if given,
    must be the staff record's. Otherwise it refuses with 403 and says why (UNKNOWN_ROLE,
    UNKNOWN_PRINCIPAL, BRANCH_MISMATCH). Query `me` to see who the server thinks you are.
    """
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
    """The policy in ``policy_dir``, checked as the service checks it before use (syntax, known
    roles, fields, groups and actions, not empty); each problem is printed with its line, and exit 1."""
    from api.authz.validation import Problem, check_candidate, read_rule_lines
    from schema.root import build_schema
    from schema.vocabulary import vocabulary_of

    directory = policy_dir or get_settings().policy_dir
    # The schema declares the fields' data classes the rules on classes reach.
    vocabulary = vocabulary_of(build_schema())
    try:
        lines = read_rule_lines(directory / "policy.csv")
    except (OSError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{directory / 'policy.csv'}: cannot be read: {exc}") from None
    checked = check_candidate(lines, vocabulary, directory / "model.conf", None, f"file:{directory}")
    if checked.policy is not None:
        return checked.policy
    problems: list[Problem] = checked.problems
    for problem in problems:
        click.echo(f"INVALID {directory}/{problem}", err=True)
    click.echo(f"{len(problems)} problem(s): the policy in {directory} would be refused", err=True)
    raise SystemExit(1)


def _database_policy(database_url: str, policy_dir: Path | None) -> tuple[Policy, list[RuleLine]]:
    """The rules held in the database store (``casbin_rule``), checked as the service checks them
    (with ``model.conf`` of ``policy_dir``); each problem is printed with its row id, and exit 1."""
    from api.authz.database_facts import stored_rules
    from api.authz.validation import check_candidate
    from schema.root import build_schema
    from schema.vocabulary import vocabulary_of

    directory = policy_dir or get_settings().policy_dir
    try:
        lines = asyncio.run(stored_rules(database_url))
    except Exception as exc:  # not migrated, unreachable, wrong URL: said in one line, no traceback
        raise click.ClickException(f"cannot read casbin_rule at {_safe(database_url)}: {exc}") from None
    if not lines:
        raise click.ClickException(
            f"casbin_rule at {_safe(database_url)} holds no rules: the database store seeds it from policy.csv "
            "when the service first starts with CREDITCARE_POLICY_STORE=database"
        )
    checked = check_candidate(lines, vocabulary_of(build_schema()), directory / "model.conf", None, "database")
    if checked.policy is not None:
        return checked.policy, lines
    for problem in checked.problems:
        click.echo(f"INVALID {problem}", err=True)
    click.echo(f"{len(checked.problems)} problem(s): the rules in the database would be refused", err=True)
    raise SystemExit(1)


def _policy_under_test(policy_dir: Path | None, database_url: str | None) -> tuple[Policy, list[RuleLine]]:
    """The policy to test, from the files or the database store, with its rule lines."""
    from api.authz.validation import read_rule_lines

    if database_url is not None:
        return _database_policy(database_url, policy_dir)
    loaded = _file_policy(policy_dir)
    return loaded, read_rule_lines((policy_dir or get_settings().policy_dir) / "policy.csv")


@policy.command("test")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--policy-dir", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None)
@click.option(
    "--suites", "suites_dir", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
    help="A folder of test suites (*.yaml) to run as well (default: tests/ beside the policy, without PATHS).",
)
@click.option("--coverage", "show_coverage", is_flag=True,
              help="List the rules, data classes and coordinates no test touches, with totals.")
@click.option("--min-coverage", type=click.FloatRange(0, 100), default=None,
              help="Fail if tests touch less than this percentage of the rules or of the confidential data classes.")
@click.option("--database-url", default=None,
              help="Test the rules in this database's casbin_rule table (the database store), not the files.")
def policy_test(
    paths: tuple[Path, ...], policy_dir: Path | None, suites_dir: Path | None, show_coverage: bool,
    min_coverage: float | None, database_url: str | None,
) -> None:
    """Test the policy against decision tables (.csv) and test suites (.yaml).

    Without PATHS: decisions.csv beside the policy and every suite in the tests/ folder beside it
    (or in --suites). Each suite is linted first: an unknown role, principal, resource,
    coordinate, data class, check or outcome is a problem with its line, and exit 1.
    """
    from api.authz.decision_table import read_decision_table
    from api.authz.rule_book import RuleBook
    from api.authz.suite_file import SUFFIXES, read_suite, suite_files
    from api.authz.suite_run import Run

    directory = policy_dir or get_settings().policy_dir
    unknown = [str(path) for path in paths if path.suffix not in (".csv", *SUFFIXES)]
    if unknown:
        raise click.UsageError(f"a decision table is a .csv file and a suite a .yaml file: {', '.join(unknown)}")
    tables = [path for path in paths if path.suffix == ".csv"]
    suites = [path for path in paths if path.suffix in SUFFIXES]
    if not paths:
        tables = [directory / "decisions.csv"]
        if suites_dir is None and (directory / "tests").is_dir():
            suites_dir = directory / "tests"
    if suites_dir is not None:
        suites += [path for path in suite_files(suites_dir) if path not in suites]

    loaded, lines = _policy_under_test(policy_dir, database_url)
    run = Run(loaded, get_settings().timezone, RuleBook.of(lines))
    failed = False
    for table in tables:
        try:
            rows = read_decision_table(table)
        except (OSError, ValueError) as exc:
            raise click.ClickException(f"{table}: {exc}") from None
        failures = run.table(table, rows)
        for failure in failures:
            click.echo(f"FAIL {table}:line {failure.line}: {failure.message}", err=True)
        failed |= bool(failures)
        if not failures:
            click.echo(f"{len(rows)} decisions hold ({table})")
    for path in suites:
        suite, problems = read_suite(path, run.traced, get_settings().timezone)
        for problem in problems:
            click.echo(f"INVALID {problem}", err=True)
        if suite is None:
            click.echo(f"{len(problems)} problem(s): {path} was not run", err=True)
            failed = True
            continue
        before = len(run.failures)
        checks = run.suite(suite)
        for failure in run.failures[before:]:
            click.echo(f"FAIL {failure}", err=True)
        failed |= len(run.failures) > before
        if len(run.failures) == before:
            click.echo(f"{checks} checks hold ({path}: {suite.name})")
    if show_coverage or min_coverage is not None:
        failed |= _report_coverage(run, show_coverage, min_coverage)
    if failed:
        raise SystemExit(1)


def _report_coverage(run: Run, show_missing: bool, minimum: float | None) -> bool:
    """Print what the run's tests touched; whether it falls short of ``minimum``."""
    coverage = run.coverage()
    tallies = (coverage.rules, coverage.confidential, coverage.classes, coverage.coordinates)
    click.echo(f"coverage of the policy ({run.policy.source}) by {run.checks} checks:")
    for tally in tallies:
        click.echo(f"  {tally}")
    if show_missing:
        for tally in tallies:
            for missing in tally.missing:
                click.echo(f"  not touched: {tally.label.split(' (')[0]}: {missing}")
    short = coverage.below(minimum) if minimum is not None else []
    for tally in short:
        click.echo(f"COVERAGE {tally.label}: {tally.percent:.1f} % is below the minimum of {minimum:g} %", err=True)
    return bool(short)


@policy.command("explain")
@click.option("--role", "roles", multiple=True, help="A role; repeat for several (none: no role).")
@click.option(
    "--object", "obj", required=True, help="A schema coordinate, e.g. Customer.financialStatements, or rows:Customer."
)
@click.option(
    "--action", default=None,
    help="read, read_masked, read_with_consent, read_on_team, write; own/branch/all/consented for rows. "
    "With --customer: read (write for a mutation) unless given.",
)
@click.option(
    "--agreement/--no-agreement", default=True, show_default=True,
    help="Holds a valid confidentiality agreement (with --customer: the staff record says).",
)
@click.option("--policy-dir", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None)
@click.option("--customer", default=None, help="A customer's id or global id: explain for this concrete customer.")
@click.option("--sub", default=None, help="With --customer: the principal's username (staff record).")
@click.option("--database-url", default=None,
              help="With --customer: where the staff record and the customer are (default: CREDITCARE_DATABASE_URL).")
@click.option("--at", "at_text", default=None,
              help="With --customer: the moment to decide at (a date or an ISO date and time; default: now).")
def policy_explain(
    roles: tuple[str, ...], obj: str, action: str | None, agreement: bool, policy_dir: Path | None,
    customer: str | None, sub: str | None, database_url: str | None, at_text: str | None,
) -> None:
    """Print the decision for one request and the policy lines that made it.

    With --customer and --sub: for that staff member (roles from --role; branch and agreement from
    their staff record) and that customer (its branch, relationship manager and consents): whether
    the customer is within their rows, how the field reads, the facts that mattered and the rules.
    """
    from api.clock import business_today

    if customer is not None:
        if sub is None:
            raise click.UsageError("--customer needs --sub (whose question it is)")
        _explain_for_customer(frozenset(roles), obj, action, policy_dir, customer, sub, database_url, at_text)
        return
    if action is None:
        raise click.UsageError("--action is needed (or give --customer and --sub)")
    loaded = _file_policy(policy_dir)
    subject = loaded.subject(frozenset(roles), agreement, business_today(get_settings().timezone))
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


def _explain_for_customer(
    roles: frozenset[str], obj: str, action: str | None, policy_dir: Path | None, customer: str, sub: str,
    database_url: str | None, at_text: str | None,
) -> None:
    from datetime import UTC, datetime

    from api.authz.caller import refusal
    from api.authz.database_facts import NotOnFile, principal_and_customer
    from api.authz.policy import CUSTOMER_ROWS
    from api.authz.policy_suite import MUTATION, Evaluator, Kind
    from api.authz.rule_book import RuleBook
    from api.authz.suite_explain import check_facts, customer_facts, principal_facts, row_facts
    from api.principal import Principal
    from api.services.organisation import StaffRecord
    from api.settings import PolicyStoreKind

    settings = get_settings()
    url = database_url or settings.database_url
    kind = Kind.ROWS if obj == CUSTOMER_ROWS else Kind.WRITE if obj.startswith(MUTATION) else Kind.READ
    if action is not None and action != kind.value and not (kind is Kind.ROWS and action in ("rows", "read")):
        raise click.UsageError(f"with --customer, {obj} is asked with --action {kind.value}")
    if settings.policy_store is PolicyStoreKind.DATABASE:
        loaded, lines = _database_policy(url, policy_dir)
    else:
        loaded, lines = _policy_under_test(policy_dir, None)
    vocabulary = loaded.vocabulary
    if kind is not Kind.ROWS and vocabulary is not None and obj not in vocabulary.coordinates:
        raise click.UsageError(f"{obj} is no field of the schema")
    try:
        at = _moment(at_text, settings.timezone) if at_text else datetime.now(UTC)
        actor, facts = asyncio.run(principal_and_customer(url, sub, roles, _customer_id(customer)))
    except (ValueError, NotOnFile) as exc:
        raise click.ClickException(str(exc)) from None
    book = RuleBook.of(lines)
    staff = None
    if actor.branch is not None:
        staff = StaffRecord(0, actor.branch, actor.agreement.signed, actor.agreement.expires)
    refused = refusal(Principal(actor.name, roles), staff, loaded.known_roles())
    click.echo(f"rules: {loaded.source}; at {at.isoformat()} ({settings.timezone})")
    if refused is not None:
        click.echo(f"the service refuses this caller ({refused.code}): {refused.message}")
        click.echo("decision: refused")
        return
    evaluator = Evaluator(loaded, settings.timezone)
    situation = evaluator.situation(actor, at)
    for line in principal_facts(situation, loaded) + customer_facts(situation, facts):
        click.echo(line)
    for line in row_facts(evaluator, situation, facts, book) + check_facts(
        evaluator, situation, facts, kind, obj, book
    ):
        click.echo(line)
    click.echo(f"decision: {evaluator.decide(situation, facts, kind, obj).outcome.value}")


def _customer_id(text: str) -> int:
    """A customer's id from its number or its global id (``Q3VzdG9tZXI6NDI=``)."""
    from strawberry.relay import GlobalID

    if text.isdigit():
        return int(text)
    try:
        found = GlobalID.from_id(text)
    except Exception:
        raise ValueError(f"{text!r} is neither a customer id nor a global id") from None
    if found.type_name != "Customer" or not found.node_id.isdigit():
        raise ValueError(f"{text!r} is the global id of a {found.type_name}, not of a customer")
    return int(found.node_id)


def _moment(text: str, timezone: str) -> datetime:
    """A date (its start in the lender's time zone) or an ISO date and time (naive: the lender's)."""
    from datetime import date, datetime, time
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(timezone)
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time.min, zone)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"--at {text!r} is not a date or an ISO date and time") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


main.add_command(warnings)
main.add_command(reclassify)
main.add_command(import_repayments)


@main.group()
def plugins() -> None:
    """Grading plugins (entry-point group ``creditcare``)."""


@plugins.command("list")
def plugins_list() -> None:
    """List each plugin, its distribution and version, its strategies and their industries; then,
    per industry code prefix, which strategy grades it and why."""
    from api.lifespan import plugin_host
    from plugins.manager import PluginConfigurationError

    try:
        host = plugin_host(get_settings())
    except PluginConfigurationError as exc:
        raise click.ClickException(str(exc)) from None
    for plugin in host.plugins:
        click.echo(f"{plugin.name}  ({plugin.distribution} {plugin.distribution_version})")
        for strategy in plugin.strategies:
            click.echo(f"  {strategy.id} {strategy.version}: {', '.join(strategy.industries)}")
    click.echo("industry codes (the longest matching prefix decides; * grades codes no prefix matches):")
    for prefix, strategy, why in host.routing():
        click.echo(f"  {prefix:<6} {strategy.id}  ({why})")
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
            run_id, total = run.id, await bulk.remaining(session, run)
            before = (run.processed, run.changed, run.failed, run.provisional)
        if before[0]:
            click.echo(f"resuming run #{run_id}: {before[0]} customers already done")
        processed, changed, failed, provisional = before
        with click.progressbar(length=total, label=f"run #{run_id}", file=None) as bar:
            async for result in bulk.regrade_batches(sessions, run_id=run_id, host=host,
                                                     timeout=settings.grading_timeout_seconds, size=batch_size):
                for change in result.changes:
                    host.grade_changed(customer_ref=_customer_ref(change.customer_id), previous_grade=change.previous,
                                       new_grade=change.new, strategy_id=change.strategy_id, assessed_at=change.at)
                processed += result.processed
                changed += result.changed
                failed += result.failed
                provisional += result.provisional
                bar.update(result.processed)
    finally:
        await engine.dispose()
    click.echo(f"regraded {processed} customers: {changed} changed grade, {provisional} provisional "
               f"(required answers missing: no grade put in force), {failed} failed (run #{run_id})")


def _customer_ref(customer_id: int) -> str:
    from strawberry.relay import GlobalID

    return str(GlobalID("Customer", str(customer_id)))


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
