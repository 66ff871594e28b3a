"""The divisions' English names are what scripts/build_divisions.py makes with pypinyin: the
vendored file is rebuilt by the script, never edited by hand, and says where its names
came from."""

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def build():
    pytest.importorskip("pypinyin")
    spec = importlib.util.spec_from_file_location("build_divisions",
                                                  ROOT / "scripts" / "build_divisions.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_vendored_english_names_are_what_the_script_builds(build):
    data = json.loads((ROOT / "fulfillment" / "data" / "divisions.json").read_text("utf-8"))
    assert data["names_en"] == build.build(data["divisions"])
    assert set(data["names_en"]) == set(data["divisions"])
    assert "pypinyin" in data["names_en_source"] and "built 20" in data["names_en_source"]


@pytest.mark.parametrize(("name", "district_level", "english"), [
    ("上海市", False, "Shanghai"), ("徐汇区", True, "Xuhui District"),
    ("广东省", False, "Guangdong"),
    ("西安市", False, "Xi'an"), ("长安区", True, "Chang'an District"), ("六安市", False, "Lu'an"),
    ("吕梁市", False, "Lüliang"), ("浦东新区", True, "Pudong New Area"),
    ("延边朝鲜族自治州", False, "Yanbian Autonomous Prefecture"),
    ("黔东南苗族侗族自治州", False, "Qiandongnan Autonomous Prefecture"),
    ("长白朝鲜族自治县", True, "Changbai Autonomous County"), ("闵行区", True, "Minhang District"),
    ("辛集市", True, "Xinji City"), ("锡林郭勒盟", False, "Xilinguole League"),
    ("新疆维吾尔自治区", False, "Xinjiang"), ("香港特别行政区", False, "Hong Kong"),
    # an ending that is part of a name: 碑林 + 区, 清新 + 区
    ("碑林区", True, "Beilin District"), ("清新区", True, "Qingxin District"),
    ("神农架林区", True, "Shennongjia Forestry District"),
    # Xinjiang names its people without 族; 什 is shi in place names
    ("伊犁哈萨克自治州", False, "Yili Autonomous Prefecture"),
    ("塔什库尔干塔吉克自治县", True, "Tashiku'ergan Autonomous County"),
    ("东乡族自治县", True, "Dongxiang Autonomous County"),
    ("漯河市", False, "Luohe"), ("繁峙县", True, "Fanshi County"),
    ("番禺区", True, "Panyu District"),
])
def test_a_name_in_english(build, name, district_level, english):
    assert build.english_name(name, municipal_district=district_level) == english
