"""The scorecard engine: a grading strategy driven entirely by data. Factors, bands, weights,
cut-offs and knock-outs come from a TOML card, never from literals in code. The built-in
strategies are cards (``plugins/builtin/cards/*.toml``); a plugin ships its own card as package
data and loads it with ``card_from_package`` (see ``examples/grading-plugin``). It is part of the
plugin-facing API, like ``plugins.spec``, and imports nothing else of creditcare.

Card format (see ``plugins/builtin/cards/generic.toml`` for a full example):

- ``id``, ``version``, ``name``, ``industries`` (GB/T 4754 prefixes; ``"*"`` for the fallback);
- ``[cutoffs]``: the minimum score of ``A``, ``B`` and ``C`` (below ``C`` is ``D``);
- ``[[factors]]``: ``code``, ``name``, ``metric`` (a field of ``Ratios``, or
  ``red_lines_breached``), ``weight``, ``better`` (``higher``/``lower``), ``format``
  (``percent``/``times``/``count``), ``bands`` (``label``, ``limit``, ``share``: the first band
  whose limit the value reaches — ``>=`` when higher is better, ``<=`` when lower is — earns
  ``share`` of the weight), ``otherwise`` (``label``, ``share``), and ``missing`` the same;
- ``[[questions]]``: ``id``, ``text``, ``weight``, ``answers`` (``id``, ``text``, ``share``),
  ``required`` (default true: without its answer the assessment is provisional);
- ``[knock_outs]``: ``non_performing``, ``overdue``, ``adverse_audit``, ``all_red_lines``: the
  grade each caps at; ``overdue_lookback_days``; ``adverse_opinions`` (default
  ``["adverse", "disclaimer"]``: the audit opinions ``adverse_audit`` applies to);
  ``[[knock_outs.answers]]``: ``question``, ``answer``, ``cap`` — an answer that caps the grade;
- ``[red_lines]`` (optional): thresholds of the three red lines.

Weights of factors and questions sum to 100, so the score is 0–100. Whatever a card says, the
host applies the mandatory knock-outs of ``plugins.spec`` after it.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from plugins.spec import REQUIRED_BY_DEFAULT, Answer, Decision, FactorResult, Facts, Grade, Question, Ratios

HUNDRED = Decimal(100)
TWO_PLACES = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class Band:
    label: str
    limit: Decimal | None  # None: the "otherwise" band
    share: Decimal


@dataclass(frozen=True, slots=True)
class Factor:
    code: str
    name: str
    metric: str
    weight: Decimal
    higher_is_better: bool
    format: str
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
    shares: Mapping[str, Decimal]


@dataclass(frozen=True, slots=True)
class AnswerKnockOut:
    """An answer that caps the grade, e.g. a suspended operating licence: at most C."""

    question: str
    answer: str
    cap: Grade


ADVERSE_OPINIONS = frozenset({"adverse", "disclaimer"})


@dataclass(frozen=True, slots=True)
class KnockOuts:
    non_performing: Grade
    overdue: Grade
    adverse_audit: Grade
    all_red_lines: Grade | None
    overdue_lookback_days: int
    adverse_opinions: frozenset[str] = ADVERSE_OPINIONS
    answers: tuple[AnswerKnockOut, ...] = ()


@dataclass(frozen=True, slots=True)
class RedLines:
    liabilities_to_assets_ex_advances: Decimal
    net_gearing: Decimal
    cash_to_short_term_debt: Decimal

    def breached(self, ratios: Ratios) -> int | None:
        """How many of the three red lines are crossed; None when none can be measured."""
        checks = [
            None if ratios.liabilities_to_assets_ex_advances is None
            else ratios.liabilities_to_assets_ex_advances > self.liabilities_to_assets_ex_advances,
            None if ratios.net_gearing is None else ratios.net_gearing > self.net_gearing,
            None if ratios.cash_to_short_term_debt is None
            else ratios.cash_to_short_term_debt < self.cash_to_short_term_debt,
        ]
        known = [c for c in checks if c is not None]
        return None if not known else sum(known)


class Scorecard:
    """A grading strategy read from a card. Immutable after loading; safe to share."""

    def __init__(
        self, *, id: str, version: str, name: str, industries: tuple[str, ...], cutoffs: Mapping[Grade, Decimal],
        factors: tuple[Factor, ...], questions: tuple[ScoredQuestion, ...], knock_outs: KnockOuts,
        red_lines: RedLines | None,
    ) -> None:
        self.id = id
        self.version = version
        self.name = name
        self.industries = industries
        self.cutoffs = cutoffs
        self.factors = factors
        self.scored_questions = questions
        self.questions = tuple(q.question for q in questions)
        # The codes of the factors it reports: a decision with any other is refused by the service.
        self.reason_codes = tuple(f.code for f in factors) + tuple(q.question.id.upper() for q in questions)
        self.knock_outs = knock_outs
        self.red_lines = red_lines
        self._answer_texts = {q.id: {a.id: a.text for a in q.answers} for q in self.questions}

    def __repr__(self) -> str:
        return f"<Scorecard {self.id} {self.version}>"

    def grade_for_score(self, score: Decimal) -> Grade:
        for grade in (Grade.A, Grade.B, Grade.C):
            if score >= self.cutoffs[grade]:
                return grade
        return Grade.D

    def _metric(self, name: str, facts: Facts) -> Decimal | None:
        if name == "red_lines_breached":
            count = self.red_lines.breached(facts.ratios) if self.red_lines else None
            return None if count is None else Decimal(count)
        ratio: Decimal | None = getattr(facts.ratios, name)
        return ratio

    def grade(self, facts: Facts) -> Decision:
        results = [self._financial(factor, facts) for factor in self.factors]
        results += [self._qualitative(q, facts) for q in self.scored_questions]
        score = sum((r.points for r in results), Decimal(0)).quantize(TWO_PLACES)
        grade = self.grade_for_score(score)
        knock_outs = []
        for applies, cap, text in self._knock_outs(facts):
            if applies and cap is not None:
                grade = grade.at_most(cap)
                knock_outs.append(text)
        lost = sorted(results, key=lambda r: (r.max_points - r.points), reverse=True)
        reasons = tuple(knock_outs) + tuple(
            r.reason for r in lost[: max(0, 3 - len(knock_outs))] if r.points < r.max_points
        )
        return Decision(grade=grade, score=score, factors=tuple(results), reasons=reasons, knock_outs=tuple(knock_outs))

    def _knock_outs(self, facts: Facts) -> list[tuple[bool, Grade | None, str]]:
        k = self.knock_outs
        since = facts.as_of - timedelta(days=k.overdue_lookback_days)
        overdue = facts.days_past_due > 0 or any(
            e.kind == "overdue" and since <= e.occurred_on <= facts.as_of for e in facts.credit_history
        )
        opinion = facts.latest.audit_opinion if facts.latest else None  # no statement: no opinion to cap on
        red = self.red_lines.breached(facts.ratios) if self.red_lines else None
        texts = self._answer_texts
        return [
            (facts.non_performing, k.non_performing, f"Non-performing loan: grade at most {k.non_performing}"),
            (overdue, k.overdue,
             f"Amounts overdue in the last {k.overdue_lookback_days} days: grade at most {k.overdue}"),
            (opinion in k.adverse_opinions, k.adverse_audit,
             f"Auditor's opinion is {opinion}: grade at most {k.adverse_audit}"),
            (red == 3, k.all_red_lines, f"All three red lines crossed: grade at most {k.all_red_lines}"),
        ] + [
            (facts.answers.get(rule.question) == rule.answer, rule.cap,
             f"{texts[rule.question][rule.answer]}: grade at most {rule.cap}")
            for rule in k.answers
        ]

    def _financial(self, factor: Factor, facts: Facts) -> FactorResult:
        value = self._metric(factor.metric, facts)
        band = factor.band_for(value)
        points = (factor.weight * band.share).quantize(TWO_PLACES)
        shown = _format(value, factor.format)
        reason = (
            f"{factor.name}: not available" if value is None
            else f"{factor.name}: {shown} ({band.label})"
        )
        return FactorResult(factor.code, factor.name, shown, band.label, points, factor.weight, reason)

    def _qualitative(self, scored: ScoredQuestion, facts: Facts) -> FactorResult:
        answer = facts.answers.get(scored.question.id)
        share = scored.shares.get(answer) if answer is not None else None
        label = answer if answer is not None and share is not None else "missing"
        points = (scored.weight * (share or Decimal(0))).quantize(TWO_PLACES)
        text = next((a.text for a in scored.question.answers if a.id == answer), None)
        reason = f"{scored.question.text}: {text}" if text else f"{scored.question.text}: not answered"
        return FactorResult(scored.question.id.upper(), scored.question.text, answer if share is not None else None,
                            label, points, scored.weight, reason)


def _format(value: Decimal | None, fmt: str) -> str | None:
    if value is None:
        return None
    if fmt == "percent":
        return f"{(value * HUNDRED).quantize(Decimal('0.1'))}%"
    if fmt == "count":
        return str(int(value))
    return f"{value.quantize(TWO_PLACES)}x"


# ------------------------------------------------------------------------------------ loading


class CardError(ValueError):
    """A card that cannot be used; the message names the file and the field."""


def _decimal(raw: Any, where: str) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        raise CardError(f"{where}: write numbers as strings or integers, not {raw!r}")
    try:
        return Decimal(str(raw))
    except Exception:
        raise CardError(f"{where}: not a number: {raw!r}") from None


def _weight(raw: Any, where: str) -> Decimal:
    weight = _decimal(raw, where)
    if weight <= 0:
        raise CardError(f"{where}: a weight is positive")
    return weight


def _grade(raw: Any, where: str) -> Grade:
    try:
        return Grade(raw)
    except ValueError:
        raise CardError(f"{where}: {raw!r} is not a grade (A, B, C, D)") from None


def _band(raw: Mapping[str, Any], where: str, with_limit: bool) -> Band:
    if "label" not in raw or "share" not in raw:
        raise CardError(f"{where}: needs label and share")
    share = _decimal(raw["share"], f"{where}.share")
    if not Decimal(0) <= share <= Decimal(1):
        raise CardError(f"{where}.share: must be between 0 and 1")
    limit = _decimal(raw["limit"], f"{where}.limit") if with_limit else None
    return Band(str(raw["label"]), limit, share)


def _factor(raw: Mapping[str, Any], where: str) -> Factor:
    better = raw.get("better")
    if better not in ("higher", "lower"):
        raise CardError(f"{where}.better: must be 'higher' or 'lower'")
    metric = str(raw.get("metric", ""))
    if metric != "red_lines_breached" and metric not in Ratios.__dataclass_fields__:
        raise CardError(f"{where}.metric: unknown metric {metric!r}")
    bands = tuple(_band(b, f"{where}.bands[{i}]", True) for i, b in enumerate(raw.get("bands", [])))
    if not bands:
        raise CardError(f"{where}.bands: at least one band")
    limits = [b.limit for b in bands]
    ordered = sorted(limits, reverse=better == "higher")  # type: ignore[type-var]
    if limits != ordered:
        raise CardError(f"{where}.bands: limits must go from best to worst")
    return Factor(
        code=str(raw["code"]), name=str(raw["name"]), metric=metric,
        weight=_weight(raw["weight"], f"{where}.weight"), higher_is_better=better == "higher",
        format=str(raw.get("format", "times")), bands=bands,
        otherwise=_band(raw.get("otherwise", {"label": "poor", "share": 0}), f"{where}.otherwise", False),
        missing=_band(raw.get("missing", {"label": "missing", "share": 0}), f"{where}.missing", False),
    )


def _question(raw: Mapping[str, Any], where: str) -> ScoredQuestion:
    answers = raw.get("answers", [])
    if not answers:
        raise CardError(f"{where}.answers: at least one answer")
    shares = {str(a["id"]): _band({"label": a["id"], "share": a["share"]}, f"{where}.answers", False).share
              for a in answers}
    required = raw.get("required", REQUIRED_BY_DEFAULT)
    if not isinstance(required, bool):
        raise CardError(f"{where}.required: true or false")
    question = Question(str(raw["id"]), str(raw["text"]), tuple(Answer(str(a["id"]), str(a["text"])) for a in answers),
                        required)
    return ScoredQuestion(question, _weight(raw["weight"], f"{where}.weight"), shares)


AUDIT_OPINIONS = frozenset({"unqualified", "qualified", "adverse", "disclaimer", "unaudited"})


def _opinions(raw: Any, where: str) -> frozenset[str]:
    if not isinstance(raw, list) or not all(isinstance(o, str) and o in AUDIT_OPINIONS for o in raw):
        raise CardError(f"{where}: a list of audit opinions ({', '.join(sorted(AUDIT_OPINIONS))})")
    return frozenset(raw)


def _answer_knock_out(raw: Mapping[str, Any], where: str, questions: tuple[ScoredQuestion, ...]) -> AnswerKnockOut:
    rule = AnswerKnockOut(str(raw["question"]), str(raw["answer"]), _grade(raw["cap"], f"{where}.cap"))
    allowed = {q.question.id: {a.id for a in q.question.answers} for q in questions}
    if rule.answer not in allowed.get(rule.question, ()):
        raise CardError(f"{where}: no question {rule.question!r} with an answer {rule.answer!r}")
    return rule


def load_card(path: Path) -> Scorecard:
    """The scorecard in the card file ``path``; a CardError names what is wrong."""
    return parse_card(path.read_text(encoding="utf-8"), path.name)


def card_from_package(package: str, name: str) -> Scorecard:
    """The scorecard in the card ``name`` shipped as data of the Python package ``package``
    (``card_from_package(__package__, "transport.toml")`` in a plugin)."""
    return parse_card(resources.files(package).joinpath(name).read_text(encoding="utf-8"), name)


def parse_card(text: str, source: str) -> Scorecard:
    """The scorecard a card's TOML ``text`` describes; a CardError names ``source`` and the field."""
    path = Path(source)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CardError(f"{path.name}: {exc}") from None
    try:
        factors = tuple(_factor(f, f"{path.name}: factors[{i}]") for i, f in enumerate(data.get("factors", [])))
        questions = tuple(
            _question(q, f"{path.name}: questions[{i}]") for i, q in enumerate(data.get("questions", []))
        )
        cutoffs = {
            g: _decimal(data["cutoffs"][g.value], f"{path.name}: cutoffs.{g.value}")
            for g in (Grade.A, Grade.B, Grade.C)
        }
        k = data["knock_outs"]
        where = f"{path.name}: knock_outs"
        lookback = k.get("overdue_lookback_days", 365)
        if not isinstance(lookback, int) or isinstance(lookback, bool) or lookback <= 0:
            raise CardError(f"{where}.overdue_lookback_days: a positive whole number of days")
        knock_outs = KnockOuts(
            non_performing=_grade(k["non_performing"], f"{where}.non_performing"),
            overdue=_grade(k["overdue"], f"{where}.overdue"),
            adverse_audit=_grade(k["adverse_audit"], f"{where}.adverse_audit"),
            all_red_lines=_grade(k["all_red_lines"], f"{where}.all_red_lines") if "all_red_lines" in k else None,
            overdue_lookback_days=lookback,
            adverse_opinions=_opinions(
                k.get("adverse_opinions", sorted(ADVERSE_OPINIONS)), f"{where}.adverse_opinions"
            ),
            answers=tuple(_answer_knock_out(a, f"{where}.answers[{i}]", questions)
                          for i, a in enumerate(k.get("answers", []))),
        )
        if not isinstance(data["industries"], list) or not data["industries"]:
            raise CardError(f"{path.name}: industries: a list of GB/T 4754 prefixes, e.g. [\"C\"]")
        red = data.get("red_lines")
        red_lines = None if red is None else RedLines(
            _decimal(red["liabilities_to_assets_ex_advances"], f"{path.name}: red_lines"),
            _decimal(red["net_gearing"], f"{path.name}: red_lines"),
            _decimal(red["cash_to_short_term_debt"], f"{path.name}: red_lines"),
        )
        card = Scorecard(
            id=str(data["id"]), version=str(data["version"]), name=str(data.get("name", data["id"])),
            industries=tuple(str(i) for i in data["industries"]), cutoffs=cutoffs, factors=factors,
            questions=questions, knock_outs=knock_outs, red_lines=red_lines,
        )
    except KeyError as exc:
        raise CardError(f"{path.name}: missing {exc.args[0]!r}") from None
    total = sum((f.weight for f in factors), Decimal(0)) + sum((q.weight for q in questions), Decimal(0))
    if total != HUNDRED:
        raise CardError(f"{path.name}: weights sum to {total}, not 100")
    if not cutoffs[Grade.A] > cutoffs[Grade.B] > cutoffs[Grade.C] >= 0:
        raise CardError(f"{path.name}: cutoffs must fall from A to C")
    needs_red_lines = knock_outs.all_red_lines is not None or any(f.metric == "red_lines_breached" for f in factors)
    if red_lines is None and needs_red_lines:
        raise CardError(f"{path.name}: red-line rules need a [red_lines] table")
    codes = [f.code for f in factors] + [q.question.id for q in questions]
    if len(codes) != len(set(codes)):
        raise CardError(f"{path.name}: factor codes and question ids must be unique")
    return card
