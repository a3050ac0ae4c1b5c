"""Synthetic card holders: names, nations, addresses and GB 11643 ID numbers that agree with each other."""

from __future__ import annotations

import random
from datetime import date, timedelta

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"

#: GB/T 3304 order, printed on cards without 族.
NATIONS = (
    "汉 蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 拉祜 水 东乡 纳西 景颇 "
    "柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 塔吉克 怒 乌孜别克 俄罗斯 鄂温克 德昂 保安 裕固 京 "
    "塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺"
).split()

#: Province prefix → (name, county-level code, city, district) used to build coherent addresses.
PROVINCES = {
    "11": ("北京市", "110105", "北京市", "朝阳区"),
    "31": ("上海市", "310104", "上海市", "徐汇区"),
    "32": ("江苏省", "320102", "南京市", "玄武区"),
    "33": ("浙江省", "330106", "杭州市", "西湖区"),
    "37": ("山东省", "370102", "济南市", "历下区"),
    "41": ("河南省", "410105", "郑州市", "金水区"),
    "42": ("湖北省", "420106", "武汉市", "武昌区"),
    "44": ("广东省", "440305", "深圳市", "南山区"),
    "45": ("广西壮族自治区", "450103", "南宁市", "青秀区"),
    "51": ("四川省", "510104", "成都市", "锦江区"),
    "53": ("云南省", "530102", "昆明市", "五华区"),
    "65": ("新疆维吾尔自治区", "650102", "乌鲁木齐市", "天山区"),
}
#: Hong Kong / Macau / Taiwan residents' residence permits (港澳台居民居住证).
PERMITS = {"81": "810000", "82": "820000", "83": "830000"}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬斌宇浩凯健俊帆帅旭宁龙林欣怡佳琪雨涵子轩梓萱晨阳博文"
STREETS = ("人民路", "解放路", "中山路", "建设大道", "和平街", "文化路", "新华路", "长江路", "科技园路", "滨江大道")


def check_digit(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of a GB 11643 number."""
    return CHECK_CHARS[sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def id_number(region: str, birth: date, male: bool, rng: random.Random) -> str:
    sequence = rng.randrange(0, 100) * 10 + rng.choice((1, 3, 5, 7, 9) if male else (0, 2, 4, 6, 8))
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_digit(first17)


def validity_years(age_at_issue: int) -> int | None:
    """Resident ID Card Law art. 5: <16 → 5 years, 16–25 → 10, 26–45 → 20, 46+ → long-term (None)."""
    if age_at_issue < 16:
        return 5
    if age_at_issue <= 25:
        return 10
    if age_at_issue <= 45:
        return 20
    return None


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def make_person(rng: random.Random, order_date: date) -> dict[str, str]:
    """A coherent card: birth and sex encoded in the ID, address in its province, valid dates for the age."""
    male = rng.random() < 0.5
    birth = order_date - timedelta(days=rng.randrange(11 * 365, 80 * 365))
    permit = rng.random() < 0.01
    if permit:
        prefix = rng.choice(sorted(PERMITS))
        region, province, city, district = PERMITS[prefix], "广东省", "深圳市", "福田区"
    else:
        prefix = rng.choice(sorted(PROVINCES))
        province, region, city, district = PROVINCES[prefix]
    nation = "汉" if rng.random() < 0.91 else rng.choice(NATIONS[1:])
    # An issue date that keeps the card valid on the order date, consistent with the age at issue.
    while True:
        issued = order_date - timedelta(days=rng.randrange(30, 20 * 365))
        if issued <= birth:
            continue
        years = 5 if permit else validity_years(age_on(birth, issued))  # permits are valid 5 years
        if years is None or add_years(issued, years) > order_date:
            break
    end = "长期" if years is None else f"{add_years(issued, years):%Y%m%d}"
    return {
        "name": rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))),
        "sex": "男" if male else "女",
        "nation": nation,
        "birth": f"{birth:%Y%m%d}",
        "address": f"{province}{city}{district}{rng.choice(STREETS)}{rng.randrange(1, 999)}号",
        "idcard": id_number(region, birth, male, rng),
        "validDate": f"{issued:%Y%m%d}-{end}",
        "authority": f"{city}公安局{district}分局",
    }
