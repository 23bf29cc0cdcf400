"""Grades in the schema: the grade in force with its treatment, assessments, overrides, plugins."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay
from strawberry.scalars import JSON

from api.errors import InvalidInput
from api.reference.industries import get_industry
from api.reference.treatments import treatments
from api.services import grading, grading_reads, overrides
from api.services.customers import save
from api.services.pagination import ParentPage
from schema.context import Info
from schema.convert import from_row, input_dict
from schema.data_classes import classes, classified
from schema.errors import ConflictError, GradingFailedError, InvalidInputError, NotFoundError
from schema.ids import decode_global_id, page_info
from schema.mutation_runner import run_mutation
from schema.reads import Count, Projection, Related, declare
from schema.reference import described_enum
from schema.resolve import counted, related

if TYPE_CHECKING:  # imported lazily at run time (schema.customer.types imports this module)
    from schema.customer.types import Customer


class GradeLevel(Enum):
    A = "A"
    B = "B"
    C = "C"
    D = "D"


described_enum(
    GradeLevel, name="GradeLevel", description="A customer's credit grade, from A (best) to D.",
    values={
        "A": "Best: strong finances and a clean credit record.",
        "B": "Good: sound, with minor weaknesses.",
        "C": "Weak: material weaknesses; the customer is watched.",
        "D": "Poor: exposure is to be reduced or recovered.",
    },
)


@classified("grading")
@strawberry.type(
    description="What a grade means in practice (credit limits, pricing, mitigation and revisits), "
    "from the treatment configuration."
)
class Treatment:
    limit_policy: str = strawberry.field(description="Credit-limit policy.")
    rate_adjustment_bps: int = strawberry.field(description="Rate adjustment in basis points (negative: a discount).")
    mitigation_required: bool = strawberry.field(description="Whether collateral or guarantees are required.")
    revisit_interval_days: int = strawberry.field(description="Days between scheduled revisits.")
    actions: list[str] = strawberry.field(description="Actions the grade calls for, e.g. a recall plan for D.")
    version: str = strawberry.field(description="Version of the treatment configuration.")


def treatment_of(grade: str) -> Treatment:
    t = treatments()[grade]
    return Treatment(limit_policy=t.limit_policy, rate_adjustment_bps=t.rate_adjustment_bps,
                     mitigation_required=t.mitigation_required, revisit_interval_days=t.revisit_interval_days,
                     actions=list(t.actions), version=t.version)


@classified("financial", "credit")
@strawberry.type(description="One factor's contribution to a score, with its reason code.")
class GradeFactor:
    code: str = strawberry.field(description="Stable reason code, e.g. LEVERAGE.")
    name: str = strawberry.field(description="The factor's name, e.g. Leverage.")
    value: str | None = strawberry.field(description="The measured value (a ratio, an answer), if available.")
    band: str = strawberry.field(description="The band it fell in, e.g. strong, weak, missing.")
    points: Decimal = strawberry.field(description="Points this factor added to the score.")
    max_points: Decimal = strawberry.field(description="The most points this factor can add.")
    reason: str = strawberry.field(description="In plain language.")


@classified("grading")
@strawberry.type(description="A proposal to move a grade one step, and the second person's decision.")
class GradeOverride(relay.Node):
    id: relay.NodeID[int]
    from_grade: GradeLevel = strawberry.field(description="The assessed grade it overrides.")
    to_grade: GradeLevel = strawberry.field(description="The grade proposed instead, one step away.")
    direction: str = strawberry.field(description="up or down.")
    reason_code: str = strawberry.field(description="Why, as a code, e.g. PARENT_SUPPORT.")
    reason_text: str = strawberry.field(description="Why, in words.")
    status: str = strawberry.field(description="pending, approved or rejected.")
    proposed_by: str = strawberry.field(description="Who proposed it (token `sub`).")
    proposed_at: datetime = strawberry.field(description="When it was proposed.")
    decided_by: str | None = strawberry.field(description="Who approved or rejected it; null while pending.")
    decided_at: datetime | None = strawberry.field(description="When it was decided; null while pending.")
    decision_comment: str | None = strawberry.field(description="The approver's comment, if any.")
    customer_id: strawberry.Private[int]


@classified("grading_runs")
@strawberry.type(
    description="An automatic re-grade that failed (after new information, a change of industry, or "
    "`creditcare regrade`): the information that triggered it was recorded, no grade was stored."
)
class GradingFailure(relay.Node):
    id: relay.NodeID[int]
    failed_at: datetime = strawberry.field(description="When it failed.")
    triggered_by: str = strawberry.field(
        description="Whose change triggered it (token `sub`), or the bulk run (`regrade:<run id>`)."
    )
    trigger: str = strawberry.field(description="financial_statement, credit_information, industry_change or regrade.")
    strategy_id: str = strawberry.field(description="The strategy that failed.")
    plugin_name: str = strawberry.field(description="The plugin that provides it.")
    error: str = strawberry.field(
        description="What went wrong, e.g. `took longer than 2 s`; details that may quote the customer's "
        "figures are in the server log only."
    )
    customer_id: strawberry.Private[int]


def failure_of(row: Any) -> GradingFailure:
    return from_row(GradingFailure, row)


def override_of(row: Any) -> GradeOverride:
    return from_row(GradeOverride, row, from_grade=GradeLevel(row.from_grade), to_grade=GradeLevel(row.to_grade))


FACTORS = Projection(
    (),
    lambda assessment: [
        GradeFactor(code=f["code"], name=f["name"], value=f["value"], band=f["band"], points=Decimal(f["points"]),
                    max_points=Decimal(f["max_points"]), reason=f["reason"])
        for f in assessment.factor_rows
    ],
)
OVERRIDES = Related(
    "assessment_id", lambda s, ids, _: grading_reads.overrides_by_assessment(s, ids), lambda row, _: override_of(row)
)


@classified("grading")
@strawberry.type(description="One grading of a customer by a strategy: kept as history, never changed.")
class GradeAssessment(relay.Node):
    id: relay.NodeID[int]
    grade: GradeLevel = strawberry.field(description="The grade the strategy gave.")
    score: Decimal = strawberry.field(description="Score 0–100.")
    strategy_id: str = strawberry.field(description="The grading strategy that graded, e.g. `manufacturing`.")
    strategy_version: str = strawberry.field(description="The strategy's version.")
    plugin_name: str = strawberry.field(description="The plugin that provides the strategy.")
    plugin_distribution: str = strawberry.field(description="The Python distribution that installed the plugin.")
    plugin_version: str = strawberry.field(description="That distribution's version.")
    # Confidential parts are nullable: a reader without the right sees null, not a missing assessment.
    # Reasons and facts quote figures, ratios, arrears and defaults: financial and credit information.
    reasons: list[str] | None = strawberry.field(
        description="The reasons that mattered most, knock-outs first.", metadata=classes("financial", "credit")
    )
    knock_outs: list[str] | None = strawberry.field(
        description="Knock-out rules that capped the grade.", metadata=classes("credit")
    )
    answers: JSON = strawberry.field(description="The assessor's answers to the qualitative questions.")
    facts: JSON | None = strawberry.field(
        description="Snapshot of the financial and credit facts the strategy used.",
        metadata=classes("financial", "credit"),
    )
    established_on: date | None = strawberry.field(
        description="The establishment date the strategy saw (basic information).", metadata=classes("basic")
    )
    operating_facts: JSON | None = strawberry.field(
        description="The operating information the strategy saw: market share, industry position, products, "
        "channels, main suppliers and customers; null when none was recorded.",
        metadata=classes("operating"),
    )
    assessed_at: datetime = strawberry.field(description="When it was graded.")
    assessed_by: str = strawberry.field(description="Who (token `sub`) or which process graded.")
    trigger: str = strawberry.field(
        description="assessment, financial_statement, credit_information, industry_change or regrade."
    )
    provisional: bool = strawberry.field(
        description="True when required answers were missing: the assessment is kept and shown, but its grade "
        "was not put in force and the credit status did not change. An assessor's answers "
        "(`assessGrade`) replace it."
    )
    missing_answers: list[str] = strawberry.field(
        description="The required questions left unanswered (`GradingQuestion.id`), in the strategy's order; "
        "empty when the assessment is in force."
    )
    customer_id: strawberry.Private[int]
    assessment_id: strawberry.Private[int]
    factor_rows: strawberry.Private[list[dict[str, Any]]]

    @strawberry.field(
        description="Every factor: value, band, points and reason.", metadata=declare(FACTORS, ("financial", "credit"))
    )
    def factors(self) -> list[GradeFactor] | None:
        return FACTORS.value(self)  # type: ignore[no-any-return]

    @strawberry.field(
        description="Overrides proposed on this assessment, newest first.", metadata=declare(OVERRIDES, "grading")
    )
    async def overrides(self, info: Info) -> list[GradeOverride]:
        return await related(info, OVERRIDES, self)  # type: ignore[no-any-return]


def assessment_of(row: Any) -> GradeAssessment:
    return GradeAssessment(
        id=row.id, grade=GradeLevel(row.grade),
        score=row.score, strategy_id=row.strategy_id, strategy_version=row.strategy_version,
        plugin_name=row.plugin_name, plugin_distribution=row.plugin_distribution,
        plugin_version=row.plugin_version, reasons=list(row.reasons), knock_outs=list(row.knock_outs),
        answers=row.answers, facts=row.facts, established_on=row.established_on,
        operating_facts=row.operating_facts, assessed_at=row.assessed_at, assessed_by=row.assessed_by,
        trigger=row.trigger, provisional=row.provisional, missing_answers=list(row.missing_answers),
        customer_id=row.customer_id, assessment_id=row.id, factor_rows=list(row.factors),
    )


def _no_sql_form() -> Any:
    raise LookupError("a nested connection's count is fetched, never built in SQL")


ASSESSMENT_COUNT = Count("customer_id", grading_reads.assessment_counts, _no_sql_form)


@classified("grading")
@strawberry.type(description="An assessment in a customer's grade history, with its cursor.")
class GradeAssessmentEdge:
    cursor: str = strawberry.field(description="Opaque position of this assessment: pass it as `after` or `before`.")
    node: GradeAssessment = strawberry.field(description="The assessment.")
    customer_id: strawberry.Private[int]


@classified("grading")
@strawberry.type(description="A customer's assessments, newest first (Relay connection, keyset-paginated).")
class GradeAssessmentConnection:
    edges: list[GradeAssessmentEdge] = strawberry.field(description="The assessments of this page, newest first.")
    page_info: relay.PageInfo = strawberry.field(description="Where this page is in the whole list.")
    customer_id: strawberry.Private[int]

    @strawberry.field(
        description="How many assessments the customer has, over all pages.",
        metadata=declare(ASSESSMENT_COUNT, "grading"),
    )
    async def total_count(self, info: Info) -> int:
        return await counted(info, ASSESSMENT_COUNT, self)


def assessment_connection(parent: ParentPage[Any], assessments: list[GradeAssessment]) -> GradeAssessmentConnection:
    """A customer's page of assessments as its connection."""
    page = parent.page
    return GradeAssessmentConnection(
        edges=[
            GradeAssessmentEdge(cursor=cursor, node=node, customer_id=parent.parent)
            for node, cursor in zip(assessments, page.cursors, strict=True)
        ],
        page_info=page_info(page.cursors, page.has_next_page, page.has_previous_page),
        customer_id=parent.parent,
    )


TREATMENT = Projection(
    (), lambda grade: treatment_of(grade.level.value),
    cases=("level", lambda: {level.value: treatment_of(level.value) for level in GradeLevel}),
)


async def _newest_assessment(session: AsyncSession, ids: list[int], _: int) -> dict[int, Any]:
    return {key: rows[0] for key, rows in (await grading_reads.assessments_in_force(session, ids, 1)).items() if rows}


ASSESSMENT = Related("customer_id", _newest_assessment, lambda row, _: assessment_of(row), single=True)


@classified("grading")
@strawberry.type(description="The grade in force: the latest assessment's, or its approved override.")
class CustomerGrade:
    level: GradeLevel = strawberry.field(description="The grade in force.")
    score: Decimal | None = strawberry.field(description="The latest assessment's score.")
    graded_at: datetime | None = strawberry.field(description="When the grade in force was set.")
    customer_id: strawberry.Private[int]

    @strawberry.field(
        description="What this grade means: limits, pricing, mitigation, revisits.",
        metadata=declare(TREATMENT, "grading"),
    )
    def treatment(self) -> Treatment:
        return TREATMENT.value(self)  # type: ignore[no-any-return]

    @strawberry.field(description="The assessment behind it.", metadata=declare(ASSESSMENT, "grading"))
    async def assessment(self, info: Info) -> GradeAssessment | None:
        return await related(info, ASSESSMENT, self)  # type: ignore[no-any-return]


def grade_of(customer_row: Any) -> CustomerGrade | None:
    if customer_row.grade is None:
        return None
    return CustomerGrade(level=GradeLevel(customer_row.grade), score=customer_row.grade_score,
                         graded_at=customer_row.graded_at, customer_id=customer_row.id)


@strawberry.type(description="A qualitative question's allowed answer.")
class QuestionAnswer:
    id: str = strawberry.field(description="Send it as `answerId`.")
    text: str = strawberry.field(description="The answer as the assessor reads it.")


@strawberry.type(description="A qualitative question the assessor answers.")
class GradingQuestion:
    id: str = strawberry.field(description="Send it as `questionId`.")
    text: str = strawberry.field(description="The question as the assessor reads it.")
    answers: list[QuestionAnswer] = strawberry.field(description="The answers allowed, in order.")
    required: bool = strawberry.field(
        description="Whether an assessment without its answer is provisional (not put in force)."
    )


@strawberry.type(description="The strategy that grades an industry, and its questions.")
class GradingStrategyInfo:
    id: str = strawberry.field(description="The strategy's id, e.g. `manufacturing`.")
    version: str = strawberry.field(description="Its version; kept with every assessment.")
    industries: list[str] = strawberry.field(description="The GB/T 4754 codes it grades (prefixes).")
    plugin_name: str = strawberry.field(description="The plugin that provides it.")
    plugin_distribution: str = strawberry.field(description="The Python distribution that installed the plugin.")
    plugin_version: str = strawberry.field(description="That distribution's version.")
    questions: list[GradingQuestion] = strawberry.field(description="The qualitative questions it asks.")


def strategy_info_of(info: Any) -> GradingStrategyInfo:
    return GradingStrategyInfo(
        id=info.id, version=info.version, industries=list(info.industries), plugin_name=info.plugin,
        plugin_distribution=info.distribution, plugin_version=info.distribution_version,
        questions=[
            GradingQuestion(id=q.id, text=q.text, answers=[QuestionAnswer(id=a.id, text=a.text) for a in q.answers],
                            required=q.required)
            for q in info.strategy.questions
        ],
    )


@strawberry.type(description="An installed plugin and the strategies it provides.")
class PluginInfo:
    name: str = strawberry.field(description="The plugin's name.")
    distribution: str = strawberry.field(description="The Python distribution that installed it.")
    version: str = strawberry.field(description="That distribution's version.")
    strategies: list[GradingStrategyInfo] = strawberry.field(description="The grading strategies it provides.")


@strawberry.type(description="Decided overrides by approver, direction and outcome.")
class OverrideReportRow:
    approver: str = strawberry.field(description="Who decided (token `sub`).")
    direction: str = strawberry.field(description="up or down.")
    status: str = strawberry.field(description="approved or rejected.")
    count: int = strawberry.field(description="How many such decisions.")


@strawberry.input(description="An answer to a qualitative question.")
class AnswerInput:
    question_id: str = strawberry.field(description="A question of the customer's strategy (`GradingQuestion.id`).")
    answer_id: str = strawberry.field(description="One of its allowed answers (`QuestionAnswer.id`).")


@strawberry.input(description="Grade a customer now, with the assessor's answers.")
class AssessGradeInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer to grade.")
    answers: list[AnswerInput] = strawberry.field(
        default_factory=list, description="The assessor's answers; a question left out counts as unanswered."
    )


@strawberry.input(description="Propose moving the assessed grade by one step.")
class ProposeOverrideInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer whose assessed grade to override.")
    grade: GradeLevel = strawberry.field(description="The grade proposed: one step from the assessed grade.")
    reason_code: str = strawberry.field(description="E.g. PARENT_SUPPORT, PENDING_RESTRUCTURING (capitals, digits, _).")
    reason_text: str = strawberry.field(description="Why, in at least 10 characters.")


@strawberry.input(description="Approve or reject a pending override.")
class DecideOverrideInput:
    id: strawberry.ID = strawberry.field(description="The pending override (`GradeOverride.id`).")
    approve: bool = strawberry.field(description="True to approve, false to reject.")
    comment: str | None = strawberry.field(default=None, description="Why, for the record.")


@strawberry.type(description="The customer after grading, and the new assessment.")
class GradePayload:
    customer: Annotated[Customer, strawberry.lazy("schema.customer.types")] = strawberry.field(
        description="The customer with its new grade in force (unchanged when the assessment is provisional)."
    )
    assessment: GradeAssessment | None = strawberry.field(
        description="The assessment just made; null (with an error) for a caller who may not read grades.",
        metadata=classes("grading"),
    )


@strawberry.type(description="The override after the change.")
class OverridePayload:
    override: GradeOverride | None = strawberry.field(
        description="The override as it is now; null (with an error) for a caller who may not read grades.",
        metadata=classes("grading"),
    )


AssessGradeResult = Annotated[
    GradePayload | InvalidInputError | NotFoundError | GradingFailedError | ConflictError,
    strawberry.union("AssessGradeResult", description="The new grade and its assessment, or why nothing was stored."),
]
OverrideResult = Annotated[
    OverridePayload | InvalidInputError | NotFoundError | ConflictError,
    strawberry.union("OverrideResult", description="The override after the change, or why nothing changed."),
]


@strawberry.type
class GradingQuery:
    @strawberry.field(description="The strategy grading an industry (GB/T 4754 code), with its qualitative questions.")
    def grading_strategy(
        self,
        info: Info,
        industry_code: Annotated[
            str, strawberry.argument(description="A GB/T 4754-2017 code, e.g. `C34` (an unknown code: null).")
        ],
    ) -> GradingStrategyInfo | None:
        if get_industry(industry_code) is None:
            return None
        return strategy_info_of(info.context.plugins.strategy_for(industry_code))

    @strawberry.field(description="The installed plugins and their strategies (administrators).")
    def plugins(self, info: Info) -> list[PluginInfo] | None:
        return [PluginInfo(name=p.name, distribution=p.distribution, version=p.distribution_version,
                           strategies=[strategy_info_of(s) for s in p.strategies])
                for p in info.context.plugins.plugins]

    @strawberry.field(description="Grade overrides of customers in scope, newest first (at most 200).")
    async def grade_overrides(
        self,
        info: Info,
        status: Annotated[
            str | None, strawberry.argument(description="Only `pending`, `approved` or `rejected` ones; all when null.")
        ] = None,
    ) -> list[GradeOverride] | None:
        async with info.context.reading() as session:
            rows = await overrides.overrides_for(session, scope=info.context.scope, status=status)
        return [override_of(r) for r in rows]

    @strawberry.field(
        description="Every failed automatic re-grade, newest first, without its customer: what an administrator "
        "checks after a plugin upgrade or a bulk run (a customer's own are `Customer.gradingFailures`)."
    )
    async def grading_failures(
        self,
        info: Info,
        strategy_id: Annotated[
            str | None,
            strawberry.argument(description="Only this strategy's (`GradingStrategyInfo.id`); all when null."),
        ] = None,
        limit: Annotated[int, strawberry.argument(description="How many, newest first (1–200).")] = 50,
    ) -> list[GradingFailure] | None:
        if not 1 <= limit <= 200:
            raise InvalidInput.one("limit", "must be between 1 and 200")
        async with info.context.reading() as session:
            rows = await grading_reads.failures(session, strategy_id=strategy_id, limit=limit)
        return [failure_of(r) for r in rows]

    @strawberry.field(description="Decided overrides counted by approver and direction.")
    async def override_report(self, info: Info) -> list[OverrideReportRow] | None:
        async with info.context.reading() as session:
            rows = await overrides.override_report(session, scope=info.context.scope)
        return [OverrideReportRow(approver=a, direction=d, status=s, count=c) for a, d, s, c in rows]


@strawberry.type
class GradingMutation:
    @strawberry.mutation(description="Grade a customer with its industry's strategy and the assessor's answers.")
    async def assess_grade(
        self,
        info: Info,
        input: Annotated[AssessGradeInput, strawberry.argument(description="Whom to grade, and the answers.")],
    ) -> AssessGradeResult:
        from schema.customer.types import Customer  # the customer module imports this one

        ctx = info.context

        async def act(session: AsyncSession) -> GradePayload:
            customer, assessment, change = await grading.assess_grade(
                session, principal=ctx.principal, scope=ctx.scope,
                customer_id=decode_global_id(input.customer_id, "Customer", "input.customerId"),
                answers={a.question_id: a.answer_id for a in input.answers}, host=ctx.plugins,
                timeout=ctx.settings.grading_timeout_seconds,
            )
            await save(session)
            if change is not None:
                ctx.grade_changes.append(change)
            return GradePayload(customer=Customer.from_row(customer), assessment=assessment_of(assessment))

        return await run_mutation(info, act)

    @strawberry.mutation(
        description="Propose overriding the assessed grade by one step, with a reason; awaits approval."
    )
    async def propose_grade_override(
        self, info: Info, input: Annotated[ProposeOverrideInput, strawberry.argument(description="The proposal.")]
    ) -> OverrideResult:
        data = input_dict(input)
        raw_id = data.pop("customer_id")
        data["grade"] = input.grade.value

        async def act(session: AsyncSession) -> OverridePayload:
            row = await overrides.propose_override(
                session, principal=info.context.principal, scope=info.context.scope,
                customer_id=decode_global_id(raw_id, "Customer", "input.customerId"), data=data,
            )
            return OverridePayload(override=override_of(row))

        return await run_mutation(info, act)

    @strawberry.mutation(
        description="Approve or reject a pending override (not by its proposer nor the customer's manager)."
    )
    async def decide_grade_override(
        self, info: Info, input: Annotated[DecideOverrideInput, strawberry.argument(description="The decision.")]
    ) -> OverrideResult:
        ctx = info.context

        async def act(session: AsyncSession) -> OverridePayload:
            row, change = await overrides.decide_override(
                session, principal=ctx.principal, scope=ctx.scope,
                override_id=decode_global_id(input.id, "GradeOverride", "input.id"),
                data={"approve": input.approve, "comment": input.comment},
            )
            if change is not None:
                ctx.grade_changes.append(change)
            return OverridePayload(override=override_of(row))

        return await run_mutation(info, act)
