"""Word lists for the demo dataset (:mod:`zsfield.seed`): invented people, invented companies, the words of
the trade for visits, follow-ups and notes.

Every person and company here is made up from common name parts; none is taken from the reports in
``seeds/`` and none is meant to be a real person or firm.
"""

from __future__ import annotations

from zsfield.domain.enums import MilestoneKind, PermitType, ServiceKind

# --- organisation ------------------------------------------------------------------------------------------

# (key, 中文, English, city, country, IANA time zone)
OFFICES: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("sh", "上海", "Shanghai", "上海", "CN", "Asia/Shanghai"),
    ("bj", "北京", "Beijing", "北京", "CN", "Asia/Shanghai"),
    ("sz", "深圳", "Shenzhen", "深圳", "CN", "Asia/Shanghai"),
    ("hk", "香港", "Hong Kong", "香港", "HK", "Asia/Hong_Kong"),
    ("tyo", "东京", "Tokyo", "东京", "JP", "Asia/Tokyo"),
    ("sel", "首尔", "Seoul", "首尔", "KR", "Asia/Seoul"),
    ("sg", "新加坡", "Singapore", "新加坡", "SG", "Asia/Singapore"),
    ("fra", "法兰克福", "Frankfurt", "法兰克福", "DE", "Europe/Berlin"),
)

# UTC offset in hours of each office's zone (standard time; enough to place visits in office hours).
OFFICE_UTC_OFFSET: dict[str, int] = {
    "sh": 8,
    "bj": 8,
    "sz": 8,
    "hk": 8,
    "tyo": 9,
    "sel": 9,
    "sg": 8,
    "fra": 1,
}

DEPT_PROJECTS = "项目服务局"
DEPT_INDUSTRY = "产业招商局"
DEPT_DOMESTIC = "驻外招商一局"
DEPT_FOREIGN = "外资招商局"

# (key, name, kind, office key, department, size, industry focus or "", company origin focus or "")
TEAMS: tuple[tuple[str, str, str, str, str, int, str, str], ...] = (
    ("p1", "项目一部", "project_dept", "sh", DEPT_PROJECTS, 6, "", "CN"),
    ("p2", "项目二部", "project_dept", "bj", DEPT_PROJECTS, 5, "", "CN"),
    ("p3", "项目三部", "project_dept", "sz", DEPT_PROJECTS, 5, "", "CN"),
    ("t_ne", "新能源招商攻坚队", "task_force", "sh", DEPT_INDUSTRY, 6, "新能源", ""),
    ("t_ic", "集成电路招商攻坚队", "task_force", "sz", DEPT_INDUSTRY, 5, "集成电路", ""),
    ("t_bio", "生物医药招商攻坚队", "task_force", "bj", DEPT_INDUSTRY, 5, "生物医药", ""),
    ("s_sh", "驻上海招商组", "stationed", "sh", DEPT_DOMESTIC, 6, "", "CN"),
    ("s_bj", "驻北京招商组", "stationed", "bj", DEPT_DOMESTIC, 4, "", "CN"),
    ("s_sz", "驻深圳招商组", "stationed", "sz", DEPT_DOMESTIC, 5, "", "CN"),
    ("s_hk", "驻香港招商组", "stationed", "hk", DEPT_FOREIGN, 4, "", "HK"),
    ("s_tyo", "驻东京招商组", "stationed", "tyo", DEPT_FOREIGN, 4, "", "JP"),
    ("s_sel", "驻首尔招商组", "stationed", "sel", DEPT_FOREIGN, 4, "", "KR"),
    ("s_sg", "驻新加坡招商组", "stationed", "sg", DEPT_FOREIGN, 3, "", "SG"),
    ("s_fra", "驻法兰克福招商组", "stationed", "fra", DEPT_FOREIGN, 4, "", "DE"),
)

ZONE_NAME = "云湖经济开发区"
ZONE_SHORT = "云湖"
ZONE_DIVISION = "320591"  # 行政区划码 used for entities registered in the zone (invented)

# --- people (invented from common name parts) ------------------------------------------------------------------

SURNAMES: tuple[tuple[str, str], ...] = (
    ("王", "Wang"), ("李", "Li"), ("张", "Zhang"), ("刘", "Liu"), ("陈", "Chen"), ("杨", "Yang"),
    ("黄", "Huang"), ("赵", "Zhao"), ("吴", "Wu"), ("周", "Zhou"), ("徐", "Xu"), ("孙", "Sun"),
    ("马", "Ma"), ("朱", "Zhu"), ("胡", "Hu"), ("郭", "Guo"), ("何", "He"), ("林", "Lin"), ("罗", "Luo"),
    ("高", "Gao"), ("郑", "Zheng"), ("梁", "Liang"), ("谢", "Xie"), ("宋", "Song"), ("唐", "Tang"),
    ("韩", "Han"), ("冯", "Feng"), ("邓", "Deng"), ("曹", "Cao"), ("彭", "Peng"), ("曾", "Zeng"),
    ("田", "Tian"), ("董", "Dong"), ("潘", "Pan"), ("袁", "Yuan"), ("蒋", "Jiang"), ("蔡", "Cai"),
    ("余", "Yu"), ("杜", "Du"), ("叶", "Ye"), ("程", "Cheng"), ("魏", "Wei"), ("苏", "Su"), ("丁", "Ding"),
    ("沈", "Shen"), ("姚", "Yao"), ("钟", "Zhong"), ("陆", "Lu"), ("顾", "Gu"), ("孟", "Meng"),
    ("秦", "Qin"), ("邵", "Shao"), ("严", "Yan"), ("方", "Fang"),
)  # fmt: skip
GIVEN: tuple[tuple[str, str], ...] = (
    ("思", "si"), ("远", "yuan"), ("晓", "xiao"), ("雯", "wen"), ("子", "zi"), ("涵", "han"), ("雨", "yu"),
    ("泽", "ze"), ("一", "yi"), ("然", "ran"), ("嘉", "jia"), ("怡", "yi"), ("俊", "jun"), ("杰", "jie"),
    ("萱", "xuan"), ("宇", "yu"), ("航", "hang"), ("欣", "xin"), ("悦", "yue"), ("浩", "hao"),
    ("明", "ming"), ("静", "jing"), ("婷", "ting"), ("文", "wen"), ("博", "bo"), ("海", "hai"),
    ("峰", "feng"), ("立", "li"), ("诚", "cheng"), ("佳", "jia"), ("琪", "qi"), ("晨", "chen"),
    ("阳", "yang"), ("志", "zhi"), ("敏", "min"), ("慧", "hui"), ("磊", "lei"), ("颖", "ying"),
    ("凯", "kai"), ("亮", "liang"), ("丹", "dan"), ("昊", "hao"), ("天", "tian"), ("翔", "xiang"),
    ("蕾", "lei"), ("璐", "lu"), ("鹏", "peng"), ("飞", "fei"), ("瑶", "yao"), ("楠", "nan"),
    ("彬", "bin"), ("可", "ke"), ("心", "xin"), ("诗", "shi"), ("若", "ruo"), ("安", "an"),
)  # fmt: skip
ENGLISH_GIVEN: tuple[str, ...] = (
    "Grace", "Kevin", "Vivian", "Eric", "Helen", "Jason", "Cathy", "Leo", "Amy", "Daniel", "Iris", "Frank",
    "Monica", "Peter", "Sophie", "Tony", "Wendy", "Alan", "Joyce", "Ryan", "Nina", "Oscar", "Ivy", "Sean",
)  # fmt: skip

# Contacts at foreign companies (common surname and given-name parts, combined at random).
JP_SURNAMES = ("佐藤", "鈴木", "高橋", "田中", "渡辺", "伊藤", "中村", "小林", "加藤", "山本", "吉田", "松本")
JP_GIVEN = ("健太", "翔", "大輔", "美咲", "陽子", "誠", "直樹", "亮", "恵", "和也", "真理", "拓海")
KR_SURNAMES = ("김", "이", "박", "최", "정", "강", "조", "윤", "장", "임")
KR_GIVEN = ("민준", "서연", "지훈", "수빈", "현우", "지민", "동현", "예은", "성호", "유진")
DE_SURNAMES = ("Müller", "Schneider", "Fischer", "Weber", "Wagner", "Becker", "Hoffmann", "Schulz", "Koch")
DE_GIVEN = ("Anna", "Lukas", "Julia", "Felix", "Katrin", "Jonas", "Stefan", "Laura", "Tobias", "Miriam")
EN_SURNAMES = ("Smith", "Johnson", "Brown", "Taylor", "Walker", "Clark", "Lewis", "Hall", "Tan", "Lim")
EN_GIVEN = ("Michael", "Sarah", "David", "Emily", "James", "Rachel", "Andrew", "Olivia", "Mark", "Chloe")

CONTACT_TITLES_CN = (
    "总经理",
    "副总裁",
    "投资总监",
    "战略发展部经理",
    "董事长助理",
    "财务总监",
    "项目经理",
    "董事长",
)
CONTACT_TITLES_EN = (
    "General Manager",
    "VP Strategy",
    "Director, Investment",
    "Project Manager",
    "CFO",
    "Managing Director",
)

# --- companies ------------------------------------------------------------------------------------------------

# Administrative regions in front of a Chinese legal name, with a division code for the credit code.
CN_REGIONS: tuple[tuple[str, str], ...] = (
    ("上海", "310115"), ("江苏", "320500"), ("苏州", "320505"), ("无锡", "320214"), ("浙江", "330100"),
    ("杭州", "330106"), ("宁波", "330206"), ("深圳", "440300"), ("广东", "440100"), ("北京", "110108"),
    ("合肥", "340104"), ("武汉", "420111"), ("成都", "510107"), ("西安", "610131"), ("厦门", "350206"),
    ("青岛", "370212"), ("天津", "120116"), ("常州", "320411"),
)  # fmt: skip
# Characters 字号 (brands) are built from; combinations that name well-known firms are left out.
BRAND_FIRST = "远恒华鼎睿泰嘉晟锐拓弘盛源创瑞祥宏信捷博精诚辰星启昊越凯丰沃迈康卓智元晶腾跃聚润汇朗宸璟祺铭澄鸿瀚翰骏耀煜旭森禾蓝青云峻岩"
BRAND_SECOND = "澜芯岳鼎睿泰晟锐拓弘盛源创瑞祥宏信捷博诚辰星启昊越峰凯丰沃迈康卓智元晶腾跃聚润汇朗宸璟祺铭澄鸿瀚翰骏耀煜旭森禾蓝川云峻岩"
_BRAND_CHARS = "丰云信元凯创华卓博启嘉宏宸岩岳峰峻川康弘恒拓捷旭昊星晟晶智朗森汇沃泰润源澄澜瀚煜瑞璟盛睿祥祺禾精翰耀聚腾芯蓝诚越跃辰迈远铭锐青骏鸿鼎"
_BRAND_SYLLABLES = (
    "feng yun xin yuan kai chuang hua zhuo bo qi jia hong chen yan yue feng jun chuan kang hong heng tuo "
    "jie xu hao xing sheng jing zhi lang sen hui wo tai run yuan cheng lan han yu rui jing sheng rui xiang "
    "qi he jing han yao ju teng xin lan cheng yue yue chen mai yuan ming rui qing jun hong ding"
)
BRAND_PINYIN: dict[str, str] = dict(zip(_BRAND_CHARS, _BRAND_SYLLABLES.split(), strict=True))
BRAND_BLOCKLIST = frozenset(
    {
        "华润", "天合", "晶科", "远景", "中天", "海信", "恒瑞", "迈瑞", "华峰", "安泰", "德赛", "华星", "汇川",
        "星源", "宁德", "海康", "信达", "华泰", "博时", "鼎龙", "华友", "恒力", "盛虹", "万华", "天齐",
        "启明", "华天", "通富", "星宇", "凯盛", "聚光", "沃特", "华芯", "华创", "瑞源", "宏信", "恒信",
        "华晟", "华腾", "远川", "康泰", "元晶",
    }
)  # fmt: skip

# industry → (words after the brand in a Chinese legal name, project products)
INDUSTRY_WORDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "新能源": (("新能源科技", "能源科技", "储能技术", "光伏科技"), ("动力电池", "储能系统", "光伏组件", "氢燃料电池")),
    "集成电路": (("半导体", "微电子", "集成电路", "芯片科技"), ("功率器件封测", "晶圆制造", "芯片设计研发中心", "半导体材料")),
    "生物医药": (("生物医药", "生物科技", "制药", "医疗器械"), ("创新药生产基地", "高端医疗器械", "生物制剂", "医药研发中心")),
    "高端装备": (("智能装备", "精密机械", "装备制造", "机器人"), ("精密数控机床", "工业机器人", "智能产线", "液压件")),
    "新材料": (("新材料", "材料科技", "复合材料", "化工新材料"), ("碳纤维复合材料", "电子化学品", "高性能膜材料", "特种合金")),
    "新一代信息技术": (("信息技术", "网络科技", "数据科技", "智能科技"), ("数据中心", "智能终端", "工业互联网平台", "软件研发基地")),
    "新能源汽车": (("汽车科技", "电驱动", "汽车零部件", "新能源汽车"), ("电驱系统", "汽车电子", "轻量化车身", "整车零部件")),
    "现代物流": (("物流", "供应链管理", "国际货运代理", "仓储"), ("智慧物流园", "冷链物流中心", "保税仓储", "区域分拨中心")),
    "光机电": (("光电科技", "光学", "机电"), ("光学模组", "激光器", "精密光机电")),
    "商贸服务": (("商贸", "贸易", "企业管理咨询"), ("区域总部", "供应链管理中心", "跨境电商中心")),
    "健康食品": (("食品", "健康科技", "生物食品"), ("功能食品生产线", "中央厨房", "营养品工厂")),
    "融资租赁": (("融资租赁", "投资管理", "股权投资基金管理"), ("融资租赁公司", "产业基金", "商业保理公司")),
}  # fmt: skip
INDUSTRY_WORD_EN: dict[str, str] = {
    "新能源科技": "New Energy Technology", "能源科技": "Energy Technology", "储能技术": "Energy Storage",
    "光伏科技": "Photovoltaic Technology", "半导体": "Semiconductor", "微电子": "Microelectronics",
    "集成电路": "Integrated Circuit", "芯片科技": "Chip Technology", "生物医药": "Biopharma",
    "生物科技": "Biotechnology", "制药": "Pharmaceutical", "医疗器械": "Medical Devices",
    "智能装备": "Intelligent Equipment", "精密机械": "Precision Machinery", "装备制造": "Equipment Manufacturing",
    "机器人": "Robotics", "新材料": "New Materials", "材料科技": "Materials Technology",
    "复合材料": "Composites", "化工新材料": "Advanced Chemicals", "信息技术": "Information Technology",
    "网络科技": "Network Technology", "数据科技": "Data Technology", "智能科技": "Intelligent Technology",
    "汽车科技": "Automotive Technology", "电驱动": "E-Drive", "汽车零部件": "Auto Parts",
    "新能源汽车": "New Energy Vehicles", "物流": "Logistics", "供应链管理": "Supply Chain Management",
    "国际货运代理": "International Freight", "仓储": "Warehousing", "光电科技": "Optoelectronics",
    "光学": "Optics", "机电": "Mechatronics", "商贸": "Trading", "贸易": "Trade",
    "企业管理咨询": "Management Consulting", "食品": "Foods", "健康科技": "Health Technology",
    "生物食品": "Bio Foods", "融资租赁": "Financial Leasing", "投资管理": "Investment Management",
    "股权投资基金管理": "Equity Fund Management",
}  # fmt: skip
REAL_ESTATE = "房地产"
REAL_ESTATE_WORDS = (("置业", "Real Estate"), ("房地产开发", "Property Development"))
REAL_ESTATE_PRODUCTS = ("商业综合体", "人才公寓", "科创园配套住宅")
INDUSTRY_WEIGHTS: tuple[tuple[str, int], ...] = (
    ("新能源", 16), ("集成电路", 12), ("生物医药", 11), ("高端装备", 12), ("新材料", 10),
    ("新一代信息技术", 10), ("新能源汽车", 9), ("现代物流", 7), ("光机电", 4), ("商贸服务", 4),
    ("健康食品", 3), ("融资租赁", 2),
)  # fmt: skip
CN_LEGAL_FORMS: tuple[tuple[str, int], ...] = (
    ("有限公司", 60), ("股份有限公司", 25), ("集团有限公司", 10), ("有限责任公司", 5),
)  # fmt: skip

# Japanese: (kanji, romaji, 简体) halves of an invented name, and business words.
JP_FIRST = (
    ("青", "Ao", "青"), ("若", "Waka", "若"), ("朝", "Asa", "朝"), ("北", "Kita", "北"), ("東", "Higashi", "东"),
    ("白", "Shira", "白"), ("光", "Mitsu", "光"), ("緑", "Midori", "绿"), ("藤", "Fuji", "藤"),
    ("高", "Taka", "高"), ("富", "Tomi", "富"), ("銀", "Gin", "银"), ("明", "Aki", "明"), ("星", "Hoshi", "星"),
    ("松", "Matsu", "松"), ("桜", "Sakura", "樱"),
)  # fmt: skip
JP_SECOND = (
    ("葉", "ba", "叶"), ("峰", "mine", "峰"), ("陽", "hi", "阳"), ("川", "kawa", "川"), ("波", "nami", "波"),
    ("嶺", "ne", "岭"), ("岳", "take", "岳"), ("辰", "tatsu", "辰"), ("雲", "kumo", "云"), ("原", "hara", "原"),
)  # fmt: skip
# (Japanese, English, 中文, industry)
JP_BUSINESS = (
    ("精工", "Precision", "精工", "高端装备"), ("電子", "Electronics", "电子", "新一代信息技术"),
    ("化学", "Chemical", "化学", "新材料"), ("製作所", "Works", "制作所", "高端装备"),
    ("工業", "Industries", "工业", "新能源汽车"), ("通商", "Trading", "通商", "商贸服务"),
    ("物流", "Logistics", "物流", "现代物流"), ("製薬", "Pharmaceutical", "制药", "生物医药"),
    ("電機", "Electric", "电机", "光机电"), ("マテリアル", "Materials", "材料", "新材料"),
)  # fmt: skip
# Korean: (hangul, romanised, 中文) syllables, and business words.
KR_FIRST = (
    ("한", "Han", "瀚"), ("새", "Sae", "赛"), ("누", "Nu", "努"), ("다", "Da", "达"), ("세", "Se", "世"),
    ("하", "Ha", "夏"), ("미", "Mi", "美"), ("태", "Tae", "泰"), ("은", "Eun", "恩"), ("가", "Ga", "佳"),
)  # fmt: skip
KR_SECOND = (
    ("빛", "bit", "光"), ("론", "ron", "伦"), ("리", "ri", "利"), ("온", "on", "温"), ("움", "um", "文"),
    ("람", "ram", "岚"), ("솔", "sol", "松"), ("진", "jin", "辰"),
)  # fmt: skip
KR_BUSINESS = (
    ("소재", "Materials", "材料", "新材料"), ("전자", "Electronics", "电子", "新一代信息技术"),
    ("화학", "Chemical", "化学", "新材料"), ("바이오", "Bio", "生物", "生物医药"),
    ("정밀", "Precision", "精密", "高端装备"), ("에너지", "Energy", "能源", "新能源"),
    ("로지스틱스", "Logistics", "物流", "现代物流"), ("모빌리티", "Mobility", "汽车科技", "新能源汽车"),
)  # fmt: skip
# German: stem halves (German, 中文) and business words.
DE_FIRST = (
    ("Rhein", "莱茵"), ("Nord", "诺德"), ("Elb", "易北"), ("Stern", "施特恩"), ("Hoch", "霍赫"),
    ("Isar", "伊萨尔"), ("Main", "美茵"), ("Linden", "林登"), ("Ost", "奥斯特"), ("Wald", "瓦尔德"),
    ("Berg", "贝格"), ("Falken", "法尔肯"),
)  # fmt: skip
DE_SECOND = (
    ("tal", "塔尔"),
    ("werk", "维克"),
    ("feld", "菲尔德"),
    ("hof", "霍夫"),
    ("bau", "鲍"),
    ("stein", "施泰因"),
)
DE_BUSINESS = (
    ("Antriebstechnik", "驱动技术", "高端装备"), ("Präzisionswerkzeuge", "精密工具", "高端装备"),
    ("Medizintechnik", "医疗技术", "生物医药"), ("Automation", "自动化", "高端装备"),
    ("Kunststofftechnik", "塑料技术", "新材料"), ("Sensorik", "传感技术", "光机电"),
    ("Logistik", "物流", "现代物流"), ("Pharma", "制药", "生物医药"),
)  # fmt: skip
DE_FORMS = (("GmbH", 60), ("AG", 30), ("GmbH & Co. KG", 10))
# English-named companies (US, UK, Singapore, Hong Kong): stem halves (English, 中文) and business words.
EN_FIRST = (
    ("Blue", "蓝"), ("Harbor", "港"), ("North", "北"), ("Silver", "银"), ("Clear", "清"), ("Red", "红"),
    ("Bright", "明"), ("Oak", "橡"), ("Summit", "峰"), ("Ever", "恒"), ("Stone", "石"), ("Golden", "金"),
)  # fmt: skip
EN_SECOND = (
    ("crest", "冠"), ("line", "线"), ("gate", "门"), ("pine", "松"), ("water", "水"), ("field", "野"),
    ("ridge", "岭"), ("bay", "湾"), ("point", "点"), ("wood", "林"),
)  # fmt: skip
EN_BUSINESS = (
    ("Technologies", "科技", "新一代信息技术"), ("Biosciences", "生物科学", "生物医药"),
    ("Logistics", "物流", "现代物流"), ("Materials", "材料", "新材料"), ("Semiconductor", "半导体", "集成电路"),
    ("Energy Systems", "能源系统", "新能源"), ("Robotics", "机器人", "高端装备"), ("Medical", "医疗", "生物医药"),
    ("Capital", "资本", "融资租赁"),
)  # fmt: skip
# country → legal forms of an English name
EN_FORMS: dict[str, tuple[str, ...]] = {
    "US": ("Inc.", "Corp.", "Co., Ltd."),
    "GB": ("Limited", "Ltd."),
    "SG": ("Pte. Ltd.",),
    "HK": ("Limited", "Holdings Limited"),
}
# 简体 → 繁體 for the Hong Kong aliases (only the characters the English-name aliases use)
TRADITIONAL = str.maketrans(
    {"蓝": "藍", "港": "港", "银": "銀", "红": "紅", "门": "門", "线": "線", "岭": "嶺", "湾": "灣", "点": "點",
     "恒": "恆", "资": "資", "医": "醫", "疗": "療", "材": "材", "料": "料", "导": "導", "体": "體", "统": "統",
     "机": "機", "器": "器", "科": "科", "技": "技", "物": "物", "流": "流", "能": "能", "源": "源", "系": "系",
     "学": "學", "生": "生", "金": "金", "冠": "冠", "松": "松", "水": "水", "野": "野", "林": "林",
     "有": "有", "限": "限", "公": "公", "司": "司", "控": "控", "股": "股"}
)  # fmt: skip

# --- the trade: channels, verdicts, visits, follow-ups, notes ---------------------------------------------------

SOURCE_WEIGHTS: tuple[tuple[str, int], ...] = (
    ("stationed", 25), ("investor_referral", 15), ("agent", 8), ("adviser", 6), ("chamber", 8),
    ("fair", 12), ("online", 5), ("fund", 6), ("supply_chain", 8), ("leadership", 5), ("other", 2),
)  # fmt: skip
SOURCE_DETAILS: dict[str, tuple[str, ...]] = {
    "stationed": ("驻点日常走访", "驻点专员陌生拜访", "驻点组企业座谈会"),
    "investor_referral": ("区内存量企业推荐", "已落户企业董事长引荐", "链主企业配套推荐"),
    "agent": ("委托招商机构推荐", "签约招商代理机构"),
    "adviser": ("招商顾问推荐", "产业顾问对接"),
    "chamber": ("在华外资企业商会", "行业协会年会", "异地商会座谈"),
    "fair": ("进口博览会", "高交会", "投资推介会", "行业展会对接"),
    "online": ("网站留言", "公众号咨询", "线上推介会报名"),
    "fund": ("产业基金投资项目", "招投联动基金推荐"),
    "supply_chain": ("产业链图谱排查", "链主企业上下游对接"),
    "leadership": ("主要领导外出招商", "分管领导带队拜访"),
    "other": ("其他渠道",),
}
VERDICT_REAL = (
    "企业投资意向真实，资金来源明确",
    "实地核实企业经营正常，扩产需求真实",
    "与企业高层确认投资计划，具备落地条件",
    "产业链匹配度高，企业已完成内部立项",
)
VERDICT_DOUBTFUL = ("投资主体尚未确定，需进一步核实", "资金来源存疑，待补充材料", "企业意向反复，需再次接触")
VERDICT_REJECTED = (
    "经核实企业无实际投资计划，信息不实",
    "项目属于限制类产业，不符合园区准入要求",
    "企业经营异常，存在失信记录",
    "投资强度不达标，亩均税收低于准入标准",
)
DUPLICATE_REASON = "查重发现该企业已由{team}跟进（首谈负责），按规定由原团队继续跟进"

VISIT_TOPICS = (
    "选址需求",
    "投资强度",
    "供地方式",
    "政策支持",
    "设备进口",
    "人才引进",
    "融资方案",
    "产能规划",
    "环评要求",
    "厂房代建",
)
# visit kind → what its 纪要 says
VISIT_SUMMARIES: dict[str, tuple[str, ...]] = {
    "visit": (
        "拜访企业{title}，就{product}项目{topic}进行了深入交流",
        "企业{title}介绍了{product}项目的总体规划，双方围绕{topic}交换意见",
    ),
    "reception": ("接待企业{title}一行来访，介绍园区产业基础和{topic}", "企业{title}来访，重点了解{topic}"),
    "inspection": ("陪同企业考察园区载体，重点了解{topic}", "陪同企业{title}实地踏勘拟选址地块，讨论{topic}"),
    "meeting": (
        "召开项目推进会，协调解决{topic}相关问题",
        "与企业{title}洽谈{product}项目投资协议条款，聚焦{topic}",
    ),
    "call": ("电话沟通{product}项目最新进展，企业关注{topic}",),
    "video": ("视频会议沟通{product}项目方案，企业关注{topic}",),
    "event": ("企业{title}参加园区投资推介会，对{topic}表示关注",),
}
DIFFICULTIES = (
    "用地指标紧张，供地时间难以确定",
    "环评审批周期较长",
    "融资难，银行授信尚未落实",
    "高端技术人才招聘难",
    "电力增容需求大，变电站建设滞后",
    "标准厂房交付时间晚于企业预期",
    "外汇登记和资本金结汇手续不熟悉",
    "物流成本偏高",
    "设备进口通关时间长",
    "",
    "",
)
POLICY_ASKS = (
    "希望享受设备投资补贴",
    "申请人才公寓20套",
    "要求园区代建厂房",
    "申请研发费用补助",
    "希望给予前三年租金减免",
    "申请固定资产投资奖励",
    "",
    "",
)
NEXT_STEPS = (
    "提交投资协议草案",
    "安排企业高层实地考察",
    "对接自然资源局落实供地",
    "准备项目备案材料",
    "邀请企业来园区洽谈",
    "协调供电公司确定增容方案",
    "跟进企业董事会决策结果",
    "组织部门联审会",
    "落实人才公寓房源",
    "对接银行融资方案",
)
OUTCOMES = (
    "已完成，企业确认推进",
    "已对接，相关部门已出具意见",
    "企业反馈积极，进入下一步",
    "已落实，材料已报送",
    "已沟通，企业需内部评估后答复",
)
PLACES_CN = ("企业总部", "园区管委会", "项目现场", "驻点办公室", "企业研发中心")

LOST_TO = ("苏州工业园区", "合肥经开区", "成都高新区", "越南北宁省", "武汉东湖高新区", "墨西哥新莱昂州")
STATUS_REASONS = {
    "delayed": ("企业融资进度滞后，开工延期", "受市场波动影响，企业放缓投资节奏", "用地报批时间延长"),
    "dormant": ("企业内部战略调整，暂缓推进", "企业负责人变动，洽谈暂停"),
    "lost": ("对方地区给出更优惠的土地和税收政策", "企业选择靠近主要客户的地区落地"),
    "abandoned": ("企业母公司取消全球扩产计划", "市场需求下滑，企业终止项目", "项目经研判不具备落地条件"),
}
BACK_MOVE_REASONS = ("注册主体变更，需重新办理登记", "用地规划调整，需重新报批", "投资方更换，重新洽谈")

SERVICE_OTHER: tuple[tuple[ServiceKind, str, str], ...] = (
    (ServiceKind.LAND, "落实项目供地", "自然资源和规划局"),
    (ServiceKind.PLANNING, "规划方案审查", "自然资源和规划局"),
    (ServiceKind.ENVIRONMENTAL, "环评报告编制指导", "生态环境局"),
    (ServiceKind.ENERGY, "节能评估", "发展改革局"),
    (ServiceKind.UTILITIES, "水电气接入", "园区建设局"),
    (ServiceKind.TALENT_HOUSING, "人才公寓配租", "人才服务中心"),
    (ServiceKind.FINANCING, "银行融资对接", "金融服务中心"),
    (ServiceKind.INCENTIVE, "政策兑现申报", "经济发展局"),
    (ServiceKind.HIRING, "招工用工服务", "人力资源服务中心"),
    (ServiceKind.CUSTOMS, "海关保税手续", "综合保税区管理局"),
)
PERMITS: tuple[tuple[PermitType, str, str], ...] = (
    (PermitType.FILING, "项目备案", "行政审批局"),
    (PermitType.EIA, "环评批复", "生态环境局"),
    (PermitType.ENERGY, "能评批复", "发展改革局"),
    (PermitType.LAND_USE_PLANNING, "建设用地规划许可证", "自然资源和规划局"),
    (PermitType.LAND_TITLE, "不动产权证", "不动产登记中心"),
    (PermitType.WORKS_PLANNING, "建设工程规划许可证", "自然资源和规划局"),
    (PermitType.CONSTRUCTION, "施工许可证", "住房和城乡建设局"),
    (PermitType.FIRE, "消防审查", "住房和城乡建设局"),
    (PermitType.DISCHARGE, "排污许可证", "生态环境局"),
)
MILESTONE_NOTES: dict[MilestoneKind, str] = {
    MilestoneKind.REGISTRATION: "合同约定签约后完成注册",
    MilestoneKind.LAND_DELIVERY: "合同约定交地时间",
    MilestoneKind.CONSTRUCTION_START: "合同约定开工时间",
    MilestoneKind.COMPLETION: "合同约定竣工时间",
    MilestoneKind.PRODUCTION_START: "合同约定投产时间",
    MilestoneKind.OUTPUT_REACHED: "合同约定达产达效时间",
}
SUPERVISION_NOTES = (
    "履约节点已逾期，请项目负责人本周内说明原因并提出整改措施，下次例会汇报。",
    "请协调自然资源局加快供地，确保按合同约定时间交地。",
    "项目推进缓慢，列入本月督办清单，请每周报送进展。",
    "企业反映的用电增容问题请牵头部门十个工作日内答复。",
)
GENERAL_NOTES = (
    "企业对园区营商环境评价较高。",
    "企业计划下季度召开董事会审议投资事项。",
    "已将项目纳入月度专报。",
    "企业希望与链主企业开展配套合作。",
)
REASON_REQUEST = "项目已超过30天无跟进记录，请说明原因。"
STALE_REASONS = (
    "企业内部决策流程调整，预计下月恢复洽谈。",
    "企业负责人出国考察，暂无法对接。",
    "等待企业母公司审批结果。",
)
CAPITAL_CURRENCIES: dict[str, tuple[str, str]] = {
    # country → (currency, rate to USD used)
    "JP": ("JPY", "0.006700"),
    "KR": ("KRW", "0.000730"),
    "DE": ("EUR", "1.085000"),
    "US": ("USD", "1"),
    "GB": ("GBP", "1.265000"),
    "SG": ("SGD", "0.745000"),
    "HK": ("HKD", "0.128200"),
}
# currency → rate to CNY used for a foreign total investment
RATE_TO_CNY: dict[str, str] = {
    "USD": "7.1000",
    "JPY": "0.047600",
    "KRW": "0.005200",
    "EUR": "7.7000",
    "GBP": "8.9800",
    "SGD": "5.2900",
    "HKD": "0.9100",
}
