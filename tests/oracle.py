"""An independent oracle of the ID-card rules, written from the reference (not from the package), shared by
the simulator's and the validation's tests so that both are checked against the same reading of the law."""

from __future__ import annotations

from datetime import date

#: GB/T 3304-1991 as printed in the reference (§8.5), code order, with 族.
GB_3304 = (
    "01 汉族, 02 蒙古族, 03 回族, 04 藏族, 05 维吾尔族, 06 苗族, 07 彝族, 08 壮族, 09 布依族, 10 朝鲜族, "
    "11 满族, 12 侗族, 13 瑶族, 14 白族, 15 土家族, 16 哈尼族, 17 哈萨克族, 18 傣族, 19 黎族, 20 傈僳族, "
    "21 佤族, 22 畲族, 23 高山族, 24 拉祜族, 25 水族, 26 东乡族, 27 纳西族, 28 景颇族, 29 柯尔克孜族, "
    "30 土族, 31 达斡尔族, 32 仫佬族, 33 羌族, 34 布朗族, 35 撒拉族, 36 毛南族, 37 仡佬族, 38 锡伯族, "
    "39 阿昌族, 40 普米族, 41 塔吉克族, 42 怒族, 43 乌孜别克族, 44 俄罗斯族, 45 鄂温克族, 46 德昂族, "
    "47 保安族, 48 裕固族, 49 京族, 50 塔塔尔族, 51 独龙族, 52 鄂伦春族, 53 赫哲族, 54 门巴族, 55 珞巴族, "
    "56 基诺族"
)
#: The names as cards print them: without 族, in code order.
NATION_NAMES = [entry.split()[1].removesuffix("族") for entry in GB_3304.split(", ")]


def years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def lawful_years(birth: date, issue: date) -> int | None:
    """ID Card Law art. 5: the validity for the age at issue (None = 长期)."""
    age = issue.year - birth.year - ((issue.month, issue.day) < (birth.month, birth.day))
    return 5 if age < 16 else 10 if age < 26 else 20 if age < 46 else None
