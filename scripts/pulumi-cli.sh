#!/usr/bin/env bash
# Makes a Pulumi CLI and Node.js language host available to the tests, the lab and
# the drift command. Any official Pulumi CLI of a compatible version is used as it
# is (the range is drift/pulumi-cli.ts's: >= @pulumi/pulumi in the lockfile, < 4.0.0);
# the project builds its own only when none is installed.
#
# Order (the same as drift/pulumi-cli.ts): PULUMI_BIN → a compatible `pulumi` on
# PATH with its language host beside it → an existing build in the cache → a build
# of the lockfile's version from the Go module proxy. Builds live outside the
# repository (never committed) under
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

# An installed CLI: compatible (checked by the compiled drift/pulumi-cli.js) and complete.
installed_ok() { # $1 = pulumi binary
  [ -f dist/drift/pulumi-cli.js ] || die "dist/ is missing: run 'npm run build' first (the version check is compiled TypeScript)."
  local real dir; real=$(readlink -f "$1"); dir=$(dirname "$real")
  node dist/drift/pulumi-cli.js check "$real" || return 1
  for f in pulumi-language-nodejs pulumi-resource-pulumi-nodejs; do
    [ -x "$dir/$f" ] || command -v "$f" >/dev/null || { log "$real has no $f beside it or on PATH"; return 1; }
  done
}
if [ -n "${PULUMI_BIN:-}" ]; then
  installed_ok "$PULUMI_BIN" || die "PULUMI_BIN=$PULUMI_BIN cannot be used (see above); unset it or point it at a compatible Pulumi CLI."
  log "using PULUMI_BIN=$PULUMI_BIN"
  dirname "$(readlink -f "$PULUMI_BIN")"; exit 0
fi
if path_cli=$(command -v pulumi 2>/dev/null) && installed_ok "$path_cli"; then
  log "using the installed Pulumi CLI $(PULUMI_SKIP_UPDATE_CHECK=true "$path_cli" version) ($(readlink -f "$path_cli"))"
  dirname "$(readlink -f "$path_cli")"; exit 0
fi

if have_version "$bin/pulumi" && [ -x "$bin/pulumi-language-nodejs" ]; then
  install_dynamic_plugin
  log "using the project's build of Pulumi CLI v$version at $bin"
  echo "$bin"; exit 0
fi

command -v go >/dev/null || die "no compatible Pulumi CLI is installed (install one: https://www.pulumi.com/docs/install/, or set PULUMI_BIN), and Go, needed to build v$version, is not on PATH."

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
