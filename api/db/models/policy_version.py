"""Every version of the access policy that came into force, with its full rules: the policy in
force at any past time is the newest version that came into force before it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base, UTCDateTime, utcnow


class PolicyVersion(Base):
    """A policy version coming into force. Append-only: the database refuses updates and deletes.

    A row is written when a digest different from the newest row's comes into force (by whichever
    worker or instance applies it first); a return to an earlier policy is a new row.
    """

    __tablename__ = "policy_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), index=True)  # Policy.digest: sha256(rules)[:16]
    source: Mapped[str] = mapped_column(String(500))  # file:<directory> or database
    rules: Mapped[str] = mapped_column(Text)  # every rule, one per line, sorted (``p,role,object,action,effect``)
    # Decisions the database store's changes declared they alter: decision-table rows (roles,
    # agreement, object, action, expected) that replace or extend the shipped decisions.csv.
    expectations: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    in_force_from: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
