"""The shipped policy as the service loads it: the rules of policies/ and the schema's data classes."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from api.authz.policy import Policy, load_file_enforcer
from api.authz.vocabulary import Vocabulary
from schema.root import build_schema
from schema.vocabulary import vocabulary_of

POLICIES = Path(__file__).resolve().parents[1] / "policies"


@cache
def schema_vocabulary() -> Vocabulary:
    """Every coordinate of the schema and the data classes its fields declare."""
    return vocabulary_of(build_schema())


def shipped_policy(policy_dir: Path = POLICIES) -> Policy:
    """A policy loaded from ``policy_dir`` exactly as the service loads it."""
    return Policy(load_file_enforcer(policy_dir), source="test", vocabulary=schema_vocabulary())
