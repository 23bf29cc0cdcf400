"""Authorization in the schema. Until Casbin policies arrive, roles named in settings may write."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission

from schema.context import Info


class CanWrite(BasePermission):
    """Mutations are for the roles in ``CREDITCARE_WRITER_ROLES``; others get FORBIDDEN."""

    message = "You may not change data"
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        ctx = info.context
        return ctx.principal.has_any_role(ctx.settings.writer_roles)
