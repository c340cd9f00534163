#!/usr/bin/env bash
# Lints GitHub Actions workflows with actionlint, built once from the Go module proxy
# (same route as scripts/pulumi-cli.sh: the `go` client, no release downloads) into a cache
# directory outside the repository, and reused on later runs:
#   ${HOMELAB_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/homelab-ipam}/actionlint-v<version>/bin/actionlint
#
# Usage: bash scripts/actionlint.sh [actionlint args…]
#   no args → lints .github/workflows/*.yml of this repository.
#   --print-path → only builds (if needed) and prints the binary's path.
# Exits with actionlint's own status (0 clean, 1 problems found, >1 usage/fatal).
set -euo pipefail

version=v1.7.12
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache_root=${HOMELAB_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/homelab-ipam}
root="$cache_root/actionlint-$version"
bin="$root/bin/actionlint"

log() { printf '[actionlint] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 3; }

built_version() { # prints the version the cached binary reports, or nothing
  [ -x "$bin" ] && "$bin" -version 2>/dev/null | head -n1 || true
}

if [ "$(built_version)" != "${version#v}" ]; then
  command -v go >/dev/null || die "Go is needed to build actionlint $version (apt-get install golang or put /usr/local/go/bin on PATH) and none is on PATH."
  mkdir -p "$root"
  exec 9>"$root/.lock"
  flock 9  # one build at a time, also across parallel test runs
  if [ "$(built_version)" != "${version#v}" ]; then
    log "building github.com/rhysd/actionlint/cmd/actionlint@$version with go install (first run only)"
    # GOBIN puts the binary straight into the cache; -ldflags sets the version it prints, which is
    # how a later run knows the cached binary is the pinned one.
    GOTOOLCHAIN=local CGO_ENABLED=0 GOBIN="$root/bin.new" go install -trimpath \
      -ldflags "-s -w -X github.com/rhysd/actionlint.version=${version#v}" \
      "github.com/rhysd/actionlint/cmd/actionlint@$version" >&2
    rm -rf "$root/bin"; mv "$root/bin.new" "$root/bin"
    [ "$(built_version)" = "${version#v}" ] || die "built $bin does not report ${version#v} (it says: $("$bin" -version 2>&1 | head -n1))"
  fi
fi

if [ "${1:-}" = "--print-path" ]; then echo "$bin"; exit 0; fi

cd "$here"
if [ "$#" -eq 0 ]; then
  shopt -s nullglob
  files=(.github/workflows/*.yml .github/workflows/*.yaml)
  [ "${#files[@]}" -gt 0 ] || die "no workflow files under $here/.github/workflows"
  set -- "${files[@]}"
fi
exec "$bin" -no-color "$@"
