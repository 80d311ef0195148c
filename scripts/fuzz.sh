#!/usr/bin/env bash
# Coverage-guided fuzzing of every parser of outside bytes (libFuzzer + AddressSanitizer).
#
# Builds Fuzz/QuotadFuzz (declared only when QUOTAD_FUZZ=1) in release with -sanitize=fuzzer,address into
# .build-fuzz, then runs each target for FUZZ_SECONDS (default 30) on a copy of its committed corpus
# Fuzz/Corpus/<target>/ (the clone stays clean; what libFuzzer grows stays in the copy). Any crash, trap,
# disagreement of the differential targets, leak or per-input timeout fails the run, and the crashing input's
# path is printed. Fuzz/Regressions/<target>/ holds the inputs of past findings, replayed on every run. Usage: scripts/fuzz.sh [target...]   (targets: usage reservation strict provider cursor resp gateway)
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${FUZZ_SECONDS:-30}"
rss_mb="${FUZZ_RSS_LIMIT_MB:-2048}"
input_timeout="${FUZZ_INPUT_TIMEOUT:-10}"
work="${FUZZ_WORK_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/quotad-fuzz.XXXXXX")}"
targets=("$@")
((${#targets[@]})) || targets=(usage reservation strict provider cursor resp gateway)

started=$SECONDS
QUOTAD_FUZZ=1 swift build -c release --scratch-path .build-fuzz --product QuotadFuzz \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -enable-testing
binary=.build-fuzz/release/QuotadFuzz
echo "fuzz build: $((SECONDS - started)) s; work directory $work" >&2

failed=()
for target in "${targets[@]}"; do
  [[ -d "Fuzz/Corpus/$target" ]] || { echo "no corpus Fuzz/Corpus/$target" >&2; exit 2; }
  mkdir -p "$work/$target/corpus" "$work/$target/artifacts"
  cp Fuzz/Corpus/"$target"/* "$work/$target/corpus/"
  # Inputs of past findings (Fuzz/Regressions/<target>/) are read as a second corpus: run first, never grown.
  regressions=()
  [[ -d "Fuzz/Regressions/$target" ]] && regressions=("Fuzz/Regressions/$target")
  dictionary=()
  [[ -f "Fuzz/Dictionaries/$target.dict" ]] && dictionary=("-dict=Fuzz/Dictionaries/$target.dict")
  log="$work/$target.log"
  status=0
  # A hard stop beyond libFuzzer's own time limit, in case the fuzzer itself hangs.
  QUOTAD_FUZZ_TARGET="$target" LSAN_OPTIONS="suppressions=$PWD/Fuzz/lsan.supp:print_suppressions=0" \
    timeout --kill-after=10 $((seconds + 120)) "$binary" "${dictionary[@]}" \
    -max_total_time="$seconds" -rss_limit_mb="$rss_mb" -timeout="$input_timeout" -print_final_stats=1 \
    -artifact_prefix="$work/$target/artifacts/" "$work/$target/corpus" "${regressions[@]}" >"$log" 2>&1 || status=$?
  executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  coverage=$(grep -E '^#[0-9]+' "$log" | tail -1 | grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [^ ]+' || true)
  echo "fuzz $target: exit $status, ${executions:-?} executions, ${coverage:-no coverage line}" >&2
  if ((status != 0)); then
    failed+=("$target")
    grep -E 'ERROR|SUMMARY|Fatal error|disagreement|Test unit written to' "$log" | head -20 >&2 || true
    for artifact in "$work/$target/artifacts"/*; do
      [[ -e "$artifact" ]] && echo "  crashing input: $artifact (replay: QUOTAD_FUZZ_TARGET=$target $binary $artifact)" >&2
    done
    echo "  full log: $log" >&2
  fi
done
echo "fuzzing: $((SECONDS - started)) s in all" >&2
if ((${#failed[@]})); then
  echo "fuzz targets failed: ${failed[*]}" >&2
  exit 1
fi
