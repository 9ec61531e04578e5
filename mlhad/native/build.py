"""Build the history-recorder plugin against the installed pythia8mc.

    python -m mlhad.native.build          # builds (once) and prints the library path

The pythia8mc wheel ships the compiled Pythia library but no C++ headers; the headers of
the very same version come from its source distribution on PyPI (downloaded once with
pip, only ``include/Pythia8/*.h`` kept). The plugin must match the wheel's C++ ABI: the
manylinux wheel uses the pre-C++11 std::string ABI, detected here from its exported
symbols. Results are cached in ``$MLHAD_CACHE`` (default ``~/.cache/mlhad``), keyed by the
pythia8mc version, the source and the flags.
"""

from __future__ import annotations

import ctypes
import hashlib
import importlib.metadata
import importlib.util
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
from pathlib import Path

from mlhad.exceptions import OptionalDependencyError

__all__ = ["build_library", "library_path", "native_available", "cache_dir", "pythia_headers",
           "compile_shared_library"]

SOURCE = Path(__file__).with_name("history_recorder.cc")
LIBRARY_NAME = "libmlhad_history.so"


def cache_dir() -> Path:
    root = os.environ.get("MLHAD_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "mlhad")
    return Path(root)


def _pythia_module_path() -> Path:
    spec = importlib.util.find_spec("pythia8mc")
    if spec is None or spec.origin is None:
        raise OptionalDependencyError("pythia8mc is not installed: pip install pythia8mc==8.317.2")
    return Path(spec.origin).resolve()


def _pythia_version() -> str:
    return importlib.metadata.version("pythia8mc")


def _uses_old_string_abi(module: Path) -> bool:
    lib = ctypes.CDLL(str(module))
    try:
        getattr(lib, "_ZN7Pythia87toLowerERKSsb")  # toLower(const std::string&, bool), old ABI
        return True
    except AttributeError:
        return False


def pythia_headers(version: str | None = None) -> Path:
    """Directory containing ``Pythia8/Pythia.h`` for the installed pythia8mc version.

    Uses ``$MLHAD_PYTHIA_INCLUDE`` if set, else a cached copy, else downloads the sdist.
    """
    env = os.environ.get("MLHAD_PYTHIA_INCLUDE")
    if env:
        if not (Path(env) / "Pythia8" / "Pythia.h").exists():
            raise OptionalDependencyError(f"MLHAD_PYTHIA_INCLUDE={env} holds no Pythia8/Pythia.h")
        return Path(env)
    version = version or _pythia_version()
    target = cache_dir() / f"pythia8mc-{version}-include"
    if (target / "Pythia8" / "Pythia.h").exists():
        return target
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pip", "download", f"pythia8mc=={version}", "--no-binary", ":all:",
               "--no-deps", "--no-build-isolation", "-q", "-d", tmp]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        archives = list(Path(tmp).glob("pythia8mc-*.tar.gz"))
        if proc.returncode != 0 or not archives:
            raise OptionalDependencyError(
                f"could not download the pythia8mc {version} sources for its C++ headers "
                f"({proc.stderr.strip()[-300:]}); set MLHAD_PYTHIA_INCLUDE to a Pythia 8 include directory"
            )
        cache_dir().mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".include-", dir=cache_dir()))
        with tarfile.open(archives[0]) as tar:
            members = [m for m in tar.getmembers() if "/plugins/python/include/Pythia8/" in m.name and m.isfile()]
            for m in members:
                m.name = "Pythia8/" + m.name.split("/plugins/python/include/Pythia8/", 1)[1]
            tar.extractall(staging, members=members, filter="data")
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            os.replace(staging, target)
        else:  # pragma: no cover - a concurrent build won the race
            shutil.rmtree(staging, ignore_errors=True)
    return target


def _flags(module: Path) -> list[str]:
    flags = ["-std=c++17", "-O2", "-fPIC", "-shared", "-DGZIP"]
    flags.append("-D_GLIBCXX_USE_CXX11_ABI=0" if _uses_old_string_abi(module) else "-D_GLIBCXX_USE_CXX11_ABI=1")
    return flags


def library_path() -> Path:
    """Where the library for this pythia8mc version, source and flags lives (built or not)."""
    module = _pythia_module_path()
    tag = hashlib.sha256(
        SOURCE.read_bytes() + _pythia_version().encode() + " ".join(_flags(module)).encode()
        + str(module).encode()
    ).hexdigest()[:16]
    return cache_dir() / "native" / tag / LIBRARY_NAME


def build_library(*, force: bool = False, verbose: bool = False) -> Path:
    """Compile the plugin (if needed) and return its path.

    Raises:
        OptionalDependencyError: no C++ compiler, no headers, or a failed compile (the
            message has the compiler's output).
    """
    target = library_path()
    if target.exists() and not force:
        return target
    compiler = os.environ.get("CXX") or shutil.which("g++") or shutil.which("c++")
    if compiler is None:
        raise OptionalDependencyError("no C++ compiler found (set CXX or install g++)")
    module = _pythia_module_path()
    include = pythia_headers()
    stderr = compile_shared_library(
        [compiler, *_flags(module), f"-I{include}", str(SOURCE)], [str(module), f"-Wl,-rpath,{module.parent}"],
        target, what="the history recorder")
    if verbose and stderr:
        print(stderr, file=sys.stderr)
    return target


def compile_shared_library(before_output: list[str], after_output: list[str], target: Path, *, what: str,
                           timeout: float | None = None) -> str:
    """Run ``before_output -o <tmp> after_output`` and move the result to ``target`` atomically.

    The output goes to a file private to this process and thread, then replaces
    ``target`` in one step: a concurrent build of the same library wins or loses the
    race, never leaves half a file. Returns the compiler's stderr (its warnings).

    Raises:
        OptionalDependencyError: the compiler could not run, timed out or failed (the
            message has the command and the end of its output).
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    cmd = [*before_output, "-o", str(tmp), *after_output]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as err:
        tmp.unlink(missing_ok=True)
        raise OptionalDependencyError(f"building {what} failed: {' '.join(cmd)}: {err}") from err
    if proc.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise OptionalDependencyError(f"building {what} failed:\n{' '.join(cmd)}\n{proc.stderr[-3000:]}")
    os.replace(tmp, target)
    return proc.stderr


def native_available() -> bool:
    """True if the plugin is built (does not try to build it)."""
    try:
        return library_path().exists()
    except Exception:  # pragma: no cover
        return False


if __name__ == "__main__":  # pragma: no cover
    print(build_library(verbose=True))
