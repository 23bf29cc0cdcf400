"""ISO 4217 currency codes: the active list (List One) shipped in ``iso4217_list_one.csv``.

The list is data, not code: when the maintenance agency amends it, replace the file (its header
says where it came from and as of when) and nothing else changes. Money keeps the code it was
recorded with; only new input is checked against the list in force.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources

_DATA_FILE = "iso4217_list_one.csv"

# Codes of List One that name no money an amount can be in: XTS is reserved for testing and
# XXX means "no currency is involved".
NOT_MONEY: frozenset[str] = frozenset({"XTS", "XXX"})


@dataclass(frozen=True, slots=True)
class Currency:
    """One entry of ISO 4217 List One."""

    code: str
    numeric: str
    minor_units: int | None  # None: the list says N.A. (precious metals, units of account)
    fund: bool
    name: str


def _parse_row(row: dict[str, str]) -> Currency:
    units = row["minor_units"]
    return Currency(
        code=row["code"], numeric=row["numeric"], minor_units=None if units == "N.A." else int(units),
        fund=row["fund"] == "true", name=row["name"],
    )


@cache
def all_currencies() -> tuple[Currency, ...]:
    """Every code of the shipped list, in code order."""
    text = resources.files(__package__).joinpath(_DATA_FILE).read_text(encoding="utf-8")
    rows = (line for line in io.StringIO(text) if not line.startswith("#"))
    return tuple(_parse_row(row) for row in csv.DictReader(rows))


@cache
def _by_code() -> dict[str, Currency]:
    return {currency.code: currency for currency in all_currencies()}


def get_currency(code: str) -> Currency | None:
    """The entry for ``code`` exactly as written (upper case); None when it is not in the list."""
    return _by_code().get(code)


def currency_error(code: str) -> str | None:
    """Why ``code`` cannot be the currency of an amount; None when it can."""
    if get_currency(code) is None:
        return f"{code!r} is not an active ISO 4217 currency code (e.g. CNY, USD, EUR)"
    if code in NOT_MONEY:
        return f"{code!r} is an ISO 4217 code for no currency or for testing, not money"
    return None
