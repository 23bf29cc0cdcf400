"""Bearer tokens: HS256 JWTs with claims ``sub``, ``roles``, ``branch``, ``nda``, ``exp``."""

from __future__ import annotations

import time
from collections import OrderedDict
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


# Verified tokens and their principals, until they expire: a client sends the same token on
# every request, and PyJWT's decode costs more than the rest of authentication.
_VERIFIED: OrderedDict[tuple[str, str], tuple[Principal, float]] = OrderedDict()
_VERIFIED_MAX = 4096


def principal_from_header(header: str | None, secret_key: str) -> Principal:
    """The principal in an ``Authorization: Bearer …`` header, or AuthenticationFailed."""
    if not header:
        raise AuthenticationFailed("Missing Authorization header (expected: Bearer <token>)")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationFailed("Authorization header must be: Bearer <token>")
    key = (token.strip(), secret_key)
    found = _VERIFIED.get(key)
    if found is not None and found[1] > time.time():
        return found[0]
    principal, expires = _verify(key[0], secret_key)
    _VERIFIED[key] = (principal, expires)
    if len(_VERIFIED) > _VERIFIED_MAX:
        _VERIFIED.popitem(last=False)
    return principal


def _verify(token: str, secret_key: str) -> tuple[Principal, float]:
    try:
        claims = jwt.decode(
            token, secret_key, algorithms=[ALGORITHM], options={"require": ["sub", "exp"]}
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
    ), float(claims["exp"])
