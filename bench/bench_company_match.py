"""Benchmark the duplicate check (查重): build a CompanyIndex of synthetic companies, time queries.

Prints one JSON object: build time, index size and the p50 / p95 / max time of a query, over a mix of
queries an officer types — full legal names, short names (字号), names still being typed, typos,
foreign names, unrelated names.

    .venv/bin/python bench/bench_company_match.py [--companies 100000] [--queries 5000] [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from zsfield.domain.company_match import CompanyIndex  # noqa: E402
from zsfield.domain.credit_code import CHARSET, compute_check_char  # noqa: E402

REGIONS = ["江苏", "上海", "北京", "深圳市", "广东", "浙江", "福建", "苏州", "杭州", "成都", "武汉", "安徽"]
BRAND_CHARS = (
    "远景华虹宏力宁德时代比亚迪腾讯阿里巴巴海康威视京东方立讯精密隆基绿能天合光能晶科通威恒瑞迈瑞联影"
    "中芯长电兆易创新韦尔汇顶紫光展锐北方华创中微拓荆盛美芯源微鼎龙江丰安集雅克华峰万华龙佰新宙邦天赐"
    "恩捷星源璞泰来杉杉贝特瑞容百当升格林美华友赣锋天齐盐湖亿纬欣旺达国轩孚能蜂巢瑞浦海辰"
)
INDUSTRIES = [
    "新能源科技",
    "科技",
    "电子",
    "半导体",
    "生物医药",
    "汽车零部件",
    "材料",
    "智能装备",
    "",
    "实业",
]
SUFFIXES = ["有限公司", "股份有限公司", "集团有限公司", "有限责任公司"]
SYLLABLES = ["ka", "ro", "tem", "lin", "vo", "sie", "mens", "bo", "sch", "am", "pe", "rex", "tor", "na", "vi"]
LATIN_INDUSTRY = ["Technology", "Electronics", "Energy", "Materials", "", "Systems", "Motors"]
LATIN_SUFFIXES = ["Co., Ltd.", "GmbH", "AG", "Inc.", "Corp.", "Pte. Ltd.", "Limited", "S.p.A.", "B.V."]
KATAKANA = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン"
HANGUL = "가나다라마바사아자차카타파하삼성현대엘지기아한화롯데"


def _code(rng: random.Random) -> str:
    body = "91" + "".join(rng.choice("0123456789") for _ in range(6))
    body += "".join(rng.choice(CHARSET) for _ in range(9))
    return body + compute_check_char(body)


def make_company(rng: random.Random, i: int) -> tuple[str, list[str], str | None]:
    kind = rng.random()
    if kind < 0.7:
        brand = "".join(rng.choice(BRAND_CHARS) for _ in range(rng.choice((2, 2, 3, 4))))
        legal = rng.choice(REGIONS) + brand + rng.choice(INDUSTRIES) + rng.choice(SUFFIXES)
        names = [legal, brand] if rng.random() < 0.5 else [legal]
    elif kind < 0.9:
        words = [
            "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 3)))).capitalize()
            for _ in range(rng.choice((1, 1, 2)))
        ]
        names = [
            " ".join([*words, rng.choice(LATIN_INDUSTRY), rng.choice(LATIN_SUFFIXES)]).replace("  ", " ")
        ]
    elif kind < 0.95:
        names = ["株式会社" + "".join(rng.choice(KATAKANA) for _ in range(rng.choice((3, 4, 5))))]
    else:
        names = ["".join(rng.choice(HANGUL) for _ in range(rng.choice((3, 4)))) + " 주식회사"]
    return f"c{i:06d}", names, _code(rng) if rng.random() < 0.6 else None


def make_queries(rng: random.Random, companies: list[tuple[str, list[str], str | None]], n: int) -> list[str]:
    queries: list[str] = []
    for _ in range(n):
        _cid, names, _code_ = rng.choice(companies)
        name = rng.choice(names)
        r = rng.random()
        if r < 0.3:
            queries.append(name)  # the full name
        elif r < 0.55:
            queries.append(name[: rng.randint(2, max(2, len(name)))])  # still typing
        elif r < 0.7 and len(name) > 4:
            i = rng.randrange(len(name))
            queries.append(name[:i] + rng.choice(BRAND_CHARS) + name[i + 1 :])  # a typo
        elif r < 0.85:
            queries.append(name.upper())
        else:
            queries.append("".join(rng.choice(BRAND_CHARS) for _ in range(rng.randint(2, 6))))  # unrelated
    return queries


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    rng = random.Random(args.seed)
    companies = [make_company(rng, i) for i in range(args.companies)]
    started = time.perf_counter()
    index = CompanyIndex(companies)
    build_s = time.perf_counter() - started

    queries = make_queries(rng, companies, args.queries)
    timings: list[float] = []
    found = 0
    for query in queries:
        t0 = time.perf_counter()
        result = index.candidates(query)
        timings.append((time.perf_counter() - t0) * 1000)
        found += bool(result)
    timings.sort()

    def pct(p: float) -> float:
        return round(timings[min(len(timings) - 1, int(p * len(timings)))], 3)

    print(
        json.dumps(
            {
                "companies": len(index),
                "build_seconds": round(build_s, 2),
                "queries": len(queries),
                "queries_with_candidates": found,
                "p50_ms": pct(0.50),
                "p95_ms": pct(0.95),
                "p99_ms": pct(0.99),
                "max_ms": round(timings[-1], 3),
                "mean_ms": round(statistics.fmean(timings), 3),
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
