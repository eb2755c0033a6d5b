#!/usr/bin/env bash
# Copies seed inputs for every fuzz target into fuzz/corpus/<target>/ (git-ignored; libFuzzer
# adds what it finds there). Seeds are the committed fixtures of the target's format plus the
# regression corpus (tests/corpus/), so every past crash is replayed first. Files over 64 KiB
# are left out: they slow each execution without reaching new code.
#
#   fuzz/seed.sh            # from anywhere in the repository
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
fx="$root/tests/fixtures"
max=65536

copy() { # target, files...
    local target=$1
    shift
    mkdir -p "$root/fuzz/corpus/$target"
    for f in "$@"; do
        [ -f "$f" ] || continue
        [ "$(stat -c %s "$f")" -le "$max" ] || continue
        case "$f" in *.md | *.py | *.sh) continue ;; esac
        # Name seeds by content so re-running never duplicates them.
        cp "$f" "$root/fuzz/corpus/$target/$(sha1sum "$f" | cut -c1-40)"
    done
}

shopt -s nullglob
corpus=("$root"/tests/corpus/*)
copy otlp_json "$fx"/otlp-json/* "$root"/sample-traces/*.otlp.json* "${corpus[@]}"
copy otlp_proto "$fx"/otlp_proto/* "${corpus[@]}"
copy jaeger_json "$fx"/jaeger-json/* "${corpus[@]}"
copy zipkin_json "$fx"/zipkin-v2/* "${corpus[@]}"
copy datadog_json "$fx"/datadog/*.json "$fx"/e2e/*.dd.json "${corpus[@]}"
copy datadog_v04 "$fx"/datadog/*.msgpack "$root"/sample-traces/*.msgpack "${corpus[@]}"
copy datadog_v05 "$fx"/datadog/*v05*.msgpack "${corpus[@]}"
copy console "$fx"/console/*.txt "$fx"/console/*.json "${corpus[@]}"
copy datadog_ui_json "$fx"/datadog-ui/*.json "${corpus[@]}"
all=("$fx"/*/* "$root"/sample-traces/* "${corpus[@]}")
copy sniff "${all[@]}"
copy index "${all[@]}"
copy explorer "${all[@]}"
copy parallel "${all[@]}"
for d in "$root"/fuzz/corpus/*/; do
    echo "$(basename "$d"): $(find "$d" -type f | wc -l) seeds"
done
