"""The worked examples in docs/yoda.md and docs/histograms.md run as written; doctests pass."""

from __future__ import annotations

import doctest
import importlib
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
MODULES = [
    "mlhad.yoda.reader", "mlhad.yoda.reference", "mlhad.yoda.scatter", "mlhad.yoda.estimate",
    "mlhad.histograms.fill", "mlhad.histograms.histogram", "mlhad.histograms.normalize",
]


def python_blocks(name: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", (DOCS / name).read_text(), flags=re.S)


@pytest.mark.parametrize("name", ["yoda.md", "histograms.md"])
def test_doc_examples_run(name, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # the examples write files into the working directory
    blocks = python_blocks(name)
    assert blocks, f"no python examples found in docs/{name}"
    namespace: dict = {}
    for block in blocks:  # blocks of one page share a namespace, like a notebook
        exec(compile(block, f"docs/{name}", "exec"), namespace)
    assert capsys.readouterr().out  # the examples print what they show


@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0
