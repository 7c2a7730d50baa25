"""Each workaround turned off from the outside, for the with-and-without benchmarks
(test_bench_workarounds.py, test_bench_memory.py): nothing in `tui/` reads these.

`without("footer,gc")` undoes the named ones in this process; call it before `tui.cli` runs
(or before the app is made). The names:

- styles: textual_fixes item 1, the colour-keyed style cache (textual#6665);
- input: textual_fixes item 2, the input thread without its 0.1 s poll;
- footer: the footer fix (textual#6666, and its keys in the first frame);
- gc: the garbage collector paused at start (`run_app`, `status`'s `_short_lived`);
- daemon: the daemon-thread executor of the TUI's loop;
- trim: `malloc_trim` every 10 minutes (free_memory);
- endpoints: the trimmed endpoints cache;
- fast: `status`'s plain reading of its argv (`tui.cli._plain_status`);
- named_tuple: `typing.NamedTuple` for the engine's own;
- pathlib: pathlib loaded, as it would be if `status`'s read path named files as `Path`s
  (it names them as strings).
"""

from __future__ import annotations

NAMES = ("styles", "input", "footer", "gc", "daemon", "trim", "endpoints", "fast",
         "named_tuple", "pathlib")


def without(names: str) -> None:
    wanted = {name.strip() for name in names.split(",") if name.strip()}
    unknown = wanted - set(NAMES)
    if unknown:
        raise SystemExit(f"unknown workaround(s): {', '.join(sorted(unknown))}")
    if "named_tuple" in wanted:  # before any engine module takes the name
        import typing

        import tui.engine.named_tuple

        tui.engine.named_tuple.NamedTuple = typing.NamedTuple  # type: ignore[misc]
    if "pathlib" in wanted:
        import pathlib  # noqa: F401 (what naming files as paths would load)
    if "gc" in wanted:
        import gc

        gc.disable = gc.freeze = lambda: None  # type: ignore[assignment]
    if "fast" in wanted:
        import tui.cli

        tui.cli._plain_status = lambda argv: None
    if "endpoints" in wanted:
        import tui.engine.aws.client

        tui.engine.aws.client.trimmed_endpoints_with_path = lambda loader: None
    if "trim" in wanted:
        import tui.engine.free_memory

        tui.engine.free_memory.release = lambda: False
    if "daemon" in wanted:
        from concurrent.futures import ThreadPoolExecutor

        import tui.app.daemon_threads

        tui.app.daemon_threads.DaemonThreadExecutor = ThreadPoolExecutor  # type: ignore[misc]
    if wanted & {"styles", "input", "footer"}:
        from tui.app import textual_fixes
        from tui.app.widgets import footer
        from tui.engine.patched_internals import TURNED_OFF

        for name, patch in (("styles", textual_fixes.STYLES_FIX),
                            ("input", textual_fixes.INPUT_FIX),
                            ("footer", footer.FIX)):
            if name in wanted:
                TURNED_OFF[patch] = "off for a benchmark"


def prelude(names: str) -> str:
    """Python source that undoes `names` and runs the CLI as the console script does."""
    return (f"from tests.benchmarks.workaround_switches import without\nwithout({names!r})\n"
            "import sys\nfrom tui.cli import main\nraise SystemExit(main())\n")

