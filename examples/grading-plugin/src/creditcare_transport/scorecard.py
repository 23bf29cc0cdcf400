"""A transport & logistics scorecard, driven by ``transport.toml`` (shipped as package data).

The code below is a small, generic scorecard engine; every threshold, weight, cut-off and
knock-out is in the TOML file. It imports only ``plugins.spec`` (the contract the creditcare host
provides) and the standard library.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from importlib import resources
from typing import Any

from plugins.spec import Answer, Decision, FactorResult, Facts, Grade, Question, Ratios

CARD = "transport.toml"
HUNDRED = Decimal(100)
CENT = Decimal("0.01")
#: How many of the weakest factors are given as reasons (after any knock-outs).
TOP_REASONS = 3


class CardError(ValueError):
    """The card is unusable; the message names the field."""


@dataclass(frozen=True, slots=True)
class Band:
    label: str
    limit: Decimal | None  # None for the "otherwise" and "missing" bands
    share: Decimal


@dataclass(frozen=True, slots=True)
class Factor:
    code: str
    name: str
    metric: str  # a field of plugins.spec.Ratios
    weight: Decimal
    higher_is_better: bool
    format: str  # percent | times
    bands: tuple[Band, ...]
    otherwise: Band
    missing: Band

    def band_for(self, value: Decimal | None) -> Band:
        if value is None:
            return self.missing
        for band in self.bands:
            assert band.limit is not None
            if (value >= band.limit) if self.higher_is_better else (value <= band.limit):
                return band
        return self.otherwise


@dataclass(frozen=True, slots=True)
class ScoredQuestion:
    question: Question
    weight: Decimal
    shares: Mapping[str, Decimal]  # answer id -> share of the weight


@dataclass(frozen=True, slots=True)
class AnswerKnockOut:
    question: str
    answer: str
    cap: Grade


@dataclass(frozen=True, slots=True)
class KnockOuts:
    non_performing: Grade
    overdue: Grade
    overdue_lookback_days: int
    adverse_audit: Grade
    adverse_opinions: frozenset[str]
    answers: tuple[AnswerKnockOut, ...]


class TransportScorecard:
    """A ``plugins.spec.GradingStrategy`` for GB/T 4754 section G. Immutable; safe to share."""

    def __init__(
        self, *, id: str, version: str, name: str, industries: tuple[str, ...],
        cutoffs: Mapping[Grade, Decimal], factors: tuple[Factor, ...],
        questions: tuple[ScoredQuestion, ...], knock_outs: KnockOuts,
    ) -> None:
        self.id = id
        self.version = version
        self.name = name
        self.industries = industries
        self.cutoffs = dict(cutoffs)
        self.factors = factors
        self.scored_questions = questions
        self.questions = tuple(q.question for q in questions)
        self.knock_outs = knock_outs

    def __repr__(self) -> str:
        return f"<TransportScorecard {self.id} {self.version}>"

    def grade_for_score(self, score: Decimal) -> Grade:
        for grade in (Grade.A, Grade.B, Grade.C):
            if score >= self.cutoffs[grade]:
                return grade
        return Grade.D

    def grade(self, facts: Facts) -> Decision:
        """Score every factor and question, grade by cut-off, then let the knock-outs cap it."""
        results = [self._financial(f, facts.ratios) for f in self.factors]
        results += [self._qualitative(q, facts.answers) for q in self.scored_questions]
        score = sum((r.points for r in results), Decimal(0)).quantize(CENT)
        grade = self.grade_for_score(score)
        applied = []
        for cap, text in self._knock_outs(facts):
            grade = grade.at_most(cap)
            applied.append(text)
        weakest = sorted(results, key=lambda r: (r.max_points - r.points, r.code), reverse=True)
        lost = [r.reason for r in weakest if r.points < r.max_points]
        reasons = tuple(applied) + tuple(lost[: max(0, TOP_REASONS - len(applied))])
        return Decision(grade=grade, score=score, factors=tuple(results), reasons=reasons,
                        knock_outs=tuple(applied))

    def _knock_outs(self, facts: Facts) -> list[tuple[Grade, str]]:
        k = self.knock_outs
        found: list[tuple[Grade, str]] = []
        if facts.non_performing:
            found.append((k.non_performing, f"Non-performing loan: grade at most {k.non_performing}"))
        since = facts.as_of - timedelta(days=k.overdue_lookback_days)
        if facts.days_past_due > 0:
            found.append((k.overdue, f"{facts.days_past_due} days past due: grade at most {k.overdue}"))
        elif any(e.kind in ("overdue", "default") and e.occurred_on >= since for e in facts.credit_history):
            found.append((k.overdue, f"Overdue in the last {k.overdue_lookback_days} days: grade at most {k.overdue}"))
        opinion = facts.latest.audit_opinion if facts.latest is not None else None
        if opinion in k.adverse_opinions:
            found.append((k.adverse_audit, f"Auditor's opinion is {opinion}: grade at most {k.adverse_audit}"))
        for rule in k.answers:
            if facts.answers.get(rule.question) == rule.answer:
                found.append((rule.cap, f"{rule.question} is {rule.answer}: grade at most {rule.cap}"))
        return found

    @staticmethod
    def _financial(factor: Factor, ratios: Ratios) -> FactorResult:
        value = getattr(ratios, factor.metric)
        band = factor.band_for(value)
        points = (factor.weight * band.share).quantize(CENT)
        shown = _format(value, factor.format)
        reason = f"{factor.name}: not available" if shown is None else f"{factor.name}: {shown} ({band.label})"
        return FactorResult(factor.code, factor.name, shown, band.label, points, factor.weight, reason)

    @staticmethod
    def _qualitative(scored: ScoredQuestion, answers: Mapping[str, str]) -> FactorResult:
        question = scored.question
        answer = answers.get(question.id)
        share = scored.shares.get(answer) if answer is not None else None
        points = (scored.weight * (share if share is not None else Decimal(0))).quantize(CENT)
        text = next((a.text for a in question.answers if a.id == answer), None)
        reason = f"{question.text}: {text}" if text is not None else f"{question.text}: not answered"
        return FactorResult(question.id.upper(), question.text, answer if share is not None else None,
                            answer if share is not None else "missing", points, scored.weight, reason)


def _format(value: Decimal | None, fmt: str) -> str | None:
    if value is None:
        return None
    if fmt == "percent":
        return f"{(value * HUNDRED).quantize(Decimal('0.1'))}%"
    return f"{value.quantize(CENT)}x"


# ------------------------------------------------------------------------------------ loading


def _decimal(raw: Any, where: str) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        raise CardError(f"{where}: write numbers as strings or integers, not {raw!r}")
    try:
        return Decimal(str(raw))
    except ArithmeticError:
        raise CardError(f"{where}: not a number: {raw!r}") from None


def _share(raw: Any, where: str) -> Decimal:
    share = _decimal(raw, where)
    if not Decimal(0) <= share <= Decimal(1):
        raise CardError(f"{where}: a share must be between 0 and 1, not {share}")
    return share


def _band(raw: Mapping[str, Any], where: str, *, with_limit: bool) -> Band:
    limit = _decimal(raw["limit"], f"{where}.limit") if with_limit else None
    return Band(str(raw["label"]), limit, _share(raw["share"], f"{where}.share"))


def _factor(raw: Mapping[str, Any], where: str) -> Factor:
    metric = str(raw["metric"])
    if metric not in Ratios.__dataclass_fields__:
        raise CardError(f"{where}.metric: {metric!r} is not a field of plugins.spec.Ratios")
    if raw["better"] not in ("higher", "lower"):
        raise CardError(f"{where}.better: 'higher' or 'lower', not {raw['better']!r}")
    higher = raw["better"] == "higher"
    bands = tuple(_band(b, f"{where}.bands[{i}]", with_limit=True) for i, b in enumerate(raw["bands"]))
    limits = [b.limit for b in bands]
    if not bands or limits != sorted(limits, reverse=higher):  # type: ignore[type-var]
        raise CardError(f"{where}.bands: at least one, limits from best to worst")
    if raw.get("format", "times") not in ("percent", "times"):
        raise CardError(f"{where}.format: 'percent' or 'times'")
    return Factor(
        code=str(raw["code"]), name=str(raw["name"]), metric=metric, weight=_decimal(raw["weight"], f"{where}.weight"),
        higher_is_better=higher, format=str(raw.get("format", "times")), bands=bands,
        otherwise=_band(raw["otherwise"], f"{where}.otherwise", with_limit=False),
        missing=_band(raw["missing"], f"{where}.missing", with_limit=False),
    )


def _question(raw: Mapping[str, Any], where: str) -> ScoredQuestion:
    answers = raw["answers"]
    if not answers:
        raise CardError(f"{where}.answers: at least one answer")
    shares = {str(a["id"]): _share(a["share"], f"{where}.answers.{a['id']}") for a in answers}
    if len(shares) != len(answers):
        raise CardError(f"{where}.answers: answer ids must be distinct")
    question = Question(str(raw["id"]), str(raw["text"]), tuple(Answer(str(a["id"]), str(a["text"])) for a in answers))
    return ScoredQuestion(question, _decimal(raw["weight"], f"{where}.weight"), shares)


def parse_card(data: Mapping[str, Any], source: str = CARD) -> TransportScorecard:
    """The scorecard described by ``data`` (a parsed card); ``CardError`` names what is wrong."""
    try:
        factors = tuple(_factor(f, f"{source}: factors[{i}]") for i, f in enumerate(data["factors"]))
        questions = tuple(_question(q, f"{source}: questions[{i}]") for i, q in enumerate(data.get("questions", [])))
        cutoffs = {g: _decimal(data["cutoffs"][g.value], f"{source}: cutoffs.{g.value}") for g in (Grade.A, Grade.B, Grade.C)}
        k = data["knock_outs"]
        knock_outs = KnockOuts(
            non_performing=Grade(k["non_performing"]), overdue=Grade(k["overdue"]),
            overdue_lookback_days=int(k["overdue_lookback_days"]), adverse_audit=Grade(k["adverse_audit"]),
            adverse_opinions=frozenset(str(o) for o in k["adverse_opinions"]),
            answers=tuple(AnswerKnockOut(str(a["question"]), str(a["answer"]), Grade(a["cap"])) for a in k.get("answers", [])),
        )
        card = TransportScorecard(
            id=str(data["id"]), version=str(data["version"]), name=str(data["name"]),
            industries=tuple(str(i) for i in data["industries"]), cutoffs=cutoffs, factors=factors,
            questions=questions, knock_outs=knock_outs,
        )
    except KeyError as exc:
        raise CardError(f"{source}: missing {exc.args[0]!r}") from None
    except ValueError as exc:
        if isinstance(exc, CardError):
            raise
        raise CardError(f"{source}: {exc}") from None
    total = sum((f.weight for f in factors), Decimal(0)) + sum((q.weight for q in questions), Decimal(0))
    if total != HUNDRED:
        raise CardError(f"{source}: weights sum to {total}, not 100")
    if not cutoffs[Grade.A] > cutoffs[Grade.B] > cutoffs[Grade.C] >= 0:
        raise CardError(f"{source}: cut-offs must fall from A to C")
    known = {q.question.id: {a.id for a in q.question.answers} for q in questions}
    for rule in knock_outs.answers:
        if rule.answer not in known.get(rule.question, ()):
            raise CardError(f"{source}: knock_outs.answers names an unknown answer {rule.question}={rule.answer}")
    return card


def load_card() -> TransportScorecard:
    """The scorecard shipped with this package (``transport.toml``)."""
    text = resources.files(__package__).joinpath(CARD).read_text(encoding="utf-8")
    return parse_card(tomllib.loads(text))
