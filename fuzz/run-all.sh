#!/usr/bin/env bash
# Runs fuzz targets one after the other, each for SECONDS (default 60), on stable Rust.
#
#   fuzz/run-all.sh [SECONDS] [TARGET...]     every target when none is named
#
# Each run: `cargo fuzz run <target> --sanitizer none --debug-assertions` (built once, then the
# target binary run directly) over fuzz/corpus/<target>
# (the working corpus, grown by the run, not committed) and fuzz/seeds/<target> (the committed
# seeds, read only), with -rss_limit_mb=2048 -timeout=10. A crash, timeout or out-of-memory input
# is written by libFuzzer to fuzz/artifacts/<target>/; the run stops there and the script goes on
# with the next target. Logs are in fuzz/target/run-all-logs/<target>.log. Exit status 1 if any
# target failed.
#
# On two cores, run two halves side by side, e.g.:
#   fuzz/run-all.sh 600 entra_json entra_csv evtx event_xml event_json syslog journald &
#   fuzz/run-all.sh 600 faillock detect_any time_parse scanner_vs_reference redact_chunking report_writers &
set -uo pipefail
cd "$(dirname "$0")"

seconds=${1:-60}
shift || true
if [ "$#" -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(cargo fuzz list)
fi

# Build first, once: a build error stops here rather than once per target.
cargo fuzz build --sanitizer none --debug-assertions || exit 2
bin=target/$(rustc -vV | sed -n 's/^host: //p')/release

mkdir -p target/run-all-logs
# report_writers writes a case folder (with SQLite) twice per input: keep it off the disk.
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
  export TMPDIR=/dev/shm
fi
failed=()
printf '%-22s %8s %8s %12s  %s\n' target wall_s cpu_s execs result
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t" "artifacts/$t"
  log="target/run-all-logs/$t.log"
  seeds=()
  [ -d "seeds/$t" ] && seeds=("seeds/$t")
  before=$(find "artifacts/$t" -type f | wc -l)
  # What `cargo fuzz run "$t" --sanitizer none --debug-assertions corpus/$t seeds/$t -- …` runs,
  # without its rebuild check, so the time measured is the fuzzer's own.
  /usr/bin/time -o "target/run-all-logs/$t.time" -f '%e %U %S' \
    "$bin/$t" -artifact_prefix="artifacts/$t/" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
      -print_final_stats=1 "corpus/$t" "${seeds[@]}" >"$log" 2>&1
  status=$?
  after=$(find "artifacts/$t" -type f | wc -l)
  read -r wall user sys < <(tail -n 1 "target/run-all-logs/$t.time" 2>/dev/null) || { wall=?; user=0; sys=0; }
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  if [ "$status" -eq 0 ] && [ "$after" -eq "$before" ]; then
    result=ok
  else
    result="FAILED (exit $status; new in artifacts/$t/: $((after - before)); see $log)"
    failed+=("$t")
  fi
  cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.0f", u + s }')
  printf '%-22s %8s %8s %12s  %s\n' "$t" "${wall%.*}" "$cpu" "${execs:-?}" "$result"
done

if [ "${#failed[@]}" -gt 0 ]; then
  echo "failed: ${failed[*]}"
  echo "minimise with: cargo fuzz tmin <target> --sanitizer none --debug-assertions artifacts/<target>/<file>"
  exit 1
fi
