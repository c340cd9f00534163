#!/usr/bin/env bash
# Builds the LAB STAND-IN of the proxmoxve provider plugin (tools/pulumi-resource-proxmoxve)
# for the tests and `npm run lab`. It is never installed for a real stack: lab/temp-stack.ts
# links it into each throwaway stack's own PULUMI_HOME (plugins/resource-proxmoxve-v8.6.0/).
#
# The binary lives outside the repository, keyed by a hash of the plugin's sources so an edit
# rebuilds it:
#   ${HOMELAB_PULUMI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/homelab-ipam}/proxmoxve-lab-v8.6.0-<hash>/pulumi-resource-proxmoxve
# Needs Go and the Go module proxy (the same sdk/v3 version as the CLI, see pulumi-cli.sh).
# Prints the binary's path as its last line. Fails loudly; never skips.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
log() { printf '[proxmoxve-plugin] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

if ! command -v go >/dev/null && [ -x /usr/local/go/bin/go ]; then export PATH="$PATH:/usr/local/go/bin"; fi
[ -f node_modules/@pulumi/pulumi/package.json ] || die "node_modules/@pulumi/pulumi is missing: run 'npm install' first."
sdk=$(node -p 'require("./node_modules/@pulumi/pulumi/package.json").version')
version=8.6.0   # what @muhlba91/pulumi-proxmoxve 8.6.0 requests (ref/proxmox.md §2.1)
src=tools/pulumi-resource-proxmoxve
hash=$( (cd "$src" && cat go.mod ./*.go schema.json; echo "sdk $sdk") | sha256sum | cut -c1-12)
cache_root=${HOMELAB_PULUMI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/homelab-ipam}
root="$cache_root/proxmoxve-lab-v$version-$hash"
bin="$root/pulumi-resource-proxmoxve"
mkdir -p "$root"
exec 9>"$root/.lock"
flock 9

if [ -x "$bin" ]; then
  log "using cached lab stand-in at $bin"
  echo "$bin"; exit 0
fi
command -v go >/dev/null || die "Go is needed to build the lab stand-in of pulumi-resource-proxmoxve and none is on PATH."
log "building the lab stand-in pulumi-resource-proxmoxve v$version against sdk/v3 v$sdk (≈ 1-2 min with warm Go caches)"
start=$(date +%s)
build="$root/build"
rm -rf "$build"; cp -r "$src" "$build"; cd "$build"
export GOTOOLCHAIN=local GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0
go mod edit -require "github.com/pulumi/pulumi/sdk/v3@v$sdk"
go mod tidy >&2
go test -count=1 . >&2   # the diff rules and the loopback-only endpoint check (diff_test.go)
go build -trimpath -ldflags "-s -w" -o "$bin.new" . >&2
mv "$bin.new" "$bin"
cd "$here"; rm -rf "$build"
log "[$(( $(date +%s) - start ))s] done: $bin"
echo "$bin"
