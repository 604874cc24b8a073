"""Which BLAS the running Python process actually uses, read from /proc/self/maps.

Debian's python3-torch calls whatever libblas.so.3 resolves to: netlib's
reference BLAS (several times slower at the matmuls an MLP is made of) unless
an optimised one such as libopenblas0-pthread is installed. The benchmark
refuses to compare against the reference BLAS, so it needs to know which one
was loaded, not which one was meant to be. Imports nothing but the standard
library, so `classify` can be tested without torch.
"""

import ctypes
import os
import re

# Optimised BLAS libraries, by the name that appears in their file or folder.
VENDORS = ("mkl", "openblas", "blis", "atlas", "armpl")

# File names of BLAS libraries (libblas.so.3, libopenblasp-r0.3.21.so, libmkl_rt.so.2, libflexiblas_netlib.so, ...).
BLAS_FILE = re.compile(r"blas|mkl|blis|atlas|armpl", re.IGNORECASE)


def mapped_files(maps_text):
    """The distinct files mapped into a process, given its /proc/<pid>/maps text, in order of appearance."""
    seen = []
    for line in maps_text.splitlines():
        fields = line.split(maxsplit=5)
        if len(fields) == 6 and fields[5].startswith("/") and fields[5] not in seen:
            seen.append(fields[5])
    return seen


def classify(paths, blas_info=""):
    """{"kind", "path"} of the BLAS among the mapped files `paths`.

    kind is a vendor of VENDORS when one of the BLAS files (or its folder)
    names it, "reference" when the only BLAS mapped is a plain libblas (or
    FlexiBLAS's netlib backend), "builtin" when none is mapped but torch was
    built with one (`blas_info`, torch's BLAS_INFO, e.g. a wheel's static
    MKL), else "unknown". path is one of `paths`, or None.
    """
    candidates = [p for p in paths if BLAS_FILE.search(os.path.basename(p))]
    for vendor in VENDORS:
        # The vendor's own library first (libopenblasp-r0.3.21.so), then a shim in its folder (openblas-pthread/libblas.so.3).
        named = [p for p in candidates if vendor in os.path.basename(p).lower()]
        in_folder = [p for p in candidates if vendor in p.lower()]
        if named or in_folder:
            return {"kind": vendor, "path": (named or in_folder)[0]}
    reference = [p for p in candidates if "netlib" in p.lower() or os.path.basename(p).startswith("libblas.")]
    if reference:
        return {"kind": "reference", "path": reference[0]}
    if blas_info and blas_info != "generic":
        return {"kind": "builtin", "path": None}
    return {"kind": "unknown", "path": None}


def openblas_detail(path):
    """OpenBLAS's own description of the build and its thread count, or None when `path` does not answer."""
    try:
        lib = ctypes.CDLL(path)
        lib.openblas_get_config.restype = ctypes.c_char_p
        config = lib.openblas_get_config().decode()
        return f"{config}, {lib.openblas_get_num_threads()} threads"
    except (OSError, AttributeError):
        return None


def blas_of_this_process(blas_info=""):
    """{"kind", "path", "detail"}: the BLAS mapped into this process right now."""
    with open("/proc/self/maps", encoding="utf-8") as maps:
        # /proc names the mapped files themselves; realpath also resolves a symlinked folder above one.
        found = classify([os.path.realpath(p) for p in mapped_files(maps.read())], blas_info)
    detail = openblas_detail(found["path"]) if found["kind"] == "openblas" else None
    if found["kind"] == "builtin":
        detail = f"linked into torch (BLAS_INFO={blas_info})"
    return {**found, "detail": detail}
