"""The guides' site: it builds with MkDocs' strict checks (a broken link or anchor fails), it
fetches nothing from the web, its API reference is the document the app serves, and every
picture a guide shows is one the browser tests make (tests/browser/pictures.py)."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser.pictures import FOLDER, PICTURES

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
#: ![words](path.png) or <img src="path.png">, as the guides write pictures
IMAGE = re.compile(r"!\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)"
                   r"|<img[^>]+src=\"([^\"]+)\"")
#: the guides, one per person, and the pages every person's guide must have a picture in
GUIDES = ["shopper.md", "member.md", "clerk.md", "agent.md", "admin.md", "operator.md",
          "api.md", "glossary.md", "zh/shopper.md", "zh/member.md", "zh/clerk.md"]


def build(config: Path, site: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(config),
         "--site-dir", str(site)],
        cwd=config.parent, capture_output=True, text=True, env=env, timeout=300)


def pictures_named(markdown: Path) -> list[Path]:
    """The pictures a page shows, as files (resolved against the page's folder)."""
    found = []
    for match in IMAGE.finditer(markdown.read_text(encoding="utf-8")):
        target = match.group(1) or match.group(2)
        if "://" in target:
            found.append(Path(target))
        else:
            found.append((markdown.parent / target.split("#")[0]).resolve())
    return found


def test_the_site_builds_strictly_and_offline(tmp_path):
    result = build(ROOT / "mkdocs.yml", tmp_path / "site")
    assert result.returncode == 0, result.stdout + result.stderr
    site = tmp_path / "site"
    for page in ["index.html", "shopper.html", "zh/shopper.html", "api-reference.html",
                 "glossary.html", "deploy.html", "search/search_index.json", "openapi.json"]:
        assert (site / page).is_file(), page
    for html in site.rglob("*.html"):
        text = html.read_text(encoding="utf-8")
        # theme.font: false - no page loads a font (or anything else) from Google
        assert "fonts.googleapis.com" not in text and "fonts.gstatic.com" not in text, html
    assert '<html lang="zh-CN"' in (site / "zh" / "clerk.html").read_text(encoding="utf-8")
    assert '<html lang="en"' in (site / "clerk.html").read_text(encoding="utf-8")
    # the reference lists every operation of the document the app serves
    document = json.loads((site / "openapi.json").read_text(encoding="utf-8"))
    reference = (site / "api-reference.html").read_text(encoding="utf-8")
    assert len(document["paths"]) > 30
    for path, operations in document["paths"].items():
        for method in operations:
            assert f"{method.upper()} {path}" in reference, (method, path)


def test_a_broken_link_fails_the_build(tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(DOCS, copy / "docs")
    shutil.copy(ROOT / "mkdocs.yml", copy / "mkdocs.yml")
    (copy / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "mkdocs_hooks.py", copy / "scripts")
    guide = copy / "docs" / "shopper.md"
    guide.write_text(guide.read_text(encoding="utf-8") + "\nSee [the old page](no-such-page.md).\n",
                     encoding="utf-8")
    result = build(copy / "mkdocs.yml", tmp_path / "site")
    assert result.returncode != 0
    assert "no-such-page.md" in result.stdout + result.stderr


@pytest.mark.parametrize("guide", GUIDES)
def test_every_guide_shows_a_picture_a_test_makes(guide):
    named = pictures_named(DOCS / guide)
    assert named, f"{guide} shows no picture"
    made = {(FOLDER / f"{name}.png").resolve() for name in PICTURES}
    unmade = [str(p) for p in named if p not in made]
    assert not unmade, f"{guide} shows pictures no test makes: {unmade}"


def test_no_page_names_a_picture_no_test_makes():
    """Any Markdown page (README included): a picture under docs/img is in the registry."""
    made = {(FOLDER / f"{name}.png").resolve() for name in PICTURES}
    unmade = []
    for page in [ROOT / "README.md", *DOCS.rglob("*.md")]:
        for picture in pictures_named(page):
            if picture.is_relative_to(FOLDER.resolve()) and picture not in made:
                unmade.append(f"{page.relative_to(ROOT)}: {picture.relative_to(ROOT)}")
            elif not picture.is_relative_to(FOLDER.resolve()) and "://" not in str(picture):
                unmade.append(f"{page.relative_to(ROOT)}: {picture} (not a tested picture)")
    assert not unmade, "pictures no test makes:\n" + "\n".join(unmade)


def test_every_registered_picture_is_in_the_repository():
    """The site builds offline from a clone: the tests' pictures are committed."""
    missing = [name for name in PICTURES if not (FOLDER / f"{name}.png").is_file()]
    assert not missing, f"run tests/browser/test_guide_pictures.py to make: {missing}"
    stray = [p.name for p in FOLDER.glob("*.png") if p.stem not in PICTURES]
    assert not stray, f"pictures under docs/img that no test makes any more: {stray}"
