"""Every use of LLVM's compiler (``llvmlite.binding``) in one place: LLVM IR text -> optimised machine code in this process (#14).

The quick tier (``compiler/llvm_map.py`` writes the IR) compiles without Numba: Numba's first compile in a
process refreshes its target context (~1 s of CPU: ``numba.np.arraymath``, ``scipy.linalg`` through its BLAS
check, its registries) before any kernel, which no kernel of ours needs. LLVM itself is already loaded, as
Numba imports llvmlite.

The code is made as Numba makes its own: a target machine for the host CPU and its features (or
NUMBA_CPU_NAME / NUMBA_CPU_FEATURES, as Numba reads them), the O3 pipeline with loop and SLP vectorisation,
no fast-math flags (so no FMA contraction: the same bits as Numba's kernels and NumPy's loops). Each module is
emitted as object code and added to one MCJIT engine per process: the same bytes whether just compiled or read
back from the disk cache (``object_code`` / ``load_object``).
"""
from __future__ import annotations

import os
import re
import threading

import llvmlite
import llvmlite.binding as llvm

__all__ = ["add_symbols", "function_address", "load_object", "many_memory_checks", "object_code", "target_id"]

_lock = threading.Lock()  # LLVM's engine and pass managers are not thread-safe; calls into machine code are
_machine = None
_engine = None
_avx512 = False


def _target_machine():
    global _machine, _avx512
    if _machine is None:
        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        cpu = os.environ.get("NUMBA_CPU_NAME") or llvm.get_host_cpu_name()
        features = os.environ.get("NUMBA_CPU_FEATURES")
        if features is None:
            features = llvm.get_host_cpu_features().flatten() if cpu == llvm.get_host_cpu_name() else ""
        target = llvm.Target.from_default_triple()
        _machine = target.create_target_machine(cpu=cpu, features=features, opt=3, codemodel="jitdefault")
        _avx512 = "+avx512f" in features.split(",")
    return _machine


def target_id() -> str:
    """What the object code depends on besides the IR: LLVM's version, the triple, the CPU and its features
    (part of the disk cache's key, so a cache shared by two machines never hands one the other's code)."""
    with _lock:
        machine = _target_machine()
        return f"{llvmlite.__version__}|{machine.triple}|{llvm.get_host_cpu_name()}|" \
               f"{os.environ.get('NUMBA_CPU_NAME', '')}|{os.environ.get('NUMBA_CPU_FEATURES', '')}|" \
               f"{llvm.get_host_cpu_features().flatten()}"


def object_code(ir_text: str, optimise: bool = True) -> tuple[bytes, str]:
    """(object code, the optimised IR's text) of a module, optimised as Numba optimises its kernels
    (`optimise` False: code as written, for glue with no loop to optimise: #14 small calls' entries)."""
    with _lock:
        machine = _target_machine()
        keep = _lookup_variants(ir_text)
        module = llvm.parse_assembly(ir_text + keep)
        module.triple = machine.triple
        module.data_layout = str(machine.target_data)
        module.verify()
        if not optimise:
            return machine.emit_object(module), str(module)
        tuning = llvm.create_pipeline_tuning_options(speed_level=3)
        tuning.loop_vectorization = True
        tuning.slp_vectorization = True
        builder = llvm.create_pass_builder(machine, tuning)
        builder.getModulePassManager().run(module, builder)
        if keep:
            inline = llvm.create_new_module_pass_manager()
            inline.add_always_inliner_pass()  # the lookup variants the vectoriser called (#14 tables)
            inline.run(module, builder)
        return machine.emit_object(module), str(module)


# --- #14 tables: in-register table lookups ---------------------------------------------------------------------
# compiler/llvm_math.py looks a small constant table up through a call of a scalar function whose vector variants
# (permutes, named in its "vector-function-abi-variant" attribute) the loop vectoriser substitutes. The variants
# are internal and called by nothing before vectorisation, so O3 would delete them first: ``llvm.compiler.used``
# keeps them, and an always-inliner run after O3 puts the permutes into the loop (the vectoriser runs after O3's
# own inliner).
LOOKUP_PREFIX = "lazyarr_lut_"
_VARIANT = re.compile(r"define internal <\d+ x \w+> @\"?(" + LOOKUP_PREFIX + r"\w+_v\d+)\"?\(")


def _lookup_variants(ir_text: str) -> str:
    """The ``llvm.compiler.used`` line keeping the module's lookup variants ("" if it has none)."""
    names = _VARIANT.findall(ir_text) if LOOKUP_PREFIX in ir_text else []
    if not names:
        return ""
    used = ", ".join(f'ptr @"{name}"' for name in names)
    return f'\n@llvm.compiler.used = appending global [{len(names)} x ptr] [{used}], section "llvm.metadata"\n'


def has_avx512() -> bool:
    """Whether the code is made for a CPU with AVX-512F (its 16-entry permutes: #14 tables)."""
    with _lock:
        _target_machine()
        return _avx512
# --- end #14 tables ---


def load_object(code: bytes) -> None:
    """Link object code into this process's engine (its functions: ``function_address``)."""
    global _engine
    with _lock:
        if _engine is None:
            _engine = llvm.create_mcjit_compiler(llvm.parse_assembly(""), _target_machine())
        _engine.add_object_file(llvm.ObjectFileRef.from_data(code))
        _engine.finalize_object()


def function_address(name: str) -> int:
    """The address of a loaded function (0: none of that name)."""
    with _lock:
        return _engine.get_function_address(name) if _engine is not None else 0


# --- (s12 fusemandel) LLVM's limit on a loop's runtime alias checks ----------------------------------------
# A Numba kernel's arrays are plain pointers to LLVM, so its loop vectoriser proves they do not overlap with a
# runtime check per pair (each written array against every other array: W*R + W*(W-1)/2). Above
# ``vectorize-memory-check-threshold`` (LLVM's default: 128) it gives up ("loop not vectorized: too many memory
# checks needed") and the loop stays scalar. A map kernel may have 32 arrays, and the checks run once per loop
# (chunk), not per element: fused mandelbrot's last chunk (17 inputs, 7 outputs: 140 checks) ran scalar, 17.5 ms
# a call against 2.9 ms vectorised (docs/fuse_programs.md, s12 fusemandel). The limit is an LLVM option of the
# whole process, so it is raised only around lazyarr's own compiles (under Numba's compiler lock, which every
# Numba compile takes) and set back after: a user's Numba functions compile as they would without lazyarr.
LLVM_MEMORY_CHECKS = 128  # LLVM's own default of vectorize-memory-check-threshold (measured: 128 stays scalar)
MEMORY_CHECKS = 1024  # above any map kernel's (32 arrays: at most 496)


class many_memory_checks:
    """Context: LLVM's loop vectoriser accepts up to MEMORY_CHECKS runtime alias checks a loop."""

    def __enter__(self):
        llvm.set_option("", f"-vectorize-memory-check-threshold={MEMORY_CHECKS}")
        return self

    def __exit__(self, *exc):
        llvm.set_option("", f"-vectorize-memory-check-threshold={LLVM_MEMORY_CHECKS}")
        return False


def memory_checks(n_read: int, n_written: int) -> int:
    """How many runtime alias checks LLVM's vectoriser needs for a loop reading `n_read` arrays and writing
    `n_written` (each written array against every other one; measured: 17 read, 7 written -> 140)."""
    return n_written * n_read + n_written * (n_written - 1) // 2
# --- end s12 fusemandel ---


# (#14 small calls) names in object code resolved to addresses of this process: the C API functions and
# objects a quick kernel's entry uses (runtime/quick_entry.py). They are resolved when an object is linked, so
# the object code itself holds no address of this process.
def add_symbols(addresses: dict) -> None:
    """Make each name resolve to its address in objects linked from now on."""
    with _lock:
        for name, address in addresses.items():
            llvm.add_symbol(name, address)
# --- end #14 small calls ---


def _release_after_fork() -> None:
    _lock.release()


if hasattr(os, "register_at_fork"):
    # a fork waits for a compile or load under way in another thread: the child never inherits LLVM's engine
    # halfway through one, nor a held lock
    os.register_at_fork(before=_lock.acquire, after_in_parent=_release_after_fork,
                        after_in_child=_release_after_fork)
