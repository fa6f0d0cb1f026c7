#!/usr/bin/env bash
# Browser tests of the console: Debian's Chromium, headless, against `crm up --demo`.
#
#   console/run-browser-tests.sh            # from anywhere; non-interactive
#
# What it does, each step only when needed:
#   1. installs chromium (and chromium-driver, fonts for Chinese) with apt-get if missing;
#   2. `npm ci` in console/ when node_modules does not match package-lock.json;
#   3. builds the crm binary (debug; cargo rebuilds nothing that is up to date) unless
#      CRM_BIN names one;
#   4. starts `crm up --demo` on free loopback ports with a temporary data directory, and
#      waits until it is ready: the demo tokens file appears once the demo data is loaded and
#      every service serves (polled, no fixed sleep); the gateway then answers /console;
#   5. runs the tests (node's test runner), then stops the suite and removes its data.
#
# Environment: CRM_BIN (a built crm), CONSOLE_DEMO_CLIENTS (demo size, default 10000),
# CONSOLE_READY_TIMEOUT (seconds, default 1200), CONSOLE_POP_RUNS (screen pops measured,
# default 50), CONSOLE_SCREENSHOTS=DIR (also write the README screenshots there),
# CONSOLE_EXPECT_PHONE_NORMALISATION=1 (the national-number search test must pass), CARGO_TARGET_DIR.
set -euo pipefail
exec </dev/null

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
cd "$HERE"

log() { printf '[console-tests] %s\n' "$*" >&2; }

# 1. Chromium from Debian's packages (a test framework's own browser download is not used).
if [[ ! -x /usr/bin/chromium ]]; then
    log "installing chromium from Debian packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-noto-cjk >/dev/null
fi

# 2. The console's npm dependencies (playwright-core, axe-core, vite, typescript).
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
    log "npm ci"
    npm ci --no-audit --no-fund --loglevel=error
fi

# 3. The crm binary.
if [[ -z "${CRM_BIN:-}" ]]; then
    log "cargo build -p crm"
    (cd "$ROOT" && cargo build -q -p crm)
    CRM_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/crm"
fi
[[ -x "$CRM_BIN" ]] || { log "no crm binary at $CRM_BIN"; exit 1; }

# 4. The suite on free ports, in a data directory of its own.
DATA_DIR="$(mktemp -d -t console-tests-XXXXXX)"
SUITE_LOG="$DATA_DIR/suite.log"
SUITE_PID=""
cleanup() {
    local rc=$?
    if [[ -n "$SUITE_PID" ]] && kill -0 "$SUITE_PID" 2>/dev/null; then
        kill -TERM "$SUITE_PID" 2>/dev/null || true
        for _ in $(seq 1 150); do kill -0 "$SUITE_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SUITE_PID" 2>/dev/null || true
        wait "$SUITE_PID" 2>/dev/null || true
    fi
    if ((rc != 0)) && [[ -f "$SUITE_LOG" ]]; then
        log "suite log (last 40 lines):"
        tail -n 40 "$SUITE_LOG" >&2 || true
    fi
    rm -rf "$DATA_DIR"
    exit "$rc"
}
trap cleanup EXIT INT TERM

# Five distinct free ports, chosen by the kernel (bound to port 0, then released).
read -r P_GW P_PROFILE P_SEG P_SCORING P_INTERACTION < <(node -e '
  const net = require("net");
  Promise.all([0,1,2,3,4].map(() => new Promise((ok) => { const s = net.createServer(); s.listen(0, "127.0.0.1", () => ok(s)); })))
    .then((servers) => { console.log(servers.map((s) => s.address().port).join(" ")); servers.forEach((s) => s.close()); });')

log "crm up --demo on 127.0.0.1:$P_GW (data in $DATA_DIR)"
CRM__GATEWAY__LISTEN="127.0.0.1:$P_GW" \
CRM__PROFILE__LISTEN="127.0.0.1:$P_PROFILE" \
CRM__SEGMENTATION__LISTEN="127.0.0.1:$P_SEG" \
CRM__SCORING__LISTEN="127.0.0.1:$P_SCORING" \
CRM__INTERACTION__LISTEN="127.0.0.1:$P_INTERACTION" \
CRM__TELEMETRY__LOG_FORMAT=json \
    "$CRM_BIN" up --demo --demo-clients "${CONSOLE_DEMO_CLIENTS:-10000}" --data-dir "$DATA_DIR/data" >"$SUITE_LOG" 2>&1 &
SUITE_PID=$!

TOKENS_FILE="$DATA_DIR/data/console-demo-tokens.env"
deadline=$((SECONDS + ${CONSOLE_READY_TIMEOUT:-1200}))
until [[ -s "$TOKENS_FILE" ]] && curl -fsS -o /dev/null "http://127.0.0.1:$P_GW/console"; do
    kill -0 "$SUITE_PID" 2>/dev/null || { log "crm up exited before it was ready"; exit 1; }
    ((SECONDS < deadline)) || { log "crm up not ready after ${CONSOLE_READY_TIMEOUT:-1200}s"; exit 1; }
    sleep 0.5
done
log "suite ready after ${SECONDS}s"

# 5. The tests.
export CONSOLE_TOKENS_FILE="$TOKENS_FILE"
rc=0
node --test --test-concurrency=1 --test-reporter=spec tests/ || rc=$?
if [[ -f test-results/screen-pop.json ]]; then
    log "screen pop: $(tr -d '\n ' < test-results/screen-pop.json)"
fi
exit "$rc"
