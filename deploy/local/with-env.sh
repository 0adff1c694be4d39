#!/usr/bin/env bash
# Run a command with the endpoints of the local stack (.stack/env) for every endpoint
# the environment does not already name.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
if [[ -f "$repo/.stack/env" ]]; then
    while IFS= read -r line; do
        [[ "$line" == export\ * ]] || continue
        assignment="${line#export }"
        name="${assignment%%=*}"
        if [[ -z "${!name:-}" ]]; then
            export "$assignment"
        fi
    done < "$repo/.stack/env"
fi
exec "$@"
