#!/usr/bin/env bash
# Local infrastructure of Real Estate OS, without Docker (ARCHITECTURE.md §5):
#   postgres  PostgreSQL from Debian's packages
#   kafka     Apache Kafka, KRaft combined mode, jars resolved by Maven
#   s3proxy   s3proxy (S3-compatible server, filesystem backend), jars resolved by Maven
#
# Usage: deploy/local/stack.sh {up|down|status|reset}
#
# State lives in $REPO/.stack/ (data, pid files, logs/<part>.log); `up` writes
# $REPO/.stack/env with the endpoints of the parts it runs. A part is skipped
# when its endpoint variable (DATABASE_URL, KAFKA_BOOTSTRAP_SERVERS,
# S3_ENDPOINT_URL) already names another endpoint in the environment.
# Ports: REOS_PG_PORT (15432), REOS_KAFKA_PORT (19092),
# REOS_KAFKA_CONTROLLER_PORT (19093), REOS_S3_PORT (19000). The defaults sit below
# Linux's ephemeral range (32768-60999): a client retrying a stopped part's port there
# can connect to itself and hold the port, and the part then cannot bind it again.
# S3 keys: REOS_S3_ACCESS_KEY (reos), REOS_S3_SECRET_KEY (reos-secret-key).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(cd "$SCRIPT_DIR/../.." && pwd -P)
STACK="$REPO/.stack"
LOGS="$STACK/logs"
PIDS="$STACK/pids"

PG_PORT=${REOS_PG_PORT:-15432}
KAFKA_PORT=${REOS_KAFKA_PORT:-19092}
KAFKA_CTRL_PORT=${REOS_KAFKA_CONTROLLER_PORT:-19093}
S3_PORT=${REOS_S3_PORT:-19000}
S3_ACCESS_KEY=${REOS_S3_ACCESS_KEY:-reos}
S3_SECRET_KEY=${REOS_S3_SECRET_KEY:-reos-secret-key}

PG_DIR="$STACK/postgres"
PG_DATA="$PG_DIR/data"
PG_RUN="$PG_DIR/run"
KAFKA_DIR="$STACK/kafka"
S3_DIR="$STACK/s3proxy"

PG_TIMEOUT=60
KAFKA_TIMEOUT=120
S3_TIMEOUT=60
STOP_TIMEOUT=30

DATABASE_URL_LOCAL="postgresql+psycopg://reos:reos@127.0.0.1:$PG_PORT/reos"
KAFKA_LOCAL="127.0.0.1:$KAFKA_PORT"
S3_LOCAL="http://127.0.0.1:$S3_PORT"

PARTS=(postgres kafka s3proxy)

# ---------------------------------------------------------------- helpers

say() { printf 'stack: %s\n' "$*"; }

# One clear line, the end of the part's log, non-zero exit.
fail_part() {
  local part=$1
  say "$part failed to start (see .stack/logs/$part.log)" >&2
  if [[ -f "$LOGS/$part.log" ]]; then
    tail -n 20 "$LOGS/$part.log" >&2 || true
  fi
  exit 1
}

die() { say "$*" >&2; exit 1; }

# Is something accepting TCP connections on 127.0.0.1:$1?
port_open() {
  timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# Does an HTTP server answer on 127.0.0.1:$1 (any status)?
http_answers() {
  # shellcheck disable=SC2016
  timeout 5 bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf "GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" >&3
    IFS= read -r line <&3 || exit 1
    [[ $line == HTTP/* ]]' http_answers "$1" 2>/dev/null
}

# pid of a part if its pid file names a live process whose command line
# contains $2; empty otherwise.
live_pid() {
  local pidfile=$1 needle=$2 pid
  [[ -f "$pidfile" ]] || return 0
  pid=$(head -n 1 "$pidfile" 2>/dev/null | tr -dc '0-9')
  [[ -n "$pid" ]] || return 0
  kill -0 "$pid" 2>/dev/null || return 0
  local cmd
  cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)
  if [[ "$cmd" == *"$needle"* ]]; then
    echo "$pid"
  fi
}

pg_pid()      { live_pid "$PG_DATA/postmaster.pid" "postgres"; }
kafka_pid()   { live_pid "$PIDS/kafka.pid" "kafka.Kafka"; }
s3proxy_pid() { live_pid "$PIDS/s3proxy.pid" "org.gaul.s3proxy.Main"; }

# Should this script run the part? No when the environment already names
# another endpoint for it.
external_value() {
  case $1 in
    postgres) [[ -n "${DATABASE_URL:-}" && "${DATABASE_URL}" != "$DATABASE_URL_LOCAL" ]] && echo "DATABASE_URL" ;;
    kafka)    [[ -n "${KAFKA_BOOTSTRAP_SERVERS:-}" && "${KAFKA_BOOTSTRAP_SERVERS}" != "$KAFKA_LOCAL" ]] && echo "KAFKA_BOOTSTRAP_SERVERS" ;;
    s3proxy)  [[ -n "${S3_ENDPOINT_URL:-}" && "${S3_ENDPOINT_URL}" != "$S3_LOCAL" ]] && echo "S3_ENDPOINT_URL" ;;
  esac
  return 0
}

# Property value from one of our poms (the one place each version is named).
pom_prop() {
  sed -n "s:.*<$2>\([^<]*\)</$2>.*:\1:p" "$SCRIPT_DIR/$1/pom.xml" | head -n 1
}

need_java() {
  command -v java >/dev/null 2>&1 || die "java not found (Java 17 or newer is needed for kafka and s3proxy)"
  local v major
  v=$(java -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n 1)
  major=${v%%.*}
  [[ "$major" =~ ^[0-9]+$ && "$major" -ge 17 ]] || die "java $v found; Java 17 or newer is needed"
}

# Copy the runtime classpath of deploy/local/<part>/pom.xml into
# .stack/<part>/lib, unless it is there already for the same pom.
resolve_jars() {
  local part=$1 lib="$STACK/$1/lib" stamp want
  want=$(sha256sum "$SCRIPT_DIR/$part/pom.xml" | cut -d' ' -f1)
  stamp="$lib/.resolved"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    return 0
  fi
  command -v mvn >/dev/null 2>&1 || { echo "mvn not found" >>"$LOGS/$part.log"; fail_part "$part"; }
  say "$part: resolving jars with Maven (first run only)"
  rm -rf "$lib"
  mkdir -p "$lib"
  # (sed: Debian's Maven 3.8 prints bare colour resets even in batch mode.)
  if ! mvn -q -B -Dstyle.color=never -f "$SCRIPT_DIR/$part/pom.xml" \
        dependency:copy-dependencies -DincludeScope=runtime \
        -DoutputDirectory="$lib" 2>&1 </dev/null \
        | sed 's/\x1b\[[0-9;]*m//g' >>"$LOGS/$part.log"; then
    rm -rf "$lib"
    fail_part "$part"
  fi
  echo "$want" >"$stamp"
}

# Start a Java main class in the background, detached (own session, stdin
# from /dev/null, output appended to the part's log, lock fd closed), and
# record its pid.
start_java() {
  local part=$1; shift
  local pidfile="$PIDS/$part.pid"
  rm -f "$pidfile"
  # shellcheck disable=SC2016
  setsid nohup bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" java "$@" \
    >>"$LOGS/$part.log" 2>&1 </dev/null 9>&- &
  for _ in $(seq 1 50); do
    [[ -s "$pidfile" ]] && return 0
    sleep 0.1
  done
  fail_part "$part"
}

# SIGTERM, wait up to STOP_TIMEOUT seconds, then SIGKILL.
stop_pid() {
  local part=$1 pid=$2
  kill -TERM "$pid" 2>/dev/null || return 0
  local deadline=$((SECONDS + STOP_TIMEOUT))
  while ((SECONDS < deadline)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  say "$part: still running after ${STOP_TIMEOUT}s, sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
}

# ---------------------------------------------------------------- postgres

PG_BIN=""
find_pg_bin() {
  local initdb
  initdb=$(printf '%s\n' /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)
  if [[ -x "$initdb" ]]; then PG_BIN=$(dirname "$initdb"); fi
}

# Run a PostgreSQL program as the postgres OS user (root may not run the
# server); from / so that the user needs no access to the caller's cwd.
as_pg() {
  if [[ $(id -u) -eq 0 ]]; then
    (cd / && runuser -u postgres -- "$@")
  else
    (cd / && "$@")
  fi
}

pg_owner() { if [[ $(id -u) -eq 0 ]]; then echo postgres; else id -un; fi; }

# Every directory above .stack/postgres must be traversable by postgres.
pg_make_traversable() {
  [[ $(id -u) -eq 0 ]] || return 0
  if runuser -u postgres -- test -x "$PG_DIR" 2>/dev/null; then return 0; fi
  local d="$PG_DIR"
  while [[ "$d" != "/" ]]; do
    if ! runuser -u postgres -- test -x "$d" 2>/dev/null; then
      chmod o+x "$d"
    fi
    d=$(dirname "$d")
  done
}

pg_install() {
  find_pg_bin
  [[ -n "$PG_BIN" ]] && return 0
  [[ $(id -u) -eq 0 ]] || { echo "PostgreSQL is not installed and installing it needs root" >>"$LOGS/postgres.log"; fail_part postgres; }
  say "postgres: installing Debian's postgresql package"
  if ! { DEBIAN_FRONTEND=noninteractive apt-get update \
         && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql; } \
         >>"$LOGS/postgres.log" 2>&1 </dev/null; then
    fail_part postgres
  fi
  find_pg_bin
  [[ -n "$PG_BIN" ]] || fail_part postgres
}

pg_sql() {
  as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_RUN" -p "$PG_PORT" -U postgres -d postgres -tA "$@"
}

pg_ensure_db() {
  {
    if [[ -z "$(pg_sql -c "SELECT 1 FROM pg_roles WHERE rolname = 'reos'")" ]]; then
      pg_sql -c "CREATE ROLE reos LOGIN CREATEDB PASSWORD 'reos'"
    fi
    if [[ -z "$(pg_sql -c "SELECT 1 FROM pg_database WHERE datname = 'reos'")" ]]; then
      pg_sql -c "CREATE DATABASE reos OWNER reos"
    fi
  } >>"$LOGS/postgres.log" 2>&1 || fail_part postgres
}

pg_up() {
  mkdir -p "$PG_DIR"
  touch "$LOGS/postgres.log"
  pg_install
  local owner; owner=$(pg_owner)
  chown "$owner" "$LOGS/postgres.log"
  chmod o+x "$STACK" "$LOGS"

  if [[ -n "$(pg_pid)" ]] && as_pg "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; then
    say "postgres: already running"
    pg_ensure_db
    return 0
  fi
  if port_open "$PG_PORT"; then
    echo "port $PG_PORT is in use by another process (set REOS_PG_PORT)" >>"$LOGS/postgres.log"
    fail_part postgres
  fi

  mkdir -p "$PG_DATA" "$PG_RUN"
  chown "$owner" "$PG_DIR" "$PG_DATA" "$PG_RUN"
  chmod 700 "$PG_DATA"
  pg_make_traversable

  if [[ ! -f "$PG_DATA/PG_VERSION" ]]; then
    say "postgres: initdb $PG_DATA"
    as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -E UTF8 --locale=C.UTF-8 \
      --auth-local=peer --auth-host=scram-sha-256 >>"$LOGS/postgres.log" 2>&1 </dev/null \
      || fail_part postgres
    echo "include_if_exists = 'reos-local.conf'" >>"$PG_DATA/postgresql.conf"
  fi
  # Rewritten on every start, so the port variables always apply.
  cat >"$PG_DATA/reos-local.conf" <<EOF
# Written by deploy/local/stack.sh on every start; edits are lost.
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_RUN'
max_connections = 200
EOF
  chown "$owner" "$PG_DATA/reos-local.conf"

  say "postgres: starting on 127.0.0.1:$PG_PORT"
  # The server logs to postgres.log itself (-l); pg_ctl's own lines go there too.
  # shellcheck disable=SC2094
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$LOGS/postgres.log" -w -t "$PG_TIMEOUT" start \
    >>"$LOGS/postgres.log" 2>&1 </dev/null 9>&- || fail_part postgres
  local ready=""
  local deadline=$((SECONDS + PG_TIMEOUT))
  while ((SECONDS < deadline)); do
    if as_pg "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; then ready=1; break; fi
    sleep 0.5
  done
  [[ -n "$ready" ]] || fail_part postgres
  mkdir -p "$PIDS"
  pg_pid >"$PIDS/postgres.pid"
  pg_ensure_db
}

pg_down() {
  find_pg_bin
  if [[ -n "$(pg_pid)" && -n "$PG_BIN" ]]; then
    say "postgres: stopping"
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t "$STOP_TIMEOUT" stop >>"$LOGS/postgres.log" 2>&1 </dev/null 9>&- || {
      local pid; pid=$(pg_pid)
      [[ -n "$pid" ]] && stop_pid postgres "$pid"
    }
  fi
  rm -f "$PIDS/postgres.pid"
}

pg_version() {
  find_pg_bin
  if [[ -n "$PG_BIN" ]]; then "$PG_BIN/postgres" --version | awk '{print $3}'; else echo "?"; fi
}

# ---------------------------------------------------------------- kafka

kafka_ready_since() {
  # $1: byte offset of kafka.log before this start
  local n
  n=$(tail -c +"$(($1 + 1))" "$LOGS/kafka.log" 2>/dev/null | grep -c "Kafka Server started" || true)
  [[ "${n:-0}" -gt 0 ]]
}

kafka_up() {
  mkdir -p "$KAFKA_DIR" "$PIDS"
  touch "$LOGS/kafka.log"
  if [[ -n "$(kafka_pid)" ]] && port_open "$KAFKA_PORT"; then
    say "kafka: already running"
    return 0
  fi
  local stale; stale=$(kafka_pid)
  if [[ -n "$stale" ]]; then
    # Alive but not answering: a broker still starting or wedged. Restart it.
    stop_pid kafka "$stale"
  fi
  if port_open "$KAFKA_PORT" || port_open "$KAFKA_CTRL_PORT"; then
    echo "port $KAFKA_PORT or $KAFKA_CTRL_PORT is in use by another process (set REOS_KAFKA_PORT / REOS_KAFKA_CONTROLLER_PORT)" >>"$LOGS/kafka.log"
    fail_part kafka
  fi
  need_java
  resolve_jars kafka

  mkdir -p "$KAFKA_DIR/data"
  cat >"$KAFKA_DIR/server.properties" <<EOF
# Written by deploy/local/stack.sh on every start; edits are lost.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CTRL_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CTRL_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$KAFKA_DIR/data
num.partitions=6
auto.create.topics.enable=false
group.initial.rebalance.delay.ms=0
offsets.topic.replication.factor=1
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=6
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
EOF

  local cp="$KAFKA_DIR/lib/*"
  local tools_log="-Dlog4j2.configurationFile=$SCRIPT_DIR/kafka/tools-log4j2.properties"
  if [[ ! -s "$KAFKA_DIR/cluster.id" ]]; then
    java "$tools_log" -cp "$cp" kafka.tools.StorageTool random-uuid \
      2>>"$LOGS/kafka.log" </dev/null | tr -d '[:space:]' >"$KAFKA_DIR/cluster.id.tmp" \
      || fail_part kafka
    [[ -s "$KAFKA_DIR/cluster.id.tmp" ]] || fail_part kafka
    mv "$KAFKA_DIR/cluster.id.tmp" "$KAFKA_DIR/cluster.id"
  fi
  if [[ ! -f "$KAFKA_DIR/data/meta.properties" ]]; then
    say "kafka: formatting storage (cluster id $(cat "$KAFKA_DIR/cluster.id"))"
    java "$tools_log" -cp "$cp" kafka.tools.StorageTool format \
      -t "$(cat "$KAFKA_DIR/cluster.id")" -c "$KAFKA_DIR/server.properties" \
      >>"$LOGS/kafka.log" 2>&1 </dev/null || fail_part kafka
  fi

  say "kafka: starting on 127.0.0.1:$KAFKA_PORT"
  local offset; offset=$(stat -c %s "$LOGS/kafka.log")
  start_java kafka -Xms256m -Xmx768m \
    -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
    -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true \
    "-Dlog4j2.configurationFile=$SCRIPT_DIR/kafka/log4j2.properties" \
    -cp "$cp" kafka.Kafka "$KAFKA_DIR/server.properties"
  local deadline=$((SECONDS + KAFKA_TIMEOUT))
  while ((SECONDS < deadline)); do
    [[ -n "$(kafka_pid)" ]] || fail_part kafka
    if kafka_ready_since "$offset" && port_open "$KAFKA_PORT"; then return 0; fi
    sleep 0.25
  done
  stop_pid kafka "$(kafka_pid)"
  fail_part kafka
}

kafka_down() {
  local pid; pid=$(kafka_pid)
  if [[ -n "$pid" ]]; then
    say "kafka: stopping (pid $pid)"
    stop_pid kafka "$pid"
  fi
  rm -f "$PIDS/kafka.pid"
}

# ---------------------------------------------------------------- s3proxy

s3proxy_up() {
  mkdir -p "$S3_DIR" "$PIDS"
  touch "$LOGS/s3proxy.log"
  if [[ -n "$(s3proxy_pid)" ]] && http_answers "$S3_PORT"; then
    say "s3proxy: already running"
    return 0
  fi
  local stale; stale=$(s3proxy_pid)
  [[ -n "$stale" ]] && stop_pid s3proxy "$stale"
  if port_open "$S3_PORT"; then
    echo "port $S3_PORT is in use by another process (set REOS_S3_PORT)" >>"$LOGS/s3proxy.log"
    fail_part s3proxy
  fi
  need_java
  resolve_jars s3proxy

  mkdir -p "$S3_DIR/data"
  (
    umask 077
    cat >"$S3_DIR/s3proxy.properties" <<EOF
# Written by deploy/local/stack.sh on every start; edits are lost.
s3proxy.endpoint=http://127.0.0.1:$S3_PORT
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=$S3_ACCESS_KEY
s3proxy.credential=$S3_SECRET_KEY
jclouds.provider=filesystem
jclouds.identity=$S3_ACCESS_KEY
jclouds.credential=$S3_SECRET_KEY
jclouds.filesystem.basedir=$S3_DIR/data
EOF
  )

  say "s3proxy: starting on 127.0.0.1:$S3_PORT"
  start_java s3proxy -Xmx256m -Djava.awt.headless=true \
    "-Dlogback.configurationFile=$SCRIPT_DIR/s3proxy/logback.xml" \
    -cp "$S3_DIR/lib/*" org.gaul.s3proxy.Main --properties "$S3_DIR/s3proxy.properties"
  local deadline=$((SECONDS + S3_TIMEOUT))
  while ((SECONDS < deadline)); do
    [[ -n "$(s3proxy_pid)" ]] || fail_part s3proxy
    if http_answers "$S3_PORT"; then return 0; fi
    sleep 0.25
  done
  stop_pid s3proxy "$(s3proxy_pid)"
  fail_part s3proxy
}

s3proxy_down() {
  local pid; pid=$(s3proxy_pid)
  if [[ -n "$pid" ]]; then
    say "s3proxy: stopping (pid $pid)"
    stop_pid s3proxy "$pid"
  fi
  rm -f "$PIDS/s3proxy.pid"
}

# ---------------------------------------------------------------- commands

lock_stack() {
  mkdir -p "$STACK" "$LOGS" "$PIDS"
  exec 9>"$STACK/.lock"
  flock -w 600 9 || die "another stack.sh is still running (lock $STACK/.lock)"
}

endpoint_of() {
  case $1 in
    postgres) echo "127.0.0.1:$PG_PORT" ;;
    kafka)    echo "$KAFKA_LOCAL" ;;
    s3proxy)  echo "$S3_LOCAL" ;;
  esac
}

version_of() {
  case $1 in
    postgres) pg_version ;;
    kafka)    pom_prop kafka kafka.version ;;
    s3proxy)  pom_prop s3proxy s3proxy.version ;;
  esac
}

write_env() {
  local tmp="$STACK/env.tmp" ran=("$@")
  {
    echo "# Written by deploy/local/stack.sh up: endpoints of the local stack."
    echo "# Use: . .stack/env"
    local part
    for part in "${ran[@]}"; do
      case $part in
        postgres)
          echo "export DATABASE_URL=$DATABASE_URL_LOCAL" ;;
        kafka)
          echo "export KAFKA_BOOTSTRAP_SERVERS=$KAFKA_LOCAL" ;;
        s3proxy)
          echo "export S3_ENDPOINT_URL=$S3_LOCAL"
          echo "export S3_ACCESS_KEY_ID=$S3_ACCESS_KEY"
          echo "export S3_SECRET_ACCESS_KEY=$S3_SECRET_KEY"
          echo "export S3_BUCKET=reos"
          echo "export S3_REGION=us-east-1" ;;
      esac
    done
  } >"$tmp"
  mv "$tmp" "$STACK/env"
}

cmd_up() {
  lock_stack
  local part var ran=() skipped=()
  for part in "${PARTS[@]}"; do
    var=$(external_value "$part")
    if [[ -n "$var" ]]; then
      say "$part: skipped ($var is set in the environment)"
      skipped+=("$part")
      continue
    fi
    case $part in
      postgres) pg_up ;;
      kafka)    kafka_up ;;
      s3proxy)  s3proxy_up ;;
    esac
    ran+=("$part")
  done
  write_env "${ran[@]+"${ran[@]}"}"

  echo
  printf '%-9s %-8s %-24s %s\n' PART VERSION ENDPOINT LOG
  for part in "${ran[@]+"${ran[@]}"}"; do
    printf '%-9s %-8s %-24s %s\n' "$part" "$(version_of "$part")" "$(endpoint_of "$part")" ".stack/logs/$part.log"
  done
  for part in "${skipped[@]+"${skipped[@]}"}"; do
    printf '%-9s %-8s %-24s %s\n' "$part" "-" "(external)" "-"
  done
  echo
  echo "endpoints: . $STACK/env"
}

cmd_down() {
  lock_stack
  s3proxy_down
  kafka_down
  pg_down
  say "stopped (data kept in $STACK)"
}

cmd_status() {
  local part pid state var
  printf '%-9s %-9s %-8s %-24s %s\n' PART STATE PID ENDPOINT LOG
  for part in "${PARTS[@]}"; do
    pid=""
    state=stopped
    var=$(external_value "$part")
    case $part in
      postgres) pid=$(pg_pid) ;;
      kafka)    pid=$(kafka_pid) ;;
      s3proxy)  pid=$(s3proxy_pid) ;;
    esac
    if [[ -n "$pid" ]]; then
      case $part in
        s3proxy) if http_answers "$S3_PORT"; then state=running; else state=starting; fi ;;
        postgres) if port_open "$PG_PORT"; then state=running; else state=starting; fi ;;
        kafka) if port_open "$KAFKA_PORT"; then state=running; else state=starting; fi ;;
      esac
    elif [[ -n "$var" ]]; then
      state=external
    fi
    printf '%-9s %-9s %-8s %-24s %s\n' "$part" "$state" "${pid:--}" \
      "$(if [[ $state == external ]]; then echo "\$$var"; else endpoint_of "$part"; fi)" \
      ".stack/logs/$part.log"
  done
}

cmd_reset() {
  cmd_down
  # Delete this script's state only (other tools keep their own files under
  # .stack/); the resolved jars are kept, re-resolving them only costs time.
  local part
  rm -rf "$PG_DIR" "$KAFKA_DIR/data" "$S3_DIR/data" "$STACK/env"
  find "$KAFKA_DIR" "$S3_DIR" -mindepth 1 -maxdepth 1 ! -name lib -exec rm -rf {} + 2>/dev/null || true
  for part in "${PARTS[@]}"; do
    rm -f "$LOGS/$part.log" "$PIDS/$part.pid"
  done
  say "reset: data of postgres, kafka and s3proxy under $STACK deleted (resolved jars kept)"
}

# Stop one part, keeping its data; `up` starts it again (the outage tests use both).
cmd_stop() {
  lock_stack
  case $1 in
    postgres) pg_down ;;
    kafka)    kafka_down ;;
    s3proxy)  s3proxy_down ;;
    *)        usage ;;
  esac
}

usage() {
  echo "usage: $0 {up|down|status|reset|stop postgres|kafka|s3proxy}" >&2
  exit 2
}

[[ $# -ge 1 ]] || usage
case $1 in
  up)      cmd_up ;;
  down)    cmd_down ;;
  status)  cmd_status ;;
  reset)   cmd_reset ;;
  stop)    [[ $# -eq 2 ]] || usage; cmd_stop "$2" ;;
  *)       usage ;;
esac
