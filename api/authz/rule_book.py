"""The rules of a policy with where each was written, so a report names a rule by its line."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from api.authz.validation import RuleLine


@dataclass(frozen=True)
class RuleBook:
    """Rule lines (``policy.csv`` lines, or ``casbin_rule`` rows) by their values."""

    lines: tuple[RuleLine, ...]

    @classmethod
    def of(cls, lines: Sequence[RuleLine]) -> RuleBook:
        return cls(tuple(lines))

    def where(self, values: Sequence[str]) -> str:
        """Where a rule (ptype first) was written: ``policy.csv line 12``, ``casbin_rule id 7``, or ""."""
        wanted = tuple(values)
        for line in self.lines:
            if line.values == wanted:
                if line.line is None:
                    return line.location
                unit = "id" if line.location == "casbin_rule" else "line"
                return f"{line.location} {unit} {line.line}"
        return ""

    def cite(self, values: Sequence[str]) -> str:
        """A rule as compliance writes it, and where: ``p, risk_expert, … (policy.csv line 173)``."""
        where = self.where(values)
        return ", ".join(values) + (f"  ({where})" if where else "")

    def cite_p(self, rule: Sequence[str]) -> str:
        """A ``p`` rule as Casbin gives it (without its ptype), cited."""
        return self.cite(["p", *rule])
