"""Shared helpers of the whole-run benchmarks: timing one command, and printing a result table."""
import os
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(cmd):
    """Wall seconds and peak RSS (KiB, from GNU time when present) of one run."""
    import time

    gnu_time = shutil.which("time") or ("/usr/bin/time" if os.path.exists("/usr/bin/time") else None)
    with tempfile.NamedTemporaryFile() as rss_file:
        full = [gnu_time, "-f", "%M", "-o", rss_file.name, *cmd] if gnu_time else cmd
        start = time.perf_counter()
        subprocess.run(full, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        wall = time.perf_counter() - start
        # GNU time prefixes "Command exited with non-zero status N" (lockscope exits 1 on findings).
        lines = Path(rss_file.name).read_text().strip().splitlines() if gnu_time else []
        rss = int(lines[-1]) if lines and lines[-1].isdigit() else 0
    return wall, rss


def measure(tools, runs):
    """Median wall time and peak RSS of each named command, after one warm-up run each."""
    results = {}
    for name, cmd in tools.items():
        timed(cmd)  # warm the page cache
        samples = [timed(cmd) for _ in range(runs)]
        results[name] = (statistics.median(s[0] for s in samples), max(s[1] for s in samples))
    return results


def table(title, size, unit, count, results, baseline):
    """Prints the results and the speed ratio of lockscope to `baseline`."""
    print(f"\n## {title}")
    print(f"{'tool':<28} {'seconds':>9} {'MB/s':>9} {unit + '/s':>11} {'peak RSS MB':>12}")
    for name, (wall, rss) in results.items():
        print(f"{name:<28} {wall:>9.3f} {size / 1e6 / wall:>9.1f} {count / wall:>11.0f} {rss / 1024:>12.1f}")
    ratio = results[baseline][0] / results["lockscope investigate"][0]
    print(f"ratio: lockscope's whole investigation runs at {ratio:.3g}x the speed of `{baseline}`")
    return ratio
