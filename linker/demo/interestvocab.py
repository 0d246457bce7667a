"""The category vocabulary of the ``interests`` profile: what partners call things, grouped by the generator's
own domains.

Each group is a branch of a catalogue tree: its path as Taobao writes it, as JD writes it, as Pinduoduo writes
it, and in English, and its leaves (``中文|English|synonym,synonym``). :func:`category_domains` spells every
leaf the ways partners send them: the Taobao path (``家居/灯具/吸顶灯``), the JD path (``家居日用>灯具>吸顶灯``),
the Pinduoduo path (``家装建材-灯饰照明-吸顶灯``), the bare leaf, its synonyms (bare and under the Taobao
path), the English path (``Home > Lighting > Ceiling Lights``) and the bare English leaf. The domain of a
category is the domain of its group here, whatever any taxonomy makes of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final, NamedTuple


class Group(NamedTuple):
    """A branch of the catalogue: its paths on each platform and its leaves."""

    taobao: str
    jd: str
    pdd: str
    english: str
    leaves: tuple[str, ...]


#: Domains the truth counts events of (the needs a bank acts on), then the everyday ones.
NEED_DOMAINS: Final[tuple[str, ...]] = ("home_furnishing", "photography", "baby", "computer", "car")

DOMAINS: Final[Mapping[str, tuple[Group, ...]]] = MappingProxyType({
    "home_furnishing": (
        Group("家居/灯具", "家居日用>灯具", "家装建材-灯饰照明", "Home > Lighting", (
            "吸顶灯|Ceiling Lights|LED吸顶灯,卧室灯", "台灯|Desk Lamps|护眼台灯", "落地灯|Floor Lamps|",
            "吊灯|Chandeliers|水晶吊灯", "筒灯|Downlights|射灯")),
        Group("家具/客厅家具", "家具>客厅家具", "家具-客厅", "Furniture > Living Room", (
            "沙发|Sofas|布艺沙发,真皮沙发,懒人沙发", "茶几|Coffee Tables|", "电视柜|TV Stands|")),
        Group("家具/卧室家具", "家具>卧室家具", "家具-卧室", "Furniture > Bedroom", (
            "床|Beds|实木床,双人床", "床垫|Mattresses|乳胶床垫,弹簧床垫", "衣柜|Wardrobes|推拉门衣柜",
            "床头柜|Nightstands|")),
        Group("家具/餐厅家具", "家具>餐厅家具", "家具-餐厅", "Furniture > Dining Room", (
            "餐桌|Dining Tables|岩板餐桌", "餐椅|Dining Chairs|")),
        Group("家纺/床上用品", "家纺>床品", "家纺-床上用品", "Home Textiles > Bedding", (
            "四件套|Bedding Sets|床品套件", "被子|Duvets|蚕丝被,羽绒被", "枕头|Pillows|乳胶枕",
            "窗帘|Curtains|遮光窗帘", "地毯|Rugs|客厅地毯")),
        Group("家装建材/主材", "家装建材>装修主材", "家装建材-主材", "Home Improvement > Materials", (
            "瓷砖|Tiles|地砖,墙砖", "地板|Flooring|实木地板,强化地板", "乳胶漆|Wall Paint|墙面漆", "墙纸|Wallpaper|壁纸")),
        Group("家装建材/卫浴", "家装建材>卫浴用品", "家装建材-卫浴", "Home Improvement > Bathroom", (
            "马桶|Toilets|智能马桶", "花洒|Shower Sets|淋浴花洒", "浴室柜|Bathroom Vanities|", "水龙头|Faucets|")),
        Group("家装建材/五金电工", "家装建材>五金电工", "家装建材-五金", "Home Improvement > Hardware", (
            "开关插座|Switches & Sockets|", "智能门锁|Smart Door Locks|指纹锁")),
        Group("厨房/橱柜", "家装建材>厨房卫浴>橱柜", "家装建材-橱柜", "Home Improvement > Kitchen", (
            "整体橱柜|Kitchen Cabinets|橱柜定制", "水槽|Kitchen Sinks|")),
    ),
    "photography": (
        Group("数码/相机", "数码>摄影摄像", "数码-相机", "Electronics > Cameras", (
            "微单相机|Mirrorless Cameras|微单", "单反相机|DSLR Cameras|单反", "卡片机|Compact Cameras|数码相机",
            "运动相机|Action Cameras|GoPro", "拍立得|Instant Cameras|一次成像相机")),
        Group("数码/镜头", "数码>摄影摄像>镜头", "数码-镜头", "Cameras > Lenses", (
            "定焦镜头|Prime Lenses|", "变焦镜头|Zoom Lenses|", "广角镜头|Wide-angle Lenses|")),
        Group("数码/摄影配件", "数码>数码配件>摄影配件", "数码-摄影配件", "Cameras > Accessories", (
            "三脚架|Tripods|相机支架", "存储卡|Memory Cards|SD卡,TF卡", "相机包|Camera Bags|摄影包",
            "滤镜|Lens Filters|UV镜", "闪光灯|Camera Flashes|", "相机电池|Camera Batteries|",
            "稳定器|Gimbals|手持云台")),
        Group("数码/无人机", "数码>智能设备>无人机", "数码-航拍", "Electronics > Drones", ("航拍无人机|Camera Drones|无人机",)),
    ),
    "baby": (
        Group("母婴/奶粉辅食", "母婴>奶粉", "母婴-喂养", "Baby > Feeding", (
            "婴儿奶粉|Infant Formula|奶粉,一段奶粉", "奶瓶|Baby Bottles|", "婴儿辅食|Baby Food|米粉",
            "吸奶器|Breast Pumps|")),
        Group("母婴/尿裤湿巾", "母婴>尿裤湿巾", "母婴-尿裤", "Baby > Diapering", (
            "纸尿裤|Diapers|尿不湿", "拉拉裤|Training Pants|", "婴儿湿巾|Baby Wipes|")),
        Group("母婴/童车童床", "母婴>童车童床", "母婴-出行", "Baby > Gear", (
            "婴儿推车|Strollers|婴儿车,伞车", "婴儿床|Cribs|", "儿童安全座椅|Car Seats|安全座椅", "学步车|Baby Walkers|")),
        Group("孕产/孕妇装", "母婴>孕妈专区", "母婴-孕产", "Maternity", (
            "孕妇装|Maternity Clothing|", "防辐射服|Radiation Protection Clothing|", "待产包|Hospital Bags|")),
        Group("玩具/早教", "玩具乐器>益智玩具", "玩具-早教", "Toys > Early Learning", (
            "早教机|Learning Toys|", "积木|Building Blocks|", "毛绒玩具|Plush Toys|", "儿童绘本|Picture Books|绘本")),
        Group("童装/婴儿服", "母婴>婴童服饰", "童装-婴儿装", "Baby > Clothing", ("婴儿连体衣|Baby Rompers|哈衣",
                                                                         "婴儿鞋|Baby Shoes|")),
    ),
    "computer": (
        Group("电脑/笔记本", "电脑办公>电脑整机>笔记本", "电脑-笔记本", "Computers > Laptops", (
            "笔记本电脑|Laptops|轻薄本,游戏本", "二手笔记本|Refurbished Laptops|")),
        Group("电脑/台式机", "电脑办公>电脑整机>台式机", "电脑-台式机", "Computers > Desktops", (
            "台式电脑|Desktop PCs|台式机,一体机", "游戏主机|Gaming PCs|")),
        Group("电脑/配件", "电脑办公>电脑配件", "电脑-配件", "Computers > Components", (
            "显卡|Graphics Cards|", "内存条|Memory Modules|", "固态硬盘|SSDs|SSD", "处理器|CPUs|CPU",
            "主板|Motherboards|")),
        Group("电脑/外设", "电脑办公>外设产品", "电脑-外设", "Computers > Peripherals", (
            "显示器|Monitors|电脑显示器", "机械键盘|Mechanical Keyboards|键盘", "鼠标|Mice|无线鼠标",
            "键盘鼠标套装|Keyboard & Mouse Sets|键鼠套装", "电脑摄像头|Webcams|", "电脑音箱|PC Speakers|")),
        Group("办公/设备", "电脑办公>办公设备", "办公-设备", "Office > Equipment", (
            "打印机|Printers|激光打印机", "路由器|Routers|无线路由器", "移动硬盘|External Hard Drives|")),
    ),
    "car": (
        Group("汽车/整车", "汽车>整车", "汽车-整车", "Autos > Vehicles", (
            "新车|New Cars|汽车整车", "SUV|SUVs|城市SUV", "新能源汽车|Electric Vehicles|纯电动车", "二手车|Used Cars|")),
        Group("汽车用品/轮胎", "汽车用品>轮胎轮毂", "汽车用品-轮胎", "Auto Parts > Tires", (
            "汽车轮胎|Tires|轮胎", "轮毂|Wheels|")),
        Group("汽车用品/车载电器", "汽车用品>车载电器", "汽车用品-车载电器", "Auto > Car Electronics", (
            "行车记录仪|Dash Cams|", "车载充电器|Car Chargers|", "车载导航|Car Navigation|", "车载冰箱|Car Fridges|")),
        Group("汽车用品/内饰", "汽车用品>汽车装饰", "汽车用品-内饰", "Auto > Interior", (
            "汽车脚垫|Car Floor Mats|脚垫", "汽车座套|Car Seat Covers|坐垫", "车载香水|Car Fragrance|汽车香水")),
        Group("汽车用品/养护", "汽车用品>维修保养", "汽车用品-养护", "Auto > Maintenance", (
            "机油|Motor Oil|", "洗车液|Car Wash|", "雨刮器|Wipers|雨刷")),
        Group("汽车服务", "汽车>汽车服务", "汽车-服务", "Auto Services", (
            "驾校报名|Driving School|学车", "汽车保险|Car Insurance|车险", "汽车保养|Car Servicing|4S店保养")),
    ),
    "food": (
        Group("食品/粮油", "食品饮料>粮油调味", "食品-粮油", "Grocery > Staples", (
            "大米|Rice|东北大米", "食用油|Cooking Oil|花生油", "调味品|Condiments|酱油")),
        Group("食品/零食", "食品饮料>休闲食品", "食品-零食", "Grocery > Snacks", (
            "坚果|Nuts|每日坚果", "饼干|Biscuits|", "辣条|Spicy Strips|")),
        Group("生鲜", "生鲜>水果", "生鲜-水果", "Fresh > Fruit", ("苹果|Apples|", "车厘子|Cherries|樱桃", "牛排|Steak|")),
        Group("食品/饮料", "食品饮料>饮料冲调", "食品-饮料", "Grocery > Drinks", (
            "牛奶|Milk|纯牛奶", "茶叶|Tea|绿茶", "咖啡|Coffee|速溶咖啡", "白酒|Baijiu|")),
        Group("外卖", "外卖>餐饮", "外卖-美食", "Food Delivery", ("奶茶|Bubble Tea|", "快餐|Fast Food|", "火锅外卖|Hotpot Delivery|")),
    ),
    "clothing": (
        Group("女装", "服饰内衣>女装", "服饰-女装", "Clothing > Women", (
            "连衣裙|Dresses|碎花裙", "卫衣|Hoodies|", "羽绒服|Down Jackets|")),
        Group("男装", "服饰内衣>男装", "服饰-男装", "Clothing > Men", ("T恤|T-shirts|短袖", "牛仔裤|Jeans|", "夹克|Jackets|")),
        Group("鞋靴", "鞋靴>流行男鞋", "鞋包-鞋靴", "Shoes", ("运动鞋|Sneakers|跑鞋", "女鞋|Women's Shoes|高跟鞋")),
        Group("内衣/袜子", "服饰内衣>内衣", "服饰-内衣", "Clothing > Underwear", ("内衣|Underwear|", "袜子|Socks|")),
    ),
    "beauty": (
        Group("美妆/护肤", "美妆护肤>面部护肤", "美妆-护肤", "Beauty > Skincare", (
            "面膜|Sheet Masks|", "精华液|Serums|精华", "洗面奶|Cleansers|")),
        Group("美妆/彩妆", "美妆护肤>彩妆", "美妆-彩妆", "Beauty > Makeup", ("口红|Lipstick|唇膏", "粉底液|Foundation|")),
        Group("美妆/香水", "美妆护肤>香水", "美妆-香氛", "Beauty > Fragrance", ("女士香水|Perfume|香水",)),
    ),
    "digital": (
        Group("手机", "手机通讯>手机", "手机-手机", "Mobile Phones", ("智能手机|Smartphones|手机,5G手机",)),
        Group("手机配件", "手机通讯>手机配件", "手机-配件", "Mobile Accessories", (
            "手机壳|Phone Cases|", "充电宝|Power Banks|移动电源", "数据线|Charging Cables|")),
        Group("数码/影音", "数码>影音娱乐", "数码-影音", "Electronics > Audio", (
            "蓝牙耳机|Bluetooth Earbuds|耳机", "智能手表|Smartwatches|手表", "平板电脑|Tablets|iPad")),
    ),
    "household": (
        Group("日用百货", "家庭清洁>纸品湿巾", "百货-日用", "Household > Essentials", (
            "抽纸|Tissues|纸巾", "洗衣液|Laundry Detergent|", "收纳箱|Storage Boxes|收纳")),
        Group("厨具", "厨具>烹饪锅具", "厨具-锅具", "Kitchen > Cookware", ("炒锅|Woks|不粘锅", "保温杯|Thermos Cups|")),
        Group("家用电器/小家电", "家用电器>厨房小电", "家电-小家电", "Appliances > Small", (
            "电饭煲|Rice Cookers|", "空气炸锅|Air Fryers|", "扫地机器人|Robot Vacuums|")),
    ),
    "sports": (
        Group("运动/健身", "运动户外>健身训练", "运动-健身", "Sports > Fitness", ("瑜伽垫|Yoga Mats|", "跑步机|Treadmills|",
                                                                     "哑铃|Dumbbells|")),
        Group("运动/户外", "运动户外>户外装备", "运动-户外", "Outdoors", ("帐篷|Tents|", "登山鞋|Hiking Boots|")),
        Group("运动/骑行", "运动户外>骑行运动", "运动-骑行", "Sports > Cycling", ("自行车|Bicycles|山地车,公路车",)),
    ),
    "pets": (
        Group("宠物", "宠物生活>宠物主粮", "宠物-食品", "Pet Supplies", (
            "猫粮|Cat Food|", "狗粮|Dog Food|", "猫砂|Cat Litter|", "宠物玩具|Pet Toys|")),
    ),
    "books": (
        Group("图书", "图书>文学", "图书-文学", "Books", ("小说|Fiction|", "教材教辅|Textbooks|教辅", "考试用书|Exam Prep|")),
    ),
    "travel": (
        Group("旅行/交通", "旅行>交通出行", "旅行-出行", "Travel > Transport", ("机票|Flights|国际机票", "火车票|Train Tickets|")),
        Group("旅行/住宿", "旅行>酒店", "旅行-酒店", "Travel > Hotels", ("酒店预订|Hotel Booking|酒店", "民宿|Homestays|")),
        Group("箱包", "箱包皮具>功能箱包", "箱包-拉杆箱", "Luggage", ("行李箱|Suitcases|拉杆箱",)),
    ),
    "health": (
        Group("医药保健", "医药保健>营养健康", "医药-保健", "Health", (
            "维生素|Vitamins|复合维生素", "感冒药|Cold Medicine|", "医用口罩|Face Masks|口罩")),
    ),
})

#: Median order amount (CNY) per domain.
DOMAIN_MEDIAN_AMOUNT: Final[Mapping[str, float]] = MappingProxyType({
    "home_furnishing": 600, "photography": 900, "baby": 180, "computer": 1200, "car": 400, "food": 60,
    "clothing": 180, "beauty": 150, "digital": 200, "household": 80, "sports": 150, "pets": 120, "books": 45,
    "travel": 600, "health": 80,
})
#: How often a person has each domain as a long-lived interest (female, male).
EVERYDAY_WEIGHT: Final[Mapping[str, tuple[float, float]]] = MappingProxyType({
    "food": (20, 20), "clothing": (18, 10), "beauty": (14, 2), "digital": (8, 14), "household": (10, 7),
    "sports": (4, 9), "pets": (3, 3), "books": (3, 3), "travel": (4, 4), "health": (3, 3),
})
#: How often an episode (weeks to months of interest) is about each domain.
EPISODE_WEIGHT: Final[Mapping[str, float]] = MappingProxyType({
    "home_furnishing": 10, "photography": 6, "baby": 6, "computer": 8, "car": 7, "travel": 8, "sports": 5,
    "digital": 6, "clothing": 4, "beauty": 3, "pets": 3, "books": 2, "household": 4, "food": 1, "health": 2,
})

#: Relative frequency of the spellings of one leaf.
SPELLING_WEIGHTS: Final[Mapping[str, float]] = MappingProxyType({
    "taobao": 30, "jd": 15, "pdd": 10, "leaf": 15, "synonym": 12, "synonym_path": 3, "english_path": 10,
    "english": 5,
})


def spellings(group: Group, leaf: str) -> list[tuple[str, str]]:
    """Every ``(spelling, style)`` of one leaf of ``group`` (styles as in :data:`SPELLING_WEIGHTS`).

    Examples
    --------
    >>> g = DOMAINS["home_furnishing"][0]
    >>> [s for s, _ in spellings(g, g.leaves[0])][:3]
    ['家居/灯具/吸顶灯', '家居日用>灯具>吸顶灯', '家装建材-灯饰照明-吸顶灯']
    """
    zh, en, synonyms = leaf.split("|")
    out = [(f"{group.taobao}/{zh}", "taobao"), (f"{group.jd}>{zh}", "jd"), (f"{group.pdd}-{zh}", "pdd"),
           (zh, "leaf")]
    for synonym in filter(None, synonyms.split(",")):
        out += [(synonym, "synonym"), (f"{group.taobao}/{synonym}", "synonym_path")]
    out += [(f"{group.english} > {en}", "english_path"), (en, "english")]
    return out


def category_vocabulary() -> list[tuple[str, str, float]]:
    """Every category spelling with its domain and relative frequency within the domain.

    Earlier leaves of a group are more common (weight ``1 / (1 + position)``).

    Raises
    ------
    ValueError
        When one spelling would belong to two domains.
    """
    seen: dict[str, str] = {}
    out: dict[str, list] = {}
    for domain, groups in DOMAINS.items():
        for group in groups:
            for position, leaf in enumerate(group.leaves):
                for text, style in spellings(group, leaf):
                    if seen.setdefault(text, domain) != domain:
                        raise ValueError(f"category {text!r} is in {seen[text]} and {domain}")
                    weight = SPELLING_WEIGHTS[style] / (1 + position)
                    if text in out:
                        out[text][2] += weight
                    else:
                        out[text] = [text, domain, weight]
    return [tuple(v) for v in out.values()]  # type: ignore[misc]


def category_domains() -> dict[str, str]:
    """Map every category spelling of the vocabulary to its domain.

    Examples
    --------
    >>> category_domains()["Cameras > Accessories > Tripods"]
    'photography'
    """
    return {text: domain for text, domain, _ in category_vocabulary()}
