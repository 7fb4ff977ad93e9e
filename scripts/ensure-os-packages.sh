#!/usr/bin/env bash
# Install the Debian packages the tests need (browser, fonts) when they are missing.
set -euo pipefail
packages=()
command -v chromium >/dev/null 2>&1 || packages+=(chromium)
fc-list 2>/dev/null | grep -qi "DejaVu Sans" || packages+=(fonts-dejavu-core)
fc-list 2>/dev/null | grep -qi "Noto Sans" || packages+=(fonts-noto-core)
if [ ${#packages[@]} -gt 0 ]; then
  echo "Installing ${packages[*]} …"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi
