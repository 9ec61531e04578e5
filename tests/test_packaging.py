"""Packaging: every package folder is installed under the single import root ``mlhad``."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_is_listed_in_pyproject():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = set()
    for name, folder in config["package-dir"].items():
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / folder)
            if any(part.startswith(".") or part == "__pycache__" for part in rel.parts):
                continue
            found.add(".".join((name, *rel.parts)))
    missing = found - set(config["packages"])
    assert not missing, f"add these packages to pyproject.toml [tool.setuptools] packages: {sorted(missing)}"


def test_import_mlhad_does_not_import_pythia_or_torch():
    import subprocess
    import sys

    code = "import sys, mlhad, mlhad.io, mlhad.config; print('pythia8mc' in sys.modules, 'torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]
