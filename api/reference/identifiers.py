"""Check characters for Chinese identifiers: USCC (GB 32100-2015) and resident ID (GB 11643-1999)."""

from __future__ import annotations

import random
from datetime import date, timedelta

# GB 32100-2015 leaves out I, O, S, V and Z so they cannot be misread as 1, 0, 5, U and 2.
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_CODE_VALUE = {char: value for value, char in enumerate(CREDIT_CODE_ALPHABET)}
_CREDIT_CODE_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_REGISTRATION_AUTHORITIES = frozenset("123456789ABCDEFGHNY")

# GB 11714-1997 organisation code: digits and capital letters, letters valued A=10 .. Z=35.
_ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
# GB 32100 embeds the organisation code, so its characters must also be in the USCC alphabet.
_ORG_CODE_BODY_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"

_RESIDENT_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RESIDENT_ID_CHECK = "10X98765432"


def credit_code_check_character(first17: str) -> str:
    """Return the GB 32100 check character for the first 17 characters of a credit code.

    Raises ValueError when ``first17`` is not 17 characters of the code alphabet.
    """
    if len(first17) != 17:
        raise ValueError("need exactly 17 characters")
    bad = next((c for c in first17 if c not in _CREDIT_CODE_VALUE), None)
    if bad is not None:
        raise ValueError(f"contains a character not allowed: {bad!r}")
    total = sum(_CREDIT_CODE_VALUE[c] * w for c, w in zip(first17, _CREDIT_CODE_WEIGHTS, strict=True))
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def credit_code_error(code: str) -> str | None:
    """Return None for a valid Unified Social Credit Code, else a short reason.

    Uppercase only: a lowercase letter is reported as not allowed, so callers decide
    whether to normalise.
    """
    if len(code) != 18:
        return "must be 18 characters"
    bad = next((c for c in code if c not in _CREDIT_CODE_VALUE), None)
    if bad is not None:
        return f"contains a character not allowed: {bad!r}"
    if code[0] not in _REGISTRATION_AUTHORITIES:
        return f"registration authority code {code[0]!r} is not recognised"
    if not code[2:8].isdigit():
        return "characters 3-8 (administrative division) must be digits"
    expected = credit_code_check_character(code[:17])
    if code[17] != expected:
        return f"check character should be {expected!r}"
    return None


def _org_code_value(char: str) -> int:
    return int(char) if char.isdigit() else ord(char) - ord("A") + 10


def organisation_code_check_character(first8: str) -> str:
    """Return the GB 11714 check character for an 8-character organisation code body."""
    if len(first8) != 8 or not all(c.isdigit() or "A" <= c <= "Z" for c in first8):
        raise ValueError("need exactly 8 digits or capital letters")
    total = sum(_org_code_value(c) * w for c, w in zip(first8, _ORG_CODE_WEIGHTS, strict=True))
    check = 11 - total % 11
    if check == 10:
        return "X"
    if check == 11:
        return "0"
    return str(check)


def make_credit_code(rng: random.Random, *, region: str = "330100") -> str:
    """Generate a random valid credit code for an enterprise registered in ``region``.

    Registration authority '9' (market regulation) and organisation type '1' (enterprise).
    """
    if len(region) != 6 or not region.isdigit():
        raise ValueError("region must be a 6-digit administrative division code")
    body = "".join(rng.choice(_ORG_CODE_BODY_ALPHABET) for _ in range(8))
    first17 = "91" + region + body + organisation_code_check_character(body)
    return first17 + credit_code_check_character(first17)


def _birth_date(number: str) -> date | None:
    try:
        return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def resident_id_check_character(first17: str) -> str:
    """Return the GB 11643 check character for the first 17 digits of a resident ID number."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("need exactly 17 digits")
    total = sum(int(c) * w for c, w in zip(first17, _RESIDENT_ID_WEIGHTS, strict=True))
    return _RESIDENT_ID_CHECK[total % 11]


def resident_id_error(number: str) -> str | None:
    """Return None for a valid 18-character resident identity card number, else a short reason."""
    if len(number) != 18:
        return "must be 18 characters"
    # str.isdigit also accepts non-ASCII digits such as '²', which int() would then reject.
    if not (number[:17].isascii() and number[:17].isdigit()):
        return "first 17 characters must be digits"
    if _birth_date(number) is None:
        return f"birth date {number[6:14]} is not a real date"
    expected = resident_id_check_character(number[:17])
    if number[17] != expected:
        return f"check character should be {expected!r}"
    return None


def make_resident_id(rng: random.Random, *, region: str = "330106", born: date | None = None) -> str:
    """Generate a random valid resident ID number; the birth date is random (1950-2004) unless given."""
    if len(region) != 6 or not region.isdigit():
        raise ValueError("region must be a 6-digit administrative division code")
    if born is None:
        start = date(1950, 1, 1)
        born = start + timedelta(days=rng.randrange((date(2004, 12, 31) - start).days + 1))
    first17 = f"{region}{born:%Y%m%d}{rng.randrange(1000):03d}"
    return first17 + resident_id_check_character(first17)


def mask_identifier(value: str, *, keep_start: int = 4, keep_end: int = 4) -> str:
    """Mask the middle of an identifier with asterisks, keeping its length.

    A value too short to hide anything between the kept ends is masked entirely, so a
    short or truncated identifier is never shown in full.
    """
    if keep_start < 0 or keep_end < 0:
        raise ValueError("keep_start and keep_end must not be negative")
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    tail = value[len(value) - keep_end :] if keep_end else ""
    return value[:keep_start] + "*" * (len(value) - keep_start - keep_end) + tail
