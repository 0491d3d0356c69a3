#!/usr/bin/env bash
# A screenshot of the real window under Xvfb:
#   scripts/screenshot.sh OUT.png [ARGS...]
# ARGS go to cache-inspector (default: --demo).  SHOT_DELAY (seconds, default 4)
# is how long the program runs before the picture; SHOT_KEYS, if set, are
# typed into the window first with xdotool (e.g. "ctrl+2"); SHOT_ROOT=1 takes the
# whole screen (for dialogs, which are windows of their own); SHOT_SCREEN is the
# virtual screen's size (default 1400x900).
# Needs Debian's xvfb, x11-utils, xdotool and imagemagick (installed when missing).
set -euo pipefail
if [ -z "${INSIDE_XVFB:-}" ]; then
    out=$(readlink -f "$1"); shift
    [ $# -gt 0 ] || set -- --demo
    missing=()
    for p in xvfb xauth x11-utils xdotool imagemagick; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            --no-install-recommends "${missing[@]}" >/dev/null
    fi
    XDG_CONFIG_HOME=$(mktemp -d)  # a fresh window: no remembered geometry
    export XDG_CONFIG_HOME INSIDE_XVFB=1
    trap 'rm -rf "$XDG_CONFIG_HOME"' EXIT
    xvfb-run -a -s "-screen 0 ${SHOT_SCREEN:-1400x900}x24" "$0" "$out" "$@"
    echo "wrote $out"
    exit 0
fi

out=$1; shift
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/.venv/bin/cache-inspector" "$@" &
pid=$!
sleep "${SHOT_DELAY:-4}"
id=$(xwininfo -root -tree | awk '/\("cache-inspector" / {print $1; exit}')
if [ -z "$id" ]; then
    echo "no Cache Inspector window found" >&2
    kill "$pid"
    exit 1
fi
[ -z "${SHOT_KEYS:-}" ] || xdotool windowfocus --sync "$id"
for k in ${SHOT_KEYS:-}; do
    xdotool key "$k"
    sleep 0.5
done
[ -z "${SHOT_KEYS:-}" ] || sleep 1
target=$id
[ -z "${SHOT_ROOT:-}" ] || target=root
import -window "$target" "$out"
kill "$pid"
wait "$pid" 2>/dev/null || true
