#!/usr/bin/env bash
# Runs a single-node Apache Kafka 3.9.1 broker (KRaft, broker+controller in one JVM) on
# 127.0.0.1, in the foreground, without Docker. The test helper
# (test/support/kafka-broker.ts) runs this script too; by hand:
#
#   tools/kafka/start.sh                  # broker on 127.0.0.1:9092, data in .cache/kafka/run
#   KAFKA_PORT=19092 tools/kafka/start.sh
#   kcat -C -b 127.0.0.1:9092 -t gatehouse.events -f '%k %h %s\n'
#
# Environment: KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (KAFKA_PORT+1), KAFKA_DATA_DIR
# (.cache/kafka/run; kept between runs unless KAFKA_FRESH=1), KAFKA_LIB (.cache/kafka/lib,
# fetched by tools/kafka/fetch.sh when missing), KAFKA_HEAP (512m).
# The script execs the JVM, so its PID is the broker's: stop it with `kill <pid>`.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

port="${KAFKA_PORT:-9092}"
controller_port="${KAFKA_CONTROLLER_PORT:-$((port + 1))}"
data="${KAFKA_DATA_DIR:-$root/.cache/kafka/run}"
lib="${KAFKA_LIB:-$root/.cache/kafka/lib}"
heap="${KAFKA_HEAP:-512m}"

command -v java >/dev/null 2>&1 || { echo "tools/kafka/start.sh: java is not installed (Java 17 runs Kafka 3.9)" >&2; exit 3; }
if [ ! -f "$lib/kafka_2.13-3.9.1.jar" ]; then
  KAFKA_LIB="$lib" "$here/fetch.sh"
fi

[ "${KAFKA_FRESH:-0}" = "1" ] && rm -rf "$data"
mkdir -p "$data/logs"
config="$data/server.properties"
cat > "$config" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${controller_port}
listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controller_port}
advertised.listeners=PLAINTEXT://127.0.0.1:${port}
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=${data}/data
num.partitions=3
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
default.replication.factor=1
min.insync.replicas=1
group.initial.rebalance.delay.ms=0
# A restarted node must wait out its previous broker registration: keep that short.
broker.heartbeat.interval.ms=500
broker.session.timeout.ms=2000
log.flush.interval.messages=1
PROPS

jvm=(java "-Xms${heap}" "-Xmx${heap}" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto
  -Djava.awt.headless=true
  "-Dlog4j.configuration=file:${here}/log4j.properties" "-Dkafka.logs.dir=${data}/logs"
  -cp "${lib}/*")

# Format once per data directory (a restart on the same directory keeps the topics).
if [ ! -f "$data/data/meta.properties" ]; then
  # base64url may start with '-', which the storage tool's argument parser takes for an option.
  cluster_id="-"
  while [ "${cluster_id:0:1}" = "-" ]; do
    cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
  done
  "${jvm[@]}" kafka.tools.StorageTool format -t "$cluster_id" -c "$config" --ignore-formatted >"$data/logs/format.log" 2>&1 \
    || { cat "$data/logs/format.log" >&2; exit 4; }
fi

echo "kafka: 127.0.0.1:${port} (controller ${controller_port}), data ${data}, pid $$" >&2
exec "${jvm[@]}" kafka.Kafka "$config"
