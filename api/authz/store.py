"""Where policies live (the shipped files, or the database) and how a running service reloads them."""

from __future__ import annotations

import asyncio
import csv
import io
import logging
from collections.abc import Callable
from pathlib import Path

import casbin
from casbin_async_sqlalchemy_adapter import Adapter
from sqlalchemy import false, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.authz.policy import Policy, configure_enforcer, load_file_enforcer
from api.authz.vocabulary import Vocabulary
from api.db.base import table_of
from api.db.models import CasbinRule

log = logging.getLogger(__name__)


def read_policy_lines(policy_csv: Path) -> list[list[str]]:
    """The rule lines of a Casbin policy CSV (comments and blank lines skipped)."""
    text = "\n".join(
        line for line in policy_csv.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    )
    return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text)) if row]


class FilePolicyStore:
    """The policy in ``model.conf`` + ``policy.csv``: changed by editing the files, then reloading."""

    kind = "file"

    def __init__(self, policy_dir: Path, vocabulary: Vocabulary | None = None) -> None:
        self.policy_dir = policy_dir
        self.vocabulary = vocabulary

    async def load(self) -> Policy:
        return Policy(load_file_enforcer(self.policy_dir), source=f"file:{self.policy_dir}", vocabulary=self.vocabulary)


_SEED_LOCK = 0x63617362  # any constant: names the advisory lock that serialises seeding


def _row(line: list[str]) -> dict[str, str | None]:
    """A casbin_rule row for a policy line; every column given so rows of any length batch together."""
    values = line[1:] + [None] * (6 - len(line[1:]))
    return {"ptype": line[0], **{f"v{i}": value for i, value in enumerate(values)}}


class DatabasePolicyStore:
    """Policy lines in the ``casbin_rule`` table (the casbin SQLAlchemy adapter), model from file.

    On first use an empty table is seeded from ``policy.csv``. Changes are written through the
    adapter; other instances learn of them through the watcher and reload.
    """

    kind = "database"

    def __init__(self, policy_dir: Path, engine: AsyncEngine, vocabulary: Vocabulary | None = None) -> None:
        self.policy_dir = policy_dir
        self.engine = engine
        self.vocabulary = vocabulary
        self.adapter = Adapter(engine, db_class=CasbinRule)

    async def _seed_if_empty(self) -> None:
        async with self.engine.begin() as conn:
            # Instances starting together must not both seed: take a lock before counting.
            if conn.dialect.name == "postgresql":
                await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SEED_LOCK})
            else:  # SQLite: a write takes the database's write lock until commit
                await conn.execute(table_of(CasbinRule).delete().where(false()))
            if await conn.scalar(select(func.count()).select_from(CasbinRule)):
                return
            rows = [_row(line) for line in read_policy_lines(self.policy_dir / "policy.csv")]
            await conn.execute(table_of(CasbinRule).insert(), rows)
            log.info("seeded casbin_rule with %d lines from policy.csv", len(rows))

    async def _enforcer(self) -> casbin.AsyncEnforcer:
        enforcer = casbin.AsyncEnforcer(str(self.policy_dir / "model.conf"), self.adapter)
        await enforcer.load_policy()
        return enforcer

    async def load(self) -> Policy:
        await self._seed_if_empty()
        enforcer = await self._enforcer()
        return Policy(configure_enforcer(enforcer), source="database", vocabulary=self.vocabulary)

    async def change(self, add: list[list[str]], remove: list[list[str]]) -> None:
        """Add and remove rule lines (``[ptype, v0, v1, ...]``), persisted through the adapter."""
        enforcer = await self._enforcer()
        for line in remove:
            ptype, *values = line
            if ptype.startswith("g"):
                await enforcer.remove_named_grouping_policy(ptype, *values)
            else:
                await enforcer.remove_named_policy(ptype, *values)
        for line in add:
            ptype, *values = line
            if ptype.startswith("g"):
                await enforcer.add_named_grouping_policy(ptype, *values)
            else:
                await enforcer.add_named_policy(ptype, *values)


class PolicyHolder:
    """The policy in force. A reload builds a new Policy and swaps the reference (never mutates)."""

    def __init__(self, store: FilePolicyStore | DatabasePolicyStore, policy: Policy) -> None:
        self.store = store
        self.current = policy
        self._lock = asyncio.Lock()
        self.on_change: Callable[[], None] | None = None

    @classmethod
    async def open(cls, store: FilePolicyStore | DatabasePolicyStore) -> PolicyHolder:
        return cls(store, await store.load())

    async def reload(self) -> Policy:
        async with self._lock:
            self.current = await self.store.load()
            log.info("policy reloaded from %s: version %d", self.current.source, self.current.version)
            return self.current

    async def change(self, add: list[list[str]], remove: list[list[str]]) -> Policy:
        """Change stored rules, reload here, and tell the other instances."""
        if not isinstance(self.store, DatabasePolicyStore):
            raise PermissionError("policies are files here: edit policies/ and reload")
        await self.store.change(add, remove)
        policy = await self.reload()
        if self.on_change is not None:
            self.on_change()
        return policy
