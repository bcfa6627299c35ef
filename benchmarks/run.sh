#!/usr/bin/env bash
# One command for the whole benchmark: installs nginx-light and wrk if missing (apt-get), builds the
# library and this harness, starts one nginx on loopback, measures every client against wrk, and writes
# benchmarks/RESULTS.md plus the throughput-vs-depth PNGs.
#
#   benchmarks/run.sh            full run (5 runs after 4 warm-ups per measurement, under 10 minutes on 2 cores)
#   benchmarks/run.sh --quick    2 runs, 1 warm-up: a smoke test of the harness (~4 minutes)
#   options: --runs N --warmups N --wrk-seconds S --only a,b,c,d,e --clients dugong-connection,jdk,... --depths 1,128 --jfr DIR --jfr-settings F
#            --readme (also refresh the table in ../README.md)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")

missing=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "run.sh: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
export PATH="$PATH:/usr/sbin"

echo "run.sh: building the library and the harness" >&2
(cd "$root" && ./dev mvn -q install -DskipTests)
(cd "$root" && ./dev mvn -q -f benchmarks/pom.xml package)

# The JDK that built the harness (./dev found it) runs it too.
java_home=$(sed -n 's/^java.home=//p' "$here/target/classes/bench-versions.properties")
# 10,000 concurrent connections need file descriptors (the JVM and nginx each).
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" || true

cd "$here"
exec "$java_home/bin/java" --enable-preview -Djava.awt.headless=true \
  -Dbench.dir="$here" -Dbench.command="benchmarks/run.sh${*:+ $*}" \
  -cp "$here/target/classes:$here/target/lib/*" io.dugong.bench.Bench "$@"
