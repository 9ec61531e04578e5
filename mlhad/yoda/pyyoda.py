"""Optional bridge to the C++ YODA library's Python module (``import yoda``).

mlhad never needs it. If the HEP YODA library is installed, these helpers convert
between its objects and ours through YODA text, so every type either side supports
carries over. The PyPI package called ``yoda`` is an unrelated project: the HEP module
is recognised by its ``yoda.core`` submodule / ``yoda.Histo1D`` class.
"""

from __future__ import annotations

import importlib
import os
import tempfile
from types import ModuleType
from typing import Any

from mlhad.exceptions import OptionalDependencyError
from mlhad.yoda._base import YodaObject

__all__ = ["import_pyyoda", "to_pyyoda", "from_pyyoda"]

_INSTALL = (
    "install the HEP YODA library with its Python bindings (https://yoda.hepforge.org, e.g. "
    "'conda install -c conda-forge yoda'); note that 'pip install yoda' installs an unrelated package"
)


def import_pyyoda() -> ModuleType:
    """Import the HEP YODA module or raise OptionalDependencyError saying how to get it."""
    try:
        module = importlib.import_module("yoda")
    except ImportError as err:
        raise OptionalDependencyError(f"this conversion needs the optional module 'yoda': {_INSTALL}") from err
    if not (hasattr(module, "core") or hasattr(module, "Histo1D")):
        where = getattr(module, "__file__", "?")
        raise OptionalDependencyError(
            f"the module 'yoda' found at {where} is not the HEP YODA library (no yoda.core / yoda.Histo1D): {_INSTALL}"
        )
    return module


def _major(module: ModuleType) -> int:
    """Major version of the YODA module (1 if it cannot be told): picks the text version."""
    version = getattr(module, "__version__", None)
    if version is None:
        found = getattr(getattr(module, "core", module), "version", "1")
        version = found() if callable(found) else found
    try:
        return int(str(version).split(".")[0])
    except ValueError:
        return 1


def to_pyyoda(objects: dict[str, YodaObject]) -> dict[str, Any]:
    """Convert our objects to the YODA module's objects (``{path: yoda object}``)."""
    from mlhad.yoda.writer import writes_yoda

    yoda = import_pyyoda()
    text = writes_yoda(objects, version=2 if _major(yoda) >= 2 else 1)
    fd, tmp = tempfile.mkstemp(suffix=".yoda")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        return dict(yoda.read(tmp, asdict=True))
    finally:
        os.unlink(tmp)


def from_pyyoda(objects: Any) -> dict[str, YodaObject]:
    """Convert YODA module objects (one, a list or a dict) to ours.

    Numbers pass through YODA's own writer, which prints a limited number of digits
    unless its ``precision`` option is supported; values can then differ in the last
    digits.
    """
    from mlhad.yoda.reader import read_yoda

    yoda = import_pyyoda()
    aos = list(objects.values()) if isinstance(objects, dict) else objects
    fd, tmp = tempfile.mkstemp(suffix=".yoda")
    os.close(fd)
    try:
        try:
            yoda.write(aos, tmp, precision=17)
        except TypeError:  # older bindings without a precision argument
            yoda.write(aos, tmp)
        return read_yoda(tmp)
    finally:
        os.unlink(tmp)
