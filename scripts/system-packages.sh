#!/usr/bin/env bash
# Installs the Debian packages the tests run for real: OpenSSH's server (the lab's nodes are real
# sshd processes on loopback), sudo (a lab node's non-root login user reaches root through
# `sudo -n`; its sudoers files are private to that node's mount namespace, lab/node/machine.ts,
# the host's /etc/sudoers stays the package's own), Prometheus (promtool evaluates the alert rules) and the openssl CLI
# (the Proxmox simulator's throwaway HTTPS certificate).
# Versions are Debian 12's; a point release that Debian replaced (a security update) is accepted,
# another major version is refused, because the tests were written against these.
# Needs root (CI and the dev machines run as root). Idempotent: installs only what is missing.
set -euo pipefail

log() { printf '[system-packages] %s\n' "$*" >&2; }

# package  binary             version prefix the tests were written against
wanted=(
  "openssh-server /usr/sbin/sshd 1:9.2p1"
  "sudo           /usr/bin/sudo 1.9.13p3"
  "prometheus     /usr/bin/promtool 2.42.0"
  "openssl        /usr/bin/openssl 3.0."   # the Proxmox simulator's throwaway HTTPS certificate (lab/proxmox/tls.ts)
)

missing=()
for line in "${wanted[@]}"; do
  read -r pkg binary _ <<<"$line"
  [ -x "$binary" ] || missing+=("$pkg")
done

if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || { log "ERROR: ${missing[*]} missing and this is not root: apt-get install ${missing[*]}"; exit 1; }
  log "installing ${missing[*]} (apt-get; a minute or two)"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  # --no-install-recommends keeps prometheus' exporters and web assets out; policy-rc.d keeps
  # the packages' own services from starting (the tests start their own, on loopback only).
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

for line in "${wanted[@]}"; do
  read -r pkg binary prefix <<<"$line"
  have=$(dpkg-query -W -f='${Version}' "$pkg")
  case "$have" in
    "$prefix"*) log "$pkg $have ($binary)";;
    *) log "ERROR: $pkg $have installed; the tests were written against $prefix*"; exit 1;;
  esac
done
