"""The simulator's synthetic card holders: realistic people and the ID cards they carry, deterministically.

A person is a pure function of (seed, order date, order index), drawn from an RNG keyed on them
(:func:`keyed_rng`, which the order book also draws its faults from): a name fitting the nation, an address
with the bureau that issued the card, a GB 11643 ID number, a birth date relative to the order date, and a
current card with the validity span the ID Card Law gives for the age at issue. The order book (orders.py)
decides which orders carry an expired or inconsistent card instead (:func:`expired_card`,
:func:`inconsistent_card`) and which fields it then breaks.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate

from tencent_kyc.validation.idcard import LONG_TERM, NATIONS, age_on, check_digit, validity_years_for_age

# --- Deterministic randomness ---------------------------------------------------------------------------------


def keyed_rng(seed: int, day: date, index: int, stream: str) -> random.Random:
    """An RNG for one purpose of one order, identical in every process (no ``hash()``, no global state)."""
    digest = hashlib.blake2b(f"{seed}|{day.isoformat()}|{index}|{stream}".encode(), digest_size=16).digest()
    return random.Random(int.from_bytes(digest))


# --- Realistic vocabulary -------------------------------------------------------------------------------------

#: Population in 10,000s (2020 census), aligned with NATIONS: 汉 ≈ 91 %.
_NATION_WEIGHTS = (
    *(128631, 629, 1138, 706, 1177, 1107, 983, 1957, 358, 170, 1042, 350, 331, 209, 959, 173, 156, 133, 160, 76),
    *(43, 75, 0.4, 50, 50, 77, 32, 16, 20, 28, 13, 28, 31, 13, 17, 12, 68, 19, 4.4, 4.5, 5.1, 3.7, 1.3, 1.6, 3.4),
    *(2.2, 2.4, 1.5, 3.3, 0.35, 0.7, 0.9, 0.5, 1.1, 0.4, 2.6),
)
_NATION_CUMULATIVE = tuple(accumulate(_NATION_WEIGHTS))
UNKNOWN_NATIONS = ("穿青人", "革家人", "未识别民族")
_TURKIC_NATIONS = frozenset({"维吾尔", "哈萨克", "柯尔克孜", "塔吉克", "乌孜别克", "塔塔尔"})

#: prefix → (population in millions, province as written in addresses, "city:district district|…").
#: Municipalities and the SARs have no city level; districts ending in 市/县 get their own 公安局.
_PLACES = {
    "11": (21.9, "北京市", ":东城区 西城区 朝阳区 海淀区 丰台区 通州区"),
    "12": (13.9, "天津市", ":和平区 河西区 南开区 滨海新区"),
    "13": (74.6, "河北省", "石家庄市:长安区 桥西区 正定县|保定市:竞秀区 莲池区|唐山市:路北区 丰润区"),
    "14": (34.9, "山西省", "太原市:小店区 迎泽区|大同市:平城区 云冈区"),
    "15": (24.0, "内蒙古自治区", "呼和浩特市:新城区 赛罕区|包头市:昆都仑区 青山区"),
    "21": (42.6, "辽宁省", "沈阳市:和平区 沈河区 皇姑区|大连市:中山区 甘井子区"),
    "22": (24.1, "吉林省", "长春市:朝阳区 南关区|吉林市:船营区 丰满区"),
    "23": (31.9, "黑龙江省", "哈尔滨市:南岗区 道里区 香坊区|齐齐哈尔市:龙沙区 建华区"),
    "31": (24.9, "上海市", ":黄浦区 徐汇区 浦东新区 闵行区 静安区"),
    "32": (84.7, "江苏省", "南京市:玄武区 鼓楼区 江宁区|苏州市:姑苏区 吴中区 昆山市"),
    "33": (64.6, "浙江省", "杭州市:西湖区 上城区 余杭区|宁波市:海曙区 鄞州区|温州市:鹿城区 瑞安市"),
    "34": (61.0, "安徽省", "合肥市:蜀山区 包河区|芜湖市:镜湖区 弋江区"),
    "35": (41.5, "福建省", "福州市:鼓楼区 台江区|厦门市:思明区 湖里区|泉州市:丰泽区 晋江市"),
    "36": (45.2, "江西省", "南昌市:东湖区 西湖区|赣州市:章贡区 南康区"),
    "37": (101.5, "山东省", "济南市:历下区 槐荫区|青岛市:市南区 崂山区 黄岛区|潍坊市:奎文区 寿光市"),
    "41": (99.4, "河南省", "郑州市:金水区 中原区 二七区|洛阳市:西工区 涧西区|南阳市:卧龙区 邓州市"),
    "42": (57.8, "湖北省", "武汉市:武昌区 洪山区 江汉区|宜昌市:西陵区 夷陵区"),
    "43": (66.4, "湖南省", "长沙市:岳麓区 芙蓉区 天心区|衡阳市:雁峰区 蒸湘区"),
    "44": (126.0, "广东省", "广州市:天河区 越秀区 海珠区 番禺区|深圳市:福田区 南山区 宝安区|佛山市:禅城区 顺德区"),
    "45": (50.1, "广西壮族自治区", "南宁市:青秀区 兴宁区|柳州市:城中区 鱼峰区"),
    "46": (10.1, "海南省", "海口市:龙华区 美兰区|三亚市:天涯区 吉阳区"),
    "50": (32.1, "重庆市", ":渝中区 江北区 沙坪坝区 万州区"),
    "51": (83.7, "四川省", "成都市:锦江区 武侯区 成华区|绵阳市:涪城区 游仙区|南充市:顺庆区 阆中市"),
    "52": (38.6, "贵州省", "贵阳市:南明区 云岩区|遵义市:红花岗区 汇川区"),
    "53": (47.2, "云南省", "昆明市:五华区 盘龙区|大理白族自治州:大理市 祥云县"),
    "54": (3.6, "西藏自治区", "拉萨市:城关区 堆龙德庆区|日喀则市:桑珠孜区"),
    "61": (39.5, "陕西省", "西安市:雁塔区 碑林区 未央区|宝鸡市:渭滨区 金台区"),
    "62": (25.0, "甘肃省", "兰州市:城关区 七里河区|天水市:秦州区 麦积区"),
    "63": (5.9, "青海省", "西宁市:城中区 城西区|海东市:乐都区 平安区"),
    "64": (7.2, "宁夏回族自治区", "银川市:兴庆区 金凤区|吴忠市:利通区 青铜峡市"),
    "65": (25.9, "新疆维吾尔自治区", "乌鲁木齐市:天山区 沙依巴克区|喀什地区:喀什市 疏附县"),
    "81": (0.0, "香港特别行政区", ":中西区 湾仔区 九龙城区 沙田区"),
    "82": (0.0, "澳门特别行政区", ":花地玛堂区 风顺堂区 大堂区"),
    "83": (0.0, "台湾省", "台北市:大安区 信义区|高雄市:苓雅区 前镇区"),
}
_MAINLAND = tuple(prefix for prefix, (population, _, _) in _PLACES.items() if population)
_MAINLAND_CUMULATIVE = tuple(accumulate(_PLACES[prefix][0] for prefix in _MAINLAND))
_CITIES = {
    prefix: tuple((city, tuple(districts.split())) for city, districts in (part.split(":") for part in spec.split("|")))
    for prefix, (_, _, spec) in _PLACES.items()
}
#: Residence permits are issued by the mainland bureau where the holder lives.
_PERMIT_AUTHORITIES = {
    "81": ("深圳市公安局福田分局", "广州市公安局天河分局"),
    "82": ("珠海市公安局香洲分局",),
    "83": ("厦门市公安局思明分局", "福州市公安局鼓楼分局"),
}
_PERMIT_RATE = 0.005
_STREETS = ("人民路", "解放路", "中山路", "建设路", "和平路", "新华街", "文化路", "胜利路", "长江路", "幸福路")
_TOWNS = ("城关镇", "新集镇", "石桥镇", "白沙镇", "三河镇", "柳林镇")
_VILLAGES = ("王庄", "李家", "杨柳", "大桥", "东山", "河西", "前进")

_SURNAMES: tuple[str, ...] = (*"王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩邓冯曹", "欧阳", "司马")
_SURNAME_CUMULATIVE = tuple(accumulate((*range(64, 34, -1), 1, 1)))
_GIVEN = {
    "男": "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林洋志建国",
    "女": "芳娜敏静丽艳娟霞燕玲桂英秀兰梅琳婷雪慧颖欣倩晶莉妍瑶佳怡萍红月洁",
}
_TURKIC_GIVEN = {
    "男": ("买买提", "艾力", "阿不都", "吐尔逊", "艾尔肯", "努尔兰", "热合曼"),
    "女": ("阿依古丽", "古丽娜尔", "热依拉", "迪丽拜尔", "努尔古丽", "帕提古丽"),
}
_TIBETAN_GIVEN = {
    "男": ("扎西", "次仁", "多吉", "格桑", "平措", "顿珠"),
    "女": ("卓玛", "央金", "拉姆", "德吉", "格桑", "次仁"),
}


# --- People and cards -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """A card holder and the card they currently carry (valid on the order date)."""

    name: str
    sex: str
    nation: str
    birth: date
    address: str
    idcard: str
    authority: str
    issue: date
    span: int | None


def _not_leap_day(day: date) -> date:
    """Issue dates avoid 29 February, so that adding whole years to them is unambiguous."""
    return day - timedelta(days=1) if (day.month, day.day) == (2, 29) else day


def _expiry(issue: date, span: int) -> date:
    return issue.replace(year=issue.year + span)


def valid_date(issue: date, span: int | None) -> str:
    end = LONG_TERM if span is None else _expiry(issue, span).strftime("%Y%m%d")
    return f"{issue:%Y%m%d}-{end}"


def _current_card(rng: random.Random, birth: date, today: date) -> tuple[date, int | None]:
    """A card issued in the last 20 years, with the span the law gives, still valid ``today``."""
    for _ in range(8):
        issue = _not_leap_day(today - timedelta(days=rng.randint(1, 20 * 365)))
        if issue > birth:
            span = validity_years_for_age(age_on(birth, issue))
            if span is None or _expiry(issue, span) > today:
                return issue, span
    issue = _not_leap_day(today - timedelta(days=rng.randint(1, 365)))
    return issue, validity_years_for_age(age_on(birth, issue))


def expired_card(rng: random.Random, birth: date, today: date) -> tuple[date, int]:
    """The latest lawful card the holder could have let lapse (holders are at least six years old)."""
    for years in range(min(age_on(birth, today), 45), -1, -1):
        anniversary = birth.replace(year=birth.year + years, day=min(birth.day, 28))
        issue = _not_leap_day(anniversary + timedelta(days=rng.randint(1, 330)))
        span = validity_years_for_age(age_on(birth, issue))
        if span is not None and _expiry(issue, span) < today:
            return issue, span
    raise AssertionError("holders are at least six years old")


def inconsistent_card(rng: random.Random, birth: date, today: date) -> tuple[date, int | None]:
    """A card issued within four years (so no span has run out) with a span the law does not give."""
    issue = _not_leap_day(today - timedelta(days=rng.randint(1, 4 * 365)))
    lawful = validity_years_for_age(age_on(birth, issue))
    return issue, rng.choice([span for span in (5, 10, 20, None) if span != lawful])


def _name(rng: random.Random, sex: str, nation: str) -> str:
    if nation in _TURKIC_NATIONS:
        return f"{rng.choice(_TURKIC_GIVEN[sex])}·{rng.choice(_TURKIC_GIVEN['男'])}"
    if nation == "藏":
        return rng.choice(_TIBETAN_GIVEN[sex]) + rng.choice(_TIBETAN_GIVEN[sex])
    surname = rng.choices(_SURNAMES, cum_weights=_SURNAME_CUMULATIVE)[0]
    return surname + "".join(rng.choices(_GIVEN[sex], k=rng.choice((1, 2, 2, 2))))


def _address(rng: random.Random, prefix: str) -> tuple[str, str]:
    """An address in the province of ``prefix`` and the bureau that issued the card."""
    city, districts = rng.choice(_CITIES[prefix])
    district = rng.choice(districts)
    if rng.random() < 0.25 and prefix not in _PERMIT_AUTHORITIES:
        place = f"{rng.choice(_TOWNS)}{rng.choice(_VILLAGES)}村{rng.randint(1, 12)}组{rng.randint(1, 99)}号"
    else:
        place = f"{rng.choice(_STREETS)}{rng.randint(1, 999)}号"
        if rng.random() < 0.6:
            place += f"{rng.randint(1, 30)}栋{rng.randint(1, 6)}单元{rng.randint(1, 30):02d}{rng.randint(1, 4):02d}室"
    if prefix in _PERMIT_AUTHORITIES:
        authority = rng.choice(_PERMIT_AUTHORITIES[prefix])
    elif district.endswith(("市", "县")):
        authority = f"{district}公安局"
    else:
        authority = f"{city or _PLACES[prefix][1]}公安局{district.removesuffix('区').removesuffix('新')}分局"
    return f"{_PLACES[prefix][1]}{city}{district}{place}", authority


def card_holder(seed: int, day: date, index: int) -> Person:
    """The holder of order ``index``; ages are relative to the order date ``day``."""
    rng = keyed_rng(seed, day, index, "person")
    if rng.random() < _PERMIT_RATE:
        prefix = rng.choice(("81", "81", "82", "83", "83"))
        region, nation = f"{prefix}0000", "汉"
    else:
        prefix = rng.choices(_MAINLAND, cum_weights=_MAINLAND_CUMULATIVE)[0]
        region = f"{prefix}{rng.randint(1, 20):02d}{rng.randint(1, 30):02d}"
        nation = rng.choices(NATIONS, cum_weights=_NATION_CUMULATIVE)[0]
    sex = rng.choice(("男", "女"))
    # Mostly adults (16–80, peaking around 30); 3 % are children of 6–15 with their 5-year cards.
    if rng.random() < 0.03:
        days_old = rng.randint(6 * 366, 16 * 365 - 1)
    else:
        days_old = int(rng.triangular(16 * 366, 80 * 365, 30 * 365))
    birth = day - timedelta(days=days_old)
    sequence = rng.randrange(100) * 10 + rng.choice((1, 3, 5, 7, 9) if sex == "男" else (0, 2, 4, 6, 8))
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    address, authority = _address(rng, prefix)
    issue, span = _current_card(rng, birth, day)
    return Person(
        _name(rng, sex, nation), sex, nation, birth, address, first17 + check_digit(first17), authority, issue, span
    )
