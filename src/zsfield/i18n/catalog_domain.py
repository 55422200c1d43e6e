"""Domain messages (中文, English): credit codes, amounts and money, investment bands, duplicate check.

Keys: ``credit_code.*`` (统一社会信用代码), ``money.*`` (金额 / 汇率), ``band.*`` (任务分解表 bands),
``match.*`` (查重). Each refusal says what is wrong and how to fix it.
"""

MESSAGES: dict[str, tuple[str, str]] = {
    # ---- 统一社会信用代码 / unified social credit code (GB 32100-2015)
    "credit_code.empty": (
        "请填写统一社会信用代码（18位，见营业执照）",
        "Enter the unified social credit code (18 characters, printed on the business licence)",
    ),
    "credit_code.length": (
        "统一社会信用代码应为 {expected} 位，现为 {got} 位，请对照营业执照核对是否漏输或多输",
        "A unified social credit code has {expected} characters, not {got} — compare with the business "
        "licence for a missing or extra character",
    ),
    "credit_code.charset": (
        "第 {position} 位“{char}”不是信用代码可用的字符（只有数字和除 I、O、Z、S、V 外的大写字母），请核对营业执照",
        "Character {position} “{char}” cannot appear in a credit code (only digits and capital letters "
        "except I, O, Z, S, V) — compare with the business licence",
    ),
    "credit_code.charset_lookalike": (
        "第 {position} 位“{char}”不会出现在信用代码中，应该是“{suggest}”吧？请核对营业执照",
        "Character {position} “{char}” never appears in a credit code — probably “{suggest}”; compare "
        "with the business licence",
    ),
    "credit_code.division": (
        "第 3–8 位（登记机关行政区划码）应为 6 位数字，现为“{division}”，请核对营业执照",
        "Characters 3–8 (the registering authority's division code) must be 6 digits, not “{division}” "
        "— compare with the business licence",
    ),
    "credit_code.check_digit": (
        "校验位（第18位）应为 {expected}，现为 {got}。若最后一位无误，则前17位中有输错的字符，请对照营业执照逐位核对",
        "The check character (18th) should be {expected}, not {got}. If the last character is right, one "
        "of the first 17 is mistyped — compare with the business licence character by character",
    ),
    "credit_code.org_check": (
        "第 9–17 位组织机构代码的校验位（第17位）应为 {expected}，现为 {got}，请对照营业执照核对第 9–17 位",
        "The organisation code (characters 9–17) should end in {expected}, not {got} — compare "
        "characters 9–17 with the business licence",
    ),
    # ---- 金额 / amounts
    "money.empty": (
        "请填写金额，例如 1.5亿、3000万 或 1,234.56",
        "Enter an amount, e.g. 1.5亿, 3000万 or 1,234.56",
    ),
    "money.not_a_number": (
        "“{text}”不是有效金额：请输入数字，可带单位 万、亿、k、m、bn，例如 1.5亿、3000万、1亿5000万",
        "“{text}” is not an amount — type a number, optionally with a unit 万, 亿, k, m or bn, "
        "e.g. 1.5亿, 3000万, 12k, 1.2M",
    ),
    "money.comma_grouping": (
        "“{text}”中的千分位逗号位置不对：逗号每三位一个（1,234,567），小数请用小数点",
        "The thousands commas in “{text}” are misplaced — one comma every three digits (1,234,567), "
        "and a point for decimals",
    ),
    "money.unit_order": (
        "“{text}”的单位顺序不对：从大到小写，例如 1亿5000万",
        "The units in “{text}” are out of order — write them from the largest down, e.g. 1亿5000万",
    ),
    "money.negative": (
        "金额不能为负数：“{text}”，请去掉负号",
        "The amount cannot be negative: “{text}” — remove the minus sign",
    ),
    "money.too_many_decimals": (
        "“{text}”有 {got} 位小数，最多 {max} 位，请四舍五入后再填",
        "“{text}” has {got} decimal places; at most {max} are allowed — round it first",
    ),
    "money.currency_conflict": (
        "“{text}”同时写了多种币种（{currencies}），请只保留一种",
        "“{text}” names more than one currency ({currencies}) — keep only one",
    ),
    "money.wrong_currency": (
        "此处金额的币种是 {expected}，“{text}”写的是 {got}：请换算后填写，或改选币种",
        "This amount is in {expected} but “{text}” is in {got} — convert it first or change the currency",
    ),
    "money.currency_mismatch": (
        "币种不同（{left} 与 {right}），不能直接相加减或比较，请先按记录的汇率换算",
        "Different currencies ({left} and {right}) cannot be added or compared — convert at a recorded "
        "rate first",
    ),
    "money.bad_rate": (
        "汇率 {rate} 无效：汇率必须大于 0（同币种换算为 1）",
        "Exchange rate {rate} is not valid — a rate must be above 0 (and 1 within one currency)",
    ),
    # Amount formats: the number is scaled per language by zsfield.domain.money (亿 ↔ M, 万 ↔ M, 万 ↔ k).
    "money.fmt.cny_large": ("{value}亿元", "CNY {value}M"),
    "money.fmt.cny_medium": ("{value}万元", "CNY {value}M"),
    "money.fmt.cny_small": ("{value}元", "CNY {value}"),
    "money.fmt.usd_wan": ("{value}万美元", "USD {value}k"),
    "money.fmt.plain": ("{currency} {value}", "{currency} {value}"),
    # ---- 任务分解表 investment bands
    "band.b20yi": ("20亿以上", "≥ CNY 2bn"),
    "band.b10yi": ("10亿以上", "≥ CNY 1bn"),
    "band.b5yi": ("5亿以上", "≥ CNY 500M"),
    "band.b3yi": ("3亿以上", "≥ CNY 300M"),
    "band.b1yi": ("1亿以上", "≥ CNY 100M"),
    "band.b05yi": ("0.5亿以上", "≥ CNY 50M"),
    # ---- 查重 duplicate check: why a company is offered as a possible duplicate
    "match.reason.credit_code": ("统一社会信用代码相同", "Same unified social credit code"),
    "match.reason.exact_name": ("名称相同", "Same name"),
    "match.reason.short_name": ("简称相符", "Matches the short name"),
    "match.reason.same_brand": ("字号相同", "Same brand name (字号)"),
    "match.reason.similar": ("名称相近", "Similar name"),
}
