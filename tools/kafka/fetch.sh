#!/usr/bin/env bash
# Fetches the Kafka 3.9.1 broker's jars from Maven Central into .cache/kafka/lib (git-ignored);
# a no-op when they are already there. Maven keeps its own cache in ~/.m2.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
lib="${KAFKA_LIB:-$root/.cache/kafka/lib}"
if [ -f "$lib/kafka_2.13-3.9.1.jar" ] && [ -f "$lib/reload4j-1.2.25.jar" ]; then exit 0; fi
command -v mvn >/dev/null 2>&1 || { echo "tools/kafka/fetch.sh: mvn is not installed (apt-get install maven)" >&2; exit 3; }
started=$(date +%s)
mvn -q -B -Dstyle.color=never -f "$here/pom.xml" dependency:copy-dependencies "-Dkafka.lib=$lib"
echo "kafka jars fetched into $lib in $(( $(date +%s) - started ))s" >&2
