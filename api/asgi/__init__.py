"""The composition root: builds the ASGI application (``uvicorn --factory api.asgi:create_app``)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import BaseRoute, Route, WebSocketRoute

from api.asgi.admission import ConcurrencyGate, rate_limiter
from api.asgi.graphiql import graphiql_routes
from api.asgi.graphql_endpoint import document_limits, graphql_endpoint
from api.asgi.health import healthz, readyz
from api.asgi.live_socket import LiveSocket
from api.asgi.metrics import Metrics, metrics_endpoint, observed
from api.asgi.outage import guard_against_outages
from api.lifespan import lifespan_for
from api.settings import Settings, get_settings
from schema.root import build_schema


def create_app(settings: Settings | None = None) -> Starlette:
    """The application for ``settings`` (default: from the environment)."""
    settings = settings or get_settings()
    metrics = Metrics()
    routes: list[BaseRoute] = [
        Route("/graphql", graphql_endpoint, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", LiveSocket()),  # subscriptions (graphql-transport-ws)
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
    ]
    if settings.metrics_enabled:
        routes.append(Route("/metrics", metrics_endpoint, methods=["GET"]))
    routes.extend(graphiql_routes(settings))
    app = Starlette(routes=routes, lifespan=observed(lifespan_for(settings, build_schema()), metrics))
    app.state.metrics = metrics
    app.state.gate = ConcurrencyGate(settings.max_concurrent_requests)
    app.state.rate_limiter = rate_limiter(settings)
    app.state.document_limits = document_limits(settings)
    guard_against_outages(app, settings)  # faults as JSON: the database away is a fast 503
    if settings.cors_origins:
        # Added last, so outermost: a preflight is answered before any limit counts it, and every
        # answer (a 413, 429 or 503 too) carries the headers a page needs to read it.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
            expose_headers=["X-Request-ID", "Retry-After"],
            max_age=600,
        )
    return app
