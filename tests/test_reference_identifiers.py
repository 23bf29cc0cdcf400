"""Identifier check characters: USCC (GB 32100-2015) and resident ID (GB 11643-1999)."""

import random
from datetime import date

import pytest

from api.reference.identifiers import (
    CREDIT_CODE_ALPHABET,
    credit_code_check_character,
    credit_code_error,
    make_credit_code,
    make_resident_id,
    mask_identifier,
    resident_id_error,
)

# Each verified by hand against the GB 32100 algorithm; the first is the standard's own example.
KNOWN_GOOD_CREDIT_CODES = [
    "91350100M000100Y43",
    "914403001922038216",
    "91440300708461136T",
    "91310000132200821H",
]


@pytest.mark.parametrize("code", KNOWN_GOOD_CREDIT_CODES)
def test_published_format_credit_codes_are_valid(code: str) -> None:
    assert credit_code_error(code) is None
    assert credit_code_check_character(code[:17]) == code[17]


def test_credit_code_of_wrong_length_is_rejected() -> None:
    assert credit_code_error("91350100M000100Y4") == "must be 18 characters"
    assert credit_code_error("91350100M000100Y433") == "must be 18 characters"
    assert credit_code_error("") == "must be 18 characters"


@pytest.mark.parametrize("letter", ["I", "O", "S", "V", "Z"])
def test_credit_code_with_excluded_letter_is_rejected(letter: str) -> None:
    code = "91350100M000100Y4" + letter
    assert credit_code_error(code) == f"contains a character not allowed: {letter!r}"


def test_lowercase_credit_code_is_rejected() -> None:
    assert credit_code_error("91350100m000100y43") == "contains a character not allowed: 'm'"


def test_credit_code_with_unknown_registration_authority_is_rejected() -> None:
    first17 = "J1350100M000100Y4"
    code = first17 + credit_code_check_character(first17)
    assert credit_code_error(code) == "registration authority code 'J' is not recognised"


def test_credit_code_with_letter_in_division_code_is_rejected() -> None:
    first17 = "9135A100M000100Y4"
    code = first17 + credit_code_check_character(first17)
    assert credit_code_error(code) == "characters 3-8 (administrative division) must be digits"


def test_credit_code_with_wrong_check_character_names_the_right_one() -> None:
    assert credit_code_error("91350100M000100Y44") == "check character should be '3'"


def test_generated_credit_codes_are_always_valid() -> None:
    rng = random.Random(20240601)
    for _ in range(1000):
        code = make_credit_code(rng)
        assert credit_code_error(code) is None, code
        assert code.startswith("91330100")


def test_generated_credit_code_uses_given_region() -> None:
    assert make_credit_code(random.Random(1), region="110105")[2:8] == "110105"


def test_any_single_character_corruption_of_a_credit_code_is_detected() -> None:
    rng = random.Random(7)
    for _ in range(50):
        code = make_credit_code(rng)
        for position in range(18):
            for replacement in CREDIT_CODE_ALPHABET:
                if replacement == code[position]:
                    continue
                corrupted = code[:position] + replacement + code[position + 1 :]
                assert credit_code_error(corrupted) is not None, corrupted


def test_check_character_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        credit_code_check_character("123")
    with pytest.raises(ValueError):
        credit_code_check_character("91350100M000100YI")


# The two examples printed in GB 11643-1999 itself.
@pytest.mark.parametrize("number", ["11010519491231002X", "440524188001010014"])
def test_standard_example_resident_ids_are_valid(number: str) -> None:
    assert resident_id_error(number) is None


def test_resident_id_with_wrong_check_character_is_rejected() -> None:
    assert resident_id_error("110105194912310021") == "check character should be 'X'"
    assert resident_id_error("11010519491231002x") == "check character should be 'X'"


def test_resident_id_with_impossible_birth_date_is_rejected() -> None:
    first17 = "11010519490230002"  # 30 February
    assert resident_id_error(first17 + "0") == "birth date 19490230 is not a real date"


def test_resident_id_of_wrong_shape_is_rejected() -> None:
    assert resident_id_error("11010519491231002") == "must be 18 characters"
    assert resident_id_error("1101051949123100AX") == "first 17 characters must be digits"


def test_generated_resident_ids_are_always_valid() -> None:
    rng = random.Random(99)
    for _ in range(1000):
        number = make_resident_id(rng)
        assert resident_id_error(number) is None, number
        assert number.startswith("330106")


def test_generated_resident_id_carries_given_birth_date() -> None:
    number = make_resident_id(random.Random(3), region="110105", born=date(1988, 2, 29))
    assert number[:14] == "11010519880229"
    assert resident_id_error(number) is None


def test_mask_keeps_ends_and_length() -> None:
    assert mask_identifier("330106199001011234") == "3301**********1234"
    assert mask_identifier("91350100M000100Y43", keep_start=2, keep_end=1) == "91" + "*" * 15 + "3"
    assert mask_identifier("91350100M000100Y43", keep_end=0) == "9135" + "*" * 14


def test_mask_hides_short_values_entirely() -> None:
    assert mask_identifier("12345678") == "********"
    assert mask_identifier("") == ""


def test_mask_rejects_negative_keep() -> None:
    with pytest.raises(ValueError):
        mask_identifier("330106199001011234", keep_start=-1)
