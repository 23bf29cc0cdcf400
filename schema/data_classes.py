"""Data classes: which information each field's value comes from, declared once in the schema.

A data class (``financial``, ``credit``, ``identity``…) names a kind of customer or organisation
information. The policy grants and denies classes (``p, risk_expert, group:financial, read,
allow``), and a field whose value is derived from a class carries it: an assessment's fact
snapshot is financial and credit information, wherever it surfaces. A field's classes are, in
order of precedence: those of its reading declaration (``schema.reads.declare``), those given
with ``classes(...)`` in its metadata, or those of its type (``@classified(...)``). A field of
an unclassified type (connections, payloads, errors, code lists) carries none: the policy names
it by coordinate or by a group of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from schema.reads import METADATA_KEY, Declared

CLASSES_KEY = "creditcare-classes"
_TYPE_ATTRIBUTE = "__creditcare_data_classes__"
T = TypeVar("T")


def classified(*names: str) -> Callable[[T], T]:
    """Declare the data classes every field of a strawberry type reveals (unless a field says otherwise)."""

    def mark(cls: T) -> T:
        setattr(cls, _TYPE_ATTRIBUTE, tuple(names))
        return cls

    return mark


def classes(*names: str) -> dict[str, tuple[str, ...]]:
    """The ``metadata`` of a plain field whose value comes from ``names`` rather than its type's classes."""
    return {CLASSES_KEY: tuple(names)}


def classes_of(origin: type | None, metadata: dict[str, Any] | None) -> tuple[str, ...]:
    """A field's data classes, from its metadata or else its type (``origin``); () when it has none."""
    found = metadata or {}
    declared = found.get(METADATA_KEY)
    if isinstance(declared, Declared):
        return declared.data_classes
    if CLASSES_KEY in found:
        return tuple(found[CLASSES_KEY])
    return tuple(getattr(origin, _TYPE_ATTRIBUTE, ()))
