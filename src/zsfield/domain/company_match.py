"""Company duplicate check (查重): is the company an officer is typing already known to the zone?

A Chinese legal name is 行政区划 + 字号 + 行业 + 组织形式 (江苏 + 远景 + 能源 + 有限公司); people say the
字号 (brand). Foreign names carry their legal form too (株式会社, 주식회사, GmbH, AG, Co., Ltd., Inc. …).
This module reduces every name to comparable forms and keeps an in-memory :class:`CompanyIndex` that
answers on every keystroke.

Forms of a name (all NFKC-folded, case-folded, without spaces or punctuation):

- **normalised name** (:func:`normalise_company_name`): the legal form removed —
  ``"Siemens AG"`` → ``siemens``; ``"丰田通商株式会社"`` → ``丰田通商``.
- **brand core** (:func:`brand_core`): also without the industry words at the end, a parenthesised
  region (``（中国）``) and — for a full legal name only — the administrative region in front:
  ``"上海华虹宏力半导体制造有限公司"`` → ``华虹宏力``; ``"宁德时代新能源科技股份有限公司"`` → ``宁德时代``.

Matching tiers, best first (score, reason key):

=====  ==============================  ===========================================================
1.00   ``match.reason.credit_code``    the same unified social credit code, whatever the name
0.97   ``match.reason.exact_name``     the same normalised name (legal name or alias)
0.90   ``match.reason.short_name``     the query is the company's brand core, or vice versa
0.80   ``match.reason.same_brand``     both reduce to the same brand core (0.78 when the query's
                                       region was stripped without a legal suffix: ``上海华为``)
<0.75  ``match.reason.similar``        one core contains the other (≥ 4 characters, ≥ 60 %), a small
                                       edit distance between cores of ≥ 4 characters, or a Latin brand
                                       that is the first / last word of a multi-word name
=====  ==============================  ===========================================================

Deliberately **not** matched: cores of 2-3 characters are only ever compared for equality, so
``宁德时代`` never meets ``宁德新能源`` (core ``宁德``): sharing a prefix does not make two companies one.
``Robert Bosch GmbH`` and ``BOSCH`` are only *similar* (0.60): the last word of a multi-word Latin name is a
likely brand, but not a certain one.

No Textual or Rich here.
"""

from __future__ import annotations

import gc
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import orjson

from zsfield.domain.credit_code import normalise_credit_code

__all__ = [
    "MatchCandidate",
    "CompanyIndex",
    "normalise_company_name",
    "brand_core",
    "REASONS",
]

#: Reason keys, best first (the order breaks ties between equal scores).
REASONS: tuple[str, ...] = (
    "match.reason.credit_code",
    "match.reason.exact_name",
    "match.reason.short_name",
    "match.reason.same_brand",
    "match.reason.similar",
)
_REASON_RANK = {reason: rank for rank, reason in enumerate(REASONS)}

SCORE_CREDIT_CODE = 1.0
SCORE_EXACT_NAME = 0.97
SCORE_SHORT_NAME = 0.90
SCORE_SHORT_NAME_REVERSE = 0.88
SCORE_SAME_BRAND = 0.80
SCORE_SAME_BRAND_LOOSE = 0.78
SCORE_TOKEN = 0.60

#: Shortest core compared by containment or edit distance (shorter cores: equality only).
SIMILAR_MIN_LEN = 4
#: Containment must cover at least this share of the longer core (3/5, used as integers below).
SIMILAR_MIN_OVERLAP = 0.6
#: Queries shorter than this (after normalisation) give no name candidates.
MIN_QUERY_LEN = 2
#: Cores longer than this (a pasted paragraph, not a name) skip the *similar* tier.
SIMILAR_MAX_LEN = 40

# ------------------------------------------------------------------------------------- vocabularies
# Legal / organisational forms removed from the end (Latin: whole words, repeatedly, keeping one word).
_LEGAL_TOKENS = frozenset(
    {
        "co", "coltd", "ltd", "limited", "company", "inc", "incorporated", "corp", "corporation",
        "gmbh", "mbh", "ag", "se", "kg", "kgaa", "ohg", "ug", "plc", "llc", "llp", "lp", "pte", "pty",
        "sdn", "bhd", "sa", "spa", "srl", "sarl", "sas", "bv", "nv", "oy", "oyj", "ab", "asa", "kk",
        "holdings", "holding", "group", "&",
    }
)  # fmt: skip
# CJK legal forms removed from the end (longest first, repeatedly).
_CJK_LEGAL_SUFFIXES = tuple(
    sorted(
        {
            "集团股份有限公司", "集团有限责任公司", "集团有限公司", "股份有限公司", "有限责任公司", "有限公司",
            "集团公司", "股份公司", "总公司", "集团", "公司", "有限合伙", "普通合伙", "合伙企业",
            "集團有限公司", "集團", "株式会社", "有限会社", "合同会社", "合資会社", "合名会社",
            "주식회사", "유한회사", "유한책임회사", "합자회사", "합명회사",
        },
        key=len,
        reverse=True,
    )
)  # fmt: skip
# CJK legal forms that may also stand in front (株式会社デンソー, 주식회사 한화).
_CJK_LEGAL_PREFIXES = ("株式会社", "有限会社", "合同会社", "주식회사", "유한회사")
# (주) ㈜ (株) ㈱ (有) ㈲ … after NFKC.
_BRACKET_LEGAL_RE = re.compile(r"\((?:주|유|株|有|合|社|사)\)")

# Administrative regions stripped in front of a full legal name: provinces, municipalities, SARs and the
# larger cities where investors register. Prefecture cities whose name is commonly part of a brand
# (宁德 in 宁德时代, 株洲, 潍柴's 潍坊 …) are deliberately absent: stripping them would turn
# 宁德时代 into 时代.
_REGIONS = tuple(
    sorted(
        {
            "中国", "中华",
            "北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江", "安徽",
            "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州", "云南", "陕西",
            "甘肃", "青海", "台湾", "内蒙古", "广西", "西藏", "宁夏", "新疆", "香港", "澳门",
            "深圳", "广州", "杭州", "南京", "苏州", "无锡", "常州", "宁波", "厦门", "福州", "青岛", "济南",
            "武汉", "长沙", "成都", "西安", "郑州", "合肥", "大连", "沈阳", "东莞", "佛山", "珠海", "南通",
            "温州", "嘉兴", "绍兴", "烟台", "长春", "哈尔滨", "石家庄", "太原", "南昌", "南宁", "昆明",
            "贵阳", "兰州", "乌鲁木齐", "呼和浩特", "海口", "银川", "西宁", "拉萨", "昆山", "张家港",
        },
        key=len,
        reverse=True,
    )
)  # fmt: skip
_REGION_SET = frozenset(_REGIONS)
_ADMIN_SUFFIXES = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市", "区", "县")
# Bracketed parts dropped by brand_core: （中国）, (上海), (China), (HK) …
_BRACKET_REGION_WORDS = _REGION_SET | {
    "china", "prc", "hk", "hongkong", "shanghai", "beijing", "shenzhen", "guangzhou", "asia", "asiapacific",
    "apac", "taiwan", "macau", "singapore", "japan", "korea", "germany", "deutschland", "usa", "us",
}  # fmt: skip
_BRACKET_RE = re.compile(r"[(\[{【〔〖「『]([^()\[\]{}【】〔〕〖〗「」『』]*)[)\]}】〕〗」』]")

# Industry words removed from the end of a CJK core (longest first), conservative: never words that are
# commonly a brand themselves (通商 in 丰田通商, 时代 in 宁德时代).
_CJK_INDUSTRY = tuple(
    sorted(
        {
            "新能源科技", "新能源汽车", "新能源", "新材料", "科技", "能源", "电子", "技术", "实业", "控股",
            "贸易", "商贸", "进出口", "制造", "工业", "产业", "材料", "生物", "医药", "医疗", "器械", "汽车",
            "零部件", "电池", "储能", "光伏", "信息", "网络", "软件", "数码", "装备", "设备", "机械", "电机",
            "自动化", "化工", "半导体", "集成电路", "微电子", "光电", "电气", "电器", "投资", "计算机", "系统",
            "智能", "通信", "精密", "工程", "建设", "建筑", "发展", "国际", "中国", "动力", "环保", "物流",
            "食品", "纺织", "服务", "股份",
            "自動車", "電機", "電気", "電子", "工業", "製作所", "化学",
            "전자", "전기", "화학", "중공업", "자동차", "반도체", "건설",
        },
        key=len,
        reverse=True,
    )
)  # fmt: skip
# Industry / filler words removed from the end of a Latin core (whole words, keeping one word).
_LATIN_INDUSTRY = frozenset(
    {
        "technology", "technologies", "tech", "electronics", "electronic", "electric", "electrical",
        "energy", "newenergy", "industries", "industry", "industrial", "manufacturing", "materials",
        "material", "motor", "motors", "automotive", "chemical", "chemicals", "pharmaceutical",
        "pharmaceuticals", "pharma", "semiconductor", "semiconductors", "systems", "system", "solutions",
        "international", "trading", "investment", "investments", "china", "asia", "global", "worldwide",
    }
)  # fmt: skip
# Words too generic to be a brand on their own.
_GENERIC_TOKENS = _LATIN_INDUSTRY | {
    "the", "new", "general", "united", "first", "national", "royal", "great", "east", "west", "north",
    "south", "pacific", "world", "shanghai", "beijing", "shenzhen", "hongkong", "japan", "korea",
}  # fmt: skip

_CJK_RE = re.compile(
    r"[\u1100-\u11ff\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]"
)
_SPLIT_RE = re.compile(r"[^\w&]+|_")
_DROP_CHARS = str.maketrans({".": "", "'": "", "’": "", "`": "", "&": " & "})


# ------------------------------------------------------------------------------------- name forms
class _Words:
    """A vocabulary matched at the start or end of a string, longest word first, by slice + set lookup."""

    __slots__ = ("words", "lengths")

    def __init__(self, words: Iterable[str]) -> None:
        self.words = frozenset(words)
        self.lengths = tuple(sorted({len(w) for w in self.words}, reverse=True))

    def ends(self, s: str, *, whole: bool = False) -> Iterator[str]:
        """The words ``s`` ends with, longest first; shorter than ``s`` unless ``whole``."""
        n = len(s) + whole
        for length in self.lengths:
            if length < n and s[-length:] in self.words:
                yield s[-length:]

    def starts(self, s: str, *, whole: bool = False) -> Iterator[str]:
        """The words ``s`` starts with, longest first; shorter than ``s`` unless ``whole``."""
        n = len(s) + whole
        for length in self.lengths:
            if length < n and s[:length] in self.words:
                yield s[:length]


_LEGAL_SUFFIX_WORDS = _Words(_CJK_LEGAL_SUFFIXES)
_LEGAL_PREFIX_WORDS = _Words(_CJK_LEGAL_PREFIXES)
_INDUSTRY_WORDS = _Words(_CJK_INDUSTRY)
_REGION_WORDS = _Words(_REGIONS)
_ADMIN_WORDS = _Words(_ADMIN_SUFFIXES)


class _Forms(NamedTuple):
    norm: str  # legal form removed
    core: str  # industry words (and a bracketed region) removed, region in front kept
    core_region: str  # also the region in front removed (legal names only; else == core)
    core_loose: str  # the region in front removed even without a legal suffix (query side)
    tokens: tuple[str, ...]  # words of a Latin multi-word core (for first / last word matching)


def _strip_legal(folded: str) -> tuple[str, list[str], bool]:
    """(joined name without legal form, its Latin words, whether a legal form was found)."""
    s, n = _BRACKET_LEGAL_RE.subn(" ", folded)
    legal = n > 0
    tokens = [tok for tok in _SPLIT_RE.split(s.translate(_DROP_CHARS)) if tok]
    while len(tokens) > 1 and tokens[-1] in _LEGAL_TOKENS:
        tokens.pop()
        legal = True
    while tokens and tokens[0] == "&":
        tokens.pop(0)
    tokens = [tok for tok in tokens if tok != "&"]
    joined = "".join(tokens)
    if _CJK_RE.search(joined):
        changed = True
        while changed:
            changed = False
            for suffix in _LEGAL_SUFFIX_WORDS.ends(joined):
                joined, changed, legal = joined[: -len(suffix)], True, True
                break
            for prefix in _LEGAL_PREFIX_WORDS.starts(joined):
                joined, changed, legal = joined[len(prefix) :], True, True
                break
        # A name with CJK characters is compared as one string, not word by word.
        tokens = []
    return joined, tokens, legal


def _fold(name: str) -> str:
    return unicodedata.normalize("NFKC", name or "").casefold()


def _is_region(s: str) -> bool:
    """True for a bare region name, with or without 省 / 市 …: 上海, 上海市, 江苏省."""
    if s in _REGION_SET:
        return True
    return any(s[: -len(suffix)] in _REGION_SET for suffix in _ADMIN_WORDS.ends(s))


def _all_industry(s: str) -> bool:
    """True when ``s`` is made only of industry words (新能源科技, 电气)."""
    while s:
        if s in _INDUSTRY_WORDS.words:
            return True
        word = next(_INDUSTRY_WORDS.ends(s), "")
        if not word:
            return False
        s = s[: -len(word)]
    return True


def _strip_industry(s: str) -> str:
    """``s`` without industry words at the end, keeping ≥ 2 characters and never leaving only a region."""
    changed = True
    while changed:
        changed = False
        for word in _INDUSTRY_WORDS.ends(s):
            rest = s[: -len(word)]
            if len(rest) < 2 or _is_region(rest):
                continue
            s, changed = rest, True
            break
    return s


def _strength(s: str) -> int:
    """How much name is left: CJK characters count one each, letters and digits count one each."""
    return len(s) if s.isalnum() else sum(1 for ch in s if ch.isalnum())


def _leading_region(s: str) -> str:
    """The region (with 省 / 市 … if present) ``s`` starts with, or ``""``."""
    for region in _REGION_WORDS.starts(s):
        rest = s[len(region) :]
        for suffix in _ADMIN_WORDS.starts(rest, whole=True):
            if suffix == "市" and rest[1:2] == "场":  # 广州市场… is a market, not 广州市
                return ""
            return region + suffix
        return region
    return ""


def _strip_region(s: str) -> str:
    """``s`` without administrative regions in front, when what remains is a real brand.

    A region is removed only if the rest has ≥ 2 characters (CJK characters, letters or digits: 上海ABB
    becomes ABB), is not made only of industry words (上海电气 stays 上海电气) and still has ≥ 2
    characters once its industry words are removed. Up to three regions in a row (广东省深圳市…).
    """
    for _ in range(3):
        region = _leading_region(s)
        if not region:
            break
        rest = s[len(region) :]
        if _strength(rest) < 2 or _all_industry(rest) or _strength(_strip_industry(rest)) < 2:
            break
        s = rest
    return s


def _drop_region_brackets(folded: str) -> str:
    def repl(m: re.Match[str]) -> str:
        inner = re.sub(r"[\s.]+", "", m.group(1))
        return " " if inner in _BRACKET_REGION_WORDS or _is_region(inner) else m.group(0)

    return _BRACKET_RE.sub(repl, folded)


def _latin_core(tokens: list[str]) -> list[str]:
    """Latin words without industry words at the end (keeping one), unless only a generic word is left."""
    core = list(tokens)
    while len(core) > 1 and core[-1] in _LATIN_INDUSTRY:
        core.pop()
    if len(core) == 1 and core[0] in _GENERIC_TOKENS and len(tokens) > 1:
        return list(tokens)
    return core


def _forms(name: str) -> _Forms:
    """Every comparable form of one name (see the module docstring)."""
    folded = _fold(name)
    norm, _tokens, legal = _strip_legal(folded)
    branded = _drop_region_brackets(folded)
    if branded != folded:
        base, tokens, _ = _strip_legal(branded)
    else:
        base, tokens = norm, _tokens
    if not base:
        base, tokens = norm, _tokens
    if _CJK_RE.search(base):
        core = _strip_industry(base)
        unregioned = _strip_region(base)
        loose = core if unregioned == base else _strip_industry(unregioned)
        region = loose if legal else core
        return _Forms(norm, core, region, loose, ())
    words = _latin_core(tokens) if tokens else [base]
    core = "".join(words)
    return _Forms(norm, core, core, core, tuple(words) if len(words) > 1 else ())


def normalise_company_name(name: str) -> str:
    """A company name without script, case, spacing, punctuation or legal form differences.

    NFKC (full-width ``ＳＩＥＭＥＮＳ`` → ``SIEMENS``, ``（）`` → ``()``), case-folded; spaces, punctuation
    and brackets removed (their content kept); legal forms removed repeatedly from the end —
    有限公司, 股份有限公司, 集团, 株式会社, 주식회사, (주), Co., Ltd., GmbH & Co. KG, AG, Inc., Pte. Ltd.,
    S.p.A., B.V., Holdings, Group … — and 株式会社 / 주식회사 also from the front.

    ``"丰田通商株式会社"`` → ``"丰田通商"``; ``"ＳＩＥＭＥＮＳ　ＡＧ"`` → ``"siemens"``;
    ``"Contemporary Amperex Technology Co., Limited"`` → ``"contemporaryamperextechnology"``.
    A name that is nothing but a legal form keeps it (``"集团"`` → ``"集团"``).
    """
    return _forms(name).norm


def brand_core(name: str) -> str:
    """The brand (字号) a name reduces to: :func:`normalise_company_name` minus industry words at the end,
    a bracketed region (``（中国）``, ``(China)``) and, for a full legal name, the region in front.

    - ``"上海华虹宏力半导体制造有限公司"`` → ``"华虹宏力"``; ``"江苏远景能源有限公司"`` → ``"远景"``
    - ``"宁德时代新能源科技股份有限公司"`` → ``"宁德时代"`` (宁德 is not in the region list: it is part of
      the brand)
    - ``"上海电气集团股份有限公司"`` → ``"上海电气"`` (what would remain is only an industry word)
    - ``"上海华虹宏力"`` → ``"上海华虹宏力"`` (no legal suffix: the region may be part of how people
      name it, so it is kept)
    - ``"Contemporary Amperex Technology Co., Limited"`` → ``"contemporaryamperex"``
    """
    return _forms(name).core_region


# ------------------------------------------------------------------------------------------ index
@dataclass(frozen=True, slots=True)
class MatchCandidate:
    """A known company that may be the one being entered (查重候选).

    ``matched_name`` is the stored name (legal name or alias) that matched; ``score`` is 0..1;
    ``reason`` is a ``match.reason.*`` catalog key.
    """

    company_id: str
    matched_name: str
    score: float
    reason: str


class _Entry(NamedTuple):
    """One stored name of a company, with its most reduced core (for the *similar* tier)."""

    company_id: str
    name: str
    core: str = ""


_Offer = Callable[[Iterable[_Entry] | None, float, str], None]
# A table maps a key to an insertion-ordered set (a dict with None values) of entries.
_Table = dict[Any, dict[_Entry, None]]


def _within1(a: str, b: str) -> bool:
    """True if a and b differ by at most one edit or one swap of adjacent characters."""
    la, lb = len(a), len(b)
    if la > lb:
        a, b, la, lb = b, a, lb, la
    if lb - la > 1:
        return False
    i = 0
    while i < la and a[i] == b[i]:
        i += 1
    if la == lb:
        return (
            i >= la
            or a[i + 1 :] == b[i + 1 :]
            or (i + 1 < la and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :])
        )
    return a[i:] == b[i + 1 :]


def _within(a: str, b: str, k: int) -> bool:
    """True if the optimal-string-alignment distance (edits and adjacent swaps) of a and b is ≤ k (k ≤ 2)."""
    if a == b:
        return True
    if k <= 0 or abs(len(a) - len(b)) > k:
        return False
    if k == 1:
        return _within1(a, b)
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    a, b = a[i:], b[i:]
    if not a or not b:
        return max(len(a), len(b)) <= k
    return (
        _within(a[1:], b[1:], k - 1)
        or _within(a[1:], b, k - 1)
        or _within(a, b[1:], k - 1)
        or (len(a) > 1 and len(b) > 1 and a[0] == b[1] and a[1] == b[0] and _within(a[2:], b[2:], k - 1))
    )


def _near_width(length: int) -> int:
    """How many characters at each end key the edit-distance buckets of cores of ``length``.

    A single edit in a string of this length always leaves this many characters intact at one end.
    """
    return 2 if length < 7 else 3 if length < 9 else 4


def _max_edits(length: int) -> int:
    return 1 if length <= 8 else 2


def stored_names(name: Any, aliases_json: str | bytes | None) -> list[str]:
    """A company's names for the index from its stored columns: the legal name and the aliases (the
    ``aliases`` column's JSON text). Only text counts: a row that a server before the aliases' shape check
    (issue 11.7) let through — ``[1, {}, null]``, an object, JSON that does not parse — gives what it holds of
    names and nothing else, never a crash of the duplicate check."""
    names = [name] if isinstance(name, str) else []
    if not aliases_json:
        return names
    try:
        aliases = orjson.loads(aliases_json)
    except orjson.JSONDecodeError:
        return names
    if isinstance(aliases, list):
        names.extend(a for a in aliases if isinstance(a, str))
    return names


class CompanyIndex:
    """In-memory duplicate-check index over known companies (查重), fast enough for every keystroke.

    Built from ``(company_id, names, credit_code)`` rows; ``names`` are the legal name and aliases in any
    script. Every name is reduced once to its forms; queries are dict lookups, plus, for the *similar*
    tier, substring lookups and scans of small buckets keyed by the first / last characters and the length
    of a core. Nothing scans all companies: a query costs well under 5 ms at 100,000 companies
    (``bench/bench_company_match.py``). Build it once (in a worker: ~5-8 s for 100,000 companies) and
    keep it up to date with :meth:`add` / :meth:`remove`. The build pauses the cyclic GC; the first full
    collection afterwards walks the new objects once (~0.2 s at 100,000), which an app can move to start-up
    with ``gc.collect(); gc.freeze()`` right after building.
    """

    def __init__(self, companies: Iterable[tuple[str, Sequence[str], str | None]] = ()) -> None:
        self._companies: dict[str, tuple[tuple[str, ...], str]] = {}  # id → (names, normalised code)
        self._codes: _Table = {}  # normalised credit code → entries
        self._exact: _Table = {}  # normalised name → entries
        self._core: _Table = {}  # brand core (with / without region in front) → entries
        self._token: _Table = {}  # first / last word of a Latin multi-word core → entries
        # Most reduced cores of ≥ 4 characters, for the *similar* tier:
        self._heads: _Table = {}  # (first 4 characters, length): containment at the start
        self._tails: _Table = {}  # (last 4 characters, length): containment at the end
        self._near: _Table = {}  # ("^" + first / "$" + last 2-4 characters, length): edit distance
        # A bulk build creates millions of small objects: the cyclic GC would only rescan them.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            for company_id, names, credit_code in companies:
                self.add(company_id, names, credit_code)
        finally:
            if gc_was_enabled:
                gc.enable()

    # ---- maintenance
    def __len__(self) -> int:
        return len(self._companies)

    def __contains__(self, company_id: object) -> bool:
        return company_id in self._companies

    def add(self, company_id: str, names: Sequence[str], credit_code: str | None = None) -> None:
        """Add a company, or replace what is known about ``company_id``.

        ``names``: the legal name and aliases (short name, English / Japanese / Korean name …); blank
        ones are ignored. ``credit_code`` is normalised; it need not be valid to be matched.
        """
        if isinstance(names, str):
            names = (names,)
        if company_id in self._companies:
            self.remove(company_id)
        kept = tuple(n for n in names if n and n.strip())
        code = normalise_credit_code(credit_code) if credit_code else ""
        self._companies[company_id] = (kept, code)
        for table, key, entry in self._postings(company_id, kept, code):
            table.setdefault(key, {})[entry] = None

    def remove(self, company_id: str) -> None:
        """Forget ``company_id`` (no error if unknown)."""
        known = self._companies.pop(company_id, None)
        if known is None:
            return
        for table, key, entry in self._postings(company_id, *known):
            bucket = table.get(key)
            if bucket is not None:
                bucket.pop(entry, None)
                if not bucket:
                    del table[key]

    def _postings(
        self, company_id: str, names: tuple[str, ...], code: str
    ) -> Iterator[tuple[_Table, Any, _Entry]]:
        """Every (table, key, entry) a company is indexed under; the same for add() and remove()."""
        if code:
            yield self._codes, code, _Entry(company_id, names[0] if names else "")
        for name in names:
            forms = _forms(name)
            # The similar tier compares the most reduced core only: the region in front would put every
            # 上海… name into one bucket.
            core = forms.core_region
            entry = _Entry(company_id, name, core)
            if forms.norm:
                yield self._exact, forms.norm, entry
            if forms.core:
                yield self._core, forms.core, entry
            if core and core != forms.core:
                yield self._core, core, entry
            length = len(core)
            if length >= SIMILAR_MIN_LEN:
                width = _near_width(length)
                yield self._heads, (core[:SIMILAR_MIN_LEN], length), entry
                yield self._tails, (core[-SIMILAR_MIN_LEN:], length), entry
                yield self._near, ("^" + core[:width], length), entry
                yield self._near, ("$" + core[-width:], length), entry
            for word in {forms.tokens[0], forms.tokens[-1]} if forms.tokens else ():
                if len(word) >= SIMILAR_MIN_LEN and word not in _GENERIC_TOKENS:
                    yield self._token, word, entry

    # ---- queries
    def candidates(self, query: str, credit_code: str | None = None, limit: int = 8) -> list[MatchCandidate]:
        """Known companies that may be ``query`` (a name as typed) or have ``credit_code``, best first.

        One candidate per company (its best match), ranked by score, then reason, then name. A code match
        (reason ``match.reason.credit_code``) always comes first. A query shorter than 2 characters after
        normalisation gives no name candidates.
        """
        best: dict[str, tuple[float, int, str, str]] = {}

        def offer(entries: Iterable[_Entry] | None, score: float, reason: str) -> None:
            if not entries:
                return
            rank = _REASON_RANK[reason]
            for entry in entries:
                current = best.get(entry.company_id)
                candidate = (score, rank, entry.name, reason)
                if current is None or (score, -rank) > (current[0], -current[1]):
                    best[entry.company_id] = candidate

        if credit_code:
            code = normalise_credit_code(credit_code)
            if code:
                offer(self._codes.get(code), SCORE_CREDIT_CODE, "match.reason.credit_code")

        forms = _forms(query or "")
        if len(forms.norm) >= MIN_QUERY_LEN:
            self._match_names(forms, offer)

        ranked = sorted(best.items(), key=lambda item: (-item[1][0], item[1][1], item[1][2], item[0]))
        return [
            MatchCandidate(company_id, name, round(score, 4), reason)
            for company_id, (score, _rank, name, reason) in ranked[: max(0, limit)]
        ]

    def _match_names(self, q: _Forms, offer: _Offer) -> None:
        exact, core_table = self._exact, self._core
        offer(exact.get(q.norm), SCORE_EXACT_NAME, "match.reason.exact_name")
        offer(core_table.get(q.norm), SCORE_SHORT_NAME, "match.reason.short_name")
        cores = {c for c in (q.core, q.core_region) if c}
        for core in cores:
            if core != q.norm:
                offer(exact.get(core), SCORE_SHORT_NAME_REVERSE, "match.reason.short_name")
            offer(core_table.get(core), SCORE_SAME_BRAND, "match.reason.same_brand")
        if q.core_loose and q.core_loose not in cores and q.core_loose != q.norm:
            offer(exact.get(q.core_loose), SCORE_SAME_BRAND_LOOSE, "match.reason.same_brand")
            offer(core_table.get(q.core_loose), SCORE_SAME_BRAND_LOOSE, "match.reason.same_brand")
            cores.add(q.core_loose)
        # Latin brand as the first / last word of a multi-word name (Robert Bosch ↔ Bosch).
        if not q.tokens and len(q.core) >= SIMILAR_MIN_LEN and q.core not in _GENERIC_TOKENS:
            offer(self._token.get(q.core), SCORE_TOKEN, "match.reason.similar")
        for word in {q.tokens[0], q.tokens[-1]} if q.tokens else ():
            if len(word) >= SIMILAR_MIN_LEN and word not in _GENERIC_TOKENS:
                offer(core_table.get(word), SCORE_TOKEN, "match.reason.similar")
        for core in cores:
            if SIMILAR_MIN_LEN <= len(core) <= SIMILAR_MAX_LEN:
                self._similar(core, offer)

    def _similar(self, q: str, offer: _Offer) -> None:
        """Containment (≥ 4 characters, ≥ 60 % of the longer) and small edit distance between cores."""
        n = len(q)
        reason = "match.reason.similar"
        # A known core inside the query: every substring long enough to count.
        for length in range(max(SIMILAR_MIN_LEN, _min_overlap(n)), n):
            for start in range(n - length + 1):
                entries = self._core.get(q[start : start + length])
                if entries:
                    offer(entries, _containment_score(length, n), reason)
        # The query at the start / end of a longer known core: same first / last 4 characters.
        head, tail = q[:SIMILAR_MIN_LEN], q[-SIMILAR_MIN_LEN:]
        for length in range(n + 1, _max_container(n) + 1):
            score = _containment_score(n, length)
            for entry in self._heads.get((head, length), ()):
                if entry.core.startswith(q):
                    offer((entry,), score, reason)
            for entry in self._tails.get((tail, length), ()):
                if entry.core.endswith(q):
                    offer((entry,), score, reason)
        # Within one or two edits: a single edit leaves the first or the last characters intact.
        edits = _max_edits(n)
        for length in range(max(SIMILAR_MIN_LEN, n - edits), n + edits + 1):
            width = _near_width(length)
            for key in ("^" + q[:width], "$" + q[-width:]):
                for entry in self._near.get((key, length), ()):
                    score = _edit_score(q, entry.core)
                    if score:
                        offer((entry,), score, reason)


def _min_overlap(n: int) -> int:
    """The shortest core that covers ≥ 60 % of ``n`` characters (integer arithmetic: no float edges)."""
    return -(-n * 3 // 5)


def _max_container(n: int) -> int:
    """The longest core of which ``n`` characters are still ≥ 60 %."""
    return n * 5 // 3


def _edit_score(q: str, core: str) -> float:
    """Score of the *similar* tier for two cores a few edits apart (0.0: not similar)."""
    n, m = len(q), len(core)
    if core == q or m < SIMILAR_MIN_LEN:
        return 0.0
    longer = max(n, m)
    edits = _max_edits(longer)
    if abs(n - m) > edits:
        return 0.0
    for d in range(1, edits + 1):
        if _within(q, core, d):
            return round(0.75 * (1 - d / longer), 4)
    return 0.0


def _containment_score(shorter: int, longer: int) -> float:
    return round(0.45 + 0.3 * shorter / longer, 4)
