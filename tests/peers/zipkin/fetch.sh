#!/usr/bin/env bash
# Fetches the real Zipkin server (the `exec` jar of io.zipkin:zipkin-server, from Maven Central,
# with Maven) that tests/backend.rs runs on the machine's Java (17 or later), and prints its path.
# Maven caches it in its local repository, keyed by version; nothing is fetched when it is there.
set -euo pipefail

version="${ZIPKIN_VERSION:-3.5.1}"
# Maven's default local repository (set MAVEN_REPO if settings.xml moves it).
repo="${MAVEN_REPO:-$HOME/.m2/repository}"
jar="$repo/io/zipkin/zipkin-server/$version/zipkin-server-$version-exec.jar"

if [[ ! -s "$jar" ]]; then
  command -v mvn >/dev/null || { echo "fetch.sh: 'mvn' is not on PATH; the Zipkin peer is fetched with Maven" >&2; exit 1; }
  mvn -q -B dependency:get "-Dartifact=io.zipkin:zipkin-server:$version:jar:exec" -Dtransitive=false >&2
fi
[[ -s "$jar" ]] || { echo "fetch.sh: Maven reported success but $jar is missing" >&2; exit 1; }
command -v java >/dev/null || { echo "fetch.sh: 'java' is not on PATH; the Zipkin server needs Java 17 or later" >&2; exit 1; }
echo "$jar"
