"""Where policies live (the shipped files, or the database) and how a running service changes them.

Every policy is checked (``api.authz.validation``) before it comes into force: a candidate with a
problem is refused with the problems named (``PolicyRejected``), and the policy in force stays.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from api.authz import versions
from api.authz.policy import Policy
from api.authz.validation import (
    Checked,
    Expectation,
    Problem,
    RuleLine,
    canonical_text,
    check_candidate,
    digest_of,
    expectation_problems,
    read_decisions,
    read_rule_lines,
    with_changes,
)
from api.authz.vocabulary import Vocabulary
from api.db.base import table_of, utcnow
from api.db.models import CasbinRule

log = logging.getLogger(__name__)
_POLICY_FILES = ("model.conf", "policy.csv", "decisions.csv")
_SHOWN_PROBLEMS = 20


class PolicyRejected(Exception):
    """A candidate policy failed its checks; nothing was swapped in or written."""

    def __init__(self, source: str, problems: Sequence[Problem], fingerprint: str = "") -> None:
        self.source = source
        self.problems = list(problems)
        self.fingerprint = fingerprint  # the store's content that was refused ("" for a refused change)
        self.at: datetime = utcnow()
        shown = "; ".join(str(problem) for problem in self.problems[:_SHOWN_PROBLEMS])
        more = len(self.problems) - _SHOWN_PROBLEMS
        super().__init__(f"policy from {source} rejected: {shown}" + (f" (and {more} more)" if more > 0 else ""))


@dataclass(frozen=True)
class Loaded:
    """A checked policy, the fingerprint of the store's content it was built from, and when it was read."""

    policy: Policy
    fingerprint: str
    read_at: datetime = field(default_factory=utcnow)


@dataclass(frozen=True)
class Change:
    """A change of the stored rules that came into force: the new policy and the lines it added and removed."""

    policy: Policy
    added: list[str]
    removed: list[str]


def read_policy_lines(policy_csv: Path) -> list[list[str]]:
    """The rule lines of a Casbin policy CSV (comments and blank lines skipped)."""
    return [list(line.values) for line in read_rule_lines(policy_csv)]


def rule_text(values: Sequence[str]) -> str:
    """A rule as compliance writes it: ``p, risk_expert, group:financial, read, allow``."""
    return ", ".join(values)


def policy_lines(policy: Policy) -> set[tuple[str, ...]]:
    """Every rule of a policy as ``(ptype, value, …)``."""
    return {(ptype, *values) for ptype, found in policy.rules().items() for values in found}


def diff(before: Policy, after: Policy) -> tuple[list[str], list[str]]:
    """The lines ``after`` adds to ``before`` and those it removes, sorted."""
    old, new = policy_lines(before), policy_lines(after)
    return sorted(rule_text(line) for line in new - old), sorted(rule_text(line) for line in old - new)


def _check_file_policy(policy_dir: Path, vocabulary: Vocabulary | None, source: str) -> Checked:
    """The policy in ``policy_dir`` checked against the decision table beside it (about 0.1 s of
    Casbin: callers on the event loop run it in a thread, so requests are not held up)."""
    try:
        lines = read_rule_lines(policy_dir / "policy.csv")
    except (OSError, UnicodeDecodeError) as exc:
        return Checked(None, [Problem("policy.csv", None, f"cannot be read: {exc}")])
    expectations, problems = read_decisions(policy_dir / "decisions.csv")
    if problems:
        return Checked(None, problems)
    return check_candidate(lines, vocabulary, policy_dir / "model.conf", expectations, source)


class FilePolicyStore:
    """The policy in ``model.conf`` + ``policy.csv``, checked against ``decisions.csv`` beside them.

    Each worker polls the files' content hash (``fingerprint``) and reloads when it changes.
    """

    kind = "file"

    def __init__(self, policy_dir: Path, vocabulary: Vocabulary | None = None,
                 engine: AsyncEngine | None = None) -> None:
        self.policy_dir = policy_dir
        self.vocabulary = vocabulary
        self.engine = engine  # where versions are recorded; None: not recorded (CLI, unit tests)
        self.source = f"file:{policy_dir}"

    async def fingerprint(self) -> str:
        """A hash of the three files as they are now (a missing file counts as such)."""
        digest = hashlib.sha256()
        for name in _POLICY_FILES:
            try:
                content = (self.policy_dir / name).read_bytes()
            except OSError:
                content = b"\0missing"
            digest.update(name.encode() + b"\0" + hashlib.sha256(content).digest())
        return digest.hexdigest()[:16]

    async def read(self) -> Loaded:
        """The policy in the files, checked; ``PolicyRejected`` naming every problem otherwise."""
        # Fingerprint first: if the files change while they are read, the next poll sees a
        # different fingerprint and reads them again.
        fingerprint = await self.fingerprint()
        checked = await asyncio.to_thread(_check_file_policy, self.policy_dir, self.vocabulary, self.source)
        if checked.policy is None:
            raise PolicyRejected(self.source, checked.problems, fingerprint)
        return Loaded(checked.policy, fingerprint)

    async def load(self) -> Policy:
        return (await self.read()).policy

    async def record(self, loaded: Loaded) -> None:
        """Record the version as in force (unless a newer one came into force since it was read)."""
        if self.engine is None:
            return
        async with self.engine.begin() as conn:
            await versions.lock_policy_tables(conn)
            await _record(conn, loaded.policy, self.source, read_at=loaded.read_at)


async def _record(conn: AsyncConnection, policy: Policy, source: str,
                  expectations: Sequence[Expectation] = (), read_at: datetime | None = None) -> None:
    lines = policy_lines(policy)
    if await versions.record(conn, digest=policy.digest, source=source, rules=canonical_text(lines),
                             expectations=expectations, read_at=read_at):
        log.info("policy version %s recorded as in force (%s, %d rules)", policy.digest, source, len(lines))


def _row(line: Sequence[str]) -> dict[str, str | None]:
    """A casbin_rule row for a policy line; every column given so rows of any length batch together."""
    values: list[str | None] = [*line[1:]]
    values += [None] * (6 - len(values))
    return {"ptype": line[0], **{f"v{i}": value for i, value in enumerate(values)}}


async def _stored_lines(conn: AsyncConnection) -> list[tuple[int, RuleLine]]:
    rows = (await conn.execute(select(CasbinRule).order_by(CasbinRule.id))).all()
    found = []
    for row in rows:
        values = [row.v0, row.v1, row.v2, row.v3, row.v4, row.v5]
        found.append((row.id, RuleLine((row.ptype, *[v for v in values if v is not None]), row.id, "casbin_rule")))
    return found


# Where a problem of the decision table (not of the rules themselves) is located.
_TABLE_LOCATIONS = frozenset({"decisions.csv", versions.STORED_EXPECTATIONS})


class DatabasePolicyStore:
    """Policy lines in the ``casbin_rule`` table (the casbin SQLAlchemy adapter's), model from file.

    On first use an empty table is seeded from ``policy.csv`` (checked like the file store's).
    ``change`` checks the changed rules and writes them, with their version, in one transaction;
    other instances learn of it through the watcher, or at their next digest check.
    """

    kind = "database"
    source = "database"

    def __init__(self, policy_dir: Path, engine: AsyncEngine, vocabulary: Vocabulary | None = None) -> None:
        self.policy_dir = policy_dir
        self.engine = engine
        self.vocabulary = vocabulary

    async def fingerprint(self) -> str:
        """The digest of the stored rules (equal to the digest of the policy built from them)."""
        async with self.engine.connect() as conn:
            return digest_of(line.values for _, line in await _stored_lines(conn))

    async def _seed_if_empty(self) -> None:
        async with self.engine.begin() as conn:
            # Instances starting together must not both seed: take the lock before counting.
            await versions.lock_policy_tables(conn)
            if await conn.scalar(select(func.count()).select_from(CasbinRule)):
                return
            source = f"file:{self.policy_dir}"
            checked = await asyncio.to_thread(_check_file_policy, self.policy_dir, self.vocabulary, source)
            if checked.policy is None:
                raise PolicyRejected(source, checked.problems)
            lines = sorted(policy_lines(checked.policy))
            await conn.execute(insert(table_of(CasbinRule)), [_row(line) for line in lines])
            log.info("seeded casbin_rule with %d lines from policy.csv", len(lines))

    def _shipped_table(self) -> list[Expectation]:
        expectations, problems = read_decisions(self.policy_dir / "decisions.csv")
        if problems:
            raise PolicyRejected(f"file:{self.policy_dir}", problems)
        return expectations

    async def read(self) -> Loaded:
        """The stored rules, checked against the shipped decision table with the decisions the
        changes so far declared they alter; ``PolicyRejected`` otherwise."""
        await self._seed_if_empty()
        async with self.engine.connect() as conn:
            lines = [line for _, line in await _stored_lines(conn)]
            fingerprint = digest_of(line.values for line in lines)
            declared = await versions.stored_expectations(conn, fingerprint)
            in_force_before = await versions.was_in_force(conn, fingerprint)
        table = with_changes(self._shipped_table(), declared)
        model = self.policy_dir / "model.conf"
        checked = await asyncio.to_thread(check_candidate, lines, self.vocabulary, model, table, self.source)
        if checked.policy is None and in_force_before and all(
            problem.location in _TABLE_LOCATIONS for problem in checked.problems
        ):
            # Rules compliance already put in force, which a new release's decision table no longer
            # expects (its rows describe the shipped policy): they stay in force, so an upgrade never
            # leaves the service unable to start, and the differences are logged for compliance.
            log.warning("the stored policy %s differs from the shipped decision table: %s",
                        fingerprint, "; ".join(str(problem) for problem in checked.problems))
            checked = await asyncio.to_thread(check_candidate, lines, self.vocabulary, model, None, self.source)
        if checked.policy is None:
            raise PolicyRejected(self.source, checked.problems, fingerprint)
        return Loaded(checked.policy, fingerprint)

    async def load(self) -> Policy:
        return (await self.read()).policy

    async def record(self, loaded: Loaded) -> None:
        """Record the version as in force (unless a newer one came into force since it was read)."""
        async with self.engine.begin() as conn:
            await versions.lock_policy_tables(conn)
            declared = await versions.stored_expectations(conn, loaded.fingerprint)
            await _record(conn, loaded.policy, self.source, declared, read_at=loaded.read_at)

    async def change(
        self, add: Sequence[Sequence[str]], remove: Sequence[Sequence[str]], decisions: Sequence[Expectation] = ()
    ) -> Change:
        """Remove and add rule lines (``[ptype, v0, v1, ...]``) if the result passes every check.

        ``decisions`` are the decision-table rows the change is meant to alter, with their new
        outcomes; every other row of the table must still hold. Problems name the input's index
        (``input.add``, ``input.remove``, ``input.decisions``) or the line of the table.
        """
        problems = expectation_problems(decisions)
        async with self.engine.begin() as conn:
            await versions.lock_policy_tables(conn)
            stored = await _stored_lines(conn)
            held = {line.values: row_id for row_id, line in stored}
            removing: dict[tuple[str, ...], int] = {}
            for index, values in enumerate(remove):
                key = tuple(values)
                if key not in held:
                    problems.append(Problem("input.remove", index, f"{rule_text(key)!r} is not in the policy"))
                else:
                    removing[key] = held[key]
            adding = [RuleLine(tuple(values), index, "input.add") for index, values in enumerate(add)]
            candidate = [line for _, line in stored if line.values not in removing] + adding
            declared = with_changes(await versions.stored_expectations(conn, digest_of(held)), decisions)
            table = with_changes(self._shipped_table(), declared)
            checked = await asyncio.to_thread(
                check_candidate, candidate, self.vocabulary, self.policy_dir / "model.conf", table, self.source
            )
            problems += checked.problems
            if problems or checked.policy is None:
                raise PolicyRejected(self.source, problems)
            before, after = set(held), {line.values for line in candidate}
            if removing:
                await conn.execute(delete(CasbinRule).where(CasbinRule.id.in_(list(removing.values()))))
            # A line already held is not stored twice; one removed and added again is stored anew.
            inserted = [values for values in dict.fromkeys(line.values for line in adding)
                        if values not in held or values in removing]
            if inserted:
                await conn.execute(insert(table_of(CasbinRule)), [_row(values) for values in inserted])
            await _record(conn, checked.policy, self.source, declared)
        return Change(checked.policy, sorted(rule_text(line) for line in after - before),
                      sorted(rule_text(line) for line in before - after))


PolicyStore = FilePolicyStore | DatabasePolicyStore


@dataclass(frozen=True)
class PolicyState:
    """How this instance's policy compares with its store's, for ``/readyz``."""

    policy: Policy
    store_fingerprint: str
    behind_seconds: float  # how long the store has held something this instance has not examined
    rejection: PolicyRejected | None  # the store's current content, when it was refused
    rejections: int  # candidates refused since start (files, stored rules, changes)


@dataclass
class PolicyHolder:
    """The policy in force. A reload builds a new Policy and swaps the reference (never mutates).

    A candidate that fails its checks is logged and counted and the policy in force stays; the
    store's content it was built from counts as examined, so the instance is not behind.
    """

    store: PolicyStore
    current: Policy
    seen: str  # the store's fingerprint last examined (swapped in or refused)
    on_change: Callable[[], None] | None = None
    rejection: PolicyRejected | None = None
    rejections: int = 0
    _unrecorded: Loaded | None = None
    _record_failed: bool = False
    _behind_since: float | None = None
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @classmethod
    async def open(cls, store: PolicyStore) -> PolicyHolder:
        """The holder of the store's policy; ``PolicyRejected`` (refuse to start) when it fails its checks."""
        loaded = await store.read()
        holder = cls(store, loaded.policy, loaded.fingerprint, _unrecorded=loaded)
        await holder._record()
        return holder

    async def reload(self) -> Policy:
        """Read the store again and swap in its policy; ``PolicyRejected`` when it fails its checks."""
        async with self._lock:
            return await self._reload()

    async def _reload(self) -> Policy:
        try:
            loaded = await self.store.read()
        except PolicyRejected as exc:
            self._refused(exc)
            if exc.fingerprint:
                self.seen = exc.fingerprint
                self.rejection = exc
            raise
        self._swap(loaded)
        await self._record()
        return self.current

    async def sync(self) -> bool:
        """Reload if the store changed since it was last examined (whether it did); a refused
        candidate is logged and counted, not raised."""
        if self._unrecorded is not None:
            await self._record()
        fingerprint = await self.store.fingerprint()
        self._observe(fingerprint)
        if fingerprint == self.seen:
            return False
        async with self._lock:
            if await self.store.fingerprint() == self.seen:
                return False  # reloaded meanwhile
            with suppress(PolicyRejected):  # logged and counted; the policy in force stays
                await self._reload()
        return True

    async def change(
        self, add: Sequence[Sequence[str]], remove: Sequence[Sequence[str]], decisions: Sequence[Expectation] = ()
    ) -> Change:
        """Change stored rules, swap the result in here, and tell the other instances."""
        if not isinstance(self.store, DatabasePolicyStore):
            raise PermissionError("policies are files here: edit policies/ and reload")
        async with self._lock:
            try:
                change = await self.store.change(add, remove, decisions)
            except PolicyRejected as exc:
                self._refused(exc)
                raise
            self._swap(Loaded(change.policy, change.policy.digest))
        if self.on_change is not None:
            self.on_change()
        return change

    async def state(self) -> PolicyState:
        """This instance's policy against the store's content now."""
        fingerprint = await self.store.fingerprint()
        behind = self._observe(fingerprint)
        rejection = self.rejection if self.rejection is not None and self.rejection.fingerprint == fingerprint else None
        return PolicyState(self.current, fingerprint, behind, rejection, self.rejections)

    def _observe(self, fingerprint: str) -> float:
        """Seconds since this instance first saw the store holding something it has not examined."""
        if fingerprint == self.seen:
            self._behind_since = None
            return 0.0
        now = time.monotonic()
        if self._behind_since is None:
            self._behind_since = now
        return now - self._behind_since

    def _swap(self, loaded: Loaded) -> None:
        self.seen = loaded.fingerprint
        self.rejection = None
        self._behind_since = None
        if loaded.policy.digest == self.current.digest:
            return  # same rules: keep the policy whose decisions are already cached
        previous = self.current
        self.current = loaded.policy
        self._unrecorded = loaded
        self._record_failed = False
        added, removed = diff(previous, loaded.policy)
        log.info("policy %s in force (version %d, from %s): %d lines added, %d removed",
                 loaded.policy.digest, loaded.policy.version, loaded.policy.source, len(added), len(removed))

    def _refused(self, exc: PolicyRejected) -> None:
        self.rejections += 1
        log.error("%s; policy %s (version %d) stays in force", exc, self.current.digest, self.current.version)

    async def _record(self) -> None:
        """Record the policy that came into force (best effort: the database may be down or not yet
        migrated; the next sync tries again)."""
        pending = self._unrecorded
        if pending is None:
            return
        try:
            await self.store.record(pending)
        except Exception as exc:
            # Said once per version: while the database is down or unmigrated, every poll tries.
            level = logging.DEBUG if self._record_failed else logging.WARNING
            log.log(level, "recording policy version %s failed (tried again later): %s", pending.policy.digest, exc)
            self._record_failed = True
            return
        self._record_failed = False
        if self._unrecorded is pending:
            self._unrecorded = None
