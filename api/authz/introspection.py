"""Who may introspect the schema (``__schema``, ``__type``): a policy rule, per environment.

The object is ``schema:introspection:<env>`` with the action ``read``, so one rule with a
pattern grants every environment (``p, admin, schema:introspection:*, read, allow``) and another
only one (``p, developer, schema:introspection:development, read, allow``).
"""

from __future__ import annotations

from api.authz.policy import Decisions

INTROSPECTION = "schema:introspection"


def introspection_object(env: str) -> str:
    """The policy object introspection in ``env`` (``development``, ``production``) is decided on."""
    return f"{INTROSPECTION}:{env}"


def may_introspect(decisions: Decisions, env: str) -> bool:
    """Whether the subject of ``decisions`` may introspect the schema in ``env``.

    Not cached: only documents that introspect ask, and they are rare (a tool loads the schema
    once per session).
    """
    return decisions.policy.allows(decisions.subject, introspection_object(env), "read")
