"""Garbage-collector settings for a server process.

A webhook batch allocates hundreds of thousands of short-lived objects (decoded bodies,
row drafts, views, events). With CPython's default thresholds (700, 10, 10) the collector
ran so often over the large, long-lived heap that it took about a third of the batch
path's CPU (bench/ingest.py: 2.6 s of Python per 30,000 messages, 1.6-1.8 s with these
settings). Reference counting frees almost everything; the collector only has to find
cycles, which can wait for more allocations. Objects alive at start (modules, the app)
are frozen out of the collector's scans altogether.
"""

from __future__ import annotations

import gc

THRESHOLDS = (10_000, 50, 100)


def tune_garbage_collector() -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
