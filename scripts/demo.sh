#!/usr/bin/env bash
# The demo: what Flywall does, end to end, in a throw-away lab.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
"$BUILD/flywall" config check examples/flywall.hcl
