"""``creditcare warnings``: the early-warning rules in force, and an evaluation of the portfolio."""

from __future__ import annotations

import asyncio

import click

from api.settings import get_settings


@click.group()
def warnings() -> None:
    """Early-warning rules (R-S3): built in, and from plugins."""


@warnings.command("rules")
def rules() -> None:
    """List each rule, its plugin and version, and its thresholds in force (the defaults, with
    ``CREDITCARE_WARNING_PARAMETERS`` over them)."""
    from api.lifespan import plugin_host
    from api.services.warnings import parameters_for
    from plugins.manager import PluginConfigurationError

    settings = get_settings()
    try:
        host = plugin_host(settings)
    except PluginConfigurationError as exc:
        raise click.ClickException(str(exc)) from None
    for rule in host.rules:
        thresholds = parameters_for(rule, settings.warning_parameters)
        shown = ", ".join(f"{name}={value}" for name, value in thresholds.items()) or "no thresholds"
        click.echo(f"{rule.id} {rule.version}  ({rule.plugin}, {rule.distribution} {rule.distribution_version}): "
                   f"{rule.title}; {shown}")
    unknown = sorted(set(settings.warning_parameters) - {rule.id for rule in host.rules})
    if unknown:
        raise click.ClickException(f"CREDITCARE_WARNING_PARAMETERS names rules nobody registers: {', '.join(unknown)}")


@warnings.command("evaluate")
@click.option("--industry", default=None, help="Only customers whose GB/T 4754 code starts with this.")
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(1, 10_000))
def evaluate(industry: str | None, batch_size: int) -> None:
    """Evaluate every rule for every customer (run it daily); a HIGH warning brings the revisit
    forward to today and re-grades the customer. Subscribers (through Redis) hear of each new
    warning and of each revisit due today."""
    asyncio.run(_evaluate(industry, batch_size))


async def _evaluate(industry: str | None, batch_size: int) -> None:
    from strawberry.relay import GlobalID

    from api.clock import business_today
    from api.db.session import create_engine, create_sessionmaker
    from api.lifespan import plugin_host
    from api.principal import Principal
    from api.services import live
    from api.services.grading import GradeChange, automatic_regrader
    from api.services.live import RedisBroker
    from api.services.warning_runs import evaluate_portfolio, revisits_falling_due, warning_config

    settings = get_settings()
    host = plugin_host(settings)
    engine = create_engine(settings.async_database_url)
    changes: list[GradeChange] = []
    events: list[tuple[str, dict[str, object]]] = []
    regrade = automatic_regrader(principal=Principal(sub="warnings", roles=frozenset()), host=host,
                                 timeout=settings.grading_timeout_seconds, on_change=changes.append)

    def announce_grade_changes() -> None:  # each batch's, once it has committed
        for change in changes:
            host.grade_changed(customer_ref=str(GlobalID("Customer", str(change.customer_id))),
                               previous_grade=change.previous, new_grade=change.new, strategy_id=change.strategy_id,
                               assessed_at=change.at)
        changes.clear()

    sessions = create_sessionmaker(engine)
    config = warning_config(settings, host, lambda channel, message: events.append((channel, message)))
    try:
        run = await evaluate_portfolio(sessions, config, regrade=regrade, batch=batch_size, industry=industry,
                                       after_batch=announce_grade_changes)
        today = business_today(settings.timezone)
        events += [(live.REVISITS, {"customer_id": customer_id, "due_on": today.isoformat()})
                   for customer_id in await revisits_falling_due(sessions, today)]
    finally:
        await engine.dispose()
    if settings.live_broker == "redis":  # subscribers of every instance hear of it (a local broker has none here)
        broker = RedisBroker(settings.redis_url, settings.live_channel_prefix)
        try:
            for channel, message in events:
                await broker.publish(channel, message)
        finally:
            await broker.close()
    click.echo(f"evaluated {run.customers} customers in {run.seconds:.1f} s ({run.rate:.0f}/s): "
               f"{run.raised} warnings raised, {run.high} customers with a new HIGH warning")
