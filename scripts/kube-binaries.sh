#!/usr/bin/env bash
# Builds, from the Go module proxy, the real Kubernetes pieces the engine tests run against:
# etcd, kube-apiserver, kube-controller-manager (garbage collector for the provider's foreground
# deletes) and the Kubernetes provider plugin pulumi-resource-kubernetes. Versions are pinned in
# scripts/kube-binaries.pins; the recipe is ref/kubernetes-build.md's.
#
# Binaries live outside the repository (never committed) in
#   ${HOMELAB_PULUMI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/homelab-ipam}/kube/bin
# with a stamp per binary naming the pins it was built from; the Go module and build caches
# live beside them (kube/go), so a rebuild after a pin change is incremental.
#
#   bash scripts/kube-binaries.sh [--check] [etcd|kube-apiserver|kube-controller-manager|pulumi-resource-kubernetes ...]
#
# No names means all four. Prints the bin directory as its last line. Fails loudly; never skips.
# --check builds nothing: it fails, naming the command to run, unless every binary is current
# (what the test harness calls, so a test never starts a 25-minute build by surprise).
# Cold on 2 cores: ≈ 25 min in all (kube-apiserver ≈ 9 min, provider ≈ 11 min, etcd ≈ 75 s).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
log() { printf '[kube-binaries] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

pins="$here/scripts/kube-binaries.pins"
[ -f "$pins" ] || die "$pins is missing"
# shellcheck source=kube-binaries.pins
. "$pins"

if ! command -v go >/dev/null && [ -x /usr/local/go/bin/go ]; then export PATH="$PATH:/usr/local/go/bin"; fi
command -v node >/dev/null || die "node is needed (it reads go's JSON output)"

cache_root=${HOMELAB_PULUMI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/homelab-ipam}
root="$cache_root/kube"
bin="$root/bin"
mkdir -p "$bin"

all=(etcd kube-apiserver kube-controller-manager pulumi-resource-kubernetes)
check=false
if [ "${1:-}" = --check ]; then check=true; shift; fi
wanted=("$@"); [ ${#wanted[@]} -gt 0 ] || wanted=("${all[@]}")

pins_of() { # the pins a binary is built from, as its stamp
  case "$1" in
    etcd) echo "etcd $ETCD";;
    kube-apiserver|kube-controller-manager) echo "$1 $KUBERNETES staging $KUBERNETES_STAGING";;
    pulumi-resource-kubernetes) echo "$1 $PULUMI_KUBERNETES_MODULE as $PULUMI_KUBERNETES_VERSION";;
    *) die "unknown binary '$1' (one of: ${all[*]})";;
  esac
}
is_current() { [ -x "$bin/$1" ] && [ -f "$bin/.$1.pins" ] && [ "$(cat "$bin/.$1.pins")" = "$(pins_of "$1")" ]; }

todo=()
for b in "${wanted[@]}"; do is_current "$b" || todo+=("$b"); done
if [ ${#todo[@]} -eq 0 ]; then log "cached: ${wanted[*]} in $bin"; echo "$bin"; exit 0; fi
if $check; then
  die "not built (or built from other pins): ${todo[*]} in $bin. Build them with: bash scripts/kube-binaries.sh (cold ≈ 25 min on 2 cores; .ci/run does it)"
fi

exec 9>"$root/.lock"
log "waiting for the build lock $root/.lock"
flock 9  # one build at a time, also across parallel test runs and worktrees

command -v go >/dev/null || die "Go is needed to build ${todo[*]} (install it or put /usr/local/go/bin on PATH)"
export GOPATH="$root/go" GOMODCACHE="$root/go/mod" GOCACHE="$root/go/build" \
  GOFLAGS="-mod=mod -buildvcs=false" GOTOOLCHAIN=local CGO_ENABLED=0
start=$(date +%s)
step() { log "[$(( $(date +%s) - start ))s] $*"; }

# go's own output, condensed: every 100th downloaded module / compiled package, so a long step shows it is alive.
progress() { # $1 = label
  awk -v n="$1" '
    /^go: downloading/ {d++; if (d%100==0) printf "[kube-binaries]   %s: %d modules downloaded\n", n, d > "/dev/stderr"; next}
    /^(go: |#|[^ ]+\.go:)/ {print > "/dev/stderr"; next}   # messages and compile errors, verbatim
    {c++; if (c%100==0) printf "[kube-binaries]   %s: %d packages compiled\n", n, c > "/dev/stderr"}
    END {printf "[kube-binaries]   %s: %d modules downloaded, %d packages compiled\n", n, d, c > "/dev/stderr"}'
}
run() { # $1 = label, rest = command; progress-filtered, fails with the command's status
  local label=$1; shift
  set +e; "$@" 2>&1 | progress "$label"; local rc=${PIPESTATUS[0]}; set -e
  [ "$rc" = 0 ] || die "$label failed (exit $rc): $*"
}
gomod_json() { # $1 = module@version, $2 = field of go mod download -json
  go mod download -json "$1" | node -e 'const j=JSON.parse(require("fs").readFileSync(0));if(j.Error){console.error(j.Error);process.exit(1)}console.log(j[process.argv[1]])' "$2"
}
finish() { # $1 = binary; installs it from the build dir with its stamp
  [ -x "$root/out/$1" ] || die "go build produced no $1"
  mv -f "$root/out/$1" "$bin/$1"; pins_of "$1" >"$bin/.$1.pins"
  step "$1 ready ($(du -h "$bin/$1" | cut -f1))"
}
mkdir -p "$root/out"

build_etcd() {
  local d="$root/src/etcd"; rm -rf "$d"; mkdir -p "$d"; cd "$d"
  printf 'module homelab-ipam.local/etcdbuild\n\ngo 1.24\n\nrequire go.etcd.io/etcd/server/v3 %s\n' "$ETCD" >go.mod
  printf '//go:build tools\n\npackage tools\n\nimport _ "go.etcd.io/etcd/server/v3"\n' >tools.go
  step "etcd $ETCD: resolving modules"
  run "etcd modules" go mod tidy
  step "etcd $ETCD: compiling (≈ 75 s cold)"
  run "etcd" go build -v -trimpath -ldflags='-s -w' -o "$root/out/etcd" go.etcd.io/etcd/server/v3
  finish etcd
}

kube_module() { # the throwaway module that depends on k8s.io/kubernetes (shared by both kube binaries)
  local d="$root/src/kubernetes"
  if [ -f "$d/.pins" ] && [ "$(cat "$d/.pins")" = "$KUBERNETES $KUBERNETES_STAGING" ]; then cd "$d"; return; fi
  rm -rf "$d"; mkdir -p "$d"; cd "$d"
  step "kubernetes $KUBERNETES: downloading its go.mod"
  local gomod; gomod=$(gomod_json "k8s.io/kubernetes@$KUBERNETES" GoMod)
  # k8s.io/kubernetes replaces its staging modules with ./staging paths, which do not exist in a
  # dependency: replace each with the published module instead.
  local replaces; replaces=$(grep -E '^\s+k8s.io/[a-z0-9-]+ => ./staging' "$gomod" | awk -v v="$KUBERNETES_STAGING" '{print "\t"$1" => "$1" "v}')
  [ -n "$replaces" ] || die "no ./staging replaces found in k8s.io/kubernetes@$KUBERNETES's go.mod ($gomod)"
  { printf 'module homelab-ipam.local/kubebuild\n\ngo 1.25.0\n\nrequire k8s.io/kubernetes %s\n\nreplace (\n%s\n)\n' "$KUBERNETES" "$replaces"; } >go.mod
  printf '//go:build tools\n\npackage tools\n\nimport (\n\t_ "k8s.io/kubernetes/cmd/kube-apiserver"\n\t_ "k8s.io/kubernetes/cmd/kube-controller-manager"\n)\n' >tools.go
  step "kubernetes $KUBERNETES: resolving modules ($(echo "$replaces" | wc -l) staging replaces)"
  run "kubernetes modules" go mod tidy
  echo "$KUBERNETES $KUBERNETES_STAGING" >.pins
}

build_kube() { # $1 = kube-apiserver | kube-controller-manager
  kube_module
  local minor; minor=$(echo "$KUBERNETES" | cut -d. -f2)
  # Without these /version reports v0.0.0-master (ref/kubernetes-build.md §Behaviour seen).
  local ld="-s -w -X k8s.io/component-base/version.gitVersion=$KUBERNETES -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
  step "$1 $KUBERNETES: compiling (kube-apiserver ≈ 9 min cold, then kube-controller-manager ≈ 70 s)"
  run "$1" go build -v -trimpath -ldflags="$ld" -o "$root/out/$1" "k8s.io/kubernetes/cmd/$1"
  "$root/out/$1" --version | grep -qx "Kubernetes $KUBERNETES" || die "$1 does not report Kubernetes $KUBERNETES: $("$root/out/$1" --version)"
  finish "$1"
}

build_provider() {
  local d="$root/src/pulumi-kubernetes"; rm -rf "$d"; mkdir -p "$d"; cd "$d"
  local mod=github.com/pulumi/pulumi-kubernetes/provider/v4
  step "pulumi-kubernetes $PULUMI_KUBERNETES_MODULE: downloading the provider module"
  local src; src=$(gomod_json "$mod@$PULUMI_KUBERNETES_MODULE" Dir)
  # main.go embeds schema-embed.json / terraform-mapping-embed.json, generated by upstream's
  # `go generate` and absent from the module zip: copy main.go and generate them the same way.
  cp "$src/cmd/pulumi-resource-kubernetes/"{main.go,schema.json,terraform-mapping.json} . && chmod u+w ./*
  printf 'module homelab-ipam.local/pulumikubebuild\n\ngo 1.24.7\n\nrequire %s %s\n' "$mod" "$PULUMI_KUBERNETES_MODULE" >go.mod
  VERSION=$PULUMI_KUBERNETES_VERSION node -e '
    const fs = require("fs");
    const s = JSON.parse(fs.readFileSync("schema.json")); s.version = process.env.VERSION;
    fs.writeFileSync("schema-embed.json", JSON.stringify(s));
    fs.writeFileSync("terraform-mapping-embed.json", JSON.stringify(JSON.parse(fs.readFileSync("terraform-mapping.json"))));'
  step "pulumi-kubernetes: resolving modules"
  run "provider modules" go mod tidy
  step "pulumi-resource-kubernetes $PULUMI_KUBERNETES_VERSION: compiling (≈ 11 min cold)"
  run "pulumi-resource-kubernetes" go build -v -trimpath \
    -ldflags="-s -w -X $mod/pkg/version.Version=$PULUMI_KUBERNETES_VERSION" -o "$root/out/pulumi-resource-kubernetes" .
  finish pulumi-resource-kubernetes
}

log "building ${todo[*]} into $bin (Go caches in $root/go)"
for b in "${todo[@]}"; do
  is_current "$b" && { log "$b: built meanwhile by another run"; continue; }
  case "$b" in
    etcd) build_etcd;;
    kube-apiserver|kube-controller-manager) build_kube "$b";;
    pulumi-resource-kubernetes) build_provider;;
  esac
done
cd "$here"
step "done: ${wanted[*]} in $bin"
echo "$bin"
