"""Bearer tokens: HS256 JWTs with claims ``sub``, ``roles``, ``branch``, ``nda``, ``exp``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt

from api.principal import Principal

ALGORITHM = "HS256"


class AuthenticationFailed(Exception):
    """The request carries no usable identity; the message says why (safe to show)."""


def issue_token(
    secret_key: str,
    *,
    sub: str,
    roles: list[str],
    branch: str | None = None,
    nda: bool = False,
    ttl: timedelta = timedelta(hours=8),
    now: datetime | None = None,
) -> str:
    """A signed token for ``sub`` (development and tests; production tokens come from the IdP)."""
    issued = now or datetime.now(UTC)
    claims = {
        "sub": sub,
        "roles": roles,
        "branch": branch,
        "nda": nda,
        "iat": int(issued.timestamp()),
        "exp": int((issued + ttl).timestamp()),
    }
    return jwt.encode(claims, secret_key, algorithm=ALGORITHM)


def principal_from_header(header: str | None, secret_key: str) -> Principal:
    """The principal in an ``Authorization: Bearer …`` header, or AuthenticationFailed."""
    if not header:
        raise AuthenticationFailed("Missing Authorization header (expected: Bearer <token>)")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationFailed("Authorization header must be: Bearer <token>")
    try:
        claims = jwt.decode(
            token.strip(), secret_key, algorithms=[ALGORITHM], options={"require": ["sub", "exp"]}
        )
    except jwt.ExpiredSignatureError:
        raise AuthenticationFailed("Token has expired") from None
    except jwt.InvalidTokenError:
        raise AuthenticationFailed("Token is invalid") from None
    roles = claims.get("roles") or []
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise AuthenticationFailed("Token claim 'roles' must be a list of strings")
    sub = claims["sub"]
    if not isinstance(sub, str) or not sub:
        raise AuthenticationFailed("Token claim 'sub' must be a non-empty string")
    branch = claims.get("branch")
    return Principal(
        sub=sub.lower(),
        roles=frozenset(roles),
        branch=branch if isinstance(branch, str) else None,
        nda=claims.get("nda") is True,
    )
