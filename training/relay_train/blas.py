"""The BLAS kernels training runs on, pinned so that a seed makes the same model on every x86-64 machine here.

OpenBLAS picks its kernels by CPU when it loads: Haswell's on an AVX2 machine, Cooperlake's or SkylakeX's on an
AVX-512 one, and each rounds a matrix product differently in the last bits; thousands of steps turn that into another
model. Measured on 2026-12-07 on an AVX-512 EPYC: the student SFT's loss at step 250 was 1.2424 with the kernels
OpenBLAS chose there (Cooperlake) and 1.2425 with OPENBLAS_CORETYPE=Haswell, as in the shipped pair's train.log (made
on machines that chose Haswell); that first draw's student reached 43.67% dev accuracy alone after its 8,000 steps,
the shipped one 58.00%. Haswell's kernels run on every AVX2 CPU and were no slower on that one (68 s against 67 s for
250 steps). PyTorch's own kernels use AVX2 on both (`torch.__config__.show()`).

The pin must be set before torch loads OpenBLAS: importing the relay_train package does it (so every
`python3 -m relay_train.X` is pinned, and so is a child process it starts). An explicit OPENBLAS_CORETYPE is kept:
another value is another draw, which `core_name()` lets a run's log say.
"""
from __future__ import annotations

import ctypes
import os

PINNED_CORE = "Haswell"


def pin() -> None:
    """Sets OPENBLAS_CORETYPE to the pinned kernels unless the environment names some already."""
    os.environ.setdefault("OPENBLAS_CORETYPE", PINNED_CORE)


def core_name() -> str:
    """The kernels the OpenBLAS loaded in this process runs ('Haswell', ...), or 'unknown' (none loaded yet, or
    another BLAS)."""
    try:
        with open("/proc/self/maps") as maps:
            paths = sorted({line.split()[-1] for line in maps if "libopenblas" in line})
        for path in paths:
            corename = ctypes.CDLL(path).openblas_get_corename
            corename.restype = ctypes.c_char_p
            return corename().decode()
    except (OSError, AttributeError):
        pass
    return "unknown"
