#!/usr/bin/env bash
# Builds the real Kubernetes control plane used by the cluster test tier (etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, kwok) from Go modules at pinned versions, into a cache
# directory keyed by those versions. A second run with the cache present only checks the binaries.
#
#   CONTROL_PLANE_DIR   cache root (default: ~/.cache/agent-stack-k8s/control-plane)
#
# Prints the directory holding the binaries on its last line.
set -euo pipefail

KUBE_VERSION=v1.36.3
ETCD_VERSION=v3.6.16
KWOK_VERSION=v0.8.0
GO_MIN_MINOR=26

root="${CONTROL_PLANE_DIR:-${HOME}/.cache/agent-stack-k8s/control-plane}"
key="kube-${KUBE_VERSION}_etcd-${ETCD_VERSION}_kwok-${KWOK_VERSION}"
bin="${root}/${key}/bin"
binaries=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)

log() { echo "control-plane: $*" >&2; }

have_all() {
  for b in "${binaries[@]}"; do [ -x "${bin}/${b}" ] || return 1; done
  [ -f "${root}/${key}/complete" ]
}

if have_all; then
  log "cached: ${key}"
  echo "${bin}"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  log "Go is not installed. The cluster tier builds Kubernetes from Go modules and needs Go 1.${GO_MIN_MINOR}+"
  log "with access to the Go module proxy. Install Go, or set SKIP_CLUSTER_TESTS=1 to skip the tier."
  exit 3
fi
go_version="$(go env GOVERSION)"
minor="$(echo "${go_version}" | sed -E 's/^go1\.([0-9]+).*/\1/')"
if ! [[ "${minor}" =~ ^[0-9]+$ ]] || [ "${minor}" -lt "${GO_MIN_MINOR}" ]; then
  log "${go_version} is too old: building Kubernetes ${KUBE_VERSION} needs Go 1.${GO_MIN_MINOR}+."
  log "Install a newer Go, or set SKIP_CLUSTER_TESTS=1 to skip the tier."
  exit 3
fi

export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod
work="${root}/${key}/work"
out="${root}/${key}/bin.partial"
rm -rf "${out}"
mkdir -p "${work}" "${out}"
started=$(date +%s)
step_started=${started}
took() { local now; now=$(date +%s); log "  took $((now - step_started)) s"; step_started=${now}; }

# Kubernetes: k8s.io/kubernetes replaces its staging modules with local paths, so `go install pkg@v`
# refuses it. A wrapper module requires it and points each staging module at its published v0.N.P.
log "building kube-apiserver, kube-controller-manager, kube-scheduler ${KUBE_VERSION} (${go_version})"
kube_mod="$(go mod download -json "k8s.io/kubernetes@${KUBE_VERSION}" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
staging_version="v0.${KUBE_VERSION#v1.}"
mkdir -p "${work}/kube"
{
  echo "module control-plane/kube"
  echo
  echo "go 1.${GO_MIN_MINOR}"
  echo
  echo "require k8s.io/kubernetes ${KUBE_VERSION}"
  echo
  sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/src/k8s.io/[a-z0-9-]*$#replace \1 => \1 '"${staging_version}"'#p' "${kube_mod}"
} >"${work}/kube/go.mod"
minor_kube="${KUBE_VERSION#v1.}"
minor_kube="${minor_kube%%.*}"
ldflags="-s -w -X k8s.io/component-base/version.gitVersion=${KUBE_VERSION} -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=${minor_kube} -X k8s.io/component-base/version.gitTreeState=clean"
(cd "${work}/kube" && go build -trimpath -ldflags "${ldflags}" -o "${out}/" \
  k8s.io/kubernetes/cmd/kube-apiserver \
  k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler)
took

# etcd: the server module has relative replaces too; a dependency's replaces are ignored, so a
# wrapper module builds it against the published sibling modules.
log "building etcd ${ETCD_VERSION}"
mkdir -p "${work}/etcd"
printf 'module control-plane/etcd\n\ngo 1.%s\n\nrequire go.etcd.io/etcd/server/v3 %s\n' "${GO_MIN_MINOR}" "${ETCD_VERSION}" >"${work}/etcd/go.mod"
(cd "${work}/etcd" && go build -trimpath -ldflags "-s -w" -o "${out}/etcd" go.etcd.io/etcd/server/v3)
took

log "building kwok ${KWOK_VERSION}"
GOFLAGS= GOBIN="${out}" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@${KWOK_VERSION}"
took

rm -rf "${bin}"
mv "${out}" "${bin}"
touch "${root}/${key}/complete"
log "built ${key} in $(($(date +%s) - started)) s"
echo "${bin}"
