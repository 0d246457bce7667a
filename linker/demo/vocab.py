"""Vocabularies of the demo generator: names, places, platforms, raw categories, MCC codes and merchants.

Everything the generator can write as a name, a city, a category or a merchant comes from this module, so
other modules (the category taxonomy, the need rules, the accuracy report) can import the same lists.

The frequencies are rounded public figures (surnames: share of the population of mainland China; cities:
roughly urban population), good enough to make the data look real, not statistics.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

# --------------------------------------------------------------------------------------------------- names

#: ``(surname, pinyin, weight)``; the weight is roughly the share of the population in per mille.
SURNAMES: Final[tuple[tuple[str, str, float], ...]] = (
    ("王", "wang", 71),
    ("李", "li", 70),
    ("张", "zhang", 68),
    ("刘", "liu", 54),
    ("陈", "chen", 46),
    ("杨", "yang", 31),
    ("黄", "huang", 24),
    ("赵", "zhao", 23),
    ("吴", "wu", 21),
    ("周", "zhou", 20),
    ("徐", "xu", 17),
    ("孙", "sun", 15),
    ("马", "ma", 14),
    ("朱", "zhu", 13),
    ("胡", "hu", 13),
    ("郭", "guo", 12),
    ("何", "he", 11),
    ("高", "gao", 11),
    ("林", "lin", 10),
    ("罗", "luo", 9),
    ("郑", "zheng", 8),
    ("梁", "liang", 8),
    ("谢", "xie", 7),
    ("宋", "song", 6),
    ("唐", "tang", 6),
    ("许", "xu", 5),
    ("韩", "han", 5),
    ("冯", "feng", 5),
    ("邓", "deng", 5),
    ("曹", "cao", 5),
    ("彭", "peng", 5),
    ("曾", "zeng", 5),
    ("肖", "xiao", 5),
    ("田", "tian", 4),
    ("董", "dong", 4),
    ("袁", "yuan", 4),
    ("潘", "pan", 4),
    ("于", "yu", 4),
    ("蒋", "jiang", 4),
    ("蔡", "cai", 4),
    ("余", "yu", 4),
    ("杜", "du", 4),
    ("叶", "ye", 4),
    ("程", "cheng", 4),
    ("苏", "su", 3),
    ("魏", "wei", 3),
    ("吕", "lv", 3),
    ("丁", "ding", 3),
    ("任", "ren", 3),
    ("沈", "shen", 3),
    ("姚", "yao", 3),
    ("卢", "lu", 3),
    ("姜", "jiang", 3),
    ("崔", "cui", 3),
    ("钟", "zhong", 3),
    ("谭", "tan", 3),
    ("陆", "lu", 3),
    ("汪", "wang", 3),
    ("范", "fan", 3),
    ("金", "jin", 3),
    ("石", "shi", 3),
    ("廖", "liao", 3),
    ("贾", "jia", 3),
    ("夏", "xia", 2),
    ("韦", "wei", 2),
    ("付", "fu", 2),
    ("方", "fang", 2),
    ("白", "bai", 2),
    ("邹", "zou", 2),
    ("孟", "meng", 2),
    ("熊", "xiong", 2),
    ("秦", "qin", 2),
    ("邱", "qiu", 2),
    ("江", "jiang", 2),
    ("尹", "yin", 2),
    ("薛", "xue", 2),
    ("闫", "yan", 2),
    ("段", "duan", 2),
    ("雷", "lei", 2),
    ("侯", "hou", 2),
    ("龙", "long", 2),
    ("史", "shi", 2),
    ("陶", "tao", 1),
    ("黎", "li", 1),
    ("贺", "he", 1),
    ("顾", "gu", 1),
    ("毛", "mao", 1),
    ("郝", "hao", 1),
    ("龚", "gong", 1),
    ("邵", "shao", 1),
    ("万", "wan", 1),
    ("钱", "qian", 1),
    ("严", "yan", 1),
    ("覃", "qin", 1),
    ("武", "wu", 1),
    ("戴", "dai", 1),
    ("莫", "mo", 1),
    ("孔", "kong", 1),
    ("向", "xiang", 1),
    ("汤", "tang", 1),
    ("欧阳", "ouyang", 0.5),
    ("上官", "shangguan", 0.1),
    ("司马", "sima", 0.1),
    ("诸葛", "zhuge", 0.1),
)

#: ``(character, pinyin, gender)`` for characters of given names; gender is ``M``, ``F`` or ``U`` (either).
GIVEN_CHARS: Final[tuple[tuple[str, str, str], ...]] = (
    ("伟", "wei", "M"),
    ("强", "qiang", "M"),
    ("磊", "lei", "M"),
    ("军", "jun", "M"),
    ("勇", "yong", "M"),
    ("杰", "jie", "M"),
    ("涛", "tao", "M"),
    ("超", "chao", "M"),
    ("明", "ming", "U"),
    ("刚", "gang", "M"),
    ("平", "ping", "U"),
    ("辉", "hui", "M"),
    ("鹏", "peng", "M"),
    ("华", "hua", "U"),
    ("飞", "fei", "M"),
    ("鑫", "xin", "M"),
    ("波", "bo", "M"),
    ("斌", "bin", "M"),
    ("宇", "yu", "M"),
    ("浩", "hao", "M"),
    ("凯", "kai", "M"),
    ("健", "jian", "M"),
    ("俊", "jun", "M"),
    ("帆", "fan", "U"),
    ("帅", "shuai", "M"),
    ("旭", "xu", "M"),
    ("宁", "ning", "U"),
    ("龙", "long", "M"),
    ("林", "lin", "U"),
    ("阳", "yang", "M"),
    ("建", "jian", "M"),
    ("国", "guo", "M"),
    ("志", "zhi", "M"),
    ("文", "wen", "U"),
    ("海", "hai", "U"),
    ("东", "dong", "M"),
    ("峰", "feng", "M"),
    ("亮", "liang", "M"),
    ("成", "cheng", "M"),
    ("新", "xin", "U"),
    ("晨", "chen", "U"),
    ("博", "bo", "M"),
    ("轩", "xuan", "M"),
    ("然", "ran", "U"),
    ("子", "zi", "U"),
    ("天", "tian", "M"),
    ("一", "yi", "U"),
    ("泽", "ze", "M"),
    ("睿", "rui", "M"),
    ("诚", "cheng", "M"),
    ("铭", "ming", "M"),
    ("昊", "hao", "M"),
    ("嘉", "jia", "U"),
    ("思", "si", "U"),
    ("金", "jin", "U"),
    ("永", "yong", "M"),
    ("春", "chun", "U"),
    ("德", "de", "M"),
    ("庆", "qing", "M"),
    ("正", "zheng", "M"),
    ("兵", "bing", "M"),
    ("锋", "feng", "M"),
    ("彬", "bin", "M"),
    ("毅", "yi", "M"),
    ("振", "zhen", "M"),
    ("山", "shan", "M"),
    ("生", "sheng", "M"),
    ("宏", "hong", "M"),
    ("晓", "xiao", "U"),
    ("小", "xiao", "U"),
    ("洋", "yang", "U"),
    ("玮", "wei", "U"),
    ("炜", "wei", "M"),
    ("涵", "han", "U"),
    ("芳", "fang", "F"),
    ("娜", "na", "F"),
    ("敏", "min", "U"),
    ("静", "jing", "F"),
    ("丽", "li", "F"),
    ("艳", "yan", "F"),
    ("娟", "juan", "F"),
    ("霞", "xia", "F"),
    ("燕", "yan", "F"),
    ("秀", "xiu", "F"),
    ("英", "ying", "F"),
    ("兰", "lan", "F"),
    ("玲", "ling", "F"),
    ("婷", "ting", "F"),
    ("雪", "xue", "F"),
    ("琳", "lin", "F"),
    ("倩", "qian", "F"),
    ("洁", "jie", "F"),
    ("慧", "hui", "F"),
    ("颖", "ying", "F"),
    ("佳", "jia", "U"),
    ("欣", "xin", "F"),
    ("怡", "yi", "F"),
    ("梅", "mei", "F"),
    ("莉", "li", "F"),
    ("红", "hong", "F"),
    ("萍", "ping", "F"),
    ("璐", "lu", "F"),
    ("晶", "jing", "F"),
    ("琴", "qin", "F"),
    ("云", "yun", "U"),
    ("凤", "feng", "F"),
    ("桂", "gui", "F"),
    ("珍", "zhen", "F"),
    ("月", "yue", "F"),
    ("丹", "dan", "F"),
    ("蕾", "lei", "F"),
    ("薇", "wei", "F"),
    ("雨", "yu", "U"),
    ("梓", "zi", "U"),
    ("诺", "nuo", "U"),
    ("萱", "xuan", "F"),
    ("彤", "tong", "F"),
    ("琪", "qi", "F"),
    ("悦", "yue", "F"),
    ("婉", "wan", "F"),
    ("晴", "qing", "F"),
    ("瑶", "yao", "F"),
    ("玉", "yu", "F"),
    ("淑", "shu", "F"),
    ("诗", "shi", "F"),
    ("桐", "tong", "U"),
    ("菁", "jing", "F"),
    ("俐", "li", "F"),
    ("捷", "jie", "M"),
    ("民", "min", "M"),
)

#: Whole given names that are far more common than a random pairing of characters (``张伟`` is the most
#: common full name in China): ``(given name, gender, weight)``.
COMMON_GIVEN_NAMES: Final[tuple[tuple[str, str, float], ...]] = (
    ("伟", "M", 30),
    ("芳", "F", 28),
    ("娜", "F", 26),
    ("敏", "F", 24),
    ("静", "F", 24),
    ("丽", "F", 20),
    ("强", "M", 20),
    ("磊", "M", 19),
    ("军", "M", 18),
    ("洋", "M", 17),
    ("勇", "M", 16),
    ("艳", "F", 16),
    ("杰", "M", 15),
    ("娟", "F", 15),
    ("涛", "M", 14),
    ("明", "M", 13),
    ("超", "M", 13),
    ("秀英", "F", 13),
    ("霞", "F", 12),
    ("平", "F", 11),
    ("刚", "M", 11),
    ("桂英", "F", 10),
    ("秀兰", "F", 9),
    ("玉兰", "F", 8),
    ("建华", "M", 8),
    ("建国", "M", 8),
    ("建军", "M", 7),
    ("志强", "M", 7),
    ("海燕", "F", 7),
    ("丽娟", "F", 6),
    ("子轩", "M", 6),
    ("浩然", "M", 6),
    ("梓涵", "F", 6),
    ("欣怡", "F", 6),
    ("一诺", "U", 5),
    ("雨桐", "F", 5),
    ("宇轩", "M", 5),
    ("子涵", "F", 5),
    ("诗涵", "F", 5),
    ("俊杰", "M", 5),
    ("婷婷", "F", 5),
    ("晓燕", "F", 5),
    ("红梅", "F", 5),
    ("丽华", "F", 4),
    ("文静", "F", 4),
    ("秀珍", "F", 4),
    ("玉珍", "F", 3),
    ("淑珍", "F", 3),
    ("鹏", "M", 6),
    ("辉", "M", 6),
    ("斌", "M", 5),
    ("波", "M", 5),
    ("慧", "F", 5),
    ("琳", "F", 5),
)

#: Nicknames people pick on shopping platforms.
NICKNAMES: Final[tuple[str, ...]] = (
    "小猫咪",
    "快乐的鱼",
    "追风少年",
    "阳光男孩",
    "小确幸",
    "吃货一枚",
    "sunny",
    "lucky",
    "momo",
    "岁月静好",
    "向日葵",
    "小太阳",
    "风清扬",
    "大白",
    "糖糖",
    "tiger",
    "candy",
    "Coco",
    "Leo",
    "一只小熊",
    "不吃香菜",
    "森林里的鹿",
    "海阔天空",
    "清风明月",
    "奶茶续命",
    "lemon",
    "小土豆",
    "夏天的风",
    "甜甜圈",
    "木子",
    "Jason",
    "Kevin",
    "Amy",
    "Vivian",
    "老王",
    "宝妈一枚",
    "打工人",
)

#: Default nickname prefixes some platforms give new users (``tb_2071936``, ``jd_187a1b2c``).
PLATFORM_HANDLE_PREFIXES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "taobao": "tb",
        "jd": "jd_",
        "pinduoduo": "pdd",
        "meituan": "mt",
        "ctrip": "M",
        "vipshop": "vip",
    }
)

# ------------------------------------------------------------------------------------------------- places

#: ``(city, landline area code without the trunk 0, tier, weight)``.
CITIES: Final[tuple[tuple[str, str, int, float], ...]] = (
    ("北京", "10", 1, 8),
    ("上海", "21", 1, 8),
    ("广州", "20", 1, 6),
    ("深圳", "755", 1, 6),
    ("成都", "28", 2, 5),
    ("杭州", "571", 2, 4),
    ("重庆", "23", 2, 5),
    ("武汉", "27", 2, 4),
    ("西安", "29", 2, 3.5),
    ("南京", "25", 2, 3.5),
    ("天津", "22", 2, 3.5),
    ("苏州", "512", 2, 3),
    ("长沙", "731", 2, 3),
    ("郑州", "371", 2, 3),
    ("东莞", "769", 2, 2.5),
    ("青岛", "532", 2, 2.5),
    ("沈阳", "24", 2, 2.5),
    ("宁波", "574", 2, 2),
    ("昆明", "871", 2, 2),
    ("合肥", "551", 2, 2),
    ("佛山", "757", 2, 2),
    ("福州", "591", 2, 2),
    ("厦门", "592", 2, 1.5),
    ("济南", "531", 2, 2),
    ("大连", "411", 2, 1.5),
    ("哈尔滨", "451", 2, 2),
    ("长春", "431", 3, 1.5),
    ("南宁", "771", 3, 1.5),
    ("贵阳", "851", 3, 1.2),
    ("石家庄", "311", 3, 1.5),
    ("太原", "351", 3, 1.2),
    ("南昌", "791", 3, 1.2),
    ("无锡", "510", 2, 1.5),
    ("温州", "577", 3, 1.2),
    ("兰州", "931", 3, 1.0),
    ("乌鲁木齐", "991", 3, 0.8),
    ("海口", "898", 3, 0.6),
    ("呼和浩特", "471", 3, 0.6),
)

#: First three digits of Chinese mobile numbers with a rough share of numbers in use.
MOBILE_PREFIXES: Final[tuple[tuple[int, float], ...]] = (
    (130, 3),
    (131, 3),
    (132, 3),
    (133, 3),
    (134, 3),
    (135, 5),
    (136, 5),
    (137, 5),
    (138, 6),
    (139, 6),
    (145, 0.5),
    (147, 0.5),
    (150, 3),
    (151, 3),
    (152, 3),
    (153, 2),
    (155, 2),
    (156, 2),
    (157, 2),
    (158, 3),
    (159, 3),
    (166, 1),
    (173, 1),
    (175, 0.5),
    (176, 1),
    (177, 1),
    (178, 1),
    (180, 2),
    (181, 2),
    (182, 2),
    (183, 2),
    (184, 1),
    (185, 2),
    (186, 3),
    (187, 2),
    (188, 3),
    (189, 3),
    (191, 1),
    (193, 0.5),
    (195, 0.5),
    (198, 1),
    (199, 1),
)

#: ``(domain, weight, numeric local part)``: QQ and Foxmail addresses are usually the QQ number.
EMAIL_DOMAINS: Final[tuple[tuple[str, float, bool], ...]] = (
    ("qq.com", 40, True),
    ("163.com", 22, False),
    ("126.com", 10, False),
    ("sina.com", 6, False),
    ("gmail.com", 8, False),
    ("outlook.com", 5, False),
    ("hotmail.com", 4, False),
    ("foxmail.com", 3, True),
    ("139.com", 2, False),
)

#: ``(platform, launch year, weight)``.
PLATFORMS: Final[tuple[tuple[str, int, float], ...]] = (
    ("taobao", 2003, 30),
    ("jd", 2004, 22),
    ("pinduoduo", 2015, 20),
    ("meituan", 2010, 13),
    ("ctrip", 2000, 8),
    ("vipshop", 2008, 7),
)

# ------------------------------------------------------------------------------------- raw categories

#: Raw category strings as platforms write them, grouped by topic. A topic is the demo's own label for what
#: the strings mean; the taxonomy maps raw strings to its own classes. Background topics come first.
RAW_CATEGORIES: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        # everyday (background) topics
        "groceries": ("食品/粮油米面", "超市/生鲜", "Grocery > Rice & Oil", "粮油调味"),
        "fresh_food": ("生鲜/水果", "生鲜/肉禽蛋", "Fresh > Fruit"),
        "snacks": ("零食/坚果", "休闲零食", "Snacks > Nuts", "饼干糕点"),
        "beverages": ("饮料/冲调", "酒水/白酒", "Drinks > Tea"),
        "clothing": (
            "女装/连衣裙",
            "男装/T恤",
            "服饰/外套",
            "Clothing > Women > Dresses",
            "Clothing > Men > Shirts",
            "内衣/袜子",
        ),
        "shoes": ("鞋靴/运动鞋", "Shoes > Sneakers", "女鞋/单鞋"),
        "beauty": ("美妆/面膜", "美妆/口红", "护肤品/精华", "Beauty > Skincare"),
        "personal_care": ("个人护理/洗发水", "日用百货/纸巾", "Household > Cleaning"),
        "household_goods": ("家居日用/收纳", "厨具/锅具", "家用电器/小家电", "Home > Kitchen > Cookware"),
        "phone_accessories": (
            "手机配件/手机壳",
            "手机配件/充电器",
            "数码配件/耳机",
            "Electronics > Accessories > Cables",
        ),
        "mobile_phones": ("手机/智能手机", "Mobile Phones"),
        "food_delivery": ("外卖/快餐", "外卖/奶茶", "Food Delivery"),
        "pets": ("宠物/猫粮", "Pet Supplies > Dog Food"),
        "sports": ("运动户外/瑜伽垫", "Sports > Fitness"),
        "books": ("图书/小说", "Books > Fiction"),
        "health": ("医药保健/维生素", "Health > OTC"),
        "game_topup": ("游戏点卡", "虚拟商品/话费充值"),
        "movie": ("电影票",),
        "train": ("火车票",),
        # home_furnishing
        "building_materials": (
            "家装建材/瓷砖",
            "家装建材/地板",
            "家装建材/涂料",
            "家装建材/卫浴",
            "Home Improvement > Flooring",
            "五金工具",
        ),
        "furniture": ("家具/沙发", "家具/床", "家具/餐桌", "家具/衣柜", "Furniture > Sofas", "全屋定制"),
        "mattress": ("床垫", "家具/床垫", "Home > Mattresses"),
        "bedding": ("床上用品/四件套", "床上用品/被子", "Bedding > Duvets"),
        # computer_upgrade
        "laptop_entry": (
            "笔记本电脑/入门级",
            "笔记本电脑/旧款",
            "Computers > Laptops > Refurbished",
            "Computers > Laptops > Budget",
            "二手笔记本",
            "二手数码/笔记本",
        ),
        # photography
        "camera": ("数码相机", "微单相机", "单反相机", "Cameras > Mirrorless"),
        "camera_lens": ("相机镜头", "Cameras > Lenses"),
        "camera_bag": ("摄影包", "Camera Bags"),
        # travel
        "flights": ("机票", "国际机票", "Travel > Flights"),
        "hotels": ("酒店", "酒店/度假", "Travel > Hotels"),
        "luggage": ("行李箱", "箱包/拉杆箱", "Luggage > Suitcases"),
        "tours": ("旅游/跟团游", "签证"),
        # education
        "textbooks": ("教材", "图书/教材教辅", "考试/考研资料", "Books > Textbooks"),
        "online_courses": ("在线课程", "教育培训/在线课程", "Education > Online Courses"),
        "tutoring": ("教育培训/英语", "少儿编程", "家教辅导"),
        # new_baby
        "maternity": ("孕妇装", "孕产/防辐射服", "Maternity > Clothing"),
        "infant_formula": ("奶粉", "母婴/奶粉", "Baby > Formula"),
        "diapers": ("纸尿裤", "母婴/纸尿裤", "Baby > Diapers"),
        "stroller": ("婴儿车", "母婴/婴儿推车", "Baby > Strollers"),
        "crib": ("婴儿床", "母婴/婴儿床"),
        # car
        "new_car": ("汽车/新车", "汽车/SUV", "新能源汽车", "Autos > New Cars"),
        "car_loan": ("汽车金融/车贷", "汽车贷款"),
        "car_accessories": ("汽车用品", "汽车用品/脚垫", "汽车用品/行车记录仪", "Auto Parts & Accessories"),
        "driving_school": ("驾校", "驾校报名"),
    }
)

#: The need stories and the topics that carry their evidence.
NEED_TOPICS: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "home_furnishing": ("building_materials", "furniture", "mattress", "bedding"),
        "computer_upgrade": ("laptop_entry",),
        "photography": ("camera", "camera_lens", "camera_bag"),
        "travel": ("flights", "hotels", "luggage", "tours"),
        "education": ("textbooks", "online_courses", "tutoring"),
        "new_baby": ("maternity", "infant_formula", "diapers", "stroller", "crib"),
        "car": ("new_car", "car_loan", "car_accessories", "driving_school"),
    }
)

#: Needs in a fixed order (the order of ``NEED_TOPICS``).
NEEDS: Final[tuple[str, ...]] = tuple(NEED_TOPICS)

#: Median amount in CNY of one online order per topic (background topics; stories set their own).
TOPIC_MEDIAN_AMOUNT: Final[Mapping[str, float]] = MappingProxyType(
    {
        "groceries": 60,
        "fresh_food": 70,
        "snacks": 35,
        "beverages": 50,
        "clothing": 160,
        "shoes": 280,
        "beauty": 150,
        "personal_care": 45,
        "household_goods": 50,
        "phone_accessories": 40,
        "mobile_phones": 2500,
        "food_delivery": 35,
        "pets": 120,
        "sports": 120,
        "books": 45,
        "health": 80,
        "game_topup": 50,
        "movie": 60,
        "train": 250,
    }
)

#: Background topic weights ``(purchase F, purchase M, browse F, browse M)``.
BACKGROUND_TOPIC_WEIGHTS: Final[Mapping[str, tuple[float, float, float, float]]] = MappingProxyType(
    {
        "groceries": (14, 14, 8, 8),
        "fresh_food": (6, 5, 4, 3),
        "snacks": (10, 8, 8, 6),
        "beverages": (5, 6, 3, 4),
        "clothing": (12, 8, 18, 10),
        "shoes": (4, 4, 6, 6),
        "beauty": (9, 2, 12, 2),
        "personal_care": (7, 6, 4, 4),
        "household_goods": (6, 5, 6, 5),
        "phone_accessories": (4, 6, 5, 9),
        "mobile_phones": (0.5, 0.8, 3, 5),
        "food_delivery": (12, 14, 6, 7),
        "pets": (2, 2, 2, 2),
        "sports": (2, 4, 3, 6),
        "books": (2, 2, 3, 3),
        "health": (2, 2, 2, 2),
        "game_topup": (1, 4, 1, 4),
        "movie": (2, 2, 2, 2),
        "train": (1, 1, 1.5, 1.5),
    }
)

#: Share of background browsing that lands, as a single view, on a need topic (noise a need detector must
#: not mistake for a need).
DECOY_BROWSE_SHARE: Final[float] = 0.01

# ---------------------------------------------------------------------------------------------- card data

#: Merchant category codes the demo uses, with their ISO 18245 meaning.
MCC_CODES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "5411": "Grocery stores, supermarkets",
        "5812": "Eating places, restaurants",
        "5814": "Fast food",
        "5541": "Service stations",
        "4121": "Taxicabs and ride hailing",
        "5311": "Department stores",
        "5691": "Men's and women's clothing stores",
        "5732": "Electronics stores",
        "5912": "Drug stores",
        "4900": "Utilities",
        "5977": "Cosmetic stores",
        "4814": "Telecommunication services",
        "7832": "Motion picture theaters",
        "5499": "Misc. food stores, convenience stores",
        "4111": "Local commuter transport",
        "5999": "Misc. and specialty retail",
        "4112": "Passenger railways",
        "5211": "Lumber and building materials stores",
        "5712": "Furniture and home furnishings stores",
        "5719": "Misc. home furnishing specialty stores",
        "5946": "Camera and photographic supply stores",
        "4511": "Airlines",
        "7011": "Hotels and lodging",
        "4722": "Travel agencies",
        "5948": "Luggage stores",
        "8220": "Colleges and universities",
        "8299": "Schools and educational services (incl. driving schools)",
        "5942": "Book stores",
        "5641": "Children's and infants' wear stores",
        "5511": "Car dealers (new and used)",
        "5533": "Automotive parts and accessories stores",
    }
)

#: Background card spend: ``mcc -> (weight, median amount CNY, merchant pool)``.
BACKGROUND_MCC: Final[Mapping[str, tuple[float, float, str]]] = MappingProxyType(
    {
        "5411": (16, 150, "supermarket"),
        "5812": (12, 180, "restaurant"),
        "5814": (12, 45, "fast_food"),
        "5541": (8, 300, "fuel"),
        "4121": (10, 35, "ride_hailing"),
        "5311": (5, 400, "department_store"),
        "5691": (6, 350, "clothing_store"),
        "5732": (2, 1500, "electronics_store"),
        "5912": (4, 90, "pharmacy"),
        "4900": (5, 200, "utility"),
        "5977": (3, 300, "cosmetics_store"),
        "4814": (5, 100, "telecom"),
        "7832": (2, 80, "cinema"),
        "5499": (8, 25, "convenience_store"),
        "4111": (3, 5, "metro"),
        "5999": (4, 80, "misc_retail"),
        "4112": (1, 300, "railway"),
    }
)

#: Merchant name pools; chain stores get a branch suffix such as ``(成都店)``.
MERCHANTS: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "supermarket": ("永辉超市", "沃尔玛", "华润万家", "家乐福", "大润发", "盒马鲜生", "物美"),
        "restaurant": ("海底捞", "西贝莜面村", "外婆家", "呷哺呷哺", "绿茶餐厅"),
        "fast_food": ("麦当劳", "肯德基", "必胜客", "汉堡王", "喜茶", "瑞幸咖啡", "星巴克"),
        "fuel": ("中国石化加油站", "中国石油加油站", "壳牌加油站"),
        "ride_hailing": ("滴滴出行", "曹操出行", "T3出行"),
        "department_store": ("银泰百货", "王府井百货", "万达广场"),
        "clothing_store": ("优衣库", "ZARA", "海澜之家", "H&M"),
        "electronics_store": ("苏宁易购", "国美电器", "小米之家", "华为体验店"),
        "pharmacy": ("大参林药房", "老百姓大药房", "益丰大药房"),
        "utility": ("国家电网", "燃气公司", "自来水公司"),
        "cosmetics_store": ("丝芙兰", "屈臣氏"),
        "telecom": ("中国移动", "中国联通", "中国电信"),
        "cinema": ("万达影城", "CGV影城"),
        "convenience_store": ("全家便利店", "7-Eleven", "罗森", "便利蜂"),
        "metro": ("地铁", "公交集团"),
        "misc_retail": ("名创优品", "得力文具"),
        "railway": ("中国铁路12306",),
        "building_store": ("居然之家建材", "东方雨虹", "马可波罗瓷砖", "圣象地板", "百安居", "立邦漆"),
        "furniture_store": ("宜家家居", "红星美凯龙", "顾家家居", "林氏木业", "全友家居", "索菲亚全屋定制"),
        "bedding_store": ("罗莱家纺", "水星家纺", "富安娜"),
        "camera_store": ("佳能专卖店", "索尼影像体验店", "尼康授权店", "富士影像"),
        "airline": ("中国国际航空", "东方航空", "南方航空", "海南航空", "春秋航空"),
        "hotel": ("汉庭酒店", "如家酒店", "全季酒店", "亚朵酒店", "希尔顿酒店", "万豪酒店"),
        "travel_agency": ("携程旅行", "中国国旅"),
        "luggage_store": ("新秀丽", "外交官箱包"),
        "university": ("北京大学继续教育学院", "华东师范大学", "国家开放大学"),
        "school": ("新东方", "学而思", "粉笔教育", "中公教育"),
        "driving_school": ("东方时尚驾校", "海驾驾校", "安通驾校"),
        "book_store": ("新华书店", "西西弗书店"),
        "baby_store": ("好孩子", "丽婴房", "巴拉巴拉"),
        "car_dealer": ("一汽大众4S店", "比亚迪汽车4S店", "丰田汽车4S店", "特斯拉中心", "吉利汽车4S店"),
        "auto_parts": ("途虎养车", "车享家汽车用品"),
    }
)

#: Merchant pools whose names are chains and get a city branch suffix.
CHAIN_POOLS: Final[frozenset[str]] = frozenset(
    {
        "supermarket",
        "restaurant",
        "fast_food",
        "fuel",
        "department_store",
        "clothing_store",
        "electronics_store",
        "pharmacy",
        "cosmetics_store",
        "convenience_store",
        "hotel",
        "furniture_store",
    }
)


def category_topics() -> dict[str, str]:
    """Map every raw category string to its topic.

    Returns
    -------
    dict of str to str
        ``{raw category: topic}`` for every string in :data:`RAW_CATEGORIES`.

    Examples
    --------
    >>> category_topics()["家具/沙发"]
    'furniture'
    """
    return {raw: topic for topic, raws in RAW_CATEGORIES.items() for raw in raws}


def topic_needs() -> dict[str, str]:
    """Map every need topic to its need.

    Returns
    -------
    dict of str to str
        ``{topic: need}`` for every topic in :data:`NEED_TOPICS`.

    Examples
    --------
    >>> topic_needs()["mattress"]
    'home_furnishing'
    """
    return {topic: need for need, topics in NEED_TOPICS.items() for topic in topics}
