"""The composition root: builds the ASGI application (``uvicorn --factory api.asgi:create_app``)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Route

from api.asgi.graphql_endpoint import graphql_endpoint
from api.asgi.health import healthz, readyz
from api.asgi.metrics import Metrics, metrics_endpoint, observed
from api.lifespan import lifespan_for
from api.settings import Settings, get_settings
from schema.root import build_schema


def create_app(settings: Settings | None = None) -> Starlette:
    """The application for ``settings`` (default: from the environment)."""
    settings = settings or get_settings()
    metrics = Metrics()
    routes = [
        Route("/graphql", graphql_endpoint, methods=["GET", "POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
    ]
    if settings.metrics_enabled:
        routes.append(Route("/metrics", metrics_endpoint, methods=["GET"]))
    app = Starlette(routes=routes, lifespan=observed(lifespan_for(settings, build_schema()), metrics))
    app.state.metrics = metrics
    return app
