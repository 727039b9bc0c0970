#!/usr/bin/env bash
# Installs everything BBWS needs on Debian 12/13: system packages (apt), the Python virtualenv in .venv,
# and (with --dev) the test tools, Python and Node. Safe to run again: finished steps are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

dev=0
[[ "${1:-}" == "--dev" ]] && dev=1

python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || {
  echo "BBWS needs Python 3.11 or newer (python3 is $(python3 --version 2>&1))." >&2
  exit 1
}

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

packages=()
python3 -c 'import venv, ensurepip' 2>/dev/null || packages+=(python3-venv)
# The local runtime: PHP, MariaDB (the platform runs its own private server, never the system service) and
# Debian's WordPress, which each instance's sites are built from.
for pkg in php-cli php-mysql php-xml php-mbstring php-curl mariadb-server mariadb-client wordpress; do
  installed "$pkg" || packages+=("$pkg")
done
if [[ $dev == 1 ]]; then
  command -v git >/dev/null || packages+=(git)
  command -v node >/dev/null || packages+=(nodejs)
  command -v npm >/dev/null || packages+=(npm)
  # The docs-page test loads /docs in a headless browser, from this machine only.
  command -v chromium >/dev/null || packages+=(chromium)
fi
sudo=""
[[ $(id -u) -ne 0 ]] && sudo="sudo"
apt_install() {
  echo "Installing system packages: $*"
  export DEBIAN_FRONTEND=noninteractive
  # Packages must not start system services (MariaDB, Apache) as they install: BBWS runs its own processes.
  local policy=/usr/sbin/policy-rc.d
  if [[ ! -e $policy ]]; then
    trap "$sudo rm -f $policy" EXIT
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
    $sudo chmod +x "$policy"
  fi
  $sudo apt-get update -q
  $sudo apt-get install -y -q --no-install-recommends "$@"
}
if ((${#packages[@]})); then
  apt_install "${packages[@]}"
fi
# Debian's wordpress package ships no theme. Every theme Debian packages is installed: a new site shows the
# newest, and the built-in site templates are made from them. They must be there before the first site is built.
theme_packages() { apt-cache pkgnames wordpress-theme- 2>/dev/null | sort; }
mapfile -t themes < <(theme_packages)
if ((${#themes[@]} == 0)); then
  $sudo apt-get update -q
  mapfile -t themes < <(theme_packages)
fi
((${#themes[@]})) || themes=(wordpress-theme-twentytwentythree)
missing_themes=()
for pkg in "${themes[@]}"; do
  installed "$pkg" || missing_themes+=("$pkg")
done
if ((${#missing_themes[@]})); then
  apt_install "${missing_themes[@]}"
fi

[[ -x .venv/bin/python ]] || python3 -m venv .venv
extras="."
[[ $dev == 1 ]] && extras=".[dev]"
stamp=".venv/.bbws-installed"
want="$(sha256sum pyproject.toml | cut -d' ' -f1) $extras"
if [[ ! -f $stamp || "$(cat "$stamp")" != "$want" ]]; then
  echo "Installing Python packages ($extras)"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e "$extras"
  echo "$want" > "$stamp"
fi

if [[ $dev == 1 ]]; then
  npm_stamp="node_modules/.bbws-installed"
  npm_want="$(sha256sum package.json package-lock.json 2>/dev/null | sha256sum | cut -d' ' -f1)"
  if [[ ! -f $npm_stamp || "$(cat "$npm_stamp")" != "$npm_want" ]]; then
    echo "Installing Node tools (swagger-cli, standardwebhooks)"
    npm ci --no-audit --no-fund --loglevel=error
    echo "$npm_want" > "$npm_stamp"
  fi
fi
