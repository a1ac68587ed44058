#!/usr/bin/env bash
# Local single-node Apache Kafka broker (KRaft, broker+controller in one JVM)
# for development and tests, or one node of a local cluster (KAFKA_QUORUM_VOTERS).
# No Docker: the broker's jars come from Maven Central through kafka/pom.xml and
# java runs kafka.Kafka directly.
#
# Usage: scripts/kafka.sh fetch|start|stop|kill|status|reset
#   fetch   copy the broker jars into $DATA_DIR/kafka/libs (skipped when they
#           are already there for the current kafka/pom.xml)
#   start   fetch, format storage once, start the broker in the background and
#           wait until it serves clients; prints KAFKA_BROKERS=host:port on
#           stdout (everything else goes to stderr), so this works:
#             export "$(scripts/kafka.sh start)"
#           Starting an already running broker only prints that line again.
#   stop    SIGTERM, wait up to KAFKA_STOP_TIMEOUT seconds, then SIGKILL
#   kill    SIGKILL at once (simulates a crashed broker; data is kept; the
#           next start takes ~3 s longer: the controller waits out the dead
#           broker's session)
#   status  "running pid N ..." and exit 0, or "stopped" and exit 3
#   reset   stop, then delete the broker's data (topics, offsets); keeps libs
#
# Environment:
#   DATA_DIR               default ./.data, relative to the repo root;
#                          the broker lives in $DATA_DIR/kafka/{libs,data}
#   KAFKA_LIBS_DIR         where the jars go, default $DATA_DIR/kafka/libs
#                          (share one across data dirs to skip re-fetching)
#   KAFKA_PORT             client port, default 19092 (loopback only)
#   KAFKA_CONTROLLER_PORT  KRaft controller port, default 19093
#   KAFKA_NODE_ID          this node's id, default 1
#   KAFKA_QUORUM_VOTERS    the KRaft voters, id@host:controllerPort,...; default
#                          this node alone. For a local cluster each node gets its
#                          own DATA_DIR and ports and all of them the same voters
#                          (combined mode: every voter is a broker too); start the
#                          nodes together, as a node serves clients only once a
#                          majority of the voters is up. Internal topics and
#                          default.replication.factor take one replica per voter.
#   KAFKA_START_TIMEOUT    seconds to wait for the broker, default 60
#   KAFKA_STOP_TIMEOUT     seconds before stop turns into SIGKILL, default 15
#   KAFKA_HEAP_OPTS        default "-Xmx512m -Xms256m"
#   KAFKA_JAVA_OPTS        extra JVM options, appended
#   KAFKA_CDS              0 turns off the class-data-sharing archive
#   JAVA_HOME              java to use (else java on PATH)
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)

DATA_DIR=${DATA_DIR:-./.data}
case $DATA_DIR in
  /*) ;;
  *) DATA_DIR="$ROOT/${DATA_DIR#./}" ;;
esac
DATA_DIR=${DATA_DIR%/}

KAFKA_DIR="$DATA_DIR/kafka"
LIBS_DIR=${KAFKA_LIBS_DIR:-$KAFKA_DIR/libs}
case $LIBS_DIR in
  /*) ;;
  *) LIBS_DIR="$ROOT/${LIBS_DIR#./}" ;;
esac
LOG_DIRS="$KAFKA_DIR/data"
PID_FILE="$KAFKA_DIR/broker.pid"
LOG_FILE="$KAFKA_DIR/broker.log"
CONF_FILE="$KAFKA_DIR/server.properties"
LOG4J_FILE="$KAFKA_DIR/log4j2.properties"
LOCK_FILE="$KAFKA_DIR/.lock"
POM="$ROOT/kafka/pom.xml"
STAMP_FILE="$LIBS_DIR/.pom.sha256"

HOST=127.0.0.1
KAFKA_PORT=${KAFKA_PORT:-19092}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-19093}
START_TIMEOUT=${KAFKA_START_TIMEOUT:-60}
STOP_TIMEOUT=${KAFKA_STOP_TIMEOUT:-15}
HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xmx512m -Xms256m}
# Fixed so the data dir can be reused across starts (22-char base64 UUID).
CLUSTER_ID=bG9jYWwta2Fma2EtZGV2MA
NODE_ID=${KAFKA_NODE_ID:-1}
QUORUM_VOTERS=${KAFKA_QUORUM_VOTERS:-$NODE_ID@$HOST:$KAFKA_CONTROLLER_PORT}
# one replica of each internal topic per node of the cluster (1 for a single broker)
IFS=, read -r -a _voters <<<"$QUORUM_VOTERS"
REPLICAS=${#_voters[@]}
unset _voters

NEED_TOOLS_MSG="Java 17+ and Maven are needed to run the local Kafka broker; install them or point KAFKA_BROKERS at a running broker"

log() { printf 'kafka.sh: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
now() { date +%s%N; }
elapsed() { # $1 = start in ns -> seconds with one decimal
  local d=$(( ($(now) - $1) / 100000000 ))
  printf '%d.%d' $((d / 10)) $((d % 10))
}

JAVA=java
[[ -n ${JAVA_HOME:-} && -x $JAVA_HOME/bin/java ]] && JAVA="$JAVA_HOME/bin/java"

require_java() {
  command -v "$JAVA" >/dev/null 2>&1 || die "java not found. $NEED_TOOLS_MSG"
  local ver major
  JAVA_VERSION_OUT=$("$JAVA" -version 2>&1) || true
  ver=$(sed -n 's/.*version "\([^"]*\)".*/\1/p' <<<"$JAVA_VERSION_OUT" | head -n1)
  major=${ver%%.*}
  [[ $major =~ ^[0-9]+$ ]] || die "cannot tell the java version (${ver:-none}). $NEED_TOOLS_MSG"
  ((major >= 17)) || die "java $ver is too old. $NEED_TOOLS_MSG"
}

require_maven() {
  command -v mvn >/dev/null 2>&1 || die "mvn not found. $NEED_TOOLS_MSG"
}

# Serialise fetch/start/stop of one DATA_DIR (e.g. parallel test runners).
take_lock() {
  mkdir -p "$KAFKA_DIR"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$LOCK_FILE"
    flock -w 180 9 || die "timed out waiting for $LOCK_FILE"
  fi
}

pom_hash() { sha256sum "$POM" | cut -d' ' -f1; }

libs_current() {
  [[ -f $STAMP_FILE && $(cat "$STAMP_FILE") == "$(pom_hash)" ]] &&
    compgen -G "$LIBS_DIR/kafka_2.13-*.jar" >/dev/null
}

kafka_version() {
  local jar
  jar=$(compgen -G "$LIBS_DIR/kafka_2.13-*.jar" | head -n1) || true
  jar=${jar##*/kafka_2.13-}
  printf '%s' "${jar%.jar}"
}

do_fetch() {
  [[ -f $POM ]] || die "missing $POM"
  if libs_current; then
    log "Kafka $(kafka_version) jars present in $LIBS_DIR"
    return 0
  fi
  require_java
  require_maven
  if is_running; then
    die "kafka/pom.xml changed but the broker is running from the old jars; run scripts/kafka.sh stop first"
  fi
  local t0 tmp
  t0=$(now)
  tmp="$LIBS_DIR.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$(dirname "$LIBS_DIR")"
  log "fetching the Kafka broker jars with Maven into $LIBS_DIR ..."
  # mvn output is kept only for failures (-q still prints colour escapes)
  if ! mvn -B -q -f "$POM" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$tmp" >"$KAFKA_DIR/fetch.log" 2>&1; then
    cat "$KAFKA_DIR/fetch.log" >&2
    rm -rf "$tmp"
    die "mvn dependency:copy-dependencies failed (is Maven Central reachable?); output above and in $KAFKA_DIR/fetch.log"
  fi
  pom_hash >"$tmp/.pom.sha256"
  rm -rf "$LIBS_DIR"
  mv "$tmp" "$LIBS_DIR"
  log "fetched Kafka $(kafka_version) ($(find "$LIBS_DIR" -name '*.jar' | wc -l) jars) in $(elapsed "$t0")s"
}

# kill -0 is true for a zombie too; an exited broker stays a zombie until
# init reaps it, which can take a second or more in containers.
alive() {
  kill -0 "$1" 2>/dev/null || return 1
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
  stat=${stat##*) }
  [[ ${stat%% *} != Z ]]
}

# Our broker: pid file names a live java whose command line has our config.
broker_pid() {
  local pid
  [[ -f $PID_FILE ]] || return 1
  pid=$(cat "$PID_FILE" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  alive "$pid" || return 1
  if [[ -r /proc/$pid/cmdline ]]; then
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$CONF_FILE" || return 1
  fi
  printf '%s' "$pid"
}

is_running() { broker_pid >/dev/null; }

port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

running_port() { # the client port the running broker was started with
  sed -n "s|^advertised.listeners=PLAINTEXT://[^:]*:\([0-9]*\).*|\1|p" "$CONF_FILE" 2>/dev/null
}

write_config() {
  mkdir -p "$LOG_DIRS"
  cat >"$CONF_FILE" <<EOF
# Written by scripts/kafka.sh on each start; edit the script, not this file.
process.roles=broker,controller
node.id=$NODE_ID
controller.quorum.voters=$QUORUM_VOTERS
listeners=PLAINTEXT://$HOST:$KAFKA_PORT,CONTROLLER://$HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$LOG_DIRS

# topics
num.partitions=6
default.replication.factor=$REPLICAS
# the broker's default; a topic that needs more (the service's, on a cluster) sets its own
min.insync.replicas=1
auto.create.topics.enable=false
delete.topic.enable=true

# internal topics: one replica per node; few partitions so the first consumer
# group or idempotent producer does not wait for 50 partitions to be created
offsets.topic.replication.factor=$REPLICAS
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=$REPLICAS
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=$REPLICAS
share.coordinator.state.topic.min.isr=1
share.coordinator.state.topic.num.partitions=1

# consumer groups: no join delay; allow short session timeouts in tests
group.initial.rebalance.delay.ms=0
group.min.session.timeout.ms=1000

# small machine (2 cores): fewer threads, small buffers
num.network.threads=2
num.io.threads=2
background.threads=2
num.recovery.threads.per.data.dir=1
num.replica.fetchers=1
log.cleaner.threads=1
log.cleaner.dedupe.buffer.size=16777216

# faster KRaft registration and controlled shutdown; a dead broker is noticed
# (and its partitions' leadership moved) ~3 s after it stops heartbeating
broker.heartbeat.interval.ms=500
broker.session.timeout.ms=3000
EOF
  cat >"$LOG4J_FILE" <<'EOF'
# Written by scripts/kafka.sh. stdout goes to broker.log.
status = warn
# keep logging during shutdown (log4j's own hook would stop it early)
shutdownHook = disable
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = OUT
# the full config dumps are ~1000 lines per start; server.properties is here
logger.config.name = org.apache.kafka.common.config.AbstractConfig
logger.config.level = WARN
logger.change.name = state.change.logger
logger.change.level = WARN
EOF
}

java_opts() {
  # shellcheck disable=SC2206
  local heap=($HEAP_OPTS) extra=(${KAFKA_JAVA_OPTS:-}) cds=()
  # Class-data sharing halves startup (~2s -> ~1s): the first broker run
  # writes an archive of the classes it loaded when it exits gracefully
  # (stop), later runs map it. It lives in libs/, so a re-fetch drops it, and
  # is named after the java build, which it only works with. KAFKA_CDS=0: off.
  if [[ ${KAFKA_CDS:-1} != 0 ]]; then
    local cds_file
    cds_file="$LIBS_DIR/kafka-$(cksum <<<"$JAVA_VERSION_OUT" | cut -d' ' -f1).jsa"
    if [[ -s $cds_file ]]; then
      cds=(-XX:SharedArchiveFile="$cds_file")
    else
      cds=(-XX:ArchiveClassesAtExit="$cds_file")
    fi
    cds+=(-Xlog:cds=off -Xlog:cds+dynamic=off)
  fi
  JAVA_OPTS=(
    "${heap[@]}"
    # small machine: serial GC, C1 only (less JIT work, faster start)
    -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:+ExitOnOutOfMemoryError
    "${cds[@]}"
    -Djava.awt.headless=true
    -Dlog4j2.configurationFile="$LOG4J_FILE"
    "${extra[@]}"
  )
}

do_start() {
  local pid t0
  if pid=$(broker_pid); then
    local port
    port=$(running_port)
    log "already running (pid $pid) on $HOST:$port"
    [[ $port == "$KAFKA_PORT" ]] || log "note: KAFKA_PORT=$KAFKA_PORT but the running broker uses $port"
    echo "KAFKA_BROKERS=$HOST:$port"
    return 0
  fi
  require_java
  do_fetch
  t0=$(now)

  for p in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
    if port_open "$p"; then
      die "port $HOST:$p is already in use by another process; set KAFKA_PORT / KAFKA_CONTROLLER_PORT, or point KAFKA_BROKERS at that broker"
    fi
  done

  write_config
  java_opts

  if [[ ! -f $LOG_DIRS/meta.properties ]]; then
    log "formatting storage in $LOG_DIRS (cluster id $CLUSTER_ID)"
    "$JAVA" -Xmx256m -XX:TieredStopAtLevel=1 -Dlog4j2.configurationFile="$LOG4J_FILE" \
      -cp "$LIBS_DIR/*" kafka.tools.StorageTool format \
      -t "$CLUSTER_ID" -c "$CONF_FILE" --ignore-formatted >"$KAFKA_DIR/format.log" 2>&1 ||
      { tail -n 20 "$KAFKA_DIR/format.log" >&2; die "formatting storage failed; see $KAFKA_DIR/format.log"; }
  fi

  # keep one previous log
  [[ -f $LOG_FILE ]] && mv -f "$LOG_FILE" "$LOG_FILE.1"
  : >"$LOG_FILE"

  local launcher=()
  command -v setsid >/dev/null 2>&1 && launcher=(setsid)
  # own session: Ctrl-C in the caller's terminal does not reach the broker;
  # fd 9 (the lock) and the caller's stdio are not inherited.
  "${launcher[@]}" "$JAVA" "${JAVA_OPTS[@]}" -cp "$LIBS_DIR/*" kafka.Kafka "$CONF_FILE" \
    </dev/null >>"$LOG_FILE" 2>&1 9>&- &
  pid=$!
  echo "$pid" >"$PID_FILE"

  local deadline=$(($(date +%s) + START_TIMEOUT))
  while :; do
    if ! alive "$pid"; then
      rm -f "$PID_FILE"
      tail -n 30 "$LOG_FILE" >&2
      die "the broker exited during startup; see $LOG_FILE"
    fi
    if grep -q 'Kafka Server started' "$LOG_FILE" && port_open "$KAFKA_PORT"; then
      break
    fi
    if (($(date +%s) >= deadline)); then
      tail -n 30 "$LOG_FILE" >&2
      log "the broker did not start within ${START_TIMEOUT}s; stopping it"
      do_stop_pid "$pid" 5 || true
      die "startup timed out; see $LOG_FILE"
    fi
    sleep 0.1
  done
  log "Kafka $(kafka_version) started in $(elapsed "$t0")s (pid $pid, log $LOG_FILE)"
  echo "KAFKA_BROKERS=$HOST:$KAFKA_PORT"
}

# $1 pid, $2 seconds before SIGKILL (0 = SIGKILL at once)
do_stop_pid() {
  local pid=$1 grace=$2 t0 deadline
  t0=$(now)
  if ((grace > 0)); then
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$(($(date +%s) + grace))
    while alive "$pid" && (($(date +%s) < deadline)); do sleep 0.05; done
  fi
  if alive "$pid"; then
    ((grace > 0)) && log "still running after ${grace}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    deadline=$(($(date +%s) + 10))
    while alive "$pid" && (($(date +%s) < deadline)); do sleep 0.05; done
    if alive "$pid"; then
      log "pid $pid did not exit"
      return 1
    fi
    log "killed (pid $pid) after $(elapsed "$t0")s"
  else
    log "stopped (pid $pid) in $(elapsed "$t0")s"
  fi
  rm -f "$PID_FILE"
}

do_stop() { # $1 grace seconds
  local pid
  if ! pid=$(broker_pid); then
    rm -f "$PID_FILE"
    log "not running"
    return 0
  fi
  do_stop_pid "$pid" "$1"
}

do_status() {
  local pid
  if pid=$(broker_pid); then
    echo "running pid $pid on $HOST:$(running_port) (Kafka $(kafka_version), data $LOG_DIRS)"
    return 0
  fi
  echo "stopped"
  return 3
}

do_reset() {
  do_stop "$STOP_TIMEOUT"
  rm -rf "$LOG_DIRS"
  log "deleted $LOG_DIRS"
}

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
}

cmd=${1:-}
case $cmd in
  fetch) require_java; require_maven; take_lock; do_fetch ;;
  start) take_lock; do_start ;;
  stop) take_lock; do_stop "$STOP_TIMEOUT" ;;
  kill) take_lock; do_stop 0 ;;
  status) do_status ;;
  reset) take_lock; do_reset ;;
  -h | --help | help) usage ;;
  *) usage; exit 2 ;;
esac
