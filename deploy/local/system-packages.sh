#!/usr/bin/env bash
# Install the system packages the platform needs and the machine lacks (Debian, as root):
# Java 17 and Maven for the Kafka broker and the S3 server, Pango for WeasyPrint's PDFs,
# promtool (Debian's prometheus package) for the alerting rules' unit tests, wrk for the
# gateway's benchmark.
# PostgreSQL is installed by stack.sh when it is to run locally.
set -euo pipefail
missing=()
command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || missing+=(maven)
ldconfig -p | grep -q 'libpango-1.0.so.0' || missing+=(libpango-1.0-0)
ldconfig -p | grep -q 'libpangoft2-1.0.so.0' || missing+=(libpangoft2-1.0-0)
# WeasyPrint subsets fonts with HarfBuzz when it is there (2x faster than fontTools)
ldconfig -p | grep -q 'libharfbuzz-subset.so.0' || missing+=(libharfbuzz-subset0)
fc-list 2>/dev/null | grep -qi dejavu || missing+=(fonts-dejavu-core)
command -v chromium >/dev/null || missing+=(chromium)
command -v promtool >/dev/null || missing+=(prometheus)
command -v wrk >/dev/null || missing+=(wrk)
if ((${#missing[@]})); then
    echo "system packages: installing ${missing[*]}"
    if [[ $(id -u) -ne 0 ]]; then
        echo "system packages: ${missing[*]} missing; install them as root" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v promtool >/dev/null || {
    echo "system packages: promtool is still missing after installing prometheus" >&2
    exit 1
}
