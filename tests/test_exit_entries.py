"""(s17 exitsegv) The quick kernels' C entries at interpreter exit: a builtin's method definition outlives it.

CPython reads a builtin's ``PyMethodDef`` when it frees the builtin. The entries' definitions were shared per
signature in a dict the interpreter's last collection could free first, so a process exited with a segfault
(rc 139, after all its output) whenever that freed memory had been reused (docs/runtime.md, "Exit (session 17,
exitsegv)"). Under glibc's ``MALLOC_PERTURB_`` (freed memory overwritten at once) that read crashed every run.
"""
import ctypes
import os
import sys

import numpy as np
import pytest

import lazyarr as la
from lazyarr.runtime import quick_entry
from subprocesses import run_bounded

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# CPython's PyCFunctionObject: PyObject_HEAD (refcount, type), then m_ml, the method definition's address
_M_ML_AT = 2 * ctypes.sizeof(ctypes.c_void_p)


def _entries_after_calls() -> list:
    rng = np.random.default_rng(17)
    a, b = rng.random(1000), rng.random(1000)
    f = la.fuse(lambda a, b: a * 3.0 + b)
    for _ in range(3):
        np.testing.assert_array_equal(f(a, b), a * 3.0 + b)
    return list(quick_entry._entries.values())


def test_each_entry_owns_its_method_definition():
    """The builtin's ``self`` holds the buffer its ``m_ml`` points into: the definition lives as long as it."""
    if not quick_entry.available():
        pytest.skip("no C entries in this process")
    entries = _entries_after_calls()
    assert entries, "no entry was made: the test would check nothing"
    for entry in entries:
        owner = entry.__self__.base
        assert isinstance(owner, quick_entry._Owned)
        m_ml = ctypes.c_void_p.from_address(id(entry) + _M_ML_AT).value
        assert m_ml == ctypes.addressof(owner.method)
        assert entry.__self__.ctypes.data == ctypes.addressof(owner.state)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's MALLOC_PERTURB_")
def test_a_process_with_entries_exits_cleanly_when_freed_memory_is_overwritten():
    """Before the fix every such process ended with SIGSEGV in ``meth_dealloc`` (4 of 4, and 4 of 4 for the
    kernel-suite script of session 16); the system allocator with MALLOC_PERTURB_ makes the stale read certain
    instead of rare."""
    env = dict(os.environ, PYTHONMALLOC="malloc", MALLOC_PERTURB_="2", LAZYARR_WARMUP="0",
               LAZYARR_BACKGROUND_COMPILE="0",
               PYTHONPATH=os.pathsep.join(filter(None, [REPO, os.environ.get("PYTHONPATH")])))
    code = ("import numpy as np, lazyarr as la\n"
            "from lazyarr.runtime import quick_entry\n"
            "rng = np.random.default_rng(0)\n"
            "for dt in ('f8', 'f4', 'i8'):\n"
            "    a, b = rng.random(1000).astype(dt), rng.random(1000).astype(dt)\n"
            "    for i in range(3):\n"
            "        f = la.fuse(lambda a, b, i=i: a * (i + 2) + b)\n"
            "        for _ in range(3):\n"
            "            f(a, b)\n"
            "print(len(quick_entry._entries), quick_entry.available(), flush=True)\n")
    out = run_bounded([sys.executable, "-X", "faulthandler", "-c", code], env, 300, "a process making entries")
    made, available = out.stdout.split()
    if available != "True":
        pytest.skip("no C entries in this process")
    assert int(made) > 0, "no entry was made: the test would check nothing"
    assert out.returncode == 0, f"rc {out.returncode}\n{out.stderr[-3000:]}"
