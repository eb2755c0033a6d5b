#!/usr/bin/env bash
# Runs every fuzz target (or those named) one after another for SECS seconds each (default 240),
# after seeding the corpora. Each target's libFuzzer log goes to fuzz/logs/<target>.log; a crash
# stops that target and leaves its input in fuzz/artifacts/<target>/.
#
#   SECS=300 fuzz/run-all.sh                 # all targets, 5 minutes each
#   fuzz/run-all.sh otlp_json index          # just these
set -uo pipefail
cd "$(dirname "$0")"
secs=${SECS:-240}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo +nightly fuzz list)
./seed.sh >/dev/null
cargo +nightly fuzz build -O || exit 1
mkdir -p logs
for t in "${targets[@]}"; do
    mkdir -p "artifacts/$t"
    case "$t" in
        datadog_v0*) dict=dict/msgpack.dict ;;
        otlp_proto) dict=dict/protobuf.dict ;;
        *) dict=dict/json.dict ;;
    esac
    # -malloc_limit_mb: no single allocation may approach what a length prefix claims; inputs are
    # at most 64 KiB, so 256 MiB is only reachable by trusting a claimed length.
    target/x86_64-unknown-linux-gnu/release/"$t" "corpus/$t" \
        -max_total_time="$secs" -max_len=65536 -malloc_limit_mb=256 -rss_limit_mb=2048 \
        -timeout=10 -dict="$dict" -print_final_stats=1 -artifact_prefix="artifacts/$t/" >"logs/$t.log" 2>&1
    echo "$t: exit $? $(grep -E '^Done [0-9]+ runs' "logs/$t.log")"
done
