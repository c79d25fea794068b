"""Process settings for the interactive TUI, applied by the CLI before Textual is imported.

Measured with bench/picker.py (keystroke → rendered on 100k products × 10 warehouses): Textual
waits for the next frame of its 60 fps grid before painting (0–17 ms a keystroke), and Python's
young-generation GC, run every 700 allocations, lands inside frames as a tail of pauses. A
120 fps grid halves the wait (Textual only paints when something changed, so an idle screen
costs nothing more), and a larger gen-0 threshold plus freezing the start-up objects takes the
GC out of the keystroke path. Both can be overridden: TEXTUAL_FPS in the environment wins.
"""

from __future__ import annotations

import gc
import os

FPS = "120"
GC_THRESHOLDS = (50_000, 50, 100)


def tune_for_terminal() -> None:
    """Call before `import textual`: Textual reads TEXTUAL_FPS when it is first imported."""
    os.environ.setdefault("TEXTUAL_FPS", FPS)
    gc.set_threshold(*GC_THRESHOLDS)


def pause_gc_for_startup() -> None:
    """`tui-crm run`: no garbage collection until the first list is painted (`resume_gc`).

    With the 50 000-allocation young generation above, a start allocated enough for one young
    collection of ~50 000 objects (16–25 ms, bench/start.py) plus ~35 small ones before the
    thresholds were raised; start-up makes almost no cyclic garbage (a full collection found ~50
    unreachable objects among ~50 000), so the collector only cost time there."""
    gc.disable()


def freeze_startup_objects() -> None:
    """Call once everything is imported and the store is open, just before the app runs.

    No `gc.collect()` first: at that point a full collection found ~50 unreachable objects among
    ~50 000 and cost 28–52 ms of the cold start (bench/start.py); those few are frozen with the
    rest, and freezing itself costs nothing."""
    gc.freeze()


def resume_gc() -> None:
    """The first list is painted (`CrmApp(started=...)`): what the start made (the app, its first
    screen and rows) is frozen like the start-up objects, so later young collections do not
    scan it, and the collector runs again. Does nothing if the collector runs already."""
    if gc.isenabled():
        return
    gc.freeze()
    gc.enable()
