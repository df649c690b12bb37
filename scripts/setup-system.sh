#!/usr/bin/env bash
# Installs the system packages deckcast runs on (Debian 12): Prosody for XMPP,
# LibreOffice (with python3-uno for the warm converter) for decks, poppler for
# PDF checks, ffmpeg for audio/video, Chromium for the browser tests, a JDK with OkHttp for the
# phone bridge's Java reference client, and the fonts real
# decks use (otherwise LibreOffice draws empty boxes and the extracted text is wrong).
# Runs as part of `npm install` (postinstall) and `.ci/run`; safe to run again.
# Set DECKCAST_SKIP_APT=1 to skip it (for example when you manage packages yourself).
set -euo pipefail

need=()
have() { command -v "$1" >/dev/null 2>&1; }
have prosody        || need+=(prosody)
have soffice        || need+=(libreoffice-impress libreoffice-writer libreoffice-draw)
[ -e /usr/lib/python3/dist-packages/uno.py ] || need+=(python3-uno)
have pdftoppm       || need+=(poppler-utils)
have ffmpeg         || need+=(ffmpeg)
have opusinfo       || need+=(opus-tools)
have chromium       || need+=(chromium)
have javac          || need+=(default-jdk-headless)    # the phone bridge's Java reference client
[ -e /usr/share/java/okhttp.jar ] || need+=(libokhttp-java)  # ... its WebSocket (what Android apps use)
[ -e /usr/share/java/okio.jar ]   || need+=(libokio-java)
# Fonts, by the family fontconfig must know (download sizes for Debian 12):
font() { fc-list : family 2>/dev/null | grep -qi "$1" || need+=("$2"); }
font 'DejaVu Sans'       fonts-dejavu-core        # fallback; also covers Arabic and Hebrew
font 'Noto Sans CJK'     fonts-noto-cjk           # Chinese, Japanese, Korean (57 MB, the big one)
font 'Carlito'           fonts-crosextra-carlito  # metric stand-in for Calibri (0.7 MB)
font 'Caladea'           fonts-crosextra-caladea  # ... for Cambria (0.1 MB)
font 'Liberation Sans'   fonts-liberation2        # Arial, Times New Roman, Courier New; Hebrew (1.5 MB)
font 'Symbola'           fonts-symbola            # emoji with outlines (1.3 MB), see below
# Not fonts-noto-color-emoji: LibreOffice 7.4 embeds its bitmap glyphs as an outline font and
# every emoji comes out invisible (deckcast's workers hide colour fonts: convert/fonts-conf.ts).
# Not fonts-noto-core (12 MB) for Arabic and Hebrew: DejaVu Sans and Liberation already have
# them, and LibreOffice kept using those with it installed.

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "${DECKCAST_SKIP_APT:-}" = "1" ]; then
  echo "deckcast: missing system packages (DECKCAST_SKIP_APT=1, not installing): ${need[*]}" >&2
  exit 0
fi
if [ "$(id -u)" != "0" ] || ! have apt-get; then
  echo "deckcast: these system packages are missing: ${need[*]}" >&2
  echo "deckcast: install them as root with: apt-get install -y --no-install-recommends ${need[*]}" >&2
  exit 1
fi

echo "deckcast: installing system packages: ${need[*]}" >&2
# Don't let the Debian packages start system-wide daemons (prosody would bind 5222):
# deckcast starts its own private Prosody.
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && made_policy=1
fi
trap '[ $made_policy = 1 ] && rm -f "$policy"' EXIT

export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -q --no-install-recommends "${need[@]}" >/tmp/deckcast-apt.log 2>&1; then
  apt-get update -q >>/tmp/deckcast-apt.log 2>&1
  apt-get install -y -q --no-install-recommends "${need[@]}" >>/tmp/deckcast-apt.log 2>&1 || {
    echo "deckcast: apt-get install failed; see /tmp/deckcast-apt.log" >&2; exit 1; }
fi
echo "deckcast: system packages ready" >&2
