#!/usr/bin/env bash
# Builds the real Jaeger v2 binary (all-in-one, a Collector distribution) that tests/backend.rs runs
# as its peer, from the Go module at a pinned version, and caches it outside the checkout (CI runs in
# a fresh clone) keyed by version. Prints the binary's path on stdout; everything else goes to stderr.
#
# `go install …@v1.75.0` is refused because Jaeger's go.mod has a `replace` for
# github.com/Shopify/sarama, so the build runs in a throwaway module that repeats that replace.
# Only the Go module proxy is needed. The build is niced: it takes minutes on two cores.
set -euo pipefail

version="${JAEGER_VERSION:-v1.75.0}"
cache="${WEFT_PEERS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/weft-peers}"
out="$cache/jaeger-$version/jaeger"

if [[ -x "$out" ]]; then
  echo "$out"
  exit 0
fi
# The Go toolchain's usual home, for environments whose PATH lacks it.
command -v go >/dev/null || PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null || { echo "build.sh: 'go' is not on PATH (nor in /usr/local/go/bin); the Jaeger peer is built with Go" >&2; exit 1; }

mkdir -p "$cache"
# One build at a time: parallel test binaries may ask together.
exec 9>"$cache/jaeger-$version.lock"
flock 9
if [[ -x "$out" ]]; then
  echo "$out"
  exit 0
fi

work="$(mktemp -d "$cache/jaeger-build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cd "$work"
{
  export GOFLAGS='-mod=mod -buildvcs=false' GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
  go mod init weft-peer-jaeger
  go mod edit -replace github.com/Shopify/sarama=github.com/Shopify/sarama@v1.33.0
  nice -n 10 go get -tool "github.com/jaegertracing/jaeger/cmd/jaeger@$version"
  mkdir -p "$(dirname "$out")"
  nice -n 10 go build -trimpath -o "$out.tmp" github.com/jaegertracing/jaeger/cmd/jaeger
  mv "$out.tmp" "$out"
} >&2
echo "$out"
