"""Values as people write them in a ledger: the spellings the fact schema accepts.

One table (:data:`ENUM_NAMES`) gives every allowed value of the schema's enums its Chinese
names and common synonyms (餐饮, 饭店 and 餐馆 are all ``catering``); the parsers below are
pydantic before-validators of :mod:`riskgrade.facts`, so the API, the file readers and the
columnar validation all read 是/否, √/×, 2026年6月1日, Excel serial dates and numeric ids alike.

>>> parse_bool("是"), parse_bool("×")
(True, False)
>>> parse_date("2026年6月1日"), parse_date(46174)
(datetime.date(2026, 6, 1), datetime.date(2026, 6, 1))
>>> enum_parser("industry")("饭店")
'catering'
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

ENUM_NAMES: dict[str, dict[str, tuple[str, ...]]] = {
    "ownership": {
        "state": ("国有", "国有企业", "国企", "国有控股"),
        "private": ("民营", "私营", "民营企业", "私营企业", "私企"),
        "foreign": ("外资", "外资企业", "外商投资", "外企", "合资", "中外合资", "港澳台"),
        "collective": ("集体", "集体企业", "集体所有制"),
        "individual": ("个体", "个体户", "个体工商户"),
    },
    "industry": {
        "mining": ("矿山", "采矿", "采矿业", "非煤矿山", "煤矿"),
        "metal_smelting": ("冶金", "金属冶炼", "冶炼"),
        "construction": ("建筑施工", "建筑", "建筑业", "施工", "工地"),
        "transport": ("交通运输", "运输", "道路运输", "物流运输"),
        "hazardous_chemicals": ("危险化学品", "危化", "危化品", "化工"),
        "fireworks": ("烟花爆竹", "烟花"),
        "manufacturing": ("工贸制造", "制造", "制造业", "工贸", "工厂"),
        "warehousing": ("仓储", "仓库", "物流仓储"),
        "wholesale": ("批发", "批发业"),
        "retail": ("零售", "零售业", "商店", "超市", "商超"),
        "catering": ("餐饮", "饭店", "餐馆", "餐厅", "饭馆", "酒楼", "小吃店", "餐饮业"),
        "hospitality": ("住宿", "酒店", "宾馆", "旅馆", "住宿业"),
        "property_management": ("物业", "物业管理", "物业服务"),
        "entertainment": ("娱乐", "文化娱乐", "娱乐场所", "KTV", "歌舞厅", "网吧"),
        "other": ("其他", "其它"),
    },
    "size": {
        "large": ("大型", "大"),
        "medium": ("中型", "中"),
        "small": ("小型", "小"),
        "micro": ("微型", "微", "小微"),
    },
    "level": {
        "general": ("一般", "一般隐患", "一般事故隐患"),
        "major": ("重大", "重大隐患", "重大事故隐患"),
    },
}
"""Each enum of the fact schema (``level`` is a hazard's): value -> its Chinese names, the
first being the one a template's drop-down offers."""

_TRUE = ("是", "有", "已", "√", "✓", "✔", "y", "yes", "true", "1", "对", "合格", "正常")
_FALSE = ("否", "无", "没有", "未", "×", "✗", "✘", "n", "no", "false", "0", "不合格", "不正常")
BOOL_WORDS = ("是", "否")
"""The two words a template's drop-down offers for a yes/no fact."""

_DATE = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*$")
_EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 1 = 1900-01-01 (after Excel's 1900 leap bug)
_SERIAL_MAX = 2958465  # 9999-12-31


def _key(text: str) -> str:
    return re.sub(r"\s+", "", text).lower()


def _synonyms(field: str) -> dict[str, str]:
    table: dict[str, str] = {}
    for value, names in ENUM_NAMES[field].items():
        table[_key(value)] = value
        table.update({_key(name): value for name in names})
    return table


_SYNONYMS = {field: _synonyms(field) for field in ENUM_NAMES}


def did_you_mean(text: str, field: str) -> list[str]:
    """Allowed values of ``field`` close to ``text`` (by value or by a Chinese name)."""
    table = _SYNONYMS.get(field, {})
    close = difflib.get_close_matches(_key(text), list(table), n=6, cutoff=0.5)
    close += [k for k in table if len(_key(text)) > 1 and (_key(text) in k or k in _key(text))]
    return list(dict.fromkeys(table[k] for k in close))[:3]


def enum_parser(field: str) -> Callable[[Any], Any]:
    """A before-validator for enum ``field``: its values and their Chinese names, in any case
    and spacing, become the value; other text fails naming close values."""
    table = _SYNONYMS[field]

    def parse(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        found = table.get(_key(value))
        if found is not None:
            return found
        if not value.strip():
            return None
        allowed = ", ".join(f"{v} ({names[0]})" for v, names in ENUM_NAMES[field].items())
        close = did_you_mean(value, field)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise ValueError(f"{value!r} is not an allowed value{hint} (allowed: {allowed})")

    parse.__doc__ = f"Read a {field} as written in a ledger."
    return parse


def _loose(text: str) -> str:
    """``text`` as a policy's own enum values are matched: NFKC (full-width letters as
    ASCII), case folded, without spaces, hyphens and underscores."""
    return re.sub(r"[\s_\-]+", "", unicodedata.normalize("NFKC", text)).casefold()


def own_enum_value(value: str, allowed: Sequence[str]) -> str:
    """A value of an enum a policy declares itself (which has no Chinese names): one of
    ``allowed`` as written, or matched in any case, width and spacing (``food service`` is
    ``food_service``, ``Ｂ`` is ``B``); other text raises ValueError with a did-you-mean.

    >>> own_enum_value(" Food Service ", ["A", "food_service"])
    'food_service'
    """
    if value in allowed:
        return value
    keys: dict[str, list[str]] = {}
    for choice in allowed:
        keys.setdefault(_loose(choice), []).append(choice)
    found = keys.get(_loose(value))
    if found is not None and len(found) == 1:
        return found[0]
    close = difflib.get_close_matches(_loose(value), list(keys), n=3, cutoff=0.6)
    names = list(dict.fromkeys(c for key in close for c in keys[key]))
    hint = f"; did you mean {' or '.join(repr(c) for c in names)}?" if names else ""
    raise ValueError(f"{value!r} is not an allowed value{hint} (allowed: {', '.join(allowed)})")


def parse_bool(value: Any) -> Any:
    """是/否, 有/无, √/×, Y/N, yes/no, true/false and 1/0 (any case) as booleans; other values
    are left for pydantic to judge."""
    if isinstance(value, str):
        key = _key(value)
        if key in _TRUE:
            return True
        if key in _FALSE:
            return False
        if not key:
            return None
    return value


def parse_date(value: Any) -> Any:
    """A date written as 2026-06-01, 2026/6/1, 2026.6.1 or 2026年6月1日, a timestamp's day, or
    an Excel serial number (a number in a date column: 46174 is 2026-06-01)."""
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, int | float) and not isinstance(value, bool):
        if value != value or not 1 <= value <= _SERIAL_MAX:
            raise ValueError(f"not a date: {value!r} (an Excel date number is 1 to {_SERIAL_MAX})")
        return _EXCEL_EPOCH + dt.timedelta(days=int(value))
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        match = _DATE.match(text)
        try:
            if match:
                return dt.date(*(int(part) for part in match.groups()))
            return dt.date.fromisoformat(text[:10] if "T" in text else text)
        except ValueError as exc:
            raise ValueError(
                f"not a date: {value!r} (write 2026-06-01, 2026/6/1 or 2026年6月1日)"
            ) from exc
    raise ValueError(f"expected a date, got {type(value).__name__}")


def parse_text(value: Any) -> Any:
    """A whole number where text belongs (a credit code or id a spreadsheet read as a number)
    as its digits; other values are left for pydantic."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value
