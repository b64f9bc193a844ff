#!/usr/bin/env bash
# `make fuzz`: build Loom's libFuzzer targets once (Fuzz/, -sanitize=fuzzer,address) and run each
# for a bounded number of executions, then check the HTTP API against openapi.yaml with schemathesis
# (Scripts/fuzz_api.py). Not part of `make test`.
#
#   Scripts/fuzz.sh                      build, every target, then schemathesis
#   LOOM_FUZZ_TARGETS="gguf json" …      only these targets (names without the fuzz- prefix)
#   LOOM_FUZZ_RUNS=N                     executions per target (default 1000000)
#   LOOM_FUZZ_MAX_TIME=S                 and at most S seconds per target (default 1800)
#   LOOM_FUZZ_API=0                      skip schemathesis; LOOM_FUZZ_ONLY_API=1: only schemathesis
#   LOOM_FUZZ_SCRATCH=dir                scratch path (default .build-fuzz)
#
# Each target starts from its committed seed corpus (Fuzz/Corpus/<target>, read-only) plus a working
# corpus in the scratch path (new inputs go there, not into git). A crash, a failed check, a leak or
# a timeout (> 10 s for one input) stops that target: the input is saved under
# <scratch>/artifacts/<target>/, the script goes on with the others and exits non-zero at the end.
# Per target it reports executions, exec/s, new corpus size and the outcome (summary in
# <scratch>/fuzz-report.txt). A found input becomes a regression test in Tests/… and a file in
# Fuzz/Corpus/<target>/ (see Fuzz/README.md).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SCRATCH=${LOOM_FUZZ_SCRATCH:-$ROOT/.build-fuzz}
RUNS=${LOOM_FUZZ_RUNS:-1000000}
MAX_TIME=${LOOM_FUZZ_MAX_TIME:-1800}
TARGETS=${LOOM_FUZZ_TARGETS:-gguf json jinja tokenizer modelfile schema safetensors}
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}

# Longest input per target (bytes): the seeds' sizes with room to grow.
max_len() {
    case $1 in
        gguf) echo 65536 ;; jinja) echo 8192 ;; safetensors) echo 8192 ;; *) echo 4096 ;;
    esac
}

status=0
if [ "${LOOM_FUZZ_ONLY_API:-0}" != "1" ]; then
    echo "== building the fuzz targets (Fuzz/, -sanitize=fuzzer,address)"
    swift build -c release --package-path Fuzz --scratch-path "$SCRATCH" \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld -Xswiftc -enable-testing || exit 1
    BIN=$(swift build -c release --package-path Fuzz --scratch-path "$SCRATCH" --show-bin-path)
    report="$SCRATCH/fuzz-report.txt"
    printf "%-12s %12s %10s %8s  %s\n" target executions "exec/s" corpus outcome > "$report"
    for t in $TARGETS; do
        echo "== fuzz-$t: $RUNS runs (at most ${MAX_TIME}s)"
        work="$SCRATCH/corpus/$t"
        artifacts="$SCRATCH/artifacts/$t/"
        mkdir -p "$work" "$artifacts"
        log="$SCRATCH/fuzz-$t.log"
        start=$(date +%s)
        LSAN_OPTIONS="suppressions=$ROOT/Fuzz/lsan.supp:print_suppressions=0" LOOM_ROOT="$ROOT" "$BIN/fuzz-$t" "$work" "Fuzz/Corpus/$t" -runs="$RUNS" -max_total_time="$MAX_TIME" \
            -timeout=10 -rss_limit_mb=4096 -max_len="$(max_len "$t")" -artifact_prefix="$artifacts" \
            -print_final_stats=1 -print_pcs=0 > "$log" 2>&1
        rc=$?
        seconds=$(( $(date +%s) - start ))
        execs=$(grep -m1 'stat::number_of_executed_units' "$log" | awk '{print $2}')
        rate=$(grep -m1 'stat::average_exec_per_sec' "$log" | awk '{print $2}')
        corpus=$(ls "$work" | wc -l)
        if [ $rc -eq 0 ]; then
            outcome="ok (${seconds}s)"
        else
            outcome="FAILED rc=$rc: $(grep -m1 -E 'ERROR: libFuzzer|ERROR: AddressSanitizer|fuzz check failed|Fatal error|SUMMARY' "$log" | cut -c1-160); input in $artifacts"
            status=1
        fi
        printf "%-12s %12s %10s %8s  %s\n" "$t" "${execs:-?}" "${rate:-?}" "$corpus" "$outcome" | tee -a "$report"
    done
    echo "== fuzz summary ($report)"
    cat "$report"
fi

if [ "${LOOM_FUZZ_API:-1}" != "0" ]; then
    echo "== schemathesis: openapi.yaml against a fresh serve (Scripts/fuzz_api.py)"
    LOOM_SERVE=${LOOM_SERVE:-$ROOT/.build/release/serve} "$PYTHON" Scripts/fuzz_api.py || status=1
fi
exit $status
