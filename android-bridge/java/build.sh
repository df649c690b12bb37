#!/usr/bin/env bash
# Compiles the Java reference client with javac against Debian's OkHttp and Okio jars
# (scripts/setup-system.sh installs them): no Gradle, no downloads. Usage:
#   android-bridge/java/build.sh OUT_DIR     (classes go to OUT_DIR; prints the classpath to run with)
# Targets Java 8 bytecode and API (--release 8), what Android's D8 takes without desugaring.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:?usage: build.sh OUT_DIR}"
jars=/usr/share/java/okhttp.jar:/usr/share/java/okio.jar
for j in ${jars//:/ }; do
  [ -e "$j" ] || { echo "build.sh: $j is missing (scripts/setup-system.sh installs it)" >&2; exit 1; }
done
mkdir -p "$out"
javac --release 8 -Xlint:all,-options -Werror -encoding UTF-8 -cp "$jars" -d "$out" $(find "$here/src" -name '*.java' | sort)
echo "$out:$jars"
