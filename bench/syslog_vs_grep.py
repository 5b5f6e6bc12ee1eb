#!/usr/bin/env python3
"""Whole-run benchmark: `lockscope investigate` on an auth log against `grep -c "Failed password"`.

`grep -c` is the floor every admin knows: it only counts lines. lockscope reads every line into
an event (time, host, program, user, source, outcome), correlates per user and across sources,
explains each account and writes the case folder. Both run on the same file in the same run,
several times; the script prints medians, MB/s, lines/s, peak RSS and the ratio.

Usage: bench/syslog_vs_grep.py [--runs N] [--copies K] [--corpus DIR]
  --copies K  the input is K copies of the corpus's loghub OpenSSH_2k.log, one after the other
"""
import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, measure, table  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--copies", type=int, default=200)
    ap.add_argument("--corpus", default=os.environ.get("LOCKSCOPE_CORPUS", str(ROOT.parent / "shared" / "corpus")))
    args = ap.parse_args()
    sample = Path(args.corpus, "linux", "loghub", "OpenSSH_2k.log")
    if not sample.exists():
        sys.exit(f"{sample} is absent")
    subprocess.run(["cargo", "build", "--release", "--locked", "-q", "-p", "lockscope-cli"], cwd=ROOT, check=True)
    lockscope = ROOT / "target" / "release" / "lockscope"
    text = sample.read_bytes()
    if not text.endswith(b"\n"):
        text += b"\n"  # the loghub file has no final newline
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp, "auth.log")
        log.write_bytes(text * args.copies)
        size = log.stat().st_size
        lines = text.count(b"\n") * args.copies
        case = Path(tmp, "case")
        tools = {
            'grep -c "Failed password"': ["grep", "-c", "Failed password", str(log)],
            "lockscope investigate": [str(lockscope), "-q", "investigate", str(log), "-o", str(case), "--year", "2024"],
        }
        results = measure(tools, args.runs)
    title = f"{sample.name} x{args.copies}: {size / 1e6:.1f} MB, {lines} lines, median of {args.runs} runs"
    table(title, size, "lines", lines, results, 'grep -c "Failed password"')

if __name__ == "__main__":
    main()
