#!/usr/bin/env python3
"""Whole-run benchmark: `lockscope scan` against ripgrep running the same secret patterns.

ripgrep's default engine is the Rust `regex` crate, the one lockscope compiles its rules with, so
`rg -f patterns.txt` over the rule files' own patterns is the plain regex floor. lockscope also
finds the keywords first, runs each rule only near them, validates each candidate (checksums,
randomness, placeholders), settles overlapping rules, fingerprints each secret and decodes tokens.
Both run on the same input in the same run, interleaved, several times; the script prints
medians of wall time, MB/s and peak RSS, the findings of each tool and the speed ratio.

Inputs:
  ordinary logs  the corpus's text logs (linux/, entra/, windows/ JSON/XML/text; no .evtx)
                 repeated to --size-mb, with a GitHub token, a JWT and an AWS key id planted
                 every ~1 MB;
  --large        the same at --large-mb (default 1000 MB);
  corpus         the corpus folder itself, every file (EVTX and the secrets test files included).

Usage: bench/secrets_vs_ripgrep.py [--runs N] [--size-mb MB] [--large] [--large-mb MB]
                                   [--corpus DIR] [--no-ripsecrets] [--per-rule]
Needs: ripgrep (`rg`) on PATH, and cargo (builds lockscope). Optionally compares `ripsecrets`:
taken from PATH, else installed from crates.io (`cargo install ripsecrets --locked`, with a
temporary CARGO_HOME) into $LOCKSCOPE_BENCH_TOOLS (default: <tmp>/lockscope-bench-tools), skipped
when that fails or takes longer than --ripsecrets-timeout seconds.
"""
import argparse
import collections
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, timed  # noqa: E402

RULES = ROOT / "crates" / "lockscope-secrets" / "rules"
TOOLS = Path(os.environ.get("LOCKSCOPE_BENCH_TOOLS", Path(tempfile.gettempdir(), "lockscope-bench-tools")))

# Planted every ~1 MB: each line is one finding for lockscope (the JWT's line also matches
# `http-bearer-token`; lockscope keeps the higher-priority `jwt`, rg counts the line once).
PLANTED = [
    b"Apr 18 14:59:07 build01 ci-runner[4242]: export GITHUB_TOKEN=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\n",
    b"Apr 18 14:59:07 build01 api[4243]: request headers: Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6"
    b"IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwp"
    b"MeJf36POk6yJV_adQssw5c\n",
    b'Apr 18 14:59:08 build01 deploy[4244]: config {"aws_access_key": "AKIAN95B87AWHT6U0699", "region": "eu-west-1"}\n',
]
EVERY = 1_000_000

# A tool whose warm-up run takes longer than this is timed once more instead of --runs times.
SLOW = 30.0

NOTES = """\
notes:
- Counts differ by design. `rg -c` counts lines with at least one match of any pattern, with no
  validation. lockscope counts secrets: several per line if present, after the rule checks
  (GitHub/npm CRC32, randomness of generic values, placeholders, AWS example keys), after settling
  overlapping rules (a JWT in an `Authorization: Bearer` header is one `jwt` finding, not also
  `http-bearer-token`) and after the `pragma: allowlist secret` marker. `ripsecrets
  --only-matching` prints one line per match of its own, different, rule set.
- The patterns given to rg are the rules' own, each as `(?-u)(?:PATTERN)` with named groups made
  non-capturing: ripgrep 13 joins `-f` patterns with a bare `|`, so duplicate `secret` groups do
  not compile and an inline `(?i)` would leak into the patterns after it.
- rg is line-oriented: it removes `\\n` from classes such as `\\s` and `[\\x00-\\xff]`, so the
  multi-line PEM and PuTTY key rules only match on one line (the JSON-escaped form) there.
- Both tools parallelise across files only: on one file, `-j1` and `--threads 1` change nothing
  but the thread pool. The thread variants differ on the corpus folder.
- rg's time includes compiling one large alternation of every pattern (a fixed ~0.1-0.3 s,
  measured on /dev/null above); lockscope compiles each rule separately, lazily per search.
"""


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def need_rg():
    rg = shutil.which("rg")
    if rg:
        return rg
    sys.exit(
        "ripgrep (`rg`) is not on PATH; this benchmark compares against it and installs nothing itself.\n"
        "Install it, then re-run:\n"
        "  Debian/Ubuntu: sudo apt-get install -y ripgrep\n"
        "  Fedora:        sudo dnf install ripgrep\n"
        "  macOS:         brew install ripgrep\n"
        "  any (cargo):   cargo install ripgrep --locked"
    )


def ripsecrets(enabled, timeout):
    """The ripsecrets binary, or None with a printed reason."""
    if not enabled:
        return None
    found = shutil.which("ripsecrets") or (TOOLS / "bin" / "ripsecrets")
    if Path(found).exists():
        return str(found)
    print(f"ripsecrets: not found; installing it from crates.io into {TOOLS} (at most {timeout:.0f} s)")
    env = dict(os.environ, CARGO_HOME=str(TOOLS / "cargo-home"))
    cmd = ["cargo", "install", "-q", "ripsecrets", "--locked", "--root", str(TOOLS)]
    try:
        subprocess.run(cmd, env=env, check=True, timeout=timeout, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    except subprocess.TimeoutExpired:
        print(f"ripsecrets: skipped, `cargo install` took longer than {timeout:.0f} s")
        return None
    except (subprocess.CalledProcessError, OSError) as e:
        tail = (getattr(e, "stderr", b"") or b"").decode(errors="replace").strip().splitlines()[-3:]
        print(f"ripsecrets: skipped, `cargo install ripsecrets` failed: {' / '.join(tail) or e}")
        return None
    return str(TOOLS / "bin" / "ripsecrets")


def version(cmd):
    try:
        out = subprocess.run([*cmd, "--version"], capture_output=True, text=True, check=False).stdout
        return out.splitlines()[0].strip() if out else "?"
    except OSError:
        return "?"


def revision():
    r = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True)
    return r.stdout.strip() or "an unknown revision"


# --- patterns --------------------------------------------------------------------------------


def load_rules():
    rules = []
    for f in sorted(RULES.glob("*.toml")):
        with open(f, "rb") as fh:
            for r in tomllib.load(fh)["rule"]:
                rules.append((r["id"], r["pattern"]))
    return rules


def for_rg(pattern):
    """One rule's pattern as one line of an rg patterns file."""
    return "(?-u)(?:" + re.sub(r"\(\?P?<[A-Za-z_][A-Za-z0-9_]*>", "(?:", pattern) + ")"


def rg_compiles(rg, patterns, path):
    """None when rg compiles `patterns` (one per line), else its error message."""
    path.write_text("".join(p + "\n" for p in patterns))
    r = subprocess.run([rg, "--no-config", "-c", "-f", str(path), os.devnull], capture_output=True, text=True)
    return None if r.returncode in (0, 1) else (r.stderr.strip() or f"exit status {r.returncode}")


def prepare_patterns(rg, rules, work):
    """Writes patterns.txt with every pattern rg compiles; returns it, the rules kept, and failures."""
    failed = {}
    for rid, pat in rules:
        err = rg_compiles(rg, [for_rg(pat)], work / "one-pattern.txt")
        if err:
            failed[rid] = err
    kept = [(rid, pat) for rid, pat in rules if rid not in failed]
    patterns = work / "patterns.txt"
    err = rg_compiles(rg, [for_rg(p) for _, p in kept], patterns)
    return patterns, kept, failed, err


# --- inputs ----------------------------------------------------------------------------------


def text_logs(corpus):
    """The corpus's text logs, never binary EVTX."""
    c = Path(corpus)
    files = [p for p in (c / "linux").rglob("*") if p.is_file()]
    files += [p for p in (c / "entra").rglob("*") if p.suffix.lower() in (".json", ".csv", ".log")]
    files += [p for p in (c / "windows").rglob("*") if p.suffix.lower() in (".xml", ".json", ".txt", ".log", ".csv")]
    return sorted(p for p in files if p.is_file() and p.suffix.lower() != ".evtx")


def write_logs(path, files, target):
    """Writes the logs repeated to `target` bytes, the planted lines after every ~1 MB."""
    blob = b""
    for f in files:
        data = f.read_bytes()
        blob += data if data.endswith(b"\n") else data + b"\n"
    block = b"".join(PLANTED)
    written = lines = planted = pos = 0
    with open(path, "wb") as out:
        while written < target:
            need = EVERY
            while need > 0:
                cut = blob.find(b"\n", min(len(blob) - 1, pos + need - 1))
                chunk = blob[pos : cut + 1]
                out.write(chunk)
                need -= len(chunk)
                written += len(chunk)
                lines += chunk.count(b"\n")
                pos = 0 if cut + 1 >= len(blob) else cut + 1
            out.write(block)
            written += len(block)
            lines += len(PLANTED)
            planted += len(PLANTED)
    return written, lines, planted


# --- runs ------------------------------------------------------------------------------------


def measure(tools, runs):
    """Median wall time and median peak RSS (KiB) of each command, runs interleaved across tools
    after one warm-up run each, so drift on a shared machine hits every tool alike."""
    samples = {name: [] for name in tools}
    planned = {}
    for name, cmd in tools.items():
        wall, _ = timed(cmd)  # warms the page cache
        planned[name] = 1 if wall > SLOW else runs
    for i in range(runs):
        for name, cmd in tools.items():
            if i < planned[name]:
                samples[name].append(timed(cmd))
    return {
        n: (statistics.median(w for w, _ in s), statistics.median(r for _, r in s), len(s)) for n, s in samples.items()
    }


def rg_lines(cmd):
    """Lines matched, summed over files (`-c --no-filename`), or None if rg failed."""
    r = subprocess.run([*cmd, "--no-filename"], capture_output=True, text=True)
    if r.returncode not in (0, 1):
        return None
    return sum(int(x) for x in r.stdout.split())


def lockscope_findings(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode not in (0, 1):
        return None
    return collections.Counter(json.loads(line)["rule"] for line in r.stdout.splitlines() if line.strip())


def output_lines(cmd):
    r = subprocess.run(cmd, capture_output=True)
    return r.stdout.count(b"\n")


def bench(label, target, size, unit, count, env, runs, per_rule):
    rg, patterns, kept, lockscope, rsec = env["rg"], env["patterns"], env["kept"], env["lockscope"], env["ripsecrets"]
    is_dir = Path(target).is_dir()
    # On a folder rg must read what lockscope reads: every non-hidden file, binary or ignored.
    rg_base = [rg, "--no-config", *(["-a", "--no-ignore"] if is_dir else []), "-c", "-f", str(patterns)]
    cpus = os.cpu_count() or 1
    tools = {}
    if env["rg_ok"]:
        flags = "-a --no-ignore " if is_dir else ""
        tools[f"rg -j1 {flags}-c -f patterns.txt"] = [*rg_base[:2], "-j1", *rg_base[2:], str(target)]
        tools[f"rg {flags}-c -f patterns.txt (j{cpus})"] = [*rg_base, str(target)]
    ls_1 = [str(lockscope), "--threads", "1", "scan", str(target), "-q", "--format", "jsonl"]
    ls_n = [str(lockscope), "scan", str(target), "-q", "--format", "jsonl"]
    tools["lockscope --threads 1 scan"] = ls_1
    tools[f"lockscope scan ({cpus} threads)"] = ls_n
    if rsec:
        tools["ripsecrets --only-matching"] = [rsec, "--only-matching", str(target)]
    results = measure(tools, runs)

    found = {}
    if env["rg_ok"]:
        found["rg"] = rg_lines([*rg_base, str(target)])
    by_rule = lockscope_findings(ls_n)
    kept_ids = {rid for rid, _ in kept}
    found["lockscope"] = None if by_rule is None else sum(by_rule.values())
    by_rule = by_rule or collections.Counter()
    found["lockscope_kept"] = sum(v for k, v in by_rule.items() if k in kept_ids)
    if rsec:
        found["ripsecrets"] = output_lines(tools["ripsecrets --only-matching"])

    print(f"\n## {label}: {size / 1e6:.1f} MB, {count:,} {unit}, median of {runs} runs")
    print(f"{'tool':<44} {'seconds':>9} {'MB/s':>9} {'peak RSS MB':>12} {'found':>9}  counted as")
    for name, (wall, rss, n) in results.items():
        if name.startswith("rg"):
            what, kind = found["rg"], "matching lines"
        elif name.startswith("lockscope"):
            what, kind = found["lockscope"], "secrets"
        else:
            what, kind = found["ripsecrets"], "matches"
        what = "error" if what is None else f"{what:,}"
        once = " (1 run: slow)" if n == 1 and runs > 1 else ""
        print(f"{name:<44} {wall:>9.3f} {size / 1e6 / wall:>9.1f} {rss / 1024:>12.1f} {what:>9}  {kind}{once}")
    if len(kept) < len(env["rules"]):
        print(f"lockscope secrets on the {len(kept)} rules rg compiled: {found['lockscope_kept']:,}")
    names = list(results)
    if env["rg_ok"]:
        for ls, r in ((names[2], names[0]), (names[3], names[1])):
            ratio = results[r][0] / results[ls][0]
            print(f"ratio: `{ls}` runs at {ratio:.3g}x the speed of `{r}`")
    if per_rule and env["rg_ok"]:
        print_per_rule(env, rg_base, target, by_rule)
    return results, found


def print_per_rule(env, rg_base, target, by_rule):
    """Matching lines of each pattern alone, next to lockscope's findings of that rule."""
    print(f"\n{'rule':<30} {'rg lines':>9} {'lockscope':>10}")
    one = env["work"] / "rule-pattern.txt"
    for rid, pat in env["kept"]:
        one.write_text(for_rg(pat) + "\n")
        cmd = [*rg_base[:-1], str(one), str(target)]
        lines = rg_lines(cmd)
        if lines or by_rule.get(rid):
            print(f"{rid:<30} {lines if lines is not None else 'error':>9} {by_rule.get(rid, 0):>10}")
    for rid in env["failed"]:
        print(f"{rid:<30} {'(no rg)':>9} {by_rule.get(rid, 0):>10}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--size-mb", type=float, default=100, help="size of the ordinary-logs input")
    ap.add_argument("--large", action="store_true", help="also run on a --large-mb variant")
    ap.add_argument("--large-mb", type=float, default=1000)
    ap.add_argument("--corpus", default=os.environ.get("LOCKSCOPE_CORPUS", str(ROOT.parent / "shared" / "corpus")))
    ap.add_argument("--no-ripsecrets", action="store_true", help="do not compare with ripsecrets")
    ap.add_argument("--ripsecrets-timeout", type=float, default=300, help="seconds allowed to install ripsecrets")
    ap.add_argument("--per-rule", action="store_true", help="per-rule counts on the log files too (slower)")
    args = ap.parse_args()

    rg = need_rg()
    files = text_logs(args.corpus)
    if not files:
        sys.exit(f"no text logs under {args.corpus}")
    sh(["cargo", "build", "--release", "--locked", "-q", "-p", "lockscope-cli"], cwd=ROOT)
    rsec = ripsecrets(not args.no_ripsecrets, args.ripsecrets_timeout)

    with tempfile.TemporaryDirectory(prefix="secrets-bench-") as tmp:
        work = Path(tmp)
        # A private copy, with the rules read now: a rebuild during the run cannot change either.
        lockscope = work / "lockscope"
        shutil.copy2(ROOT / "target" / "release" / "lockscope", lockscope)
        rules = load_rules()
        print(f"lockscope built from {revision()}")
        patterns, kept, failed, combined_err = prepare_patterns(rg, rules, work)
        print(f"{version([rg])}; {version([str(lockscope)])}" + (f"; {version([rsec])}" if rsec else ""))
        print(f"patterns: {len(rules)} rules from {RULES.relative_to(ROOT)}/*.toml, {len(kept)} compiled by rg")
        for rid, err in failed.items():
            print(f"  rg cannot compile rule {rid}: {err.splitlines()[-1]}")
        if combined_err:
            print(f"  rg cannot compile the {len(kept)} patterns together, rg rows skipped: {combined_err.splitlines()[-1]}")
        start = time.perf_counter()
        subprocess.run([rg, "--no-config", "-c", "-f", str(patterns), os.devnull], capture_output=True)
        print(f"rg compiles the alternation in {time.perf_counter() - start:.3f} s (one run on /dev/null)")
        env = {
            "rg": rg, "rg_ok": combined_err is None, "patterns": patterns, "rules": rules, "kept": kept,
            "failed": failed, "lockscope": lockscope, "ripsecrets": rsec, "work": work,
        }  # fmt: skip

        sizes = [args.size_mb] + ([args.large_mb] if args.large else [])
        for mb in sizes:
            log = work / "ordinary.log"
            size, lines, planted = write_logs(log, files, int(mb * 1e6))
            label = f"ordinary logs ({len(files)} corpus text files repeated, {planted:,} planted secrets)"
            bench(label, log, size, "lines", lines, env, args.runs, args.per_rule)
            log.unlink()

        corpus = Path(args.corpus)
        every = [
            p for p in corpus.rglob("*") if p.is_file() and not any(s.startswith(".") for s in p.relative_to(corpus).parts)
        ]
        size = sum(p.stat().st_size for p in every)
        bench(f"corpus folder {corpus}", corpus, size, "files", len(every), env, args.runs, True)
    print()
    print(NOTES, end="")


if __name__ == "__main__":
    main()
