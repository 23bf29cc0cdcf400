"""GraphQL over WebSocket (graphql-transport-ws) at ``/graphql``: subscriptions, authenticated on connect.

The client sends its token in ``connection_init`` (``{"authorization": "Bearer <token>"}``); a
missing or bad token, or a caller the service cannot place, closes the socket with 4403 before
anything runs. The connection's context is that of an HTTP request of the same caller (policy,
agreement, row scope), applied again at every event: a policy change reaches open subscriptions.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UnsetType

from api.asgi.graphql_endpoint import caller_context
from api.auth import AuthenticationFailed, principal_from_header
from api.authz.caller import CallerRefused
from api.lifespan import Runtime
from api.principal import Principal
from api.services.scope import RowScope
from schema.context import Context
from schema.root import build_schema


class LiveSocket(GraphQL[Context, None]):
    """strawberry's WebSocket handling, with creditcare's caller and context."""

    def __init__(self) -> None:
        super().__init__(build_schema(), subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
                         graphql_ide=None, allow_queries_via_get=False)

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        """Nobody yet: the caller is placed on ``connection_init`` (``on_ws_connect``)."""
        runtime: Runtime = request.app.state.runtime
        policy = runtime.policies.current
        nobody = policy.decisions(policy.subject(frozenset(), False, datetime.now(UTC).date()))
        return Context(
            principal=Principal(sub=""), sessions=runtime.sessions, readers=runtime.readers,
            settings=runtime.settings, request_id=uuid.uuid4().hex, now=datetime.now(UTC), decisions=nobody,
            scope=RowScope(), policies=runtime.policies, plugins=runtime.plugins, broker=runtime.broker,
        )

    async def on_ws_connect(self, context: Context) -> UnsetType:
        params = context.connection_params or {}
        header = params.get("authorization") or params.get("Authorization")
        runtime: Runtime = self._runtime
        try:
            principal = principal_from_header(header if isinstance(header, str) else None,
                                              runtime.settings.secret_key)
            await _place(runtime, context, principal)
        except (AuthenticationFailed, CallerRefused) as refused:
            raise ConnectionRejectionError({"message": str(refused)}) from None

        async def refresh() -> None:
            await _place(runtime, context, context.principal)

        context.refresh = refresh
        return UnsetType()  # a plain connection_ack (UNSET is its one instance)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self._runtime = scope["app"].state.runtime  # one app, one runtime: set before any socket is served
        await super().__call__(scope, receive, send)


async def _place(runtime: Runtime, context: Context, principal: Principal) -> None:
    """Put who the caller is now (roles, agreement, row scope under the policy in force) on ``context``."""
    async with runtime.read_engine.connect() as connection:
        fresh = await caller_context(runtime, principal, context.request_id, None, connection)
    context.principal, context.decisions, context.scope, context.now = (
        fresh.principal, fresh.decisions, fresh.scope, fresh.now)
    context.audit = fresh.audit
