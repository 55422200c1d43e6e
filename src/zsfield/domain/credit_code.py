"""Unified social credit code (统一社会信用代码), GB 32100-2015.

An 18-character code printed on every business licence (营业执照)::

    position  1     登记管理部门代码   registration authority (9 = market regulation / 工商)
    position  2     机构类别代码       entity type (1 = enterprise, 2 = individual business, …)
    positions 3-8   登记管理机关行政区划码  administrative division code (GB/T 2260, digits)
    positions 9-17  主体标识码 (组织机构代码) organisation code (GB 11714: 8 body chars + 1 check char)
    position  18    校验码             check character over positions 1-17

Characters come from ``0-9`` and the capital letters except I, O, Z, S, V (:data:`CHARSET`). The check
character is ``CHARSET[(31 - Σ value(cᵢ)·wᵢ mod 31) mod 31]`` with the weights in :data:`WEIGHTS`.

Every function accepts what an officer types or pastes (lower case, full-width characters, spaces and
hyphens) and works on :func:`normalise_credit_code` of it; store the normalised form.

Problems are reported as catalog keys (``credit_code.*``) with parameters, so the caller can show them in
either language; :func:`credit_code_message` formats one that says what is wrong and how to fix it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from zsfield.i18n import t

__all__ = [
    "CHARSET",
    "CODE_LENGTH",
    "WEIGHTS",
    "ORG_WEIGHTS",
    "CreditCodeProblem",
    "normalise_credit_code",
    "compute_check_char",
    "compute_org_check_char",
    "credit_code_problem",
    "credit_code_problem_detail",
    "credit_code_message",
    "is_valid_credit_code",
]

#: The 31 characters a credit code may use, in value order (no I, O, Z, S, V).
CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
#: Length of a credit code.
CODE_LENGTH = 18
#: GB 32100 weights of positions 1-17.
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
#: GB 11714 weights of the 8 body characters of the organisation code (positions 9-16).
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

_VALUES = {c: i for i, c in enumerate(CHARSET)}
# GB 11714 values: digits 0-9, letters A=10 … Z=35 (the full alphabet).
_ORG_VALUES = {c: int(c, 36) for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
# Letters that never occur in a code, and the character they are usually mistaken for.
_LOOKALIKES = {"O": "0", "I": "1", "Z": "2", "S": "5"}
# Characters removed by normalisation: white space of every kind, hyphen / dash variants, underscores.
_SEPARATOR_RE = re.compile(r"[\s\-_\u2010-\u2015\u2212\ufe63\uff0d]+")


@dataclass(frozen=True, slots=True)
class CreditCodeProblem:
    """What is wrong with a code: a ``credit_code.*`` catalog key and its format parameters."""

    key: str
    params: dict[str, object] = field(default_factory=dict)

    def message(self, lang: str | None = None) -> str:
        """The message in ``lang`` (default: the current language)."""
        return t(self.key, lang, **self.params)


def normalise_credit_code(text: str) -> str:
    """The canonical form of a typed or pasted code.

    NFKC (full-width ``９１３５`` → ``9135``), upper case, and spaces / hyphens removed anywhere
    (``"9135 0100-m000 100y43"`` → ``"91350100M000100Y43"``). Nothing else is changed, so a wrong
    character stays visible to :func:`credit_code_problem`.
    """
    text = unicodedata.normalize("NFKC", text or "")
    return _SEPARATOR_RE.sub("", text).upper()


def compute_check_char(first17: str) -> str:
    """The GB 32100 check character (position 18) for the first 17 characters.

    ``first17`` is normalised first; raises ``ValueError`` if it is not 17 characters of :data:`CHARSET`.
    """
    body = normalise_credit_code(first17)
    if len(body) != CODE_LENGTH - 1 or any(c not in _VALUES for c in body):
        raise ValueError(f"need 17 characters of {CHARSET!r}, got {first17!r}")
    total = sum(_VALUES[c] * w for c, w in zip(body, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def compute_org_check_char(body8: str) -> str:
    """The GB 11714 check character of an organisation code (组织机构代码) from its 8 body characters.

    ``11 - Σ value(cᵢ)·wᵢ mod 11``, where 10 is written ``X`` and 11 is written ``0``. Letters count
    A=10 … Z=35. Raises ``ValueError`` for anything but 8 digits / capital letters.
    """
    body = normalise_credit_code(body8)
    if len(body) != 8 or any(c not in _ORG_VALUES for c in body):
        raise ValueError(f"need 8 digits or capital letters, got {body8!r}")
    check = 11 - sum(_ORG_VALUES[c] * w for c, w in zip(body, ORG_WEIGHTS, strict=True)) % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def credit_code_problem_detail(code: str, *, check_org_code: bool = True) -> CreditCodeProblem | None:
    """The first problem of ``code`` (after normalisation) with its parameters, or None if it is valid.

    Checks, in order, and the key reported:

    - nothing typed: ``credit_code.empty``
    - not 18 characters: ``credit_code.length`` (``got``, ``expected``)
    - a character outside :data:`CHARSET`: ``credit_code.charset_lookalike`` (``position``, ``char``,
      ``suggest``) when it is O / I / Z / S (likely 0 / 1 / 2 / 5), else ``credit_code.charset``
      (``position``, ``char``)
    - positions 3-8 not all digits: ``credit_code.division`` (``division``)
    - position 18 does not match positions 1-17: ``credit_code.check_digit`` (``expected``, ``got``)
    - the organisation code (positions 9-17) fails its own GB 11714 check: ``credit_code.org_check``
      (``expected``, ``got``); skipped with ``check_org_code=False``.

    The overall check comes before the organisation-code check: one mistyped character almost always
    breaks the overall check, and that message tells the officer to compare the whole code.
    """
    norm = normalise_credit_code(code)
    if not norm:
        return CreditCodeProblem("credit_code.empty")
    if len(norm) != CODE_LENGTH:
        return CreditCodeProblem("credit_code.length", {"got": len(norm), "expected": CODE_LENGTH})
    for position, ch in enumerate(norm, start=1):
        if ch not in _VALUES:
            if ch in _LOOKALIKES:
                return CreditCodeProblem(
                    "credit_code.charset_lookalike",
                    {"position": position, "char": ch, "suggest": _LOOKALIKES[ch]},
                )
            return CreditCodeProblem("credit_code.charset", {"position": position, "char": ch})
    division = norm[2:8]
    if not division.isdigit() or not division.isascii():
        return CreditCodeProblem("credit_code.division", {"division": division})
    expected = compute_check_char(norm[:17])
    if norm[17] != expected:
        return CreditCodeProblem("credit_code.check_digit", {"expected": expected, "got": norm[17]})
    if check_org_code:
        org_expected = compute_org_check_char(norm[8:16])
        if norm[16] != org_expected:
            return CreditCodeProblem("credit_code.org_check", {"expected": org_expected, "got": norm[16]})
    return None


def credit_code_problem(code: str, *, check_org_code: bool = True) -> str | None:
    """None if ``code`` is a valid credit code, else the catalog key of its first problem.

    See :func:`credit_code_problem_detail` for the keys, their parameters and the order of checks.
    """
    problem = credit_code_problem_detail(code, check_org_code=check_org_code)
    return None if problem is None else problem.key


def credit_code_message(code: str, lang: str | None = None, *, check_org_code: bool = True) -> str | None:
    """None if valid, else a message saying what is wrong and how to fix it, in ``lang``.

    e.g. ``"校验位（第18位）应为 3，现为 4。…请对照营业执照逐位核对"`` /
    ``"The check character (18th) should be 3, not 4. … compare with the business licence"``.
    """
    problem = credit_code_problem_detail(code, check_org_code=check_org_code)
    return None if problem is None else problem.message(lang)


def is_valid_credit_code(code: str, *, check_org_code: bool = True) -> bool:
    """True if ``code`` (after normalisation) is a valid unified social credit code."""
    return credit_code_problem_detail(code, check_org_code=check_org_code) is None
