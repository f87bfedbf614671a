"""Large allocations given back to the system when freed (glibc only; elsewhere nothing changes).

glibc serves an allocation of 128 KiB or more with its own mmap, returned on free, but after the
first such free it raises that threshold to the freed size (up to 32 MiB). From then on, request
bodies of up to 1 MiB and the strings parsed from them come from the heap, whose freed pages
stay in the process. Measured with `python -m bench.fuzz --parts inbox --scale 10` (3,000
hostile requests): resident memory grew 8.2 MB with the moving threshold, 5.4 MB with it fixed.
Setting the threshold explicitly (as `MALLOC_MMAP_THRESHOLD_=131072` in the environment would)
keeps it fixed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from typing import Final

M_MMAP_THRESHOLD: Final = -3  # mallopt's parameter number, from glibc's malloc.h
MMAP_THRESHOLD_BYTES: Final = 128 * 1024  # glibc's own starting value


def keep_large_allocations_returnable() -> bool:
    """Fix glibc's mmap threshold for this process; False where there is no glibc."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl (Alpine) has no mallopt
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))
