#!/usr/bin/env python3
"""Whole-run benchmark: `lockscope investigate` against `evtx_dump -o jsonl` on the same EVTX files.

lockscope only needs a small slice of the records, so its whole investigation (parse, correlate,
explain, write the case folder) should beat a plain parse-and-print of the same files by the
parser's own tool. Both run on the same inputs in the same run, several times; the script prints
medians, MB/s, records/s, peak RSS and the ratio.

Usage: bench/evtx_vs_dump.py [--runs N] [--copies K] [--corpus DIR]
  --copies K  also run on K copies of the corpus EVTX files (a larger input with the same content)
Needs: cargo (builds lockscope, installs evtx_dump 0.15.1 from crates.io into bench/.tools).
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / "bench" / ".tools"


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def ensure_tools():
    sh(["cargo", "build", "--release", "--locked", "-q", "-p", "lockscope-cli"], cwd=ROOT)
    dump = TOOLS / "bin" / "evtx_dump"
    if not dump.exists():
        sh(["cargo", "install", "-q", "evtx", "--version", "0.15.1", "--locked", "--root", str(TOOLS)])
    return ROOT / "target" / "release" / "lockscope", dump


def timed(cmd):
    """Wall seconds and peak RSS (KiB, from GNU time when present) of one run."""
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


def bench(label, files, runs, lockscope, dump, workdir):
    size = sum(f.stat().st_size for f in files)
    case = workdir / "case"
    listing = workdir / "inputs"
    listing.mkdir(exist_ok=True)
    for f in listing.iterdir():
        f.unlink()
    for i, f in enumerate(files):
        os.symlink(f, listing / f"{i:05}-{f.name}")
    # evtx_dump takes one file a run: one shell loop over all files is one timed unit.
    dump_loop = ["sh", "-c", 'for f in "$@"; do "$0" -o jsonl "$f" >/dev/null; done', str(dump), *map(str, files)]
    tools = {
        "evtx_dump -o jsonl": dump_loop,
        "lockscope investigate": [str(lockscope), "-q", "investigate", str(listing), "-o", str(case)],
    }
    results = {}
    for name, cmd in tools.items():
        timed(cmd)  # warm the page cache
        samples = [timed(cmd) for _ in range(runs)]
        results[name] = (statistics.median(s[0] for s in samples), max(s[1] for s in samples))
    records = count_records(case)
    print(f"\n## {label}: {len(files)} files, {size / 1e6:.1f} MB, {records} records, median of {runs} runs")
    print(f"{'tool':<24} {'seconds':>9} {'MB/s':>9} {'records/s':>11} {'peak RSS MB':>12}")
    for name, (wall, rss) in results.items():
        print(f"{name:<24} {wall:>9.3f} {size / 1e6 / wall:>9.1f} {records / wall:>11.0f} {rss / 1024:>12.1f}")
    ratio = results["evtx_dump -o jsonl"][0] / results["lockscope investigate"][0]
    print(f"ratio: lockscope's whole investigation is {ratio:.2f}x the speed of evtx_dump's plain parse")
    return ratio


def count_records(case):
    try:
        import json

        manifest = json.loads((case / "case.json").read_text())
        return manifest["totals"]["records"]
    except Exception:  # the case folder is only informative here
        return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--copies", type=int, default=20)
    ap.add_argument("--corpus", default=os.environ.get("LOCKSCOPE_CORPUS", str(ROOT.parent / "shared" / "corpus")))
    args = ap.parse_args()
    files = sorted(Path(args.corpus, "windows").rglob("*.evtx"))
    if not files:
        sys.exit(f"no EVTX files under {args.corpus}/windows")
    lockscope, dump = ensure_tools()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        bench("corpus", files, args.runs, lockscope, dump, work)
        if args.copies > 1:
            bench(f"corpus x{args.copies}", files * args.copies, args.runs, lockscope, dump, work)


if __name__ == "__main__":
    main()
