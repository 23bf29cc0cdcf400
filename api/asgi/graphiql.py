"""GraphiQL on ``GET /graphql`` (development only), from files shipped in this package.

Nothing is loaded from a CDN: the page works with no network, and its Content-Security-Policy
lets it load nothing from another origin. The vendored files and their licences are listed in
``static/graphiql/LICENSES.md``; ``static/graphiql/creditcare-graphiql.js`` is this project's part:
the Authorization header typed in GraphiQL's headers editor goes with every request, the first
schema introspection included (the editor is kept in the browser's localStorage).
"""

from __future__ import annotations

import hashlib
import os
from functools import cache
from pathlib import Path

from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from api.settings import Environment, Settings

ASSETS_DIRECTORY = Path(__file__).resolve().parent / "static" / "graphiql"
# Relative to the page (/graphql), so the page also works under a path prefix (a proxy's root path).
ASSETS_URL = "graphiql/static"
STYLESHEETS = ("graphiql-3.9.0.min.css",)
# In load order: GraphiQL's single-file build expects React and ReactDOM as globals.
SCRIPTS = (
    "react-18.3.1.production.min.js",
    "react-dom-18.3.1.production.min.js",
    "graphiql-3.9.0.min.js",
    "creditcare-graphiql.js",
)
# Each asset URL carries its content hash (?v=), so a browser may keep it for a year: a release
# that changes a file changes its URL.
_ASSET_CACHING = "public, max-age=31536000, immutable"
# Only this origin: scripts and styles from the files above, requests to /graphql. GraphiQL's
# components set inline styles; its fonts and icons are data: URLs inside its stylesheet.
_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


class _Assets(StaticFiles):
    """The vendored files, served with long-lived caching (their URLs change with their content)."""

    def file_response(
        self, full_path: str | os.PathLike[str], stat_result: os.stat_result, scope: Scope, status_code: int = 200
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = _ASSET_CACHING
        return response


def graphiql_routes(settings: Settings) -> list[BaseRoute]:
    """The route of GraphiQL's files (``/graphiql/static/...``); none in production, like the page."""
    if settings.env is Environment.PRODUCTION:
        return []
    return [Mount("/" + ASSETS_URL, app=_Assets(directory=ASSETS_DIRECTORY), name="graphiql-assets")]


def graphiql_page() -> HTMLResponse:
    """The GraphiQL page (``GET /graphql`` outside production)."""
    return HTMLResponse(
        _page_html(),
        headers={
            # The page is small and names the current asset versions: always revalidated.
            "Cache-Control": "no-cache",
            "Content-Security-Policy": _CONTENT_SECURITY_POLICY,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        },
    )


def _asset_url(name: str) -> str:
    digest = hashlib.sha256((ASSETS_DIRECTORY / name).read_bytes()).hexdigest()[:12]
    return f"{ASSETS_URL}/{name}?v={digest}"


@cache
def _page_html() -> str:
    # Built once per process: the files do not change while it runs.
    stylesheets = "\n".join(f'    <link rel="stylesheet" href="{_asset_url(name)}" />' for name in STYLESHEETS)
    scripts = "\n".join(f'    <script src="{_asset_url(name)}"></script>' for name in SCRIPTS)
    return f"""<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>creditcare GraphiQL</title>
    <link rel="icon" href="data:," />
{stylesheets}
  </head>
  <body style="margin: 0">
    <div id="graphiql" style="height: 100vh">Loading GraphiQL…</div>
{scripts}
  </body>
</html>
"""
