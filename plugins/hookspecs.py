"""The hooks creditcare calls. Implement them with ``plugins.spec.hookimpl`` in a module or object
registered under the entry-point group ``creditcare``:

    [project.entry-points.creditcare]
    my-scorecards = "my_package.plugin"
"""

from __future__ import annotations

from datetime import datetime

import pluggy

from plugins.spec import PROJECT, GradingStrategy, WarningRule

hookspec = pluggy.HookspecMarker(PROJECT)


@hookspec
def creditcare_register_grading_strategies() -> list[GradingStrategy]:
    """Return the grading strategies this plugin provides.

    Called once at start-up (and on ``creditcare plugins list``), for every plugin; the results
    of all plugins are collected.

    :return: strategy objects satisfying ``plugins.spec.GradingStrategy``. Each declares the GB/T
        4754 code prefixes it grades in ``industries`` (``"*"``: any industry no other strategy
        claims). Two strategies claiming the same prefix stop start-up with an error naming both,
        unless ``CREDITCARE_GRADING_PREFERENCES`` says which wins.
    """


@hookspec
def creditcare_register_warning_rules() -> list[WarningRule]:
    """Return the early-warning rules this plugin provides (R-S3).

    Called once at start-up (and on ``creditcare plugins list``), for every plugin; the results of
    all plugins are collected. A rule is evaluated for a customer whenever its statements, credit
    information or major changes are recorded, and for every customer by ``creditcare warnings
    evaluate`` (run it on a schedule). Rules of installed plugins run in the plugin's worker
    processes, like grading strategies, each evaluation cut at ``CREDITCARE_GRADING_TIMEOUT_SECONDS``;
    a rule that fails or times out is logged and raises nothing, and the other rules still run.

    :return: rule objects satisfying ``plugins.spec.WarningRule``, each with an ``id`` no other
        rule of any plugin uses (two rules with one id stop start-up with an error naming both).
    """


@hookspec
def creditcare_grade_changed(
    customer_ref: str, previous_grade: str | None, new_grade: str, strategy_id: str, assessed_at: datetime
) -> None:
    """React to a customer's grade in force changing (an assessment, or an approved override).

    Called after the change is committed, once per change, for every plugin. An exception here is
    logged and does not undo the change.

    :param customer_ref: the customer's global ID (as the GraphQL API shows it).
    :param previous_grade: the grade before (``"A"`` … ``"D"``), or ``None`` for a first grade.
    :param new_grade: the grade now in force.
    :param strategy_id: the strategy that produced the underlying assessment.
    :param assessed_at: when the grade took effect (time-zone aware, UTC).
    :return: nothing; return values are ignored.
    """
