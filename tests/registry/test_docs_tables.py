"""The registry tables printed in docs/observables.md agree with the registry itself."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mlhad.registry import analysis

DOC = (Path(__file__).resolve().parents[2] / "docs" / "observables.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["ALEPH_1996_S3486095", "DELPHI_1996_S3430090"])
def test_documented_table_matches_the_registry(name):
    section = DOC.split(f"### {name}", 1)[1].split("###", 1)[0]
    rows = dict(re.findall(r"^\| (d\d\d-x\d\d-y\d\d) \| (.*)$", section, re.M))
    a = analysis(name)
    for entry in a.entries:
        row = rows.pop(entry.path.split("/")[-1])
        shown = entry.value or entry.observable
        assert f"`{shown}`" in row and f"| {entry.normalisation} |" in row, entry.path
    assert not rows, f"documented but not in the registry: {sorted(rows)}"
    listed = section.split("**Skipped", 1)[1]
    for path, _ in a.skipped:
        assert path.split("/")[-1] in listed, path
