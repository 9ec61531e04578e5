"""The compiled angular kNN kernel of the encoder (``knn_angle.c``), built lazily and cached.

    python -m mlhad.native.knn          # builds (once) and prints the library path

Needs only a C compiler (``$CC``, else ``cc``, ``gcc`` or ``clang``), no headers beyond
libc. The library is cached in ``$MLHAD_CACHE/native/<hash>/`` (see
:func:`mlhad.native.build.cache_dir`), keyed by the source, the compiler and its flags,
so an edited source or another CPU feature set builds anew. :func:`knn_kernel` returns
None when it cannot be built or loaded (no compiler, read-only cache, a failed compile)
or when ``MLHAD_NATIVE_KNN=0``; the encoder then uses its torch path, which computes the
same function (see :func:`mlhad.encoder.layers.knn_by_angle`). :func:`kernel_status`
says which one is in use and why.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import platform
import shlex
import shutil
import threading
from pathlib import Path

from mlhad.exceptions import OptionalDependencyError

from .build import cache_dir, compile_shared_library

__all__ = ["build_knn_library", "knn_library_path", "knn_kernel", "kernel_status", "reset", "MAX_K"]

SOURCE = Path(__file__).with_name("knn_angle.c")
LIBRARY_NAME = "libmlhad_knn.so"
#: Most neighbours the kernel handles (its per-row buffer).
MAX_K = 256

_lock = threading.Lock()
_state: dict[str, object] = {}


def _compiler() -> str | None:
    return os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")


def _cpu_flags() -> set[str]:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def _flags() -> list[str]:
    # -ffp-contract=off: only the explicit fmaf of the dot product is fused (the rounding
    # order of torch's matrix product). With AVX2 + FMA (x86) the selection runs in vector
    # registers and fmaf is one instruction; elsewhere the portable scalar code is used.
    flags = ["-std=c99", "-O3", "-fPIC", "-shared", "-ffp-contract=off"]
    if platform.machine().lower() in ("x86_64", "amd64") and {"avx2", "fma"} <= _cpu_flags():
        flags += ["-mavx2", "-mfma"]
    return flags


def knn_library_path(compiler: str | None = None) -> Path:
    """Where the kernel for this source, compiler and flags lives (built or not)."""
    compiler = compiler or _compiler() or "cc"
    tag = hashlib.sha256(SOURCE.read_bytes() + compiler.encode() + " ".join(_flags()).encode()).hexdigest()[:16]
    return cache_dir() / "native" / tag / LIBRARY_NAME


def build_knn_library(*, force: bool = False) -> Path:
    """Compile the kernel (if needed) and return its path.

    Raises:
        OptionalDependencyError: no C compiler, or a failed compile (with the compiler's output).
    """
    compiler = _compiler()
    if compiler is None:
        raise OptionalDependencyError("no C compiler found for the encoder's kNN kernel (set CC or install gcc)")
    target = knn_library_path(compiler)
    if target.exists() and not force:
        return target
    compile_shared_library([*shlex.split(compiler), *_flags(), str(SOURCE)], ["-lm"], target,
                           what="the kNN kernel", timeout=120)
    return target


def _load(path: Path):
    lib = ctypes.CDLL(str(path))
    fn = lib.mlhad_knn_by_angle
    i64, ptr = ctypes.c_int64, ctypes.c_void_p
    fn.argtypes = [ptr, i64, i64, i64, ptr, i64, i64, i64, ctypes.c_float, ptr, ptr, ptr]
    fn.restype = ctypes.c_int
    return fn


def knn_kernel():
    """The ctypes function ``mlhad_knn_by_angle`` (see ``knn_angle.c``), or None if unavailable.

    Built on first use and cached; the outcome is remembered for the process (call
    :func:`reset` after changing ``CC``, ``MLHAD_CACHE`` or ``MLHAD_NATIVE_KNN``).
    """
    if "fn" in _state:
        return _state["fn"]
    with _lock:
        if "fn" not in _state:
            fn, reason = None, "in use"
            if os.environ.get("MLHAD_NATIVE_KNN", "1").strip().lower() in ("0", "false", "no", "off"):
                reason = "disabled by MLHAD_NATIVE_KNN=0"
            else:
                try:
                    fn = _load(build_knn_library())
                except (OptionalDependencyError, OSError, AttributeError) as err:
                    reason = f"unavailable: {err}"
            _state["reason"] = reason
            _state["fn"] = fn
    return _state["fn"]


def kernel_status() -> str:
    """``"native: in use"`` or ``"torch: <why the kernel is not used>"`` (builds it if needed)."""
    fn = knn_kernel()
    return f"{'native' if fn is not None else 'torch'}: {_state['reason']}"


def reset() -> None:
    """Forget the loaded kernel (the next :func:`knn_kernel` call looks again)."""
    with _lock:
        _state.clear()


if __name__ == "__main__":  # pragma: no cover
    print(build_knn_library())
