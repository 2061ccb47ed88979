"""How the app's process gets its memory: glibc's malloc, set for a server that runs models
on many threads for a long time. app.py calls `limit_fragmentation()` first thing, before
torch or Gradio start a thread.

With glibc's defaults the app's resident memory kept growing round after round of the same
load (`python -m cls_core.bench --soak`), while after glibc's `malloc_trim(0)` it stayed about
flat (`--soak --in-process`): memory freed but kept by malloc, not leaked. Two defaults cause it:

- Arenas. glibc gives threads up to 8 heaps ("arenas") per core, and Gradio's worker threads,
  the integrated-gradients pool and the evaluations each land in their own; a block freed in
  one arena serves only that arena, so every arena grows to its own peak. ARENAS of them are
  shared by all threads instead: the gates let only a few heavy requests run at once
  (cls_core.app.concurrency), so threads seldom wait on each other's malloc.
- The mmap threshold. A block at least this large is mapped alone and handed back to the
  system when freed. glibc raises the threshold (up to 32 MiB) each time such a block is freed,
  after which tensors of a few MiB come from the arenas and leave holes there that the system
  never gets back. A fixed MMAP_THRESHOLD stops that; tensors below it are the small ones of
  one headline.

A setting glibc already read from the environment (MALLOC_ARENA_MAX, MALLOC_MMAP_THRESHOLD_)
is left as it is; CLS_MALLOC_DEFAULTS=1 keeps glibc's defaults (to measure the difference).
Elsewhere than glibc nothing is changed.

What is freed after heavy work is then handed back to the system by `release_free_memory()`
(glibc's malloc_trim), which the gates call when the last heavy request of a kind has left
(cls_core.app.concurrency): without it a free block between two used ones stays resident.
"""

import ctypes
import os
import threading

ARENAS = 2
MMAP_THRESHOLD = 4 * 1024 * 1024  # bytes
M_MMAP_THRESHOLD, M_ARENA_MAX = -3, -8  # mallopt's parameter numbers, from glibc's malloc.h
SETTINGS = {"MALLOC_ARENA_MAX": (M_ARENA_MAX, ARENAS), "MALLOC_MMAP_THRESHOLD_": (M_MMAP_THRESHOLD, MMAP_THRESHOLD)}


def glibc():
    """The C library of this process if it is glibc, else None."""
    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version  # only glibc has it
        return libc
    except (OSError, AttributeError):
        return None


def limit_fragmentation():
    """Set ARENAS and MMAP_THRESHOLD (see the module docstring); call before any thread
    starts. Returns {environment variable name: value set} for the settings it made."""
    libc = glibc()
    if libc is None or os.environ.get("CLS_MALLOC_DEFAULTS"):
        return {}
    made = {}
    for variable, (parameter, value) in SETTINGS.items():
        if variable not in os.environ and libc.mallopt(parameter, value) == 1:  # mallopt: 1 on success
            made[variable] = value
    return made


_trimming = threading.Lock()


def release_free_memory():
    """Hand the memory malloc holds free back to the system (glibc's malloc_trim(0)), on a
    thread of its own so that no request waits for it; a trim under way makes this a no-op.
    Returns the thread started, or None."""
    libc = glibc()
    if libc is None or not _trimming.acquire(blocking=False):
        return None

    def trim():
        try:
            libc.malloc_trim(0)
        finally:
            _trimming.release()

    thread = threading.Thread(target=trim, name="malloc-trim", daemon=True)
    thread.start()
    return thread
