"""Chinese resident ID-card rules (GB 11643-1999, GB/T 3304, the ID Card Law, art. 5).

The validator checks returned data with these and the simulator generates its cards with the very same ones,
so they are pure data and functions with no dependency on either.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, timedelta
from types import MappingProxyType

#: ISO 7064 MOD 11-2 weights of digits 1–17: 2^(18 − position) mod 11.
_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_CHECK_CHARS = "10X98765432"

#: The end token of a long-term (长期) validity period, as in ``20151027-长期``.
LONG_TERM = "长期"

_NUMBER = re.compile(r"[0-9]{17}[0-9Xx]")
_DATE = re.compile(r"[0-9]{8}")

#: First two digits → province (GB/T 2260), plus the Hong Kong / Macau / Taiwan residence permits (810000,
#: 820000, 830000 prefixes). 71 (台湾 in GB/T 2260) is left out: mainland cards never carry it.
PROVINCE_CODES: Mapping[str, str] = MappingProxyType(
    {
        "11": "北京",
        "12": "天津",
        "13": "河北",
        "14": "山西",
        "15": "内蒙古",
        "21": "辽宁",
        "22": "吉林",
        "23": "黑龙江",
        "31": "上海",
        "32": "江苏",
        "33": "浙江",
        "34": "安徽",
        "35": "福建",
        "36": "江西",
        "37": "山东",
        "41": "河南",
        "42": "湖北",
        "43": "湖南",
        "44": "广东",
        "45": "广西",
        "46": "海南",
        "50": "重庆",
        "51": "四川",
        "52": "贵州",
        "53": "云南",
        "54": "西藏",
        "61": "陕西",
        "62": "甘肃",
        "63": "青海",
        "64": "宁夏",
        "65": "新疆",
        "81": "香港",
        "82": "澳门",
        "83": "台湾",
    }
)

#: Prefixes of the Hong Kong / Macau / Taiwan residence permits (港澳台居民居住证), valid five years at any age.
RESIDENCE_PERMIT_PREFIXES = frozenset({"81", "82", "83"})
RESIDENCE_PERMIT_YEARS = 5

#: The 56 nationalities in GB/T 3304-1991 code order (NATIONS[0] is code 01), printed without 族 as on the card.
NATIONS: tuple[str, ...] = (
    "汉",
    "蒙古",
    "回",
    "藏",
    "维吾尔",
    "苗",
    "彝",
    "壮",
    "布依",
    "朝鲜",
    "满",
    "侗",
    "瑶",
    "白",
    "土家",
    "哈尼",
    "哈萨克",
    "傣",
    "黎",
    "傈僳",
    "佤",
    "畲",
    "高山",
    "拉祜",
    "水",
    "东乡",
    "纳西",
    "景颇",
    "柯尔克孜",
    "土",
    "达斡尔",
    "仫佬",
    "羌",
    "布朗",
    "撒拉",
    "毛南",
    "仡佬",
    "锡伯",
    "阿昌",
    "普米",
    "塔吉克",
    "怒",
    "乌孜别克",
    "俄罗斯",
    "鄂温克",
    "德昂",
    "保安",
    "裕固",
    "京",
    "塔塔尔",
    "独龙",
    "鄂伦春",
    "赫哲",
    "门巴",
    "珞巴",
    "基诺",
)


def check_digit(first17: str) -> str:
    """The 18th character of the ID number whose first 17 digits are ``first17`` (``0``–``9`` or ``X``)."""
    if len(first17) != 17 or not (first17.isascii() and first17.isdigit()):
        raise ValueError("an ID number's first 17 characters must be ASCII digits")
    return _CHECK_CHARS[sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True)) % 11]


def is_well_formed(number: str) -> bool:
    """17 ASCII digits and a digit or ``X`` (``x`` accepted: people and some OCR engines write it lower case)."""
    return _NUMBER.fullmatch(number) is not None


def is_valid_check_digit(number: str) -> bool:
    """A well-formed number whose 18th character is the MOD 11-2 check character of the first 17."""
    return is_well_formed(number) and check_digit(number[:17]) == number[17].upper()


def parse_date(text: str) -> date | None:
    """``yyyyMMdd`` → date; None unless exactly 8 ASCII digits naming a real day (``strptime`` takes ``198811``)."""
    if _DATE.fullmatch(text) is None:
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def validity_ends(start: date, years: int) -> frozenset[date]:
    """The end dates of a ``years``-year card starting on ``start``: the same month-day, and for a 29 February
    start in a common year both 28 February and 1 March (which one is printed is not documented)."""
    if start.year + years > date.max.year:
        return frozenset()
    try:
        return frozenset({start.replace(year=start.year + years)})
    except ValueError:
        feb28 = start.replace(year=start.year + years, day=28)
        return frozenset({feb28, feb28 + timedelta(days=1)})


def age_on(birth: date, day: date) -> int:
    """Whole years of age on ``day``; someone born on 29 February ages on 1 March in common years."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


#: The fixed validity spans of art. 5 (the fourth is 长期).
FIXED_VALIDITY_YEARS = (5, 10, 20)


def validity_years_for_age(age_at_issue: int) -> int | None:
    """Years a card issued at ``age_at_issue`` is valid for by law (5, 10 or 20); ``None`` means 长期."""
    if age_at_issue < 0:
        raise ValueError("age at issue cannot be negative")
    if age_at_issue < 16:
        return 5
    if age_at_issue <= 25:
        return 10
    if age_at_issue <= 45:
        return 20
    return None
