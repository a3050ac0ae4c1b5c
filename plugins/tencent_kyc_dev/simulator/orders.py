"""The simulator's synthetic order book: deterministic, realistic getOcrResult records with injected faults.

An order is a pure function of (seed, orders_per_day, rates, day, index). Its number embeds the day, the index
and a keyed checksum, so ``lookup`` regenerates any order in O(1) without per-order state and rejects numbers
it never issued. Faults are dealt by keyed affine shuffles of the day's orders into consecutive quota
segments, so each hits exactly ``round(rate * orders_per_day)`` orders (fewer only if fewer orders can carry
it) instead of a binomial count: tests can compare exact numbers.

Labels in ``SyntheticOrder.injected`` (in this order; each describes the record as served):

- ``completion:front_only`` / ``completion:back_only`` / ``completion:never`` — one side not recognised (its
  code is a 666610xx failure and its fields are absent) / never finished (the server answers 66660020).
- ``late:1`` / ``late:2`` — the OCR completes that many days after the order date (66660020 until then);
  ``operateTime`` is on the completion day.
- ``photo_lag`` — photos empty on the first query, present ~1 s later (the server keeps the time).
- ``empty_crop:frontCrop`` / ``empty_crop:backCrop`` — that crop is empty; the full photo is present.
- ``warning:<side>:<flag>`` — one per bit set in ``<side>MultiWarning`` (= ``<side>WarnCode``); side ``front``
  or ``back``; flag in WARNING_FLAGS (``invalid_date`` only on the back, where the dates are).
- ``multi_warning:<side>`` — that side has two or more bits set. ``rates.warning`` is the share of orders with
  any warning bit; the ``rates.multi_warning`` orders are among them.
- ``expired_card`` — validDate ends before the order date (span still lawful for the age at issue).
- ``inconsistent_validity`` — span not the one the law gives for the age at issue (card not expired).
- ``low_clarity:<side>`` — ``<side>Clarity`` below 40.
- ``unknown_nation`` — a nation outside the 56 (e.g. 穿青人).
- ``birth_mismatch`` — ``birth`` differs from ID digits 7–14 by a few days.
- ``sex_mismatch`` — ``sex`` disagrees with the parity of ID digit 17.
- ``bad_check_digit`` — the 18th ID character is wrong.
- ``duplicate_idcard`` — same person and card as another order of the day (that one is not labelled).

Everything else is valid under the GB 11643 rules; residence permits (81/82/83) are generated like ID cards.
"""

from __future__ import annotations

import enum
import functools
import hashlib
import hmac
import math
import random
from collections import Counter
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from itertools import accumulate

from tencent_kyc.validation.idcard import LONG_TERM, NATIONS, age_on, check_digit, validity_years_for_age
from tencent_kyc.validation.warnings import DOCUMENTED_FLAGS as WARNING_FLAGS

_INDEX_DIGITS = 7
_CHECKSUM_CHARS = 10
ORDER_NO_LENGTH = 8 + _INDEX_DIGITS + _CHECKSUM_CHARS
MAX_ORDERS_PER_DAY = 10**_INDEX_DIGITS


class Completion(enum.Enum):
    """How far the end user got; decides which sides' fields exist."""

    BOTH_SIDES = "both_sides"
    FRONT_ONLY = "front_only"
    BACK_ONLY = "back_only"
    NEVER = "never"

    @property
    def sides(self) -> tuple[str, ...]:
        """The recognised sides, ``front`` before ``back``."""
        return _SIDES[self]


_SIDES = {
    Completion.BOTH_SIDES: ("front", "back"),
    Completion.FRONT_ONLY: ("front",),
    Completion.BACK_ONLY: ("back",),
    Completion.NEVER: (),
}


@dataclass(frozen=True)
class FaultRates:
    """Fractions of a day's orders carrying each fault (see the module docstring for their labels)."""

    front_only: float = 0.02
    back_only: float = 0.01
    never_completed: float = 0.03
    late: float = 0.02
    photo_lag: float = 0.05
    empty_crop: float = 0.03
    warning: float = 0.08
    multi_warning: float = 0.02
    expired_card: float = 0.01
    inconsistent_validity: float = 0.01
    low_clarity: float = 0.02
    unknown_nation: float = 0.002
    birth_mismatch: float = 0.003
    sex_mismatch: float = 0.003
    bad_check_digit: float = 0.002
    duplicate_idcard: float = 0.003

    def __post_init__(self) -> None:
        for spec in fields(self):
            if not 0.0 <= getattr(self, spec.name) <= 1.0:
                raise ValueError(f"FaultRates.{spec.name} must be between 0 and 1")
        if self.front_only + self.back_only + self.never_completed > 1.0:
            raise ValueError("FaultRates: front_only + back_only + never_completed exceed 1")
        if self.multi_warning > self.warning:
            raise ValueError("FaultRates: multi-warning orders are a subset of warning orders")


@dataclass(frozen=True)
class SyntheticOrder:
    """One order as the simulator serves it; ``result`` lacks photos and the envelope fields."""

    order_no: str
    order_date: date
    completion: Completion
    completes_on: date | None
    photo_lag: bool
    empty_crops: frozenset[str]
    result: dict[str, str]
    injected: tuple[str, ...]


# --- Realistic vocabulary -------------------------------------------------------------------------------------

#: Population in 10,000s (2020 census), aligned with NATIONS: 汉 ≈ 91 %.
_NATION_WEIGHTS = (
    *(128631, 629, 1138, 706, 1177, 1107, 983, 1957, 358, 170, 1042, 350, 331, 209, 959, 173, 156, 133, 160, 76),
    *(43, 75, 0.4, 50, 50, 77, 32, 16, 20, 28, 13, 28, 31, 13, 17, 12, 68, 19, 4.4, 4.5, 5.1, 3.7, 1.3, 1.6, 3.4),
    *(2.2, 2.4, 1.5, 3.3, 0.35, 0.7, 0.9, 0.5, 1.1, 0.4, 2.6),
)
_NATION_CUMULATIVE = tuple(accumulate(_NATION_WEIGHTS))
_UNKNOWN_NATIONS = ("穿青人", "革家人", "未识别民族")
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

_FRONT_FAILURES = ("66661006", "66661006", "66661006", "66661001", "66661008")
_BACK_FAILURES = ("66661007", "66661007", "66661007", "66661001", "66661012")
_FRONT_ONLY_FIELDS = frozenset(
    {"name", "sex", "nation", "birth", "address", "idcard", "frontWarnCode", "frontMultiWarning", "frontClarity"}
)
_BACK_ONLY_FIELDS = frozenset({"validDate", "authority", "backWarnCode", "backMultiWarning", "backClarity"})


# --- Deterministic randomness ---------------------------------------------------------------------------------


def _rng(seed: int, day: date, index: int, stream: str) -> random.Random:
    """An RNG for one purpose of one order, identical in every process (no ``hash()``, no global state)."""
    digest = hashlib.blake2b(f"{seed}|{day.isoformat()}|{index}|{stream}".encode(), digest_size=16).digest()
    return random.Random(int.from_bytes(digest))


@dataclass(frozen=True)
class _Shuffle:
    """A keyed affine permutation of the positions ``lo ≤ p < lo + size``: O(1) both ways, no tables."""

    lo: int
    size: int
    mul: int
    add: int

    @classmethod
    def keyed(cls, rng: random.Random, lo: int, size: int) -> _Shuffle:
        mul = 1
        while size > 2 and (mul == 1 or math.gcd(mul, size) != 1):
            mul = rng.randrange(2, size)
        return cls(lo, size, mul, rng.randrange(size) if size else 0)

    def rank(self, position: int) -> int | None:
        """Where ``position`` lands in the shuffled order, or None when it is outside the range."""
        offset = position - self.lo
        return (offset * self.mul + self.add) % self.size if 0 <= offset < self.size else None

    def position(self, rank: int) -> int:
        return self.lo + (rank - self.add) * pow(self.mul, -1, self.size) % self.size


@dataclass(frozen=True)
class _Family:
    """Mutually exclusive faults dealt to consecutive rank segments of one shuffle."""

    shuffle: _Shuffle
    labels: tuple[str, ...]
    ends: tuple[int, ...]

    def pick(self, position: int) -> str | None:
        rank = self.shuffle.rank(position)
        if rank is None:
            return None
        return next((label for label, end in zip(self.labels, self.ends, strict=True) if rank < end), None)


@dataclass(frozen=True)
class _DayPlan:
    """Where each fault falls on one day. Orders sit at ``completion.rank(index)``, laid out as
    [never | front only | both sides | back only], so the orders able to carry a fault form one range."""

    completion: _Shuffle
    never: int
    front_only: int
    back_only: int
    families: dict[str, _Family]

    def sides(self, position: int) -> Completion:
        if position < self.never:
            return Completion.NEVER
        if position < self.never + self.front_only:
            return Completion.FRONT_ONLY
        if position >= self.completion.size - self.back_only:
            return Completion.BACK_ONLY
        return Completion.BOTH_SIDES


@functools.lru_cache(maxsize=64)
def _plan(seed: int, orders: int, rates: FaultRates, day: date) -> _DayPlan:
    rng = _rng(seed, day, -1, f"plan|{orders}")

    def quota(rate: float) -> int:
        return round(rate * orders)

    never = quota(rates.never_completed)
    front_only = min(quota(rates.front_only), orders - never)
    back_only = min(quota(rates.back_only), orders - never - front_only)
    ranges = {
        "any": (never, orders - never),
        "front": (never, orders - never - back_only),
        "back": (never + front_only, orders - never - front_only),
    }
    # A family's faults exclude each other: each takes the ranks up to its cumulative share, so that rounding
    # never shifts a family's total.
    r = rates
    layout = {
        "late": ("any", {"late": r.late}),
        "photo_lag": ("any", {"photo_lag": r.photo_lag}),
        "empty_crop": ("any", {"empty_crop": r.empty_crop}),
        "warning": ("any", {"multi_warning": r.multi_warning, "warning": r.warning}),
        "low_clarity": ("any", {"low_clarity": r.low_clarity}),
        "validity": (
            "back",
            {"expired_card": r.expired_card, "inconsistent_validity": r.expired_card + r.inconsistent_validity},
        ),
        "unknown_nation": ("front", {"unknown_nation": r.unknown_nation}),
        "birth_mismatch": ("front", {"birth_mismatch": r.birth_mismatch}),
        "sex_mismatch": ("front", {"sex_mismatch": r.sex_mismatch}),
        "identity": (
            "front",
            {"duplicate_idcard": r.duplicate_idcard, "bad_check_digit": r.duplicate_idcard + r.bad_check_digit},
        ),
    }
    families = {
        family: _Family(_Shuffle.keyed(rng, *ranges[scope]), tuple(ends), tuple(quota(end) for end in ends.values()))
        for family, (scope, ends) in layout.items()
    }
    return _DayPlan(_Shuffle.keyed(rng, 0, orders), never, front_only, back_only, families)


# --- People and cards -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Person:
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


def _valid_date(issue: date, span: int | None) -> str:
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


def _expired_card(rng: random.Random, birth: date, today: date) -> tuple[date, int]:
    """The latest lawful card the holder could have let lapse (holders are at least six years old)."""
    for years in range(min(age_on(birth, today), 45), -1, -1):
        anniversary = birth.replace(year=birth.year + years, day=min(birth.day, 28))
        issue = _not_leap_day(anniversary + timedelta(days=rng.randint(1, 330)))
        span = validity_years_for_age(age_on(birth, issue))
        if span is not None and _expiry(issue, span) < today:
            return issue, span
    raise AssertionError("holders are at least six years old")


def _inconsistent_card(rng: random.Random, birth: date, today: date) -> tuple[date, int | None]:
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


def _person(seed: int, day: date, index: int) -> _Person:
    """The holder of order ``index``; ages are relative to the order date ``day``."""
    rng = _rng(seed, day, index, "person")
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
    return _Person(
        _name(rng, sex, nation), sex, nation, birth, address, first17 + check_digit(first17), authority, issue, span
    )


# --- Orders -----------------------------------------------------------------------------------------------------


def _bitmap(flags: set[str]) -> str:
    return "".join("1" if flag in flags else "0" for flag in WARNING_FLAGS) + "00"


def _generate(seed: int, orders: int, rates: FaultRates, day: date, index: int, order_no: str) -> SyntheticOrder:
    plan = _plan(seed, orders, rates, day)
    position = plan.completion.rank(index)
    assert position is not None
    completion = plan.sides(position)
    if completion is Completion.NEVER:
        return SyntheticOrder(order_no, day, completion, None, False, frozenset(), {}, ("completion:never",))
    fault = {family: spec.pick(position) for family, spec in plan.families.items()}
    rng = _rng(seed, day, index, "order")
    sides = completion.sides
    labels = [] if completion is Completion.BOTH_SIDES else [f"completion:{completion.value}"]

    completes_on = day
    if fault["late"]:
        delay = rng.choice((1, 2))
        completes_on += timedelta(days=delay)
        labels.append(f"late:{delay}")
    if fault["photo_lag"]:
        labels.append("photo_lag")
    empty_crops: frozenset[str] = frozenset()
    if fault["empty_crop"]:
        crop = f"{rng.choice(sides)}Crop"
        empty_crops = frozenset({crop})
        labels.append(f"empty_crop:{crop}")

    warnings: dict[str, set[str]] = {"front": set(), "back": set()}
    if fault["warning"]:
        side = rng.choice(sides)
        choices = [flag for flag in WARNING_FLAGS if side == "back" or flag != "invalid_date"]
        warnings[side].update(
            rng.sample(choices, rng.choice((2, 2, 2, 3)) if fault["warning"] == "multi_warning" else 1)
        )
        labels += [f"warning:{side}:{flag}" for flag in WARNING_FLAGS if flag in warnings[side]]
        if len(warnings[side]) > 1:
            labels.append(f"multi_warning:{side}")

    person = _person(seed, day, index)
    identity = plan.families["identity"]
    if fault["identity"] == "duplicate_idcard" and identity.ends[-1] < identity.shuffle.size:
        # The twin is any other recognised front outside the identity faults, so its number is intact.
        twin_position = identity.shuffle.position(rng.randrange(identity.ends[-1], identity.shuffle.size))
        person = _person(seed, day, plan.completion.position(twin_position))
    elif fault["identity"] == "duplicate_idcard":
        fault["identity"] = None
    issue, span = person.issue, person.span
    if fault["validity"] == "expired_card":
        issue, span = _expired_card(rng, person.birth, day)
    elif fault["validity"] == "inconsistent_validity":
        issue, span = _inconsistent_card(rng, person.birth, day)
    if fault["validity"]:
        labels.append(fault["validity"])

    clarity = {side: int(rng.triangular(40, 95, 72)) for side in ("front", "back")}
    if fault["low_clarity"]:
        side = rng.choice(sides)
        clarity[side] = rng.randint(8, 39)
        labels.append(f"low_clarity:{side}")

    nation, sex, birth, idcard = person.nation, person.sex, person.birth, person.idcard
    if fault["unknown_nation"]:
        nation = rng.choice(_UNKNOWN_NATIONS)
        labels.append("unknown_nation")
    if fault["birth_mismatch"]:
        birth += timedelta(days=rng.choice((-1, 1)) * rng.randint(1, 30))
        labels.append("birth_mismatch")
    if fault["sex_mismatch"]:
        sex = "女" if sex == "男" else "男"
        labels.append("sex_mismatch")
    if fault["identity"] == "bad_check_digit":
        idcard = idcard[:17] + rng.choice([char for char in "0123456789X" if char != idcard[17]])
    if fault["identity"]:
        labels.append(fault["identity"])

    operated = datetime.combine(completes_on, datetime.min.time()) + timedelta(
        seconds=int(rng.triangular(0, 86_399, 15 * 3600))
    )
    values = {
        "orderNo": order_no,
        "frontCode": "0" if "front" in sides else rng.choice(_FRONT_FAILURES),
        "backCode": "0" if "back" in sides else rng.choice(_BACK_FAILURES),
        "name": person.name,
        "sex": sex,
        "nation": nation,
        "birth": f"{birth:%Y%m%d}",
        "address": person.address,
        "idcard": idcard,
        "validDate": _valid_date(issue, span),
        "authority": person.authority,
        "operateTime": f"{operated:%Y-%m-%d %H:%M:%S}",
        "frontWarnCode": _bitmap(warnings["front"]),
        "backWarnCode": _bitmap(warnings["back"]),
        "frontMultiWarning": _bitmap(warnings["front"]),
        "backMultiWarning": _bitmap(warnings["back"]),
        "frontClarity": str(clarity["front"]),
        "backClarity": str(clarity["back"]),
    }
    absent = (set() if "front" in sides else _FRONT_ONLY_FIELDS) | (set() if "back" in sides else _BACK_ONLY_FIELDS)
    result = {key: value for key, value in values.items() if key not in absent}
    return SyntheticOrder(
        order_no, day, completion, completes_on, bool(fault["photo_lag"]), empty_crops, result, tuple(labels)
    )


class OrderBook:
    """All orders of any day for one seed. Holds no per-order state: every answer is recomputed."""

    def __init__(self, seed: int = 20240601, orders_per_day: int = 1000, rates: FaultRates = FaultRates()) -> None:
        if not 1 <= orders_per_day <= MAX_ORDERS_PER_DAY:
            raise ValueError(f"orders_per_day must be between 1 and {MAX_ORDERS_PER_DAY}")
        self.seed = seed
        self.orders_per_day = orders_per_day
        self.rates = rates
        key = hashlib.blake2b(f"tencent-kyc-simulator|{seed}".encode(), digest_size=32).digest()
        self._checksum = hashlib.blake2b(key=key, digest_size=_CHECKSUM_CHARS // 2)

    def _number(self, body: str) -> str:
        checksum = self._checksum.copy()
        checksum.update(body.encode())
        return body + checksum.hexdigest()

    def order_numbers(self, day: date) -> list[str]:
        """The day's order numbers: ``yyyymmdd``, a 7-digit index and a 10-hex-digit keyed checksum."""
        stamp = f"{day:%Y%m%d}"
        return [self._number(f"{stamp}{index:07d}") for index in range(self.orders_per_day)]

    def lookup(self, order_no: str) -> SyntheticOrder | None:
        """The order behind ``order_no``, or None for any number this book did not issue."""
        if len(order_no) != ORDER_NO_LENGTH or not order_no.isascii():
            return None
        body = order_no[: 8 + _INDEX_DIGITS]
        if not body.isdigit() or not hmac.compare_digest(self._number(body), order_no):
            return None
        index = int(body[8:])
        try:
            day = date(int(body[:4]), int(body[4:6]), int(body[6:8]))
        except ValueError:
            return None
        if index >= self.orders_per_day:
            return None
        return _generate(self.seed, self.orders_per_day, self.rates, day, index, order_no)

    def injected_counts(self, day: date) -> dict[str, int]:
        """Label → number of the day's orders carrying it (regenerates the whole day)."""
        counts: Counter[str] = Counter()
        for index, order_no in enumerate(self.order_numbers(day)):
            counts.update(_generate(self.seed, self.orders_per_day, self.rates, day, index, order_no).injected)
        return dict(counts)
