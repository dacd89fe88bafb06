"""Settings for polars' memory allocator (jemalloc), made before polars loads.

Polars hands freed memory back to the system after half a second. Validating a claim file frees and allocates
column after column for seconds on end, so the system had to give the same memory back again and again, each
page faulted in and cleared anew: at a million claims that was a third of the run's processor time. Freed
memory is kept for ten seconds instead, and reused.

Jemalloc reads the settings once, when polars loads: importing yibao first (as its command line does) applies
them; a program that imports polars before yibao can set the variable itself. A value already set wins.
"""

from __future__ import annotations

import os

POLARS_ALLOCATOR = "_RJEM_MALLOC_CONF"
"""The environment variable polars' jemalloc reads its settings from."""
KEEP_FREED_MEMORY = "dirty_decay_ms:10000,muzzy_decay_ms:10000"
"""Freed memory is kept this long (milliseconds) before it goes back to the system (polars' own: 500 and 1000)."""

os.environ.setdefault(POLARS_ALLOCATOR, KEEP_FREED_MEMORY)
