"""Who is asking: the authenticated identity every service call carries."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller, as read from a verified token."""

    sub: str
    roles: frozenset[str] = field(default_factory=frozenset)
    branch: str | None = None
    nda: bool = False
