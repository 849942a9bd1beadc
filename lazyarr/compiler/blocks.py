"""Generated source as nested blocks: a block is a head line (``for i in range(n):``) and a body of lines and
blocks, and rendering indents each body one level below its head. Code generators build blocks and render
once, so no indentation is counted by hand and no generated text is parsed again.
"""
from __future__ import annotations

INDENT = "    "

# Numba splits a prange loop into one equal chunk per thread, so the slowest thread sets the time: on a shared
# machine, one core busy with something else makes a 2-thread kernel barely faster than 1 thread. With
# smaller chunks, TBB (the layer lazyarr picks when it can) lets an idle thread take chunks a busy one has not
# started, so every core works to the end. A few per thread is enough; each chunk costs a task of about a
# microsecond. (The workqueue fallback deals chunks out in order: no balancing there, and no harm.)
CHUNKS_PER_THREAD = 8


class Block:
    """`head` and the statements under it; a block without a head is a run of statements at its own level."""

    def __init__(self, head: str | None, body=()):
        self.head = head
        self.body: list[str | Block] = list(body)

    def lines(self, level: int = 0) -> list[str]:
        out = [] if self.head is None else [INDENT * level + self.head]
        inner = level if self.head is None else level + 1
        for item in self.body:
            out += item.lines(inner) if isinstance(item, Block) else [INDENT * inner + item]
        return out

    def render(self, level: int = 0) -> str:
        return "\n".join(self.lines(level))


def sequence(*items: str | Block) -> Block:
    return Block(None, items)


def prange_loop(var: str, count: str, body, parallel: bool) -> Block:
    """``for var in range(count)``, as ``numba.prange`` when `parallel`, in about CHUNKS_PER_THREAD chunks per
    thread. The chunk size is Numba's per-thread setting, so it is set just before the loop and the caller's
    value restored after it: the user's own Numba code running in this thread later is not affected."""
    if not parallel:
        return Block(f"for {var} in range({count}):", body)
    return sequence(
        f"_chunk = S.set_parallel_chunksize(max(1, ({count}) // ({CHUNKS_PER_THREAD} * S.num_threads())))",
        Block(f"for {var} in numba.prange({count}):", body),
        "S.set_parallel_chunksize(_chunk)",
    )


def as_comment(text: str) -> str:
    """`text` as comment lines (blank lines stay blank)."""
    return "".join("# " + line if line.strip() else line for line in text.splitlines(keepends=True))
