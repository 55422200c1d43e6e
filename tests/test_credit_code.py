"""Unified social credit code (统一社会信用代码, GB 32100-2015)."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zsfield.domain.credit_code import (
    CHARSET,
    CODE_LENGTH,
    compute_check_char,
    compute_org_check_char,
    credit_code_message,
    credit_code_problem,
    credit_code_problem_detail,
    is_valid_credit_code,
    normalise_credit_code,
)
from zsfield.i18n import CATALOG

# Codes published on business licences and in standard references; each also passes the
# organisation-code (GB 11714) check.
PUBLISHED = [
    "91350100M000100Y43",  # the worked example used with GB 32100
    "91110000600037341L",  # python-stdnum's example
    "914403001922038216",
    "91440300708461136T",
]

ORG_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # body characters that are also valid in a credit code


def make_code(rng: random.Random, authority: str = "9", kind: str = "1") -> str:
    """A well-formed code: random division and organisation body, both check characters computed."""
    division = "".join(rng.choice("0123456789") for _ in range(6))
    org_body = "".join(rng.choice(ORG_CHARS) for _ in range(8))
    org_check = compute_org_check_char(org_body)
    first17 = authority + kind + division + org_body + org_check
    return first17 + compute_check_char(first17)


def generated_codes(n: int = 200) -> list[str]:
    rng = random.Random(32100)
    return [make_code(rng, rng.choice("159Y"), rng.choice("1239")) for _ in range(n)]


# --------------------------------------------------------------------------------------- valid codes
@pytest.mark.parametrize("code", PUBLISHED)
def test_published_codes_are_valid(code: str) -> None:
    assert credit_code_problem(code) is None
    assert credit_code_message(code, "zh") is None
    assert is_valid_credit_code(code)


def test_worked_example_check_character() -> None:
    assert compute_check_char("91350100M000100Y4") == "3"
    assert compute_org_check_char("M000100Y") == "4"


def test_generated_codes_are_valid() -> None:
    codes = generated_codes()
    assert len(set(codes)) == len(codes)
    for code in codes:
        assert credit_code_problem(code) is None, code


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("91350100m000100y43", "91350100M000100Y43"),
        (" 9135 0100 M000 100Y 43 ", "91350100M000100Y43"),
        ("91350100-M000100Y-43", "91350100M000100Y43"),
        ("９１３５０１００Ｍ０００１００Ｙ４３", "91350100M000100Y43"),
        ("91350100M000100Y43\u3000", "91350100M000100Y43"),
        ("9135\t0100\u2014M000100Y43", "91350100M000100Y43"),
    ],
)
def test_normalise_and_accept_what_officers_type(typed: str, expected: str) -> None:
    assert normalise_credit_code(typed) == expected
    assert is_valid_credit_code(typed)


def test_normalise_keeps_wrong_characters_visible() -> None:
    assert normalise_credit_code("91350100MOOO100Y43") == "91350100MOOO100Y43"


# ------------------------------------------------------------------------------------- problems
@pytest.mark.parametrize("code", ["", "   ", "-"])
def test_empty(code: str) -> None:
    assert credit_code_problem(code) == "credit_code.empty"


@pytest.mark.parametrize(("code", "got"), [("91350100M000100Y4", 17), ("91350100M000100Y433", 19), ("9", 1)])
def test_length(code: str, got: int) -> None:
    problem = credit_code_problem_detail(code)
    assert problem is not None
    assert problem.key == "credit_code.length"
    assert problem.params == {"got": got, "expected": CODE_LENGTH}
    assert f"{got}" in problem.message("en") and "18" in problem.message("en")
    assert "营业执照" in problem.message("zh")


@pytest.mark.parametrize(
    ("code", "position", "char", "suggest"),
    [
        ("91350100MO00100Y43", 10, "O", "0"),
        ("9I350100M000100Y43", 2, "I", "1"),
        ("91350100M000100Z43", 16, "Z", "2"),
        ("91350100M000S00Y43", 13, "S", "5"),
    ],
)
def test_lookalike_letters_suggest_the_digit(code: str, position: int, char: str, suggest: str) -> None:
    problem = credit_code_problem_detail(code)
    assert problem is not None
    assert problem.key == "credit_code.charset_lookalike"
    assert problem.params == {"position": position, "char": char, "suggest": suggest}
    assert f"“{suggest}”" in problem.message("zh")
    assert f"“{suggest}”" in problem.message("en")


@pytest.mark.parametrize(
    ("code", "position", "char"),
    [
        ("91350100M000100V43", 16, "V"),
        ("91350100M00*100Y43", 12, "*"),
        ("91350100M00中100Y43", 12, "中"),
    ],
)
def test_bad_characters(code: str, position: int, char: str) -> None:
    problem = credit_code_problem_detail(code)
    assert problem is not None
    assert problem.key == "credit_code.charset"
    assert problem.params == {"position": position, "char": char}
    assert "I, O, Z, S, V" in problem.message("en")


def test_division_code_must_be_digits() -> None:
    first17 = "9135A100M000100Y4"
    code = first17 + compute_check_char(first17)
    problem = credit_code_problem_detail(code)
    assert problem is not None
    assert problem.key == "credit_code.division"
    assert problem.params == {"division": "35A100"}


def test_wrong_check_character_says_which_and_how_to_fix() -> None:
    problem = credit_code_problem_detail("91350100M000100Y44")
    assert problem is not None
    assert problem.key == "credit_code.check_digit"
    assert problem.params == {"expected": "3", "got": "4"}
    zh = credit_code_message("91350100M000100Y44", "zh")
    en = credit_code_message("91350100M000100Y44", "en")
    assert zh is not None and "应为 3" in zh and "营业执照" in zh
    assert en is not None and "should be 3" in en and "business licence" in en


def test_single_mistyped_character_is_caught() -> None:
    # A typo in the middle breaks the overall check; the message then points at the whole code.
    assert credit_code_problem("91350100M000200Y43") == "credit_code.check_digit"


def test_organisation_code_check() -> None:
    first16 = "91350100M000100Y"
    first17 = first16 + "5"  # the organisation check character should be 4
    code = first17 + compute_check_char(first17)  # overall check is right
    problem = credit_code_problem_detail(code)
    assert problem is not None
    assert problem.key == "credit_code.org_check"
    assert problem.params == {"expected": "4", "got": "5"}
    assert credit_code_problem(code, check_org_code=False) is None
    assert is_valid_credit_code(code, check_org_code=False)
    assert not is_valid_credit_code(code)


@pytest.mark.parametrize(
    ("body", "check"),
    [
        ("60003734", "1"),
        ("19220382", "1"),
        ("M000100Y", "4"),
        ("00000000", "0"),  # 11 - 0 = 11 → "0"
    ],
)
def test_org_check_char(body: str, check: str) -> None:
    assert compute_org_check_char(body) == check


def test_org_check_char_ten_is_x() -> None:
    # Find a body whose check is 10 and make sure it is written X.
    rng = random.Random(11714)
    for _ in range(1000):
        body = "".join(rng.choice("0123456789") for _ in range(8))
        weights = (3, 7, 9, 10, 5, 8, 4, 2)
        if 11 - sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11 == 10:
            assert compute_org_check_char(body) == "X"
            return
    pytest.fail("no body with check 10 found")


@pytest.mark.parametrize("bad", ["", "91350100M000100", "91350100M000100Y4X", "91350100M000100O4"])
def test_compute_check_char_refuses_bad_input(bad: str) -> None:
    with pytest.raises(ValueError):
        compute_check_char(bad)


@pytest.mark.parametrize("bad", ["", "1234567", "123456789", "1234-56*"])
def test_compute_org_check_char_refuses_bad_input(bad: str) -> None:
    with pytest.raises(ValueError):
        compute_org_check_char(bad)


# ------------------------------------------------------------------------------------ messages
@pytest.mark.parametrize(
    "code",
    [
        "",
        "913501",
        "91350100MO00100Y43",
        "91350100M00*100Y43",
        "9135A100M000100Y4" + compute_check_char("9135A100M000100Y4"),
        "91350100M000100Y44",
        "91350100M000100Y5" + compute_check_char("91350100M000100Y5"),
    ],
)
def test_every_problem_has_both_languages(code: str) -> None:
    problem = credit_code_problem_detail(code)
    assert problem is not None
    assert problem.key in CATALOG
    zh, en = problem.message("zh"), problem.message("en")
    assert zh and en and zh != en
    assert "{" not in zh and "{" not in en  # every placeholder filled
    assert credit_code_message(code, "en") == en


# ------------------------------------------------------------------------------------ properties
body17 = st.text(alphabet=CHARSET, min_size=17, max_size=17)


@given(body17)
def test_computed_check_makes_overall_check_pass(first17: str) -> None:
    code = first17 + compute_check_char(first17)
    problem = credit_code_problem(code, check_org_code=False)
    assert problem in (None, "credit_code.division")


@given(st.sampled_from(generated_codes(50)), st.integers(0, 17), st.sampled_from(CHARSET))
def test_any_single_substitution_is_detected(code: str, index: int, char: str) -> None:
    mutated = code[:index] + char + code[index + 1 :]
    if mutated != code:
        assert not is_valid_credit_code(mutated)


@given(st.sampled_from(generated_codes(50)), st.integers(0, 16))
def test_adjacent_swaps_are_detected(code: str, index: int) -> None:
    swapped = code[:index] + code[index + 1] + code[index] + code[index + 2 :]
    if swapped != code:
        assert not is_valid_credit_code(swapped)
