#!/usr/bin/env bash
# Builds the helm CLI used by the chart tests from Go modules at a pinned version, into a cache
# directory keyed by that version. A second run with the binary present reuses it.
#
#   HELM_DIR   directory holding the helm binary (default: ~/.cache/agent-stack-k8s/helm/<version>)
#
# Prints the path of the helm binary on its last line.
set -euo pipefail

HELM_VERSION=v3.22.0

dir="${HELM_DIR:-${HOME}/.cache/agent-stack-k8s/helm/${HELM_VERSION}}"
bin="${dir}/helm"

log() { echo "helm: $*" >&2; }

if [ -x "${bin}" ]; then
  log "cached: ${bin}"
  echo "${bin}"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  log "Go is not installed. The chart tests build helm ${HELM_VERSION} from Go modules and need Go"
  log "with access to the Go module proxy. Install Go, or set HELM_BIN to an existing helm binary."
  exit 3
fi

# The binary cached under this version must not depend on the caller's GOFLAGS (build tags and the like).
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=
started=$(date +%s)
log "building helm ${HELM_VERSION} ($(go env GOVERSION)) into ${dir}"
# Build into a scratch directory first so an interrupted build never leaves a half-written binary
# where the cache check would accept it.
partial="${dir}/partial"
rm -rf "${partial}"
mkdir -p "${partial}"
GOBIN="${partial}" go install -trimpath \
  -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=${HELM_VERSION}" \
  "helm.sh/helm/v3/cmd/helm@${HELM_VERSION}"
mv "${partial}/helm" "${bin}"
rmdir "${partial}"
log "built helm ${HELM_VERSION} in $(($(date +%s) - started)) s"
echo "${bin}"
