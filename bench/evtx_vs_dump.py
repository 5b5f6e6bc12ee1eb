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
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, measure, table  # noqa: E402

TOOLS = ROOT / "bench" / ".tools"


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def ensure_tools():
    sh(["cargo", "build", "--release", "--locked", "-q", "-p", "lockscope-cli"], cwd=ROOT)
    dump = TOOLS / "bin" / "evtx_dump"
    if not dump.exists():
        sh(["cargo", "install", "-q", "evtx", "--version", "0.15.1", "--locked", "--root", str(TOOLS)])
    return ROOT / "target" / "release" / "lockscope", dump


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
    results = measure(tools, runs)
    records = count_records(case)
    title = f"{label}: {len(files)} files, {size / 1e6:.1f} MB, {records} records, median of {runs} runs"
    return table(title, size, "records", records, results, "evtx_dump -o jsonl")


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
