"""The ``creditcare`` command: serve, migrate, demo-data, token, export-schema."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import click

from api.settings import get_settings


@click.group()
def main() -> None:
    """creditcare: credit-customer maintenance as a GraphQL API."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int)
def serve(host: str, port: int, workers: int) -> None:
    """Serve the API (GraphQL at /graphql)."""
    import uvicorn

    settings = get_settings()
    uvicorn.run(
        "api.asgi:create_app", factory=True, host=host, port=port, workers=workers,
        log_level=settings.log_level,
    )


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
    """Load a demo portfolio (four branches, relationship managers, customers with three years of statements)."""
    from api.db.session import create_engine, create_sessionmaker
    from api.services.demo import load_demo_data

    async def run() -> None:
        engine = create_engine(get_settings().async_database_url)
        try:
            async with create_sessionmaker(engine).begin() as session:
                summary = await load_demo_data(session, customers_per_branch=per_branch)
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


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
