"""The worker process that runs one plugin's code: its strategies, its warning rules and its event hooks.

Started by ``plugins.sandbox`` with a scrubbed environment in an empty directory. It loads the
plugin named in the first frame, describes its strategies, then answers requests until its input
closes. It sends JSON only, so nothing a plugin returns can run code in the service.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import os
import pickle
import struct
import sys
from collections.abc import Callable
from decimal import Decimal
from enum import Enum
from typing import IO, Any

import pluggy

from plugins import hookspecs
from plugins.rules import REGISTER_RULES
from plugins.spec import PROJECT, REQUIRED_BY_DEFAULT, Decision, FactorResult, Finding, GradingStrategy, WarningRule

_HEADER = struct.Struct(">I")
_FACTOR_FIELDS = tuple(f.name for f in dataclasses.fields(FactorResult))
REGISTER = "creditcare_register_grading_strategies"


def read_frame(stream: IO[bytes]) -> bytes | None:
    """One length-prefixed frame; None when the stream has ended."""
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(header)
    payload = stream.read(size)
    return payload if len(payload) == size else None


def write_frame(stream: IO[bytes], payload: bytes) -> None:
    stream.write(_HEADER.pack(len(payload)) + payload)
    stream.flush()


def _plain(value: Any) -> Any:
    """A value as JSON the host decodes: Decimals tagged, anything unexpected named by its type."""
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, Enum):
        return _plain(value.value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return {"$type": type(value).__name__}


def encode_decision(decision: object) -> dict[str, Any]:
    """A strategy's answer as JSON; what is not a Decision is named, for the host to refuse."""
    if not isinstance(decision, Decision):
        return {"$type": type(decision).__name__}
    return {
        "grade": _plain(decision.grade),
        "score": _plain(decision.score),
        "factors": [
            {name: _plain(getattr(factor, name)) for name in _FACTOR_FIELDS}
            if isinstance(factor, FactorResult) else {"$type": type(factor).__name__}
            for factor in decision.factors
        ],
        "reasons": _plain(decision.reasons),
        "knock_outs": _plain(decision.knock_outs),
    }


def describe(strategy: object) -> dict[str, Any]:
    """What the host needs to know of a strategy without running it."""
    if not isinstance(strategy, GradingStrategy):
        return {"$type": repr(strategy)[:200]}
    codes = getattr(strategy, "reason_codes", None)
    return {
        "id": _plain(strategy.id),
        "version": _plain(strategy.version),
        "industries": _plain(strategy.industries) if not isinstance(strategy.industries, str) else strategy.industries,
        "questions": [
            {"id": q.id, "text": q.text, "answers": [{"id": a.id, "text": a.text} for a in q.answers],
             "required": getattr(q, "required", REQUIRED_BY_DEFAULT) is not False}
            for q in strategy.questions
        ],
        "reason_codes": None if codes is None else _plain(tuple(codes)),
    }


def describe_rule(rule: object) -> dict[str, Any]:
    """What the host needs to know of a warning rule without running it."""
    if not isinstance(rule, WarningRule):
        return {"$type": repr(rule)[:200]}
    parameters = rule.parameters
    return {
        "id": _plain(rule.id), "version": _plain(rule.version), "title": _plain(rule.title),
        "parameters": {_plain(k): _plain(v) for k, v in parameters.items()} if isinstance(parameters, dict)
        else _plain(parameters),
    }


def encode_findings(findings: object) -> list[Any] | dict[str, Any]:
    """A rule's findings as JSON; what is not a tuple of Findings is named, for the host to refuse."""
    if not isinstance(findings, list | tuple):
        return {"$type": type(findings).__name__}
    return [
        {"severity": _plain(f.severity), "message": _plain(f.message), "key": _plain(f.key),
         "evidence": {_plain(k): _plain(v) for k, v in f.evidence.items()} if isinstance(f.evidence, dict)
         else _plain(f.evidence)}
        if isinstance(f, Finding) else {"$type": type(f).__name__}
        for f in findings
    ]


def _load(reference: str) -> object:
    module_name, _, attribute = reference.partition(":")
    target: object = importlib.import_module(module_name.strip())
    for part in filter(None, attribute.strip().split(".")):
        target = getattr(target, part)
    return target


def _failure(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:1000]


class _Plugin:
    def __init__(self, name: str, reference: str) -> None:
        self.manager = pluggy.PluginManager(PROJECT)
        self.manager.add_hookspecs(hookspecs)
        self.plugin = _load(reference)
        self.manager.register(self.plugin, name=name)
        self.manager.check_pending()
        register = getattr(self.plugin, REGISTER, None)
        found = register() if register is not None else []
        if found is None:
            raise TypeError(f"{REGISTER}() returned None, not a list of strategies")
        self.strategies: list[object] = list(found)
        self.by_id = {getattr(s, "id", None): s for s in self.strategies}
        register_rules = getattr(self.plugin, REGISTER_RULES, None)
        rules = register_rules() if register_rules is not None else []
        if rules is None:
            raise TypeError(f"{REGISTER_RULES}() returned None, not a list of rules")
        self.rules: list[object] = list(rules)
        self.rules_by_id = {getattr(r, "id", None): r for r in self.rules}

    def hooks(self) -> list[str]:
        return sorted(
            name for name in dir(self.manager.hook)
            if name.startswith(f"{PROJECT}_") and name not in (REGISTER, REGISTER_RULES)
            and getattr(self.manager.hook, name).get_hookimpls()
        )

    def grade(self, strategy_id: str, facts: object) -> dict[str, Any]:
        strategy = self.by_id[strategy_id]
        try:
            decision = strategy.grade(facts)  # type: ignore[attr-defined]
        except Exception as exc:  # the plugin's fault, reported to the host
            return {"error": _failure(exc)}
        return {"decision": encode_decision(decision)}

    def evaluate(self, rule_id: str, item: tuple[object, object]) -> dict[str, Any]:
        facts, parameters = item
        try:
            findings = self.rules_by_id[rule_id].evaluate(facts, parameters)  # type: ignore[attr-defined]
        except Exception as exc:  # the plugin's fault, reported to the host
            return {"error": _failure(exc)}
        return {"findings": encode_findings(findings)}

    def call(self, hook: str, arguments: dict[str, Any]) -> dict[str, Any]:
        caller: Callable[..., Any] = getattr(self.manager.hook, hook)
        try:
            caller(**arguments)
        except Exception as exc:
            return {"error": _failure(exc)}
        return {"done": True}


def _die_with_the_service() -> None:
    # A worker busy in a plugin's loop would not notice its input closing: on Linux the kernel
    # ends it when the service's process (the thread that started it) ends.
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    parent = os.getppid()
    try:
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the service ended before the request above took effect
        os._exit(0)


def main() -> None:
    """Serve the host on stdin/stdout until stdin closes."""
    _die_with_the_service()
    requests = sys.stdin.buffer
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # what a plugin prints goes to the log, never into the replies
    sys.stdin = open(os.devnull)  # noqa: SIM115 (kept open for the process's life)

    def reply(message: dict[str, Any]) -> None:
        write_frame(replies, json.dumps(message, separators=(",", ":")).encode())

    first = read_frame(requests)
    if first is None:
        return
    setup = pickle.loads(first)
    for entry in reversed(setup["path"]):
        if entry not in sys.path:
            sys.path.insert(0, entry)
    try:
        plugin = _Plugin(setup["name"], setup["reference"])
        described = {"strategies": [describe(s) for s in plugin.strategies],
                     "rules": [describe_rule(r) for r in plugin.rules], "hooks": plugin.hooks()}
    except BaseException as exc:
        reply({"error": _failure(exc)})
        return
    reply(described)
    while (frame := read_frame(requests)) is not None:
        request = pickle.loads(frame)
        if request[0] == "grade":
            _, strategy_id, items = request
            for facts in items:
                reply(plugin.grade(strategy_id, facts))
        elif request[0] == "evaluate":
            _, rule_id, items = request
            for item in items:
                reply(plugin.evaluate(rule_id, item))
        elif request[0] == "hook":
            _, hook, arguments = request
            reply(plugin.call(hook, arguments))


if __name__ == "__main__":
    main()
