#!/usr/bin/env bash
# Installs the Debian 12 packages listed in scripts/packages.txt.
#
# Idempotent: does nothing (and needs no root) when every package is already
# installed. Otherwise runs apt-get update and install non-interactively, as
# root or through sudo.
#
# Database servers are installed, never started: while apt runs, a
# policy-rc.d denies every service start (exit 101), and a PostgreSQL service
# this run newly installed is left disabled under systemd. Tests start their
# own throwaway servers (tests/support/). Existing clusters and services are
# left as they were.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
list="${here}/packages.txt"

mapfile -t packages < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "${list}")
if ((${#packages[@]} == 0)); then
  echo "install-deps: no packages in ${list}" >&2
  exit 1
fi

installed() {
  [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" == installed ]]
}

missing=()
for package in "${packages[@]}"; do
  installed "${package}" || missing+=("${package}")
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages are installed"
  exit 0
fi
echo "install-deps: installing ${#missing[@]} of ${#packages[@]} packages: ${missing[*]}"

sudo=()
if ((EUID != 0)); then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
  else
    echo "install-deps: must run as root (or with password-less sudo) to install:" \
      "${missing[*]}" >&2
    exit 1
  fi
fi

# Which database services were here before: only new ones get disabled.
had_postgres_service=0
if [[ -e /lib/systemd/system/postgresql.service || -e /etc/init.d/postgresql ]]; then
  had_postgres_service=1
fi
had_mariadb_service=0
if [[ -e /lib/systemd/system/mariadb.service || -e /etc/init.d/mariadb ]]; then
  had_mariadb_service=1
fi

# Deny service starts for the duration of the install; put back whatever
# policy-rc.d was there before (containers often have one already).
policy=/usr/sbin/policy-rc.d
policy_backup=""
restore_policy() {
  if [[ -n "${policy_backup}" ]]; then
    "${sudo[@]}" mv -f "${policy_backup}" "${policy}"
  else
    "${sudo[@]}" rm -f "${policy}"
  fi
}
if [[ -e "${policy}" ]]; then
  policy_backup="$("${sudo[@]}" mktemp /usr/sbin/policy-rc.d.deltabridge.XXXXXX)"
  "${sudo[@]}" cp -p "${policy}" "${policy_backup}"
fi
trap restore_policy EXIT
trap 'exit 130' INT TERM
printf '#!/bin/sh\n# Written by deltabridge scripts/install-deps.sh while apt runs.\nexit 101\n' |
  "${sudo[@]}" tee "${policy}" >/dev/null
"${sudo[@]}" chmod 755 "${policy}"

export DEBIAN_FRONTEND=noninteractive
apt_options=(-q -o Dpkg::Use-Pty=0 -o DPkg::Lock::Timeout=600 -o Acquire::Retries=3)
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${apt_options[@]}" update
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${apt_options[@]}" install -y \
  --no-install-recommends \
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
  "${missing[@]}"

if ((had_postgres_service == 0)) && [[ -d /run/systemd/system ]] &&
  [[ -e /lib/systemd/system/postgresql.service ]]; then
  "${sudo[@]}" systemctl disable --quiet postgresql.service || true
  echo "install-deps: left the newly installed postgresql.service disabled"
fi
if ((had_mariadb_service == 0)) && [[ -d /run/systemd/system ]] &&
  [[ -e /lib/systemd/system/mariadb.service ]]; then
  "${sudo[@]}" systemctl disable --quiet mariadb.service || true
  echo "install-deps: left the newly installed mariadb.service disabled"
fi

for package in "${missing[@]}"; do
  if ! installed "${package}"; then
    echo "install-deps: ${package} is still not installed" >&2
    exit 1
  fi
done
echo "install-deps: done"
