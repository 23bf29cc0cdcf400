"""The composition root: builds the ASGI application (``uvicorn --factory api.asgi:create_app``)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Route

from api.asgi.graphql_endpoint import graphql_endpoint
from api.asgi.health import healthz, readyz
from api.lifespan import lifespan_for
from api.settings import Settings, get_settings
from schema.root import build_schema


def create_app(settings: Settings | None = None) -> Starlette:
    """The application for ``settings`` (default: from the environment)."""
    settings = settings or get_settings()
    return Starlette(
        routes=[
            Route("/graphql", graphql_endpoint, methods=["GET", "POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
        ],
        lifespan=lifespan_for(settings, build_schema()),
    )
