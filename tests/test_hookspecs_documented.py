"""Every hook is documented: when it is called, every argument, and what it returns.

The hook docstrings in ``plugins/hookspecs.py`` are the plugin author's reference, so an
undocumented hook or argument fails here (the idea of datasette's
``test_plugin_hooks_are_documented``, applied to docstrings). A sanity test makes sure the check
really fails on an undocumented hook.
"""

from __future__ import annotations

import inspect
import re
import types
from collections.abc import Callable
from datetime import datetime

import pluggy
import pytest

from plugins import hookspecs
from plugins.spec import PROJECT

SPEC_MARK = f"{PROJECT}_spec"  # what pluggy's HookspecMarker sets on a hook specification
CALLED = re.compile(r"\bcalled\b", re.IGNORECASE)
# A field counts only with a description: on its line, or on the next, indented, line.
_DESCRIBED = r"[ \t]*(?:\S|\n[ \t]+\S)"
PARAM = re.compile(r"^[ \t]*:param[ \t]+(?:[^:\s]+[ \t]+)?(\w+):" + _DESCRIBED, re.MULTILINE)
RETURN = re.compile(r"^[ \t]*:returns?:" + _DESCRIBED, re.MULTILINE)


def hooks_in(namespace: object) -> dict[str, Callable[..., object]]:
    """The hook specifications in a module (or class): callables pluggy marked as ``creditcare`` specs."""
    return {
        name: value for name in dir(namespace)
        if callable(value := getattr(namespace, name)) and getattr(value, SPEC_MARK, None) is not None
    }


def documentation_problems(name: str, hook: Callable[..., object]) -> list[str]:
    """What is missing from a hook's docstring; empty when it is fully documented."""
    doc = inspect.getdoc(hook)
    if not doc or not doc.strip():
        return [f"{name}: no docstring"]
    problems = []
    if not CALLED.search(doc):
        problems.append(f"{name}: the docstring does not say when the hook is called ('Called …')")
    parameters = [
        p.name for p in inspect.signature(hook).parameters.values()
        if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    documented = PARAM.findall(doc)
    problems += [
        f"{name}: argument {p!r} is not documented with ':param {p}:'" for p in parameters if p not in documented
    ]
    problems += [
        f"{name}: ':param {p}:' documents an argument the hook does not take" for p in documented if p not in parameters
    ]
    problems += [
        f"{name}: ':param {p}:' appears more than once" for p in sorted(set(documented)) if documented.count(p) > 1
    ]
    if not RETURN.search(doc):
        problems.append(f"{name}: no ':return:' line (say what the hook returns, or that it is ignored)")
    return problems


def all_problems(namespace: object) -> list[str]:
    return [
        problem for name, hook in sorted(hooks_in(namespace).items()) for problem in documentation_problems(name, hook)
    ]


# ------------------------------------------------------------------------------ the real hooks


def test_the_checker_sees_every_hook_pluggy_sees():
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    registered = {name for name, caller in vars(pm.hook).items() if getattr(caller, "spec", None) is not None}
    assert registered, "plugins.hookspecs defines no hooks"
    assert set(hooks_in(hookspecs)) == registered


@pytest.mark.parametrize("name", sorted(hooks_in(hookspecs)))
def test_every_hook_is_documented(name):
    problems = documentation_problems(name, hooks_in(hookspecs)[name])
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", sorted(hooks_in(hookspecs)))
def test_hook_names_follow_the_convention(name):
    assert name.startswith(f"{PROJECT}_"), f"{name}: hooks are named creditcare_<verb>_<noun> (docs/architecture.md)"


# ------------------------------------------------------------------------ the check itself


def _throwaway_hooks() -> types.ModuleType:
    hookspec = pluggy.HookspecMarker(PROJECT)
    module = types.ModuleType("throwaway_hookspecs")

    @hookspec
    def creditcare_documented(customer_ref: str, assessed_at: datetime) -> None:
        """Do something.

        Called once per change.

        :param customer_ref: the customer.
        :param assessed_at:
            when (a description on the next, indented, line counts).
        :return: nothing.
        """

    @hookspec
    def creditcare_no_docstring(customer_ref: str) -> None:
        pass

    @hookspec
    def creditcare_undocumented_argument(customer_ref: str, new_grade: str) -> None:
        """Do something. Called after a change.

        :param customer_ref: the customer.
        :return: nothing.
        """

    @hookspec
    def creditcare_stale_and_silent(customer_ref: str) -> str:
        """Do something.

        :param customer_ref: the customer.
        :param grade: gone.
        """

    def creditcare_not_a_hook(undocumented: str) -> None:
        pass

    for function in (creditcare_documented, creditcare_no_docstring, creditcare_undocumented_argument,
                     creditcare_stale_and_silent, creditcare_not_a_hook):
        setattr(module, function.__name__, function)
    return module


def test_the_check_fails_on_undocumented_hooks():
    module = _throwaway_hooks()
    assert set(hooks_in(module)) == {
        "creditcare_documented", "creditcare_no_docstring", "creditcare_undocumented_argument",
        "creditcare_stale_and_silent",
    }
    assert all_problems(module) == [
        "creditcare_no_docstring: no docstring",
        "creditcare_stale_and_silent: the docstring does not say when the hook is called ('Called …')",
        "creditcare_stale_and_silent: ':param grade:' documents an argument the hook does not take",
        "creditcare_stale_and_silent: no ':return:' line (say what the hook returns, or that it is ignored)",
        "creditcare_undocumented_argument: argument 'new_grade' is not documented with ':param new_grade:'",
    ]


def test_an_empty_param_description_does_not_count():
    hookspec = pluggy.HookspecMarker(PROJECT)

    @hookspec
    def creditcare_lazy(customer_ref: str) -> None:
        """Called sometimes.

        :param customer_ref:
        :return: nothing.
        """

    assert documentation_problems("creditcare_lazy", creditcare_lazy) == [
        "creditcare_lazy: argument 'customer_ref' is not documented with ':param customer_ref:'"
    ]
