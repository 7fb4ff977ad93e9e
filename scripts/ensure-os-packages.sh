#!/usr/bin/env bash
# Install the Debian packages the tests need (browser, fonts, PDF tools) when they are missing.
set -euo pipefail
packages=()
command -v chromium >/dev/null 2>&1 || packages+=(chromium)
# The font list is read whole (not `grep -q`, which stops early: fc-list then dies of SIGPIPE,
# and pipefail would report the fonts missing every time).
fonts="$(fc-list : family 2>/dev/null || true)"
grep -qi "DejaVu Sans" <<<"$fonts" || packages+=(fonts-dejavu-core)
grep -qi "Noto Sans" <<<"$fonts" || packages+=(fonts-noto-core)
# WeasyPrint (the PDF proceedings) lays text out with Pango and subsets fonts with HarfBuzz.
libraries="$(ldconfig -p 2>/dev/null || true)"
grep -q "libpangoft2-1.0.so.0" <<<"$libraries" || packages+=(libpango-1.0-0 libpangoft2-1.0-0)
grep -q "libharfbuzz-subset.so.0" <<<"$libraries" || packages+=(libharfbuzz-subset0)
# pdftotext and pdffonts read the PDF proceedings back in the tests.
command -v pdftotext >/dev/null 2>&1 || packages+=(poppler-utils)
# LibreOffice opens the Word proceedings in a test (they must be editable there, not only in Word).
command -v soffice >/dev/null 2>&1 || packages+=(libreoffice-writer-nogui)
# The cluster test (tests/cluster/) runs three nodes behind HAProxy, reaching PostgreSQL and
# Redis through socat; the outage tests use socat too.
command -v haproxy >/dev/null 2>&1 || packages+=(haproxy)
command -v socat >/dev/null 2>&1 || packages+=(socat)
if [ ${#packages[@]} -gt 0 ]; then
  echo "Installing ${packages[*]} …"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi
