"""``creditcare reclassify`` (the daily five-category classification of every borrower) and
``creditcare import-repayments`` (repayments in bulk from CSV)."""

from __future__ import annotations

import asyncio
import time
from datetime import date, datetime
from pathlib import Path

import click

from api.settings import get_settings


@click.command()
@click.option("--as-of", "as_of", default=None, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="The day to classify for (default: today where the lender is).")
@click.option("--batch-size", default=1000, show_default=True, type=click.IntRange(1, 10_000))
def reclassify(as_of: datetime | None, batch_size: int) -> None:
    """Classify every borrower with a facility on record (run it daily: arrears grow with the days).
    Credit status follows; borrowers whose category changed are re-graded."""
    asyncio.run(_reclassify(as_of.date() if as_of is not None else None, batch_size))


async def _reclassify(day: date | None, batch_size: int) -> None:
    from strawberry.relay import GlobalID

    from api.clock import business_today
    from api.db.session import create_engine, create_sessionmaker
    from api.lifespan import plugin_host
    from api.services.grading import GradeChange
    from api.services.reclassification import reclassify_portfolio

    settings = get_settings()
    host = plugin_host(settings)

    def announce_grade_changes(changes: list[GradeChange]) -> None:  # each batch's, once it has committed
        for change in changes:
            host.grade_changed(customer_ref=str(GlobalID("Customer", str(change.customer_id))),
                               previous_grade=change.previous, new_grade=change.new, strategy_id=change.strategy_id,
                               assessed_at=change.at)

    engine = create_engine(settings.async_database_url)
    try:
        run = await reclassify_portfolio(
            create_sessionmaker(engine), as_of=day or business_today(settings.timezone),
            rules=settings.classification_rules(), batch=batch_size, host=host,
            timeout=settings.grading_timeout_seconds, after_batch=announce_grade_changes,
        )
    finally:
        await engine.dispose()
    click.echo(f"classified {run.borrowers} borrowers ({run.facilities} running facilities) in {run.seconds:.1f} s "
               f"({run.rate:.0f}/s): {run.changed} changed category, {run.status_changed} changed credit status")


@click.command("import-repayments")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check every row and import nothing.")
@click.option("--partial", is_flag=True, help="Import the good rows even when some are wrong.")
def import_repayments(path: Path, dry_run: bool, partial: bool) -> None:
    """Import repayments from a CSV file (facility_reference,paid_on,amount,reference), read as a stream.
    Every row is checked; nothing is imported when any row is wrong (unless --partial), nor in a dry run.
    Exit 1 when rows were refused."""
    asyncio.run(_import(path, dry_run, partial))


async def _import(path: Path, dry_run: bool, partial: bool) -> None:
    from api.clock import business_today
    from api.db.session import create_engine, create_sessionmaker
    from api.services import repayment_import as imports
    from api.services.scope import RowScope

    settings = get_settings()
    engine = create_engine(settings.async_database_url)
    started = time.perf_counter()
    try:
        with path.open(encoding="utf-8", newline="") as lines:
            async with create_sessionmaker(engine).begin() as session:
                result = await imports.import_repayments(
                    session, lines, scope=RowScope.everything(), today=business_today(settings.timezone),
                    by="cli:import-repayments", rules=settings.classification_rules(), dry_run=dry_run,
                    partial=partial)
        written = result.imported
    except imports.MalformedFile as exc:
        raise click.ClickException(str(exc)) from None
    except imports.ImportRolledBack as rolled_back:
        result, written = rolled_back.result, 0
    finally:
        await engine.dispose()
    seconds = time.perf_counter() - started
    for error in result.errors:
        click.echo(f"line {error.line}{' ' + error.column if error.column else ''}: {error.message}", err=True)
    click.echo(f"read {result.rows} rows in {seconds:.1f} s ({result.rows / seconds if seconds else 0:.0f}/s): "
               f"{written} imported, {result.error_count} refused"
               + (" (dry run: nothing written)" if dry_run else "")
               + (" (nothing imported: a row was wrong)" if result.error_count and not partial and not dry_run else "")
               + f"; {result.borrowers_classified} borrowers classified")
    if result.error_count:
        raise SystemExit(1)
