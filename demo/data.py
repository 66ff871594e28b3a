"""What the demo shop is made of: its catalog, its centers, the places and people around them.

Plain data for ``demo.shop``; the brand's names come in as arguments (``SHOP_NAME``).
"""

from datetime import date

# --- the catalog ------------------------------------------------------------------------------

CATEGORIES = [
    ("sea-cucumber", "干海参", "Dried sea cucumber"),
    ("infant-formula", "婴幼儿奶粉", "Infant formula"),
    ("gift-boxes", "礼盒", "Gift boxes"),
]

_SOAK_ZH = ("泡发：纯净水浸泡 48 小时（冷藏，每天换水两次），中火煮 30-40 分钟后焖至自然冷却，"
            "剪开去沙嘴，再冷藏浸泡 24 小时，约可发至 8-10 倍。全程勿沾油、盐。")
_SOAK_EN = ("To soak: cover with purified water for 48 hours in the fridge, changing the water "
            "twice a day; simmer 30-40 minutes and let it cool in the pot; slit, clean, and soak "
            "another 24 hours. It swells 8-10 times. Keep oil and salt away throughout.")
_TRUST_ZH = ("淡干工艺，不加糖、不加盐，含水量 ≤15%。"
             "每批附第三方检测报告，包装批次码可查产地与加工日期。")
_TRUST_EN = ("Plain dried: no sugar, no salt, moisture at most 15%. Every lot carries a "
             "third-party test report; the lot code on the pack traces its origin and "
             "processing date.")


def _sea_cucumber(sku, slug, zh, en, heads, origin_zh, origin_en, price, member, note_zh,
                  note_en, image):
    return {
        "sku": sku, "slug": slug, "category": "sea-cucumber", "image": image,
        "name_zh": f"{zh} {heads}头/500g", "name_en": f"{en}, {heads} pcs / 500 g",
        "description_zh": f"{origin_zh}。{note_zh}{_TRUST_ZH}\n\n{_SOAK_ZH}",
        "description_en": f"{origin_en}. {note_en} {_TRUST_EN}\n\n{_SOAK_EN}",
        "price": price, "member": member, "days": None, "kind": "sea",
    }


def _formula(brand_zh, brand_en, line, stage, price, member, image):
    ages = {1: ("0-6 月龄", "0-6 months"), 2: ("6-12 月龄", "6-12 months"),
            3: ("12-36 月龄", "12-36 months")}[stage]
    days = {1: 20, 2: 24, 3: 30}[stage]
    kind_zh = {1: "婴儿", 2: "较大婴儿", 3: "幼儿"}[stage]
    line_zh, line_en, about_zh, about_en, code = line
    return {
        "sku": f"NF-{code}-{stage}", "slug": f"{line_en.lower()}-formula-stage-{stage}",
        "category": "infant-formula", "image": image,
        "name_zh": f"{brand_zh}{line_zh}{kind_zh}配方奶粉 {stage}段 800g",
        "name_en": f"{brand_en} {line_en} formula, stage {stage} ({ages[1]}), 800 g",
        "description_zh": (
            f"适合 {ages[0]}宝宝。{about_zh}按冲调说明喂养，一罐约可食用 {days} 天"
            f"（混合喂养或辅食期以实际用量为准）。开罐后请于 4 周内用完，勺子放回卡槽、罐盖拧紧，"
            "置于阴凉干燥处。每罐罐底批次码可查奶源与出厂检验。"),
        "description_en": (
            f"For babies {ages[1]}. {about_en} Fed as the scoop guide says, one can lasts about "
            f"{days} days (less or more with mixed feeding or solids). Use within 4 weeks of "
            "opening, keep the scoop in its holder and the lid tight, store cool and dry. The lot "
            "code under each can traces the milk source and the factory tests."),
        "price": price, "member": member, "days": days, "kind": "formula", "stage": stage,
        "line": code,
    }


def catalog(brand_zh: str, brand_en: str) -> list[dict]:
    """The products the demo shop sells, in the order the catalog shows them."""
    premium = ("臻护", "Premium", "乳铁蛋白、OPO 结构脂与 DHA 配方，贴近母乳营养。",
               "With lactoferrin, OPO structured lipids and DHA, close to breast milk.", "ZH")
    organic = ("有机", "Organic", "有机认证牧场奶源，全程可追溯，不添加蔗糖与香精。",
               "Milk from certified organic farms, traced end to end; no sucrose, no flavouring.",
               "YJ")
    return [
        _sea_cucumber("HS-ZZD-2030", "zhangzidao-wild-sea-cucumber-20-30", "獐子岛野生淡干刺参",
                      "Zhangzi Island wild dried sea cucumber", "20-30",
                      "产自獐子岛海域的野生刺参，五年以上生长期，体大肉厚、刺挺均匀",
                      "Wild sea cucumber from the waters of Zhangzi Island, five years and more "
                      "in the sea, thick-walled with firm, even spines",
                      398000, 368000, "礼品级，单只发后可达 15 厘米以上。",
                      "Gift grade; each piece soaks up to 15 cm and more.",
                      "sea-cucumber-zhangzidao.svg"),
        _sea_cucumber("HS-DL-3040", "dalian-sea-cucumber-30-40", "大连底播淡干刺参",
                      "Dalian sea-ranched dried sea cucumber", "30-40",
                      "大连长海县底播海域，自然生长三年以上", "Sea-ranched off Changhai County, "
                      "Dalian, growing naturally three years and more",
                      268000, 248000, "特级，送长辈的体面之选。",
                      "Premium grade, a gift elders appreciate.", "sea-cucumber-dalian-3040.svg"),
        _sea_cucumber("HS-WH-4050", "weihai-sea-cucumber-40-50", "威海淡干刺参",
                      "Weihai dried sea cucumber", "40-50",
                      "山东威海荣成海域刺参，冷水慢长",
                      "From the cold waters off Rongcheng, Weihai, slow-grown", 168000, 158000,
                      "一级，家宴与滋补两相宜。",
                      "First grade, for family dinners and winter tonics.",
                      "sea-cucumber-weihai-4050.svg"),
        _sea_cucumber("HS-DL-6080", "dalian-sea-cucumber-60-80", "大连淡干刺参 家常装",
                      "Dalian dried sea cucumber, everyday pack", "60-80",
                      "大连海域刺参，个头适中", "Dalian sea cucumber of a handy size",
                      98800, 92800, "家常滋补，一周两三只刚好。",
                      "For the family table, two or three a week.",
                      "sea-cucumber-dalian-6080.svg"),
        _sea_cucumber("HS-WH-100", "weihai-sea-cucumber-100-120", "威海淡干海参 入门装",
                      "Weihai dried sea cucumber, starter pack", "100-120",
                      "威海海域刺参，小头数", "Small Weihai sea cucumber",
                      68800, None, "初次尝试与煲汤、煮粥之选。",
                      "A first try, or for soups and congee.", "sea-cucumber-weihai-100.svg"),
        _formula(brand_zh, brand_en, premium, 1, 39800, 36800, "formula-premium-1.svg"),
        _formula(brand_zh, brand_en, premium, 2, 37800, 34800, "formula-premium-2.svg"),
        _formula(brand_zh, brand_en, premium, 3, 35800, 32800, "formula-premium-3.svg"),
        _formula(brand_zh, brand_en, organic, 1, 32800, 30800, "formula-organic-1.svg"),
        _formula(brand_zh, brand_en, organic, 2, 29800, 27800, "formula-organic-2.svg"),
        _formula(brand_zh, brand_en, organic, 3, 26800, None, "formula-organic-3.svg"),
        {"sku": "GB-TY", "slug": "reunion-gift-box", "category": "gift-boxes", "kind": "gift",
         "name_zh": f"{brand_zh}团圆礼盒", "name_en": f"{brand_en} Reunion gift box",
         "description_zh": "大连淡干刺参 40-50头 250g，配泡发工具与手提礼袋。"
                           "节日走亲访友，心意刚好。" + _TRUST_ZH,
         "description_en": "Dalian dried sea cucumber, 40-50 pcs, 250 g, with a soaking kit and "
                           "a gift bag: right for a festive visit. " + _TRUST_EN,
         "price": 128800, "member": 118800, "days": None, "image": "gift-box-reunion.svg"},
        {"sku": "GB-MY", "slug": "full-month-gift-box", "category": "gift-boxes", "kind": "gift",
         "name_zh": f"{brand_zh}满月礼盒", "name_en": f"{brand_en} Full-month gift box",
         "description_zh": "臻护 1 段奶粉两罐、威海淡干海参 150g（给妈妈月子滋补）"
                           "与宝宝手足印相框。送给新生儿家庭的贴心礼物。",
         "description_en": "Two cans of Premium stage 1 formula, 150 g of Weihai dried sea "
                           "cucumber for the new mother, and a hand-and-footprint frame: a "
                           "thoughtful gift for a new family.",
         "price": 168800, "member": 158800, "days": None, "image": "gift-box-full-month.svg"},
        {"sku": "GB-ZP", "slug": "signature-gift-box", "category": "gift-boxes", "kind": "gift",
         "name_zh": f"{brand_zh}臻品礼盒", "name_en": f"{brand_en} Signature gift box",
         "description_zh": "大连底播淡干刺参 30-40头 500g，实木礼盒，附手写贺卡。商务与孝亲之选。"
                           + _TRUST_ZH,
         "description_en": "Dalian sea-ranched dried sea cucumber, 30-40 pcs, 500 g, in a solid "
                           "wood box with a handwritten card: for business gifts and parents. "
                           + _TRUST_EN,
         "price": 288800, "member": 268800, "days": None, "image": "gift-box-signature.svg"},
        {"sku": "GB-CJ", "slug": "heirloom-gift-box", "category": "gift-boxes", "kind": "gift",
         "name_zh": f"{brand_zh}传家礼盒", "name_en": f"{brand_en} Heirloom gift box",
         "description_zh": "獐子岛野生淡干刺参 20-30头 500g，紫檀木盒、铜扣，附产地溯源证书。"
                           "限量，门店可预约专人送达。",
         "description_en": "Zhangzi Island wild dried sea cucumber, 20-30 pcs, 500 g, in a "
                           "rosewood box with a brass clasp and a certificate of origin. Limited; "
                           "stores can arrange personal delivery.",
         "price": 588800, "member": 558800, "days": None, "image": "gift-box-heirloom.svg"},
    ]


# --- centers and the places around them -------------------------------------------------------

SH, HZ = "上海市", "杭州市"
PROVINCE = {SH: "上海市", HZ: "浙江省"}

#: district -> (lat, lng, streets)
AREAS = {
    SH: {
        "静安区": (31.2290, 121.4480, ["南京西路", "延安中路", "常德路", "大田路", "江宁路"]),
        "徐汇区": (31.1880, 121.4370, ["漕溪北路", "天钥桥路", "衡山路", "龙华中路", "宜山路"]),
        "长宁区": (31.2200, 121.4240, ["虹桥路", "仙霞路", "天山路", "安顺路"]),
        "黄浦区": (31.2310, 121.4840, ["淮海中路", "复兴中路", "西藏南路", "瞿溪路"]),
        "闵行区": (31.1120, 121.3810, ["七莘路", "莘庄路", "古美路", "虹梅路"]),
        "浦东新区": (31.2210, 121.5440, ["张杨路", "世纪大道", "锦绣路", "花木路", "东方路"]),
        "普陀区": (31.2490, 121.3970, ["曹杨路", "真北路", "长寿路", "武宁路"]),
    },
    HZ: {
        "西湖区": (30.2740, 120.1300, ["文三路", "天目山路", "古墩路", "教工路", "文二西路"]),
        "上城区": (30.2500, 120.1700, ["解放路", "庆春路", "延安路", "望江路"]),
        "拱墅区": (30.3190, 120.1420, ["莫干山路", "湖墅南路", "大关路", "上塘路"]),
        "滨江区": (30.2080, 120.2110, ["江南大道", "滨盛路", "长河路", "江陵路"]),
        "萧山区": (30.1620, 120.2640, ["市心中路", "金城路", "建设一路", "北干路"]),
        "余杭区": (30.2890, 120.0100, ["文一西路", "五常大道", "良睦路"]),
    },
}


def centers_spec(brand_zh: str, brand_en: str) -> list[dict]:
    """Two pickup stores, a delivery center with a service area, one that does both, and a
    warehouse that ships by courier."""
    return [
        {"code": "SH-JA", "name_zh": f"{brand_zh}·上海静安店",
         "name_en": f"{brand_en} Shanghai Jing'an Store", "is_pickup": True, "is_delivery": False,
         "city": SH, "district": "静安区", "address_zh": "上海市静安区南京西路 1376 号一层 108 室",
         "address_en": "Unit 108, 1F, 1376 West Nanjing Road, Jing'an District, Shanghai",
         "lat": 31.2253, "lng": 121.4469, "phone": "021-62880188", "opens_at": "10:00",
         "closes_at": "21:00", "radius_km": None, "districts": []},
        {"code": "SH-XH", "name_zh": f"{brand_zh}·上海徐汇配送中心",
         "name_en": f"{brand_en} Shanghai Xuhui Delivery Center", "is_pickup": False,
         "is_delivery": True, "city": SH, "district": "徐汇区",
         "address_zh": "上海市徐汇区宜山路 700 号 B 座 2 层",
         "address_en": "2F, Building B, 700 Yishan Road, Xuhui District, Shanghai",
         "lat": 31.1757, "lng": 121.4199, "phone": "021-54260388", "opens_at": "08:30",
         "closes_at": "20:00", "radius_km": 12.0,
         "districts": ["徐汇区", "静安区", "长宁区", "黄浦区", "闵行区", "浦东新区", "普陀区"]},
        {"code": "HZ-XH", "name_zh": f"{brand_zh}·杭州西湖店",
         "name_en": f"{brand_en} Hangzhou West Lake Store", "is_pickup": True,
         "is_delivery": False, "city": HZ, "district": "西湖区",
         "address_zh": "杭州市西湖区文三路 478 号华星时代广场一层",
         "address_en": "1F, Huaxing Times Plaza, 478 Wensan Road, Xihu District, Hangzhou",
         "lat": 30.2799, "lng": 120.1287, "phone": "0571-88216688", "opens_at": "10:00",
         "closes_at": "21:00", "radius_km": None, "districts": []},
        {"code": "HZ-BJ", "name_zh": f"{brand_zh}·杭州滨江中心",
         "name_en": f"{brand_en} Hangzhou Binjiang Center", "is_pickup": True,
         "is_delivery": True, "city": HZ, "district": "滨江区",
         "address_zh": "杭州市滨江区江南大道 3850 号创新大厦一层",
         "address_en": "1F, Innovation Tower, 3850 Jiangnan Avenue, Binjiang District, Hangzhou",
         "lat": 30.2084, "lng": 120.2106, "phone": "0571-86698899", "opens_at": "09:00",
         "closes_at": "20:30", "radius_km": 15.0,
         "districts": ["滨江区", "上城区", "西湖区", "拱墅区", "萧山区", "余杭区"]},
        {"code": "SH-WH", "name_zh": f"{brand_zh}·华东仓",
         "name_en": f"{brand_en} East China Warehouse", "is_pickup": False,
         "is_delivery": False, "is_warehouse": True, "city": SH,
         "district": "嘉定区", "address_zh": "上海市嘉定区兴贤路 1188 号 3 号库",
         "address_en": "Store 3, 1188 Xingxian Road, Jiading District, Shanghai",
         "lat": 31.3489, "lng": 121.2654, "phone": "021-59990288", "opens_at": "08:00",
         "closes_at": "18:00", "radius_km": None, "districts": []},
    ]


#: per center: contact person, weekday hours that differ, delivery zones
#: (name, fee, free from, minimum, radius km, districts) and slot windows (kind, from, to, places)
O2O_SETTINGS = {
    "SH-JA": {"contact": "李娜", "hours": {6: ("11:00", "19:00")},
              "windows": [("pickup", "10:00", "12:00", 6), ("pickup", "14:00", "16:00", 6),
                          ("pickup", "18:00", "20:00", 4)]},
    "SH-XH": {"contact": "王磊",
              "zones": [("内环", 0, None, 0, None, ["徐汇区", "静安区", "黄浦区", "长宁区"]),
                        ("外环", 1500, 59900, 19900, 12.0, ["闵行区", "浦东新区", "普陀区"])],
              "windows": [("delivery", "09:00", "12:00", 8), ("delivery", "14:00", "18:00", 8)]},
    "HZ-XH": {"contact": "沈佳怡", "hours": {0: None},
              "windows": [("pickup", "10:00", "13:00", 5), ("pickup", "16:00", "20:00", 5)]},
    "HZ-BJ": {"contact": "陆晨",
              "zones": [("滨江", 0, None, 0, None, ["滨江区", "上城区"]),
                        ("主城", 1000, 39900, 9900, 15.0,
                         ["西湖区", "拱墅区", "萧山区", "余杭区"])],
              "windows": [("pickup", "10:00", "20:00", 10), ("delivery", "10:00", "13:00", 6),
                          ("delivery", "15:00", "19:00", 6)]},
    "SH-WH": {"contact": "赵刚"},
}


#: the clerk of each center, by center code
CLERKS = {"SH-JA": "李娜", "SH-XH": "王磊", "HZ-XH": "沈佳怡", "HZ-BJ": "陆晨", "SH-WH": "赵刚"}

# --- people -----------------------------------------------------------------------------------

SURNAMES = [
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"),
    ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"), ("徐", "xu"), ("孙", "sun"),
    ("朱", "zhu"), ("沈", "shen"), ("陆", "lu"), ("胡", "hu"), ("郭", "guo"), ("何", "he"),
    ("林", "lin"), ("高", "gao"), ("郑", "zheng"), ("顾", "gu"), ("钱", "qian"), ("俞", "yu"),
    ("马", "ma"), ("罗", "luo"), ("梁", "liang"), ("谢", "xie"), ("宋", "song"), ("唐", "tang"),
    ("许", "xu"), ("韩", "han"), ("冯", "feng"), ("曹", "cao"), ("彭", "peng"), ("曾", "zeng"),
    ("蒋", "jiang"), ("蔡", "cai"), ("叶", "ye"), ("程", "cheng"), ("魏", "wei"), ("苏", "su"),
    ("姚", "yao"), ("方", "fang"), ("金", "jin"), ("汪", "wang"), ("潘", "pan"), ("袁", "yuan"),
    ("邵", "shao"), ("严", "yan"), ("施", "shi"), ("戴", "dai"), ("傅", "fu"), ("任", "ren"),
]
SURNAME_WEIGHTS = [1 / (i + 1) ** 0.55 for i in range(len(SURNAMES))]
GIVEN_F = [
    ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"), ("婷", "ting"),
    ("雪", "xue"), ("慧", "hui"), ("颖", "ying"), ("琳", "lin"), ("洁", "jie"), ("倩", "qian"),
    ("佳", "jia"), ("欣", "xin"), ("怡", "yi"), ("萍", "ping"), ("玲", "ling"), ("燕", "yan"),
    ("晓", "xiao"), ("梦", "meng"), ("雨", "yu"), ("思", "si"), ("诗", "shi"), ("悦", "yue"),
    ("薇", "wei"), ("蕾", "lei"), ("璐", "lu"), ("菲", "fei"), ("莉", "li"), ("岚", "lan"),
]
GIVEN_M = [
    ("伟", "wei"), ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("洋", "yang"), ("勇", "yong"),
    ("杰", "jie"), ("涛", "tao"), ("明", "ming"), ("超", "chao"), ("鹏", "peng"), ("浩", "hao"),
    ("宇", "yu"), ("博", "bo"), ("斌", "bin"), ("辉", "hui"), ("刚", "gang"), ("健", "jian"),
    ("峰", "feng"), ("俊", "jun"), ("凯", "kai"), ("文", "wen"), ("志", "zhi"), ("华", "hua"),
    ("海", "hai"), ("龙", "long"), ("晨", "chen"), ("阳", "yang"), ("轩", "xuan"), ("毅", "yi"),
]
PHONE_PREFIXES = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151",
                  "152", "153", "155", "156", "157", "158", "159", "166", "173", "177", "180",
                  "181", "182", "183", "185", "186", "187", "188", "189", "191", "198", "199"]
#: the VIP form's interest keys (storefront.forms.INTERESTS)
INTERESTS = ["formula", "baby_care", "sea_cucumber", "gifts", "events"]

# Personas: what a household buys and how often (weights give the order counts).
PARENT, GOURMET, GIFTER, ONCE = "parent", "gourmet", "gifter", "once"
PERSONAS = [(PARENT, 0.34), (GOURMET, 0.30), (GIFTER, 0.22), (ONCE, 0.14)]
ORDER_WEIGHT = {PARENT: 7.0, GOURMET: 3.6, GIFTER: 2.8, ONCE: 1.0}
MEMBER_RATE = {PARENT: 0.6, GOURMET: 0.25, GIFTER: 0.35, ONCE: 0.05}
#: accounts that registered but never ordered (prospects with an account)
NO_ORDER_RATE = 0.1

#: the days before which gifts sell: Spring Festival and Mid-Autumn, by year
SPRING_FESTIVAL = {2024: (2, 10), 2025: (1, 29), 2026: (2, 17), 2027: (2, 6), 2028: (1, 26),
                   2029: (2, 13), 2030: (2, 3), 2031: (1, 23), 2032: (2, 11)}
MID_AUTUMN = {2024: (9, 17), 2025: (10, 6), 2026: (9, 25), 2027: (9, 15), 2028: (10, 3),
              2029: (9, 22), 2030: (9, 12), 2031: (10, 1), 2032: (9, 19)}
#: share of order hours in the shop's zone, 0..23
HOUR_WEIGHTS = [1, 0.5, 0.2, 0.1, 0.1, 0.2, 0.6, 1.5, 3, 4, 5, 5,
                6, 5, 4, 4, 4, 4, 5, 6, 8, 8, 6, 3]

SATISFIED_NOTES = [
    "客户对海参品质满意，询问泡发时间，已讲解并发送泡发指南。",
    "宝宝喝得很好，无不适。提醒了下次备货时间，客户表示继续自提。",
    "礼盒送长辈反馈很体面，希望节前能提前预订。",
    "配送准时，配送员态度好，客户很满意。",
    "客户询问会员积分用法，已说明并邀请参加亲子讲座。",
    "门店服务好，取货很快。客户建议增加周末营业时间。",
]
LUKEWARM_NOTES = [
    "自提排队稍久，已致歉并反馈门店。",
    "对价格有疑问，已说明会员价规则。",
    "配送比约定晚了半小时，已致歉并记录。",
]
UNHAPPY_NOTES = [
    "海参泡发后个头偏小，客户不满意，已记录并请门店回电。",
    "奶粉罐有磕碰，客户要求换货，已转门店处理。",
]
CUSTOMER_NOTES = {
    PARENT: ["宝宝对乳糖较敏感，关注配方成分。", "喜欢参加亲子讲座，周末有空。",
             "二胎家庭，关注阶段转换时间。"],
    GOURMET: ["偏好自提，周末到店。", "冬季进补为主，关注泡发教程。", "家中老人爱吃，常买家常装。"],
    GIFTER: ["企业客户，节前集中采购礼盒。", "送礼为主，需要发票与手写贺卡。",
             "常送外地亲戚，关注配送时效。"],
    ONCE: ["朋友推荐，首次购买。"],
}
PROSPECT_NOTES = [
    "参加{district}亲子讲座，宝宝{months}个月，关注 1 段奶粉。",
    "热线咨询海参礼盒报价，春节送礼需求。",
    "门店到访，询问獐子岛野生刺参，未购买。",
    "孕期营养讲座报名，预产期在{months}个月后。",
]
ORDER_NOTES = ["请提前电话联系", "送礼，请勿放价格单", "周末下午取货", "请放门卫处",
               "需要手提礼袋", "需要发票"]


def festive(day: date) -> float:
    """1 in the weeks before Spring Festival and Mid-Autumn, 0.5 around 11.11, else 0."""
    for table, weeks in ((SPRING_FESTIVAL, 3), (MID_AUTUMN, 2.5)):
        month, dom = table.get(day.year, (2, 5) if table is SPRING_FESTIVAL else (9, 20))
        until = (date(day.year, month, dom) - day).days
        if 0 <= until <= weeks * 7:
            return 1.0
    if day.month == 11 and day.day <= 11:
        return 0.5
    return 0.0
