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


def freeze_startup_objects() -> None:
    """Call once everything is imported and the store is open, just before the app runs.

    No `gc.collect()` first: at that point a full collection found ~50 unreachable objects among
    ~50 000 and cost 28–52 ms of the cold start (bench/start.py); those few are frozen with the
    rest, and freezing itself costs nothing."""
    gc.freeze()
