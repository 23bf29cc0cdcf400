"""What a policy may name, as the running schema declares it: its coordinates and their data classes.

The schema layer builds it (``schema.vocabulary``) and hands it to the policy stores, so the
policy layer knows every coordinate and the data classes of each without importing the schema.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Vocabulary:
    """Every schema coordinate (``Type.field``) and the data classes each one's value comes from."""

    coordinates: frozenset[str]
    # coordinate -> its data classes (``financial``…, the policy's ``group:financial``), main one first
    classes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Fields the schema declares non-null: whoever reads their type always gets a value. A policy
    # must not deny one apart from its type (``api.authz.validation``).
    non_null: frozenset[str] = frozenset()
    # type name -> the coordinates of the fields that lead to it (its entrances; ``Query`` has none).
    entrances: Mapping[str, frozenset[str]] = field(default_factory=dict)

    @property
    def data_classes(self) -> frozenset[str]:
        """Every data class some field declares."""
        return frozenset(name for names in self.classes.values() for name in names)
