#!/usr/bin/env bash
# Runs every Jest project of the workspace with the services the tests need:
# NATS (JetStream) on 127.0.0.1:4222 and Redis on 127.0.0.1:6379.
#  - installs nats-server / redis-server (and the other tools the tests run)
#    with apt-get only when missing, and the pinned helm (scripts/install-helm.sh);
#  - starts each one only when its port is not already listening;
#  - stops only what this script started (trap on EXIT);
#  - adds --experimental-vm-modules to NODE_OPTIONS (libs/llama-cpp imports the
#    ESM-only node-llama-cpp dynamically, which Jest supports only with it);
#  - generates the protobuf TypeScript (scripts/proto-gen.mjs) when stale;
#  - exits with Jest's status.
# Extra arguments go to Jest, e.g. `npm test -- libs/testing`.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

HOST=127.0.0.1
NATS_PORT=4222
REDIS_PORT=6379

log() { printf '[test.sh] %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

port_open() { # port
  (exec 3<>"/dev/tcp/${HOST}/$1") 2>/dev/null
}

wait_port() { # port name timeout_s
  local deadline=$((SECONDS + $3))
  until port_open "$1"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "$2 did not listen on ${HOST}:$1 within $3 s"
      return 1
    fi
    sleep 0.1
  done
}

# --- (a) install what is missing -------------------------------------------
missing=()
command -v nats-server >/dev/null 2>&1 || missing+=(nats-server)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
# The security specs (libs/security, apps/*) generate test certificates with openssl.
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
# The smoke-training spec runs training/ with Debian's PyTorch (PyPI is not reachable).
/usr/bin/python3 -c "import torch" >/dev/null 2>&1 || missing+=(python3-torch)
[ -d /usr/lib/x86_64-linux-gnu/openblas-openmp ] || missing+=(libopenblas0-openmp)
# The gRPC API is checked with clients written elsewhere: Python gRPC over server
# reflection, and stubs from protoc + grpc_python_plugin (libs/grpc-api).
/usr/bin/python3 -c "import grpc" >/dev/null 2>&1 || missing+=(python3-grpcio)
/usr/bin/python3 -c "import google.protobuf" >/dev/null 2>&1 || missing+=(python3-protobuf)
command -v protoc >/dev/null 2>&1 || missing+=(protobuf-compiler)
[ -x /usr/bin/grpc_python_plugin ] || missing+=(protobuf-compiler-grpc)
# The playground page (libs/http-api) is driven in headless Chromium by puppeteer-core.
[ -x /usr/bin/chromium ] || missing+=(chromium)
# Every /metrics is checked with Prometheus' own linter, promtool (libs/observability).
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
# The Helm chart is rendered by the real helm, unpacked from an npm package (scripts/install-helm.sh).
command -v unzip >/dev/null 2>&1 || missing+=(unzip)
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing ${missing[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update
  as_root apt-get install -y --no-install-recommends "${missing[@]}"
fi

# The pinned helm binaries (a no-op for those in node_modules/.cache already).
bash scripts/install-helm.sh

# --- (b) start services whose port is free; (d) stop only those ------------
TMP_DIR="$(mktemp -d "${TMPDIR:-/tmp}/relayllm-test.XXXXXX")"
NATS_PID=""
REDIS_PIDFILE=""
JEST_STATUS=1

cleanup() {
  local status=$?
  if [ -n "$NATS_PID" ] && kill -0 "$NATS_PID" 2>/dev/null; then
    log "stopping nats-server (pid $NATS_PID)"
    kill "$NATS_PID" 2>/dev/null || true
    wait "$NATS_PID" 2>/dev/null || true
  fi
  if [ -n "$REDIS_PIDFILE" ] && [ -s "$REDIS_PIDFILE" ]; then
    local rpid
    rpid="$(cat "$REDIS_PIDFILE")"
    if kill -0 "$rpid" 2>/dev/null; then
      log "stopping redis-server (pid $rpid)"
      kill "$rpid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$rpid" 2>/dev/null || break; sleep 0.1; done
    fi
  fi
  rm -rf "$TMP_DIR"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if port_open "$NATS_PORT"; then
  log "port $NATS_PORT already listening: using the running NATS"
else
  log "starting nats-server on ${HOST}:${NATS_PORT} (JetStream in $TMP_DIR/nats)"
  nats-server -a "$HOST" -p "$NATS_PORT" -js -sd "$TMP_DIR/nats" >"$TMP_DIR/nats.log" 2>&1 &
  NATS_PID=$!
  wait_port "$NATS_PORT" nats-server 15 || { cat "$TMP_DIR/nats.log" >&2; exit 1; }
fi

if port_open "$REDIS_PORT"; then
  log "port $REDIS_PORT already listening: using the running Redis"
else
  log "starting redis-server on ${HOST}:${REDIS_PORT}"
  REDIS_PIDFILE="$TMP_DIR/redis.pid"
  redis-server --bind "$HOST" --port "$REDIS_PORT" --save "" --appendonly no --daemonize yes \
    --dir "$TMP_DIR" --pidfile "$REDIS_PIDFILE" --logfile "$TMP_DIR/redis.log"
  wait_port "$REDIS_PORT" redis-server 15 || { cat "$TMP_DIR/redis.log" >&2; exit 1; }
fi

export NATS_URL="nats://${HOST}:${NATS_PORT}"
export REDIS_URL="redis://${HOST}:${REDIS_PORT}"
# node-llama-cpp is ESM-only: Jest can load it (dynamic import) only with VM modules.
case " ${NODE_OPTIONS:-} " in
  *" --experimental-vm-modules "*) ;;
  *) export NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }--experimental-vm-modules" ;;
esac

# --- generated code: protobuf TypeScript (libs/proto/src/gen, gitignored) ----
# buf + ts-proto from node_modules (no protoc, no network); a no-op when the
# stamp of proto/ matches.
node scripts/proto-gen.mjs

# --- types, then lint: module boundaries (libs/relay-core stays pure), code rules
# Jest transpiles each file alone (isolatedModules), so the whole workspace is
# type-checked here, once, in one tsc program. Lint only on a whole-suite run
# (no Jest arguments), so `npm test -- <pattern>` stays quick.
npm run --silent typecheck
if [ "$#" -eq 0 ]; then
  NODE_OPTIONS= npx nx run-many -t lint --outputStyle=static
fi

# --- (c) run all Jest projects ----------------------------------------------
set +e
npx jest --ci --json --outputFile="$TMP_DIR/jest.json" "$@"
JEST_STATUS=$?
set -e

# One plain summary line ("jest: N passed, N failed, N skipped") for log readers.
if [ -s "$TMP_DIR/jest.json" ]; then
  node -e '
    const r = require(process.argv[1]);
    const skipped = r.numPendingTests + r.numTodoTests;
    console.log(`jest: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
  ' "$TMP_DIR/jest.json" || true
fi

exit "$JEST_STATUS"
