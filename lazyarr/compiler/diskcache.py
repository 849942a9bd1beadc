"""Kernel files on disk: where they live, how they are checked before Numba trusts them, and the size limit.

For a kernel whose source text hashes to ``K`` (``lazyarr_k`` + 24 hex digits) the kernel directory holds

    K.py         the generated module; its name is the hash of its text, so the text is checked on every load
    K.sum        JSON written after a compile: Numba's cache directory and the SHA-256 of each file Numba wrote
                 for K; its modification time is the kernel's last use (for least-recently-used eviction)
    K.lock       an advisory lock (``flock``): one process at a time compiles, verifies or evicts K

and Numba's own files for it (``K.kernel-<line>.py311.nbi`` index and ``.1.nbc`` machine code) sit in
``__pycache__`` beside them (or under ``NUMBA_CACHE_DIR`` when that is set).

Numba checks neither its index nor its data files: garbage there raises from deep inside it, and a damaged
``.nbc`` that still unpickles would run damaged machine code. So Numba only ever sees files whose checksums
match ``K.sum``; anything else is deleted first and the kernel is compiled again. A ``K.py`` whose text is
not the text it is named after (truncated, edited) is rewritten for the same reason: it could be valid Python
that computes something else.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import threading
import warnings
from dataclasses import dataclass

from lazyarr import config
from lazyarr.kernels import numba_glue

try:
    import fcntl
except ImportError:  # Windows: no cross-process lock; concurrent compiles of one kernel just both compile
    fcntl = None

PREFIX = "lazyarr_k"
# The quick tier's object files (compiler/llvm_tier.py: ``lazyarr_q<hash>.o``) and entries share the directory, the size limit
# and the least-recently-used eviction; their names have the same length.
QUICK_PREFIX = "lazyarr_q"
ENTRY_PREFIX = "lazyarr_e"  # the small-call entries of quick kernels (runtime/quick_entry.py): counted the same way
NAME_LENGTH = len(PREFIX) + 24
EVICT_TO = 0.9  # after exceeding the limit, evict down to this fraction of it (not one kernel per compile)

_state_lock = threading.Lock()
_usable: dict[str, str] = {}  # configured kernel directory -> the directory actually used for it
_fallback_dir: str | None = None
_bytes_estimate: dict[str, int] = {}  # kernel directory -> bytes under it (last scan + what we wrote since)


@dataclass
class Entry:
    """One kernel's files, prepared for import: ``had_numba_files`` says Numba may load rather than compile."""
    name: str
    directory: str
    path: str
    had_numba_files: bool


def module_name(source: str) -> str:
    return PREFIX + hashlib.sha256(source.encode()).hexdigest()[:24]


def configured_dir() -> str:
    return os.path.join(config.cache_dir(), "kernels")


# --- which directory ---------------------------------------------------------------------------------------

def kernel_dir() -> str:
    """The configured kernel directory, or (with one warning) a private temporary one if it is not usable."""
    configured = configured_dir()
    with _state_lock:
        chosen = _usable.get(configured)
        if chosen is not None and (chosen != configured or os.path.isdir(configured)):
            return chosen
    problem = _problem_with(configured)
    with _state_lock:
        _usable[configured] = configured if problem is None else _fallback(configured, problem)
        return _usable[configured]


def mark_unusable(directory: str, exc: OSError) -> str:
    """A write into `directory` failed after all: use the fallback from now on; returns it."""
    with _state_lock:
        _usable[directory] = _fallback(directory, exc)
        return _usable[directory]


def _problem_with(directory: str) -> OSError | None:
    """None if kernels and Numba's __pycache__ beside them can be created and written in `directory`."""
    try:
        for path in (directory, os.path.join(directory, "__pycache__")):
            os.makedirs(path, exist_ok=True)
            tempfile.TemporaryFile(dir=path).close()  # mode bits alone do not say (root, read-only mounts)
    except OSError as exc:
        return exc
    return None


def _fallback(configured: str, problem: OSError) -> str:
    global _fallback_dir
    if _fallback_dir is None:
        _fallback_dir = tempfile.mkdtemp(prefix="lazyarr-kernels-")
        os.makedirs(os.path.join(_fallback_dir, "__pycache__"))
        import atexit
        atexit.register(shutil.rmtree, _fallback_dir, True)
    warnings.warn(f"lazyarr: the kernel cache directory {configured!r} is not usable ({problem}); kernels are "
                  f"compiled into {_fallback_dir} for this process and not kept (set LAZYARR_CACHE_DIR)",
                  RuntimeWarning, stacklevel=2)
    return _fallback_dir


# --- one kernel ----------------------------------------------------------------------------------------------

@contextlib.contextmanager
def open_entry(source: str):
    """Lock the kernel's files, make ``K.py`` hold exactly `source`, remove Numba files that fail their check."""
    name = module_name(source)
    directory = kernel_dir()
    try:
        lock = _lock_file(directory, name)
    except OSError as exc:
        directory = mark_unusable(directory, exc)
        lock = _lock_file(directory, name)
    with lock:
        try:
            path = _write_source(directory, name, source)
        except OSError as exc:
            directory = mark_unusable(directory, exc)
            path = _write_source(directory, name, source)
        yield Entry(name, directory, path, _verify(directory, name))


def recorded(source: str) -> bool:
    """Whether a compile of `source` was recorded on disk (its ``K.sum`` exists), so that getting it should be
    a load of milliseconds rather than a compile (serial-first asks, #14). A hint: the load still checks."""
    return os.path.exists(os.path.join(kernel_dir(), module_name(source) + ".sum"))


def _write_source(directory: str, name: str, source: str) -> str:
    path = os.path.join(directory, name + ".py")
    try:
        with open(path, "rb") as f:
            on_disk = f.read()
    except FileNotFoundError:
        on_disk = None
    except OSError:
        on_disk = b""
    if on_disk == source.encode():
        return path
    if on_disk is not None:
        warnings.warn(f"lazyarr: kernel file {path!r} does not hold the text it is named after (truncated or "
                      "edited); rewriting it and compiling again", RuntimeWarning, stacklevel=2)
    wipe_numba_files(directory, name)  # whatever Numba kept for another text is not for this one
    tmp = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
    with open(tmp, "wb") as f:
        f.write(source.encode())
    os.replace(tmp, path)  # atomic: a reader sees the old file or the whole new one
    return path


def _verify(directory: str, name: str) -> bool:
    """Whether Numba files for `name` exist and match the checksums recorded when they were written.

    Files without a record (written by an older lazyarr, or a compile that died before recording) are deleted
    quietly; files that contradict their record are deleted with a warning."""
    found = _numba_files(directory, name)
    if not found:
        return False
    record = _read_record(directory, name)
    if record is None:
        wipe_numba_files(directory, name)
        return False
    numba_dir = _recorded_dir(directory, record) or ""
    expected = {os.path.join(numba_dir, f): digest for f, digest in record.get("files", {}).items()}
    actual = {path: _digest(path) for path in found}
    if actual != expected:
        bad = sorted(os.path.basename(p) for p in set(actual) | set(expected)
                     if actual.get(p) != expected.get(p))
        warnings.warn(f"lazyarr: Numba cache files for kernel {name} fail their checksum ({', '.join(bad)}); "
                      "deleting them and compiling again", RuntimeWarning, stacklevel=2)
        wipe_numba_files(directory, name)
        return False
    return True


def record(entry: Entry, numba_dir: str) -> int:
    """After a compile: checksum the files Numba wrote for the kernel; returns the bytes the kernel occupies."""
    files = {os.path.basename(p): _digest(p) for p in _numba_files(entry.directory, entry.name, numba_dir)}
    relative = os.path.relpath(numba_dir, entry.directory)
    if not relative.startswith(os.pardir):
        numba_dir = relative  # inside the kernel directory: the record stays true when the directory moves
    text = json.dumps({"numba_dir": numba_dir, "files": files})
    path = os.path.join(entry.directory, entry.name + ".sum")
    tmp = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)
    return sum(_size(p) for p in _group_paths(entry.directory, entry.name))


def touch(entry: Entry) -> None:
    """Mark the kernel as used now (its place in the eviction order)."""
    with contextlib.suppress(OSError):
        os.utime(os.path.join(entry.directory, entry.name + ".sum"))


def wipe_numba_files(directory: str, name: str) -> None:
    for path in _numba_files(directory, name):
        with contextlib.suppress(OSError):
            os.remove(path)
    with contextlib.suppress(OSError):
        os.remove(os.path.join(directory, name + ".sum"))


def _numba_dirs(directory: str, name: str) -> list[str]:
    """Where Numba may have put the kernel's files: beside it, under NUMBA_CACHE_DIR, where its record says."""
    dirs = [os.path.join(directory, "__pycache__")]
    import numba
    if numba.config.CACHE_DIR:
        py = os.path.join(directory, name + ".py")
        dirs.append(os.path.join(numba.config.CACHE_DIR, numba_glue.numba_cache_subpath(py)))
    recorded = _recorded_dir(directory, _read_record(directory, name))
    if recorded:
        dirs.append(recorded)
    return list(dict.fromkeys(os.path.normpath(d) for d in dirs))


def _recorded_dir(directory: str, record: dict | None) -> str | None:
    numba_dir = record.get("numba_dir") if record else None
    return os.path.normpath(os.path.join(directory, numba_dir)) if isinstance(numba_dir, str) else None


def _numba_files(directory: str, name: str, numba_dir: str | None = None) -> list[str]:
    found = []
    for d in [numba_dir] if numba_dir else _numba_dirs(directory, name):
        try:
            names = os.listdir(d)
        except OSError:
            continue
        found += [os.path.join(d, f) for f in names
                  if f.startswith(name + ".") and f.endswith((".nbi", ".nbc"))]
    return sorted(found)


def _read_record(directory: str, name: str) -> dict | None:
    try:
        with open(os.path.join(directory, name + ".sum")) as f:
            record = json.load(f)
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def _digest(path: str) -> str | None:
    try:
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except OSError:
        return None


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


class _FileLock:
    """An exclusive ``flock`` on ``K.lock``, or nothing where there is no fcntl."""

    def __init__(self, path: str):
        self.path, self.fd = path, None

    def acquire(self, blocking: bool = True) -> bool:
        if fcntl is None:
            return True
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except OSError:
            os.close(self.fd)
            self.fd = None
            if not blocking:
                return False
            raise
        return True

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing the descriptor drops the lock
            self.fd = None

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc):
        self.release()


def _lock_file(directory: str, name: str) -> _FileLock:
    lock = _FileLock(os.path.join(directory, name + ".lock"))
    if fcntl is not None:  # fail here, where the caller can fall back, rather than inside `with`
        os.close(os.open(lock.path, os.O_RDWR | os.O_CREAT, 0o644))
    return lock


# --- size limit and clearing ---------------------------------------------------------------------------------

def _groups(directory: str) -> dict[str, list[str]]:
    """Kernel name -> every path that belongs to it in `directory` and its __pycache__ (temporaries included)."""
    groups: dict[str, list[str]] = {}
    for d in (directory, os.path.join(directory, "__pycache__")):
        try:
            entries = os.listdir(d)
        except OSError:
            continue
        for f in entries:
            if f.startswith((PREFIX, QUICK_PREFIX, ENTRY_PREFIX)) and len(f) > NAME_LENGTH and f[NAME_LENGTH] == ".":
                groups.setdefault(f[:NAME_LENGTH], []).append(os.path.join(d, f))
    return groups


def _group_paths(directory: str, name: str) -> list[str]:
    paths = [os.path.join(directory, name + ext) for ext in (".py", ".sum", ".lock")]
    return paths + _numba_files(directory, name)


def _last_use(paths: list[str], directory: str, name: str) -> float:
    for path in (os.path.join(directory, name + ".sum"), os.path.join(directory, name + ".py")):
        with contextlib.suppress(OSError):
            return os.stat(path).st_mtime
    return min((os.stat(p).st_mtime for p in paths if os.path.exists(p)), default=0.0)


def note_written(directory: str, nbytes: int, keep: str) -> None:
    """A compile added `nbytes` under `directory`: evict least recently used kernels if over the limit."""
    limit = config.cache_max_bytes()
    if not limit or directory == _fallback_dir:
        return
    with _state_lock:
        known = _bytes_estimate.get(directory)
        if known is not None and known + nbytes <= limit:
            _bytes_estimate[directory] = known + nbytes
            return
    total = evict(directory, limit, keep)
    with _state_lock:
        _bytes_estimate[directory] = total


def evict(directory: str, limit: int, keep: str = "") -> int:
    """Delete least recently used kernels until `directory` holds at most EVICT_TO * `limit` bytes (when it
    holds more than `limit`); kernels another process is compiling, and `keep`, stay. Returns the bytes left."""
    groups = _groups(directory)
    sizes = {name: sum(_size(p) for p in paths) for name, paths in groups.items()}
    total = sum(sizes.values())
    if total <= limit:
        return total
    order = sorted(groups, key=lambda name: _last_use(groups[name], directory, name))
    for name in order:
        if total <= EVICT_TO * limit:
            break
        if name == keep:
            continue
        lock = _FileLock(os.path.join(directory, name + ".lock"))
        try:
            if not lock.acquire(blocking=False):
                continue
        except OSError:
            pass
        try:
            for path in _numba_files(directory, name) + groups[name]:
                if not path.endswith(".lock"):
                    with contextlib.suppress(OSError):
                        os.remove(path)
        finally:
            lock.release()
        with contextlib.suppress(OSError):
            os.remove(os.path.join(directory, name + ".lock"))
        total -= sizes[name]
    return total


def disk_usage(directory: str | None = None) -> tuple[int, int]:
    """(kernels, bytes) in the kernel directory."""
    groups = _groups(directory or configured_dir())
    return len(groups), sum(_size(p) for paths in groups.values() for p in paths)


def clear() -> None:
    """Delete every kernel file: the kernel directory, and Numba's files for them wherever they are."""
    for directory in {configured_dir(), *(d for d in (_fallback_dir,) if d)}:
        for name in _groups(directory):
            wipe_numba_files(directory, name)  # those under NUMBA_CACHE_DIR are outside the tree
        if directory == _fallback_dir:
            for f in os.listdir(directory):
                if f != "__pycache__":
                    with contextlib.suppress(OSError):
                        os.remove(os.path.join(directory, f))
        elif os.path.isdir(directory):
            shutil.rmtree(directory, ignore_errors=True)
    with _state_lock:
        _bytes_estimate.clear()
        _usable.clear()


def _reset_after_fork() -> None:
    global _state_lock
    _state_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)
