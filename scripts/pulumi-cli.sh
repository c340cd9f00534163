#!/usr/bin/env bash
# Makes the Pulumi CLI and Node.js language host that match the @pulumi/pulumi
# version in the lockfile available to the tests, the lab and the drift command.
#
# Order: an existing build in the cache → a `pulumi` on PATH whose version
# matches (linked into the cache) → a build from the Go module proxy. Binaries
# live outside the repository (never committed) under
#   ${HOMELAB_PULUMI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/homelab-ipam}/pulumi-v<version>/bin
# and the Go module and build caches make the next build of a new version fast.
# Prints the bin directory as its last line. Fails loudly; never skips.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"

log() { printf '[pulumi-cli] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ -f node_modules/@pulumi/pulumi/package.json ] || die "node_modules/@pulumi/pulumi is missing: run 'npm install' first."
version=$(node -p 'require("./node_modules/@pulumi/pulumi/package.json").version')
cache_root=${HOMELAB_PULUMI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/homelab-ipam}
root="$cache_root/pulumi-v$version"
bin="$root/bin"
mkdir -p "$root"

have_version() { # $1 = pulumi binary; true when it prints exactly v<version>
  [ -x "$1" ] && [ "$(PULUMI_SKIP_UPDATE_CHECK=true "$1" version 2>/dev/null)" = "v$version" ]
}

# The npm package ships the dynamic-provider plugin as a small sh script; keep the
# copy beside the CLI current (it resolves @pulumi/pulumi from the program dir).
install_dynamic_plugin() {
  cp node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs "$bin/"
  chmod +x "$bin/pulumi-resource-pulumi-nodejs"
}

exec 9>"$root/.lock"
flock 9  # one build at a time, also across parallel test runs

if have_version "$bin/pulumi" && [ -x "$bin/pulumi-language-nodejs" ]; then
  install_dynamic_plugin
  log "using cached Pulumi CLI v$version at $bin"
  echo "$bin"; exit 0
fi

if path_cli=$(command -v pulumi 2>/dev/null) && have_version "$path_cli"; then
  real=$(readlink -f "$path_cli"); dir=$(dirname "$real")
  if [ -x "$dir/pulumi-language-nodejs" ]; then
    mkdir -p "$bin"
    ln -sf "$real" "$bin/pulumi"
    ln -sf "$dir/pulumi-language-nodejs" "$bin/pulumi-language-nodejs"
    install_dynamic_plugin
    log "using pulumi v$version from PATH ($real)"
    echo "$bin"; exit 0
  fi
  log "pulumi on PATH is v$version but has no pulumi-language-nodejs beside it; building instead"
fi

command -v go >/dev/null || die "Go is needed to build the Pulumi CLI v$version (apt-get install golang or use /usr/local/go) and none is on PATH."

log "building Pulumi CLI v$version and the Node.js language host from the Go module proxy"
log "(cold: several minutes on 2 cores; later runs reuse $bin and the Go caches)"
build="$root/build"
rm -rf "$build"; mkdir -p "$build"; cd "$build"
export GOTOOLCHAIN=local GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0
start=$(date +%s)
step() { log "[$(( $(date +%s) - start ))s] $*"; }

go mod init homelab-ipam.local/pulumi-cli >/dev/null 2>&1

step "downloading modules (the largest step on a cold cache)"
go get -tool "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@v$version" >&2
go get "github.com/pulumi/pulumi/sdk/v3@v$version" >&2
# Same fork of atotto/clipboard that Pulumi's own go.mod replaces (only matters on Windows).
go mod edit -replace github.com/atotto/clipboard=github.com/tgummerer/clipboard@v0.0.0-20241001131231-d02d263e614e
go mod tidy >&2

ldflags="-w -s -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$version"
mkdir -p "$bin.new"
compile() { # $1 = output name, $2 = package; run in the module directory
  step "compiling $1"
  # -v lists packages as they compile; show every 100th so progress is visible without flooding the log.
  go build -v -trimpath -tags osusergo,grpcnotrace -ldflags "$ldflags" -o "$bin.new/$1" "$2" 2>&1 \
    | awk -v n="$1" '{c++} c%100==0 {printf "[pulumi-cli]   %s: %d packages compiled\n", n, c > "/dev/stderr"} END {printf "[pulumi-cli]   %s: %d packages compiled\n", n, c > "/dev/stderr"}'
  [ -x "$bin.new/$1" ] || die "go build of $2 produced no binary"
}
compile pulumi github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
# The upstream Node.js language host module is not served by the Go module proxy this project
# can reach (every version answers 403), so the project builds its own minimal host from
# tools/pulumi-language-nodejs against the same sdk/v3 version (see its README).
rm -rf "$build/langhost"; cp -r "$here/tools/pulumi-language-nodejs" "$build/langhost"
(cd "$build/langhost" && go mod edit -require "github.com/pulumi/pulumi/sdk/v3@v$version" && go mod tidy >&2 && compile pulumi-language-nodejs .)
rm -rf "$bin"; mv "$bin.new" "$bin"
cd "$here"; install_dynamic_plugin
rm -rf "$build"
have_version "$bin/pulumi" || die "built CLI does not report v$version"
step "done: $("$bin/pulumi" version) at $bin"
echo "$bin"
