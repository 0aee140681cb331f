#!/usr/bin/env bash
# Creates the Secrets k8s/base expects, with fresh random values (the Helm chart
# generates the same by itself):
#   relayllm-nats-auth       orchestrator-password, slm-worker-password, llm-worker-password (a NATS user per role)
#   relayllm-redis-auth      redis-password
#   relayllm-slm-tls         the SLM workers' certificate (names relayllm-slm-worker) + the CA (mutual TLS)
#   relayllm-slm-client-tls  the orchestrators' client certificate + the CA
# A Secret that exists already is kept: running it again changes nothing.
# Needs openssl and kubectl (a context on the cluster, unless --print).
#   k8s/make-secrets.sh [--namespace relayllm] [--print]
# --print writes the Secrets as YAML to stdout instead of applying them.
set -euo pipefail

namespace=relayllm
print=false
while [ $# -gt 0 ]; do
  case "$1" in
    --namespace) namespace="$2"; shift 2 ;;
    --print) print=true; shift ;;
    *) echo "unknown argument: $1 (usage: $0 [--namespace NS] [--print])" >&2; exit 2 ;;
  esac
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
chmod 700 "$work"

# A letter first: nats-server reads an environment value that starts with a digit as a number.
password() { printf 'p%s' "$(openssl rand -hex 24)"; }

# The SLM streams' PKI: a CA, the workers' server certificate and the orchestrators' client certificate.
# The CA key is deleted with the work directory: nothing else can be issued by it.
make_pki() {
  local key=(genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256)
  openssl "${key[@]}" -out "$work/ca.key" 2>/dev/null
  openssl req -x509 -new -key "$work/ca.key" -subj /CN=relayllm-slm-ca -days 3650 -out "$work/ca.crt"
  local name cn usage
  for name in slm-worker orchestrator; do
    cn="relayllm-$name"
    usage=$([ "$name" = slm-worker ] && echo serverAuth || echo clientAuth)
    openssl "${key[@]}" -out "$work/$name.key" 2>/dev/null
    openssl req -new -key "$work/$name.key" -subj "/CN=$cn" -out "$work/$name.csr"
    printf 'subjectAltName=DNS:%s\nextendedKeyUsage=%s\n' "$cn" "$usage" > "$work/$name.ext"
    openssl x509 -req -in "$work/$name.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" -CAcreateserial \
      -days 3650 -extfile "$work/$name.ext" -out "$work/$name.crt" 2>/dev/null
  done
}

# emit NAME ARGS...: `kubectl create secret ARGS` as YAML, printed or applied (kept when it exists).
emit() {
  local name="$1"
  shift
  if [ "$print" = false ] && kubectl get secret "$name" --namespace "$namespace" >/dev/null 2>&1; then
    echo "kept the existing $name" >&2
    return
  fi
  kubectl create secret "$@" --namespace "$namespace" --dry-run=client -o yaml > "$work/$name.yaml"
  if [ "$print" = true ]; then
    echo '---'
    cat "$work/$name.yaml"
  else
    kubectl apply -f "$work/$name.yaml" >&2
  fi
}

make_pki
emit relayllm-nats-auth generic relayllm-nats-auth \
  --from-literal=orchestrator-password="$(password)" \
  --from-literal=slm-worker-password="$(password)" \
  --from-literal=llm-worker-password="$(password)"
emit relayllm-redis-auth generic relayllm-redis-auth --from-literal=redis-password="$(password)"
emit relayllm-slm-tls generic relayllm-slm-tls --type=kubernetes.io/tls \
  --from-file=tls.crt="$work/slm-worker.crt" --from-file=tls.key="$work/slm-worker.key" --from-file=ca.crt="$work/ca.crt"
emit relayllm-slm-client-tls generic relayllm-slm-client-tls --type=kubernetes.io/tls \
  --from-file=tls.crt="$work/orchestrator.crt" --from-file=tls.key="$work/orchestrator.key" --from-file=ca.crt="$work/ca.crt"
