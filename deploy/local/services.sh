#!/usr/bin/env bash
# Start, stop and show the platform's processes on this machine: the demo listing site,
# the local Census servers and the five services, each a separate OS process with its log
# in .stack/logs/. The enricher's Census clients are on and talk to the local Census
# servers, unless REOS_CENSUS_* in the environment say otherwise.
#   services.sh start|stop|status
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
py="$repo/.venv/bin/python"
pids="$repo/.stack/pids"
logs="$repo/.stack/logs"
mkdir -p "$pids" "$logs"

# name:module:port:health path
census_port="${REOS_CENSUS_PORT:-9185}"
PROCESSES=(
    "demo-site:services.scraper.demo_site:${REOS_DEMO_SITE_PORT:-9180}:/healthz"
    "census:deploy.local.census_servers:$census_port:/healthz"
    "scraper:services.scraper:${REOS_SCRAPER_PORT:-9101}:/healthz"
    "enricher:services.enricher:${REOS_ENRICHER_PORT:-9102}:/healthz"
    "scorer:services.scorer:${REOS_SCORER_PORT:-9103}:/healthz"
    "docgen:services.docgen:${REOS_DOCGEN_PORT:-9104}:/healthz"
    "gateway:services.gateway:${REOS_GATEWAY_PORT:-8000}:/healthz"
)
export REOS_CENSUS_GEOCODER_ENABLED="${REOS_CENSUS_GEOCODER_ENABLED:-true}"
export REOS_CENSUS_GEOCODER_URL="${REOS_CENSUS_GEOCODER_URL:-http://127.0.0.1:$census_port/geocoder}"
export REOS_CENSUS_ACS_ENABLED="${REOS_CENSUS_ACS_ENABLED:-true}"
export REOS_CENSUS_ACS_URL="${REOS_CENSUS_ACS_URL:-http://127.0.0.1:$census_port/data}"

running() {
    local pidfile="$pids/$1.pid"
    [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

start_one() {
    local name=$1 module=$2 port=$3 health=$4
    if running "$name"; then
        return 0
    fi
    local args=()
    [[ "$name" == demo-site || "$name" == census ]] && args=(--port "$port")
    # The demo market is made of King County's 2014-15 sales: value it on its own date.
    # The local demo's gateway answers reads without a key; writes still need one.
    REOS_HTTP_PORT="$port" REOS_STARTUP_WAIT_SECONDS="${REOS_STARTUP_WAIT_SECONDS:-60}" \
        REOS_ANONYMOUS_READS="${REOS_ANONYMOUS_READS:-true}" \
        REOS_SCORER_VALUATION_DATE="${REOS_SCORER_VALUATION_DATE:-2015-04-01}" \
        setsid nohup "$py" -m "$module" "${args[@]}" >>"$logs/$name.log" 2>&1 &
    echo $! >"$pids/$name.pid"
}

wait_healthy() {
    local name=$1 port=$3 health=$4
    for _ in $(seq 1 120); do
        if curl -fsS "http://127.0.0.1:$port$health" >/dev/null 2>&1; then
            return 0
        fi
        if ! running "$name"; then
            break
        fi
        sleep 0.5
    done
    echo "services: $name failed to start (see .stack/logs/$name.log)" >&2
    tail -n 20 "$logs/$name.log" >&2 || true
    return 1
}

case "${1:-status}" in
start)
    for entry in "${PROCESSES[@]}"; do
        IFS=: read -r name module port health <<<"$entry"
        start_one "$name" "$module" "$port" "$health"
    done
    for entry in "${PROCESSES[@]}"; do
        IFS=: read -r name module port health <<<"$entry"
        wait_healthy "$name" "$module" "$port" "$health"
    done
    ;;
stop)
    for entry in "${PROCESSES[@]}"; do
        IFS=: read -r name _ _ _ <<<"$entry"
        if running "$name"; then
            echo "stopping $name (pid $(cat "$pids/$name.pid"))"
            kill -TERM "$(cat "$pids/$name.pid")" 2>/dev/null || true
        fi
    done
    for entry in "${PROCESSES[@]}"; do
        IFS=: read -r name _ _ _ <<<"$entry"
        for _ in $(seq 1 40); do running "$name" || break; sleep 0.25; done
        running "$name" && kill -KILL "$(cat "$pids/$name.pid")" 2>/dev/null || true
        rm -f "$pids/$name.pid"
    done
    ;;
status)
    printf '%-10s %-8s %-8s %s\n' SERVICE STATE PID URL
    for entry in "${PROCESSES[@]}"; do
        IFS=: read -r name _ port _ <<<"$entry"
        if running "$name"; then
            printf '%-10s %-8s %-8s %s\n' "$name" running "$(cat "$pids/$name.pid")" "http://127.0.0.1:$port"
        else
            printf '%-10s %-8s %-8s %s\n' "$name" stopped - "http://127.0.0.1:$port"
        fi
    done
    ;;
*)
    echo "usage: services.sh start|stop|status" >&2
    exit 2
    ;;
esac
