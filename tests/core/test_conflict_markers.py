"""No tracked file keeps the markers of an unresolved git merge."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: ``<<<<<<< ours``, a ``=======`` line alone, ``>>>>>>> theirs`` (and diff3's ``|||||||``)
MARKER = re.compile(r"^(?:<{7} |={7}$|>{7} |\|{7} )", re.MULTILINE)


def conflict_lines(text: str) -> list[int]:
    """The line numbers (from 1) that are merge-conflict markers."""
    text = text.replace("\r\n", "\n")
    return [text.count("\n", 0, m.start()) + 1 for m in MARKER.finditer(text)]


def tracked_files() -> list[Path]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        if os.environ.get("CI"):
            pytest.fail("CI runs on a git checkout: git or .git is missing")
        pytest.skip("not a git checkout")
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                            check=True).stdout.decode().split("\0")
    return [ROOT / name for name in listed if name]


def test_the_detector_finds_each_kind_of_marker():
    text = ("intro\n" "<<<<<<< HEAD\n" "ours\n" "||||||| base\n" "base\n" "=======\n"
            "theirs\n" ">>>>>>> feature\r\n" "Title\n" "======== (eight)\n" "a ======= b\n")
    assert conflict_lines(text) == [2, 4, 6, 8]
    assert conflict_lines("=======\n") == [1]
    assert conflict_lines("<<<<<<<< eight\n>>>>>>>no space\n  =======\n") == []


def test_no_tracked_file_has_conflict_markers():
    found = []
    for path in tracked_files():
        if not path.is_file():
            continue  # a deletion not yet committed
        data = path.read_bytes()
        if b"\0" in data:
            continue  # binary
        lines = conflict_lines(data.decode("utf-8", errors="replace"))
        found += [f"{path.relative_to(ROOT)}:{n}" for n in lines]
    assert found == [], f"unresolved merge conflicts at {found}"
