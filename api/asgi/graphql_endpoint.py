"""``/graphql`` over HTTP: authenticate, read a bounded JSON body, execute, report coded errors."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from random import random
from time import perf_counter
from typing import Any

import orjson
from graphql import GraphQLError
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.asgi import shadow
from api.asgi.admission import ConcurrencyGate, RateLimiter
from api.asgi.graphiql import graphiql_page
from api.asgi.metrics import (
    ERRORS,
    FAILED,
    FALLBACK,
    OK,
    PLANNED,
    REGULAR,
    Metrics,
    fallback_reason,
    operation_name,
)
from api.auth import AuthenticationFailed, principal_from_header
from api.authz.caller import CallerRefused, refusal
from api.authz.introspection import introspection_object, may_introspect
from api.authz.policy import THIRD_PARTY
from api.authz.scope import row_scope_for
from api.clock import business_date
from api.db.session import is_disconnect, outage_kind
from api.errors import DomainError, InvalidInput
from api.lifespan import Runtime
from api.principal import Principal
from api.services import audit
from api.services.audit import AuditTrail
from api.services.organisation import find_staff_record
from api.settings import Environment, Settings
from schema.complexity import DocumentLimits, Refusal, admit
from schema.context import Context
from schema.introspection import introspection_fields
from schema.planned import Fallback
from schema.planned.verify import same_as_regular

log = logging.getLogger(__name__)
_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")
_VARIABLE_AT = re.compile(r"Variable '\$(\w+)' (?:has|got) invalid value(?: [^:]*?)? at '?\.?([\w.\[\]]+)'?")


class GraphQLResponse(JSONResponse):
    """JSON by orjson: a 50-customer page is ~30 KB, which the standard library encodes ~5× slower."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def _error_response(status: int, message: str, code: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return GraphQLResponse(
        {"data": None, "errors": [{"message": message, "extensions": {"code": code}}]},
        status_code=status,
        headers=headers,
    )


async def _read_body(request: Request, limit: int) -> bytes | None:
    """The body, or None when it is larger than ``limit`` (read no further than that)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _parse_payload(body: bytes) -> tuple[str, dict[str, Any] | None, str | None]:
    try:
        payload = orjson.loads(body)
    except (ValueError, RecursionError):
        raise ValueError("Request body is not valid JSON") from None
    if not isinstance(payload, dict):
        raise ValueError("Request body must be a JSON object")
    query = payload.get("query")
    variables = payload.get("variables")
    operation = payload.get("operationName")
    if not isinstance(query, str) or not query.strip():
        raise ValueError("'query' must be a non-empty string")
    if variables is not None and not isinstance(variables, dict):
        raise ValueError("'variables' must be an object")
    if operation is not None and not isinstance(operation, str):
        raise ValueError("'operationName' must be a string")
    return query, variables, operation


def format_error(error: GraphQLError) -> dict[str, Any]:
    """The error as sent: every error carries ``extensions.code``; internal details never leave."""
    formatted: dict[str, Any] = dict(error.formatted)
    extensions = dict(formatted.get("extensions") or {})
    original = error.original_error
    if isinstance(original, DomainError):
        extensions["code"] = original.code
        if isinstance(original, InvalidInput):
            extensions["problems"] = [{"field": p.field, "message": p.message} for p in original.problems]
    elif "code" in extensions:
        pass
    elif original is None or error.path is None:
        # Parse, validation and variable-coercion errors (raised before execution, so without
        # a path): the request itself is wrong.
        extensions["code"] = "BAD_USER_INPUT"
        if match := _VARIABLE_AT.search(error.message):
            extensions["field"] = f"{match.group(1)}.{match.group(2)}"
    else:
        log.error("unexpected error at %s", error.path, exc_info=original)
        formatted["message"] = "Internal server error"
        extensions = {"code": "INTERNAL_SERVER_ERROR"}
    formatted["extensions"] = extensions
    # "Did you mean …?" would list fields the principal may not know about.
    formatted["message"] = _SUGGESTION.sub("", formatted["message"])
    return formatted


def document_limits(settings: Settings) -> DocumentLimits:
    """The bounds on a document, from the settings (``CREDITCARE_MAX_*``)."""
    return DocumentLimits(
        tokens=settings.max_tokens, depth=settings.max_depth, aliases=settings.max_aliases,
        directives=settings.max_directives, selections=settings.max_selections, cost=settings.max_cost,
        page_size=settings.max_page_size, list_size=settings.list_cost_items,
    )


@dataclass(slots=True)
class _Served:
    """How a request was read (for the metrics), and the planned answer a shadow check compares."""

    path: str = REGULAR
    reason: str = ""
    shadow: tuple[dict[str, Any], AuditTrail] | None = None


async def graphql_endpoint(request: Request) -> Response:
    """``/graphql``: every request is counted in the metrics (``api/asgi/metrics.py``)."""
    started = perf_counter()
    runtime: Runtime = request.app.state.runtime
    metrics: Metrics = request.app.state.metrics
    settings = runtime.settings
    if request.method == "GET":
        if settings.env is Environment.PRODUCTION:
            metrics.rejected(perf_counter() - started)
            return _error_response(405, "Use POST for GraphQL requests", "BAD_USER_INPUT")
        return graphiql_page()
    gate: ConcurrencyGate = request.app.state.gate
    if not gate.enter():
        metrics.rejected(perf_counter() - started)
        return _error_response(
            503, f"This worker is serving its limit of {gate.limit} requests at once "
            "(CREDITCARE_MAX_CONCURRENT_REQUESTS): try again in a moment.", "SERVICE_OVERLOADED",
            {"Retry-After": "1"},
        )
    try:
        return await _serve(request, runtime, metrics, started)
    finally:
        gate.leave()


async def _serve(request: Request, runtime: Runtime, metrics: Metrics, started: float) -> Response:
    settings = runtime.settings
    accepted = await _accept(request, settings, request.app.state.rate_limiter)
    if isinstance(accepted, Response):
        metrics.rejected(perf_counter() - started)
        return accepted
    principal, query, variables, operation = accepted
    label = metrics.operation_label(operation_name(operation, query))
    admitted = admit(runtime.schema._schema, query, operation, variables, request.app.state.document_limits)
    if isinstance(admitted, Refusal):
        metrics.rejected(perf_counter() - started, label)
        return _error_response(400, admitted.message, admitted.code)
    # The service names each request itself; what the client sent is kept beside it (audit log).
    request_id = uuid.uuid4().hex
    client_request_id = (request.headers.get("x-request-id") or "")[:64] or None
    served = _Served()
    try:
        try:
            async with asyncio.timeout(settings.max_execution_seconds) as deadline:
                context, response = await _read(
                    runtime, principal, request_id, client_request_id, query, variables, operation, served
                )
                if response is None:
                    runtime.read_paths["regular"] += 1
                    response = await _regular(runtime, context, query, variables, operation)
        except CallerRefused as refused:
            log.info("refused %r (%s): %s", principal.sub, refused.code, refused.message)
            metrics.rejected(perf_counter() - started, label)
            return _error_response(403, refused.message, refused.code, _ids(request_id, client_request_id))
        except TimeoutError:
            if not deadline.expired():
                raise
            metrics.request(label, ERRORS, served.path, served.reason, perf_counter() - started)
            return _error_response(
                503, f"The request ran longer than the {settings.max_execution_seconds:g} s allowed "
                "(CREDITCARE_MAX_EXECUTION_SECONDS) and was stopped; a mutation was rolled back.", "TIMEOUT",
                _ids(request_id, client_request_id),
            )
        events = context.audit.events()
        if events:
            # Written before the response leaves: what was read is on record once the reader has it.
            # One entry is one INSERT, atomic alone: in autocommit, without BEGIN and COMMIT round
            # trips. Several are sent together in one transaction (all or none).
            engine = runtime.read_engine if len(events) == 1 else runtime.engine
            async with engine.begin() as connection:
                await audit.append(connection, events)
            metrics.decisions(events)
    except Exception:
        metrics.request(label, ERRORS, served.path, served.reason, perf_counter() - started)
        raise
    background = None
    if served.shadow is not None:
        # After the response has left: the client never waits for it, nor sees its outcome.
        background = BackgroundTask(
            shadow.check, runtime, metrics, _regular, context, query, variables, operation, *served.shadow
        )
    warnings = _warnings(context)
    if warnings:
        # A copy: a shadow check compares the response as the planned path built it.
        response = {**response, "extensions": {"warnings": warnings}}
    body = orjson.dumps(response)
    if len(body) > settings.max_result_bytes:
        metrics.request(label, ERRORS, served.path, served.reason, perf_counter() - started)
        return _error_response(
            400, f"The answer is {len(body)} bytes, more than the {settings.max_result_bytes} allowed "
            "(CREDITCARE_MAX_RESULT_BYTES): ask for smaller pages or fewer fields.", "RESULT_TOO_LARGE",
            _ids(request_id, client_request_id),
        )
    reply = Response(body, media_type="application/json", headers=_ids(context.request_id, context.client_request_id),
                     background=background)
    metrics.request(label, ERRORS if "errors" in response else OK, served.path, served.reason, perf_counter() - started)
    return reply


def _ids(request_id: str, client_request_id: str | None) -> dict[str, str]:
    headers = {"X-Request-ID": request_id}
    if client_request_id is not None:
        headers["X-Client-Request-ID"] = client_request_id
    return headers


def _media_type(header: str) -> tuple[str, dict[str, str]]:
    kind, _, rest = header.partition(";")
    params = {}
    for part in rest.split(";"):
        key, _, value = part.partition("=")
        if key.strip():
            params[key.strip().lower()] = value.strip().strip('"').lower()
    return kind.strip().lower(), params


_MAX_VARIABLE_NESTING = 32


def _variables_problem(variables: dict[str, Any], max_values: int) -> str | None:
    """Why the variables cannot be taken, or None: more values than ``max_values`` (turning a
    value into its input type costs about a millisecond per hundred), nesting deep enough to
    exhaust a stack, or a NUL character, which no database stores."""
    count = 0
    pending: list[tuple[Any, int]] = [(variables, 0)]
    while pending:
        value, depth = pending.pop()
        count += 1
        if count > max_values:
            return f"The variables hold more than {max_values} values (limit CREDITCARE_MAX_VARIABLE_VALUES)"
        if depth > _MAX_VARIABLE_NESTING:
            return f"Variables nest more than {_MAX_VARIABLE_NESTING} levels deep"
        if isinstance(value, str):
            if "\x00" in value:
                return "A variable holds the NUL character (\\u0000), which no field accepts"
        elif isinstance(value, dict):
            pending.extend((item, depth + 1) for pair in value.items() for item in pair)
        elif isinstance(value, list):
            pending.extend((item, depth + 1) for item in value)
    return None


async def _accept(
    request: Request, settings: Settings, limiter: RateLimiter | None
) -> Response | tuple[Principal, str, dict[str, Any] | None, str | None]:
    """Who asks and what, or the response refusing the request (4xx)."""
    try:
        principal = principal_from_header(request.headers.get("authorization"), settings.secret_key)
    except AuthenticationFailed as exc:
        return _error_response(401, str(exc), "UNAUTHENTICATED", {"WWW-Authenticate": "Bearer"})
    if limiter is not None:
        wait = await limiter.retry_after(principal.sub)
        if wait is not None:
            return _error_response(
                429, f"More than {settings.rate_limit} requests from {principal.sub!r} "
                "(CREDITCARE_RATE_LIMIT): try again later.", "RATE_LIMITED", {"Retry-After": str(wait)},
            )
    kind, params = _media_type(request.headers.get("content-type", ""))
    if kind != "application/json" or params.get("charset", "utf-8") != "utf-8":
        return _error_response(415, "Send the request as application/json (UTF-8)", "BAD_USER_INPUT")
    body = await _read_body(request, settings.max_body_bytes)
    if body is None:
        return _error_response(413, f"Request body exceeds {settings.max_body_bytes} bytes", "BAD_USER_INPUT")
    try:
        query, variables, operation = _parse_payload(body)
    except ValueError as exc:
        return _error_response(400, str(exc), "BAD_USER_INPUT")
    if variables is not None and (problem := _variables_problem(variables, settings.max_variable_values)) is not None:
        return _error_response(400, problem, "BAD_USER_INPUT")
    return principal, query, variables, operation


async def _read(
    runtime: Runtime, principal: Principal, request_id: str, client_request_id: str | None, query: str,
    variables: dict[str, Any] | None, operation: str | None, served: _Served,
) -> tuple[Context, dict[str, Any] | None]:
    """Who is asking and, on the planned path, the answer, on one connection: one checkout.

    Connections are not pinged as they leave the pool; if the server dropped this one, its first
    statement fails, the pool is discarded, and the read runs once more on a new connection.
    """
    for attempt in (1, 2):
        try:
            async with runtime.read_engine.connect() as connection:
                context = await caller_context(runtime, principal, request_id, client_request_id, connection)
                response = _introspection_refused(context, query)
                if response is None:
                    response = await _planned(runtime, context, query, variables, operation, connection, served)
            return context, response
        except Exception as error:
            if attempt == 2 or not is_disconnect(error):
                raise
            log.warning("a pooled connection was gone; reading again on a new one")
    raise AssertionError("unreachable")


async def _regular(
    runtime: Runtime, context: Context, query: str, variables: dict[str, Any] | None, operation: str | None
) -> dict[str, Any]:
    """The response of the regular resolvers (graphql-core executes every field)."""
    result = await runtime.schema.execute(
        query, variable_values=variables, context_value=context, operation_name=operation
    )
    response: dict[str, Any] = {"data": result.data}
    for error in result.errors or ():
        if error.original_error is not None and outage_kind(error.original_error) is not None:
            raise error.original_error  # the database is away: a 503 with Retry-After (api.asgi.outage)
    if result.errors:
        response["errors"] = [format_error(error) for error in result.errors]
    return response


async def _planned(
    runtime: Runtime, context: Context, query: str, variables: dict[str, Any] | None, operation: str | None,
    connection: AsyncConnection, served: _Served,
) -> dict[str, Any] | None:
    """The response of the planned path, or None when the regular resolvers must answer."""
    settings = runtime.settings
    if not settings.planned_reads:
        return None
    plan = runtime.planner.plan(query, operation, context.decisions, variables)
    if plan is None:
        return None
    try:
        planned = await runtime.planner.execute(plan, context, variables, connection)
    except Fallback as why:
        log.debug("planned read falls back: %s", why)
        runtime.read_paths["fallback"] += 1
        served.path, served.reason = FALLBACK, fallback_reason(why)
        return None
    except Exception as error:
        if outage_kind(error) is not None:
            raise  # the database is away: the resolvers would wait as long again (OutageGuard: 503)
        # A fault on the fast path must not cost the client its answer: the regular resolvers
        # answer (and report their own faults as INTERNAL_SERVER_ERROR, masked).
        log.exception("planned read failed; the regular resolvers answer instead")
        runtime.read_paths["failed"] += 1
        served.path = FAILED
        return None
    runtime.read_paths["planned"] += 1
    served.path = PLANNED
    response: dict[str, Any] = {"data": planned.data}
    if planned.errors:
        response["errors"] = planned.errors
    if settings.planned_reads_verify:
        # On a context of its own: its loaders, its audit trail.
        regular_context = dataclasses.replace(context)
        regular = await _regular(runtime, regular_context, query, variables, operation)
        same_as_regular(response, planned.audit, regular, regular_context.audit)
    elif settings.planned_reads_shadow_rate and random() < settings.planned_reads_shadow_rate:
        served.shadow = (response, planned.audit)
    context.audit = planned.audit
    return response


async def caller_context(
    runtime: Runtime, principal: Principal, request_id: str, client_request_id: str | None,
    connection: AsyncConnection,
) -> Context:
    """Who is asking, as the policy sees them: roles, a valid agreement, and their rows.

    Raises ``CallerRefused`` for a caller the service cannot place (``api.authz.caller``): a role
    the policy does not know, no staff record, or a branch the staff record contradicts.
    """
    now = datetime.now(UTC)
    staff = await find_staff_record(connection, principal.sub)
    policy = runtime.policies.current
    refused = refusal(principal, staff, policy.known_roles())
    if refused is not None:
        raise refused
    today = business_date(now, runtime.settings.timezone)
    # The token's nda claim alone is not trusted: the staff record must show a valid agreement.
    agreement = principal.nda and staff is not None and staff.agreement_valid_on(today)
    # Time-bound role links in force today add their roles (api.authz.time_bound).
    decisions = policy.decisions(policy.subject(principal.roles, agreement, today))
    return Context(
        principal=principal,
        sessions=runtime.sessions,
        readers=runtime.readers,
        settings=runtime.settings,
        request_id=request_id,
        client_request_id=client_request_id,
        now=now,
        decisions=decisions,
        scope=row_scope_for(decisions.row_kinds, principal, staff, now),
        policies=runtime.policies,
        plugins=runtime.plugins,
        broker=runtime.broker,
    )


def _introspection_refused(context: Context, query: str) -> dict[str, Any] | None:
    """The response refusing a document that introspects, unless the policy lets this caller
    introspect here (``api.authz.introspection``); None when the document may run."""
    selected = introspection_fields(query)
    if not selected:
        return None
    env = context.settings.env.value
    if may_introspect(context.decisions, env):
        return None
    obj = introspection_object(env)
    for name in sorted(selected):
        context.audit.note("deny", obj, f"Query.{name}")
    message = (
        f"Introspection (__schema, __type) is not granted to this caller in {env} (policy object {obj}). "
        "The schema is published as schema/schema.graphql."
    )
    return {"data": None, "errors": [{"message": message, "extensions": {"code": "INTROSPECTION_FORBIDDEN"}}]}


def _warnings(context: Context) -> list[dict[str, str]]:
    """What the caller should know although nothing was refused (the response's ``extensions``)."""
    principal = context.principal
    # The agreement binds staff only (``Subject.casbin_sub``): a third party's claim means nothing.
    if principal.nda and not context.decisions.subject.agreement and principal.roles - {THIRD_PARTY}:
        return [{
            "code": "NO_VALID_AGREEMENT",
            "message": "The token claims a confidentiality agreement, but the staff record shows none valid "
            "today: confidential customer information is withheld. Query `me` for the agreement on file.",
        }]
    return []
