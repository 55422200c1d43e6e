"""Company duplicate check (查重): name normalisation, brand cores and the CompanyIndex."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

from zsfield.domain.company_match import (
    REASONS,
    CompanyIndex,
    MatchCandidate,
    brand_core,
    normalise_company_name,
)
from zsfield.i18n import CATALOG, t

CATL_CODE = "91350900587527783P"
SIEMENS_CODE = "91110000600037341L"

KNOWN = [
    ("toyota-tsusho", ["丰田通商株式会社", "Toyota Tsusho Corporation"], None),
    ("siemens", ["Siemens AG"], None),
    ("catl", ["宁德时代新能源科技股份有限公司", "Contemporary Amperex Technology Co., Limited"], CATL_CODE),
    ("atl", ["宁德新能源科技有限公司", "Amperex Technology Limited"], None),
    ("bosch", ["Robert Bosch GmbH"], None),
    ("samsung", ["삼성전자 주식회사", "Samsung Electronics Co., Ltd."], None),
    ("denso", ["株式会社デンソー", "DENSO Corporation"], None),
    ("hhgrace", ["上海华虹宏力半导体制造有限公司"], None),
    ("envision", ["江苏远景能源有限公司"], None),
    ("shanghai-electric", ["上海电气集团股份有限公司"], None),
    ("tencent", ["深圳市腾讯计算机系统有限公司"], None),
    ("byd", ["比亚迪股份有限公司"], None),
]


@pytest.fixture(scope="module")
def index() -> CompanyIndex:
    return CompanyIndex(KNOWN)


def ids(candidates: list[MatchCandidate]) -> list[str]:
    return [c.company_id for c in candidates]


def first(index: CompanyIndex, query: str) -> MatchCandidate:
    found = index.candidates(query)
    assert found, f"no candidate for {query!r}"
    return found[0]


# -------------------------------------------------------------------------------- normalisation
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("丰田通商株式会社", "丰田通商"),
        ("株式会社デンソー", "デンソー"),
        ("株式会社 デンソー", "デンソー"),
        ("ｶﾌﾞｼｷｶﾞｲｼｬ", "カブシキガイシャ"),  # half-width katakana → full-width
        ("Siemens AG", "siemens"),
        ("ＳＩＥＭＥＮＳ　ＡＧ", "siemens"),
        ("SIEMENS", "siemens"),
        ("Robert Bosch GmbH", "robertbosch"),
        ("Robert Bosch GmbH & Co. KG", "robertbosch"),
        ("Contemporary Amperex Technology Co., Limited", "contemporaryamperextechnology"),
        ("CONTEMPORARY AMPEREX TECHNOLOGY CO LTD", "contemporaryamperextechnology"),
        ("Contemporary Amperex Technology Co.,Ltd.", "contemporaryamperextechnology"),
        ("Alibaba Group Holding Limited", "alibaba"),
        ("Foxconn Pte. Ltd.", "foxconn"),
        ("Ferrari S.p.A.", "ferrari"),
        ("ASML Holding N.V.", "asml"),
        ("Nokia Oyj", "nokia"),
        ("McDonald's Corporation", "mcdonalds"),
        ("AT&T Inc.", "att"),
        ("삼성전자 주식회사", "삼성전자"),
        ("(주)삼성전자", "삼성전자"),
        ("㈜삼성전자", "삼성전자"),
        ("주식회사 한화", "한화"),
        ("宁德时代新能源科技股份有限公司", "宁德时代新能源科技"),
        ("江苏远景能源有限公司", "江苏远景能源"),
        ("远景能源（江苏）有限公司", "远景能源江苏"),
        ("华为技术有限公司", "华为技术"),
        ("上海电气集团股份有限公司", "上海电气"),
        ("海尔集团公司", "海尔"),
        ("某某投资合伙企业（有限合伙）", "某某投资"),
        ("台积电股份有限公司", "台积电"),
        ("“远景”能源·有限公司", "远景能源"),
        ("集团", "集团"),  # nothing but a legal form: kept
        ("", ""),
    ],
)
def test_normalise_company_name(name: str, expected: str) -> None:
    assert normalise_company_name(name) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("宁德时代新能源科技股份有限公司", "宁德时代"),
        ("宁德时代", "宁德时代"),
        ("宁德新能源科技有限公司", "宁德"),
        ("上海华虹宏力半导体制造有限公司", "华虹宏力"),
        ("江苏远景能源有限公司", "远景"),
        ("远景能源（江苏）有限公司", "远景"),
        ("博世（中国）投资有限公司", "博世"),
        ("深圳市腾讯计算机系统有限公司", "腾讯"),
        ("广东省深圳市某某电子有限公司", "某某"),
        ("华为技术有限公司", "华为"),
        ("比亚迪股份有限公司", "比亚迪"),
        ("丰田通商株式会社", "丰田通商"),  # 通商 is part of the brand
        # The region stays when the rest would be only industry words or a bare region:
        ("上海电气集团股份有限公司", "上海电气"),
        ("北京汽车股份有限公司", "北京汽车"),
        ("中国建筑股份有限公司", "中国建筑"),
        ("广州市场开发有限公司", "广州市场开发"),  # 广州市场 is not 广州市
        # Without a legal suffix the region in front is kept (it may be how people name it):
        ("上海华虹宏力", "上海华虹宏力"),
        ("Contemporary Amperex Technology Co., Limited", "contemporaryamperex"),
        ("ABB (China) Ltd.", "abb"),
        ("Toyota Motor Corporation", "toyota"),
        ("China Energy Technology Co., Ltd.", "chinaenergytechnology"),  # never reduced to "china"
    ],
)
def test_brand_core(name: str, expected: str) -> None:
    assert brand_core(name) == expected


# ------------------------------------------------------------------------------ required matches
def test_toyota_tsusho_legal_name_matches_short_name(index: CompanyIndex) -> None:
    match = first(index, "丰田通商")
    assert match.company_id == "toyota-tsusho"
    assert match.matched_name == "丰田通商株式会社"
    assert match.reason == "match.reason.exact_name"


@pytest.mark.parametrize("query", ["SIEMENS", "ＳＩＥＭＥＮＳ　ＡＧ", "siemens ag", "Siemens A.G."])
def test_siemens_spellings(index: CompanyIndex, query: str) -> None:
    match = first(index, query)
    assert match.company_id == "siemens"
    assert match.reason == "match.reason.exact_name"


def test_catl_short_name(index: CompanyIndex) -> None:
    match = first(index, "宁德时代")
    assert match.company_id == "catl"
    assert match.reason in ("match.reason.short_name", "match.reason.same_brand")
    assert match.matched_name == "宁德时代新能源科技股份有限公司"


def test_catl_is_not_atl(index: CompanyIndex) -> None:
    """宁德时代 (CATL) and 宁德新能源 (ATL) share 宁德 but are different companies."""
    assert "atl" not in ids(index.candidates("宁德时代"))
    assert "atl" not in ids(index.candidates("宁德时代新能源科技股份有限公司"))
    assert "catl" not in ids(index.candidates("宁德新能源"))
    assert "catl" not in ids(index.candidates("宁德新能源科技有限公司"))
    assert ids(index.candidates("宁德新能源"))[:1] == ["atl"]


def test_catl_is_not_atl_in_english_either(index: CompanyIndex) -> None:
    found = index.candidates("Contemporary Amperex Technology")
    assert ids(found)[:1] == ["catl"]
    assert found[0].reason == "match.reason.exact_name"
    atl = [c for c in found if c.company_id == "atl"]
    # "Amperex Technology" is the tail of CATL's English name: at most a weak 'similar' candidate.
    assert all(c.reason == "match.reason.similar" and c.score < 0.8 for c in atl)


def test_credit_code_ranks_first_whatever_the_name(index: CompanyIndex) -> None:
    found = index.candidates("Siemens AG", credit_code=CATL_CODE)
    assert found[0] == MatchCandidate(
        "catl", "宁德时代新能源科技股份有限公司", 1.0, "match.reason.credit_code"
    )
    assert found[1].company_id == "siemens"


def test_credit_code_as_typed(index: CompanyIndex) -> None:
    match = index.candidates("", credit_code=" 9135 0900-5875 2778 3p ")
    assert ids(match) == ["catl"]
    assert match[0].reason == "match.reason.credit_code"


def test_credit_code_and_name_of_same_company_give_one_candidate(index: CompanyIndex) -> None:
    found = index.candidates("宁德时代", credit_code=CATL_CODE)
    assert ids(found) == ["catl"]
    assert found[0].reason == "match.reason.credit_code"


def test_bosch_is_only_similar(index: CompanyIndex) -> None:
    """A brand that is the last word of a multi-word Latin name is a weaker 'similar' match."""
    for query in ("BOSCH", "Bosch GmbH"):
        match = first(index, query)
        assert match.company_id == "bosch"
        assert match.reason == "match.reason.similar"
        assert 0.5 <= match.score < 0.8
    assert first(index, "ROBERT BOSCH GMBH").reason == "match.reason.exact_name"


def test_samsung_korean(index: CompanyIndex) -> None:
    for query in ("삼성전자", "㈜삼성전자", "삼성전자(주)"):
        match = first(index, query)
        assert match.company_id == "samsung"
        assert match.reason == "match.reason.exact_name"


def test_denso(index: CompanyIndex) -> None:
    match = first(index, "デンソー")
    assert match.company_id == "denso"
    assert match.reason == "match.reason.exact_name"
    assert first(index, "Denso").company_id == "denso"


def test_hhgrace_via_region_and_industry(index: CompanyIndex) -> None:
    match = first(index, "华虹宏力")
    assert match.company_id == "hhgrace"
    assert match.reason == "match.reason.short_name"
    assert first(index, "上海华虹宏力").company_id == "hhgrace"
    assert first(index, "华虹宏力半导体有限公司").company_id == "hhgrace"


def test_catl_english_spellings(index: CompanyIndex) -> None:
    match = first(index, "CONTEMPORARY AMPEREX TECHNOLOGY CO LTD")
    assert match.company_id == "catl"
    assert match.reason == "match.reason.exact_name"
    assert match.matched_name == "Contemporary Amperex Technology Co., Limited"


def test_same_brand(index: CompanyIndex) -> None:
    match = first(index, "远景科技集团有限公司")
    assert match.company_id == "envision"
    assert match.reason == "match.reason.same_brand"
    assert first(index, "腾讯科技（深圳）有限公司").company_id == "tencent"


def test_short_name_recorded_company_found_by_legal_name() -> None:
    index = CompanyIndex([("byd", ["比亚迪"], None)])
    match = first(index, "比亚迪汽车工业有限公司")
    assert match.company_id == "byd"
    assert match.reason == "match.reason.short_name"


def test_region_kept_when_it_is_the_brand(index: CompanyIndex) -> None:
    assert first(index, "上海电气").company_id == "shanghai-electric"
    # ... and 上海电气 is not 上海华虹宏力 or any other 上海 company.
    assert ids(index.candidates("上海电气")) == ["shanghai-electric"]


@pytest.mark.parametrize(
    "query",
    [
        "阿里巴巴",
        "Microsoft Corporation",
        "海康威视数字技术股份有限公司",
        "LG Chem",
        "株式会社日立製作所",
        "远方光电",
    ],
)
def test_unrelated_names_do_not_match(index: CompanyIndex, query: str) -> None:
    assert index.candidates(query) == []


@pytest.mark.parametrize("query", ["", "   ", "宁", "A", "有限公司", "Co., Ltd.", "（）"])
def test_empty_and_one_character_queries(index: CompanyIndex, query: str) -> None:
    assert index.candidates(query) == []


# -------------------------------------------------------------------------------- similar tier
def test_typo_is_similar(index: CompanyIndex) -> None:
    match = first(index, "Seimens")
    assert match.company_id == "siemens"
    assert match.reason == "match.reason.similar"
    assert match.score < 0.8


def test_name_still_being_typed_is_similar(index: CompanyIndex) -> None:
    match = first(index, "华虹宏力半导")
    assert match.company_id == "hhgrace"
    assert match.reason == "match.reason.similar"


def test_containment_needs_four_characters_and_sixty_percent() -> None:
    index = CompanyIndex([("hh", ["华虹宏力"], None), ("ca", ["Amperex"], None)])
    found = index.candidates("华虹宏力微纳")  # 4 of 6 characters
    assert ids(found) == ["hh"] and found[0].reason == "match.reason.similar"
    assert index.candidates("华虹宏力微纳智造") == []  # 4 of 8: below 60 %
    assert index.candidates("华虹宏") == []  # 3 characters: compared for equality only
    assert ids(index.candidates("Amperexbat")) == ["ca"]  # 7 of 10
    assert index.candidates("Amperexbattery") == []  # 7 of 14
    # the other way round: the query inside a longer known core
    index.add("long", ["华虹宏力微纳"])
    assert "long" in ids(index.candidates("华虹宏力"))


def test_short_cores_never_fuzzy() -> None:
    """Cores of 2-3 characters only match when equal: sharing 宁德 is not enough."""
    index = CompanyIndex([("atl", ["宁德新能源科技有限公司"], None), ("ev", ["远景"], None)])
    for query in ("宁德时代", "宁德时", "宁德时代新能源科技股份有限公司", "宁德时代电子"):
        assert "atl" not in ids(index.candidates(query)), query
    for query in ("远见", "远景能", "远", "景远"):
        assert index.candidates(query) == [], query


def test_edit_distance_scales_with_length() -> None:
    index = CompanyIndex([("c", ["Contemporary Amperex"], None)])
    assert ids(index.candidates("Contemporery Amperex")) == ["c"]  # 1 edit
    assert ids(index.candidates("Contemporery Amperix")) == ["c"]  # 2 edits, 19 characters
    assert index.candidates("Contemporery Ampirix") == []  # 3 edits


# ------------------------------------------------------------------------------ ranking, upkeep
def test_ranking_and_one_candidate_per_company() -> None:
    index = CompanyIndex(
        [
            ("exact", ["远景动力有限公司"], None),
            ("brand", ["江苏远景动力科技有限公司"], None),
            ("twice", ["远景动力", "远景动力技术有限公司"], None),
        ]
    )
    found = index.candidates("远景动力")
    assert len(found) == len({c.company_id for c in found}) == 3
    assert [c.score for c in found] == sorted((c.score for c in found), reverse=True)
    reasons = {c.company_id: c.reason for c in found}
    assert reasons == {
        "exact": "match.reason.exact_name",
        "twice": "match.reason.exact_name",
        "brand": "match.reason.same_brand",  # 江苏远景动力科技 → 远景, like 远景动力 → 远景
    }
    assert ids(found) == ["twice", "exact", "brand"]  # equal scores: by matched name, then id


def test_limit() -> None:
    index = CompanyIndex((f"c{i}", [f"远景{i:02d}有限公司", "远景"], None) for i in range(20))
    assert len(index.candidates("远景")) == 8
    assert len(index.candidates("远景", limit=3)) == 3
    assert index.candidates("远景", limit=0) == []
    # ties are broken deterministically
    assert index.candidates("远景") == index.candidates("远景")


def test_add_remove_replace() -> None:
    index = CompanyIndex()
    assert len(index) == 0 and index.candidates("华虹宏力") == []
    index.add("hh", ["上海华虹宏力半导体制造有限公司"], "91310000MA1FL1234X")
    assert "hh" in index and len(index) == 1
    assert ids(index.candidates("华虹宏力")) == ["hh"]
    index.add("hh", ["远景能源有限公司"])  # replaces the names and drops the code
    assert index.candidates("华虹宏力") == []
    assert index.candidates("", credit_code="91310000MA1FL1234X") == []
    assert ids(index.candidates("远景能源")) == ["hh"]
    index.remove("hh")
    index.remove("hh")  # unknown: no error
    assert len(index) == 0
    assert index.candidates("远景能源") == []
    assert all(not table for table in vars_tables(index))


def vars_tables(index: CompanyIndex) -> list[dict[object, object]]:
    return [
        index._codes,
        index._exact,
        index._core,
        index._token,
        index._heads,
        index._tails,
        index._near,
    ]


def test_names_may_be_a_plain_string_and_blanks_are_ignored() -> None:
    index = CompanyIndex([("d", "株式会社デンソー", None), ("e", ["", "  ", "Envision"], None)])  # type: ignore[list-item]
    assert ids(index.candidates("デンソー")) == ["d"]
    assert ids(index.candidates("envision")) == ["e"]


def test_candidate_is_frozen_and_reasons_are_in_catalog(index: CompanyIndex) -> None:
    match = first(index, "丰田通商")
    with pytest.raises(dataclasses.FrozenInstanceError):
        match.score = 0.1  # type: ignore[misc]
    for reason in REASONS:
        assert reason in CATALOG
        assert t(reason, "zh") and t(reason, "en")


def test_scores_are_between_zero_and_one(index: CompanyIndex) -> None:
    for query in ("宁德时代", "Seimens", "BOSCH", "华虹宏力半导", "远景科技", "丰田通商"):
        for candidate in index.candidates(query, credit_code=CATL_CODE):
            assert 0.0 <= candidate.score <= 1.0
            assert candidate.reason in REASONS


def test_domain_modules_do_not_import_textual_or_rich() -> None:
    code = (
        "import sys\n"
        "import zsfield.domain.credit_code, zsfield.domain.money, zsfield.domain.company_match\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_pasted_paragraph_is_handled(index: CompanyIndex) -> None:
    assert index.candidates("华虹宏力" * 200) == []
    assert index.candidates("x" * 5000) == []
