#!/usr/bin/env bash
# Put Cache Inspector in the desktop's menu: launcher, AppStream metainfo, icons.
#   packaging/install-desktop.sh [PREFIX]      (default: ~/.local; /usr/local needs root)
# With a built bundle (packaging/build.sh), it is installed too: PREFIX/lib/cache-inspector,
# with cache-inspector and cache-inspector-cli linked into PREFIX/bin.  Without one, the
# launcher runs whatever `cache-inspector` is on PATH (pip install, or .venv/bin).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
prefix=${1:-$HOME/.local}
id=io.github.cache_inspector.CacheInspector
install -Dm644 "$here/packaging/$id.desktop" "$prefix/share/applications/$id.desktop"
install -Dm644 "$here/packaging/$id.metainfo.xml" "$prefix/share/metainfo/$id.metainfo.xml"
install -Dm644 "$here/resources/cache-inspector.svg" "$prefix/share/icons/hicolor/scalable/apps/$id.svg"
for png in "$here"/resources/hicolor/*/apps/"$id".png; do
    size=$(basename "$(dirname "$(dirname "$png")")")
    install -Dm644 "$png" "$prefix/share/icons/hicolor/$size/apps/$id.png"
done
bundle=$here/dist/bundle/cache-inspector
if [ -x "$bundle/cache-inspector" ]; then
    rm -rf "$prefix/lib/cache-inspector"
    mkdir -p "$prefix/lib" "$prefix/bin"
    cp -a "$bundle" "$prefix/lib/cache-inspector"
    ln -sf "$prefix/lib/cache-inspector/cache-inspector" "$prefix/bin/cache-inspector"
    ln -sf "$prefix/lib/cache-inspector/cache-inspector-cli" "$prefix/bin/cache-inspector-cli"
fi
command -v update-desktop-database >/dev/null && update-desktop-database -q "$prefix/share/applications" || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -qtf "$prefix/share/icons/hicolor" 2>/dev/null || true
echo "installed under $prefix"
