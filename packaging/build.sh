#!/usr/bin/env bash
# Build the wheel, the sdist and the one-folder bundle, then smoke-test the bundle.
#   packaging/build.sh        (./run package calls it)
# Artefacts land in dist/: cache_inspector-*.whl, cache_inspector-*.tar.gz,
# dist/bundle/cache-inspector/ (run dist/bundle/cache-inspector/cache-inspector).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
rm -rf dist build/pyinstaller
start=$(date +%s)
echo "==> wheel and sdist"
"$PY" -m build --wheel --sdist --outdir dist . >/dev/null
echo "==> bundle (PyInstaller)"
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath dist/bundle --workpath build/pyinstaller packaging/cache-inspector.spec
end=$(date +%s)
echo "==> built in $((end - start)) s"
ls -l dist/*.whl dist/*.tar.gz | awk '{printf "%-60s %8.1f KiB\n", $9, $5/1024}'
du -sh dist/bundle/cache-inspector | awk '{print "dist/bundle/cache-inspector/ (one folder)", $1}'
tar -C dist/bundle -czf dist/cache-inspector-bundle.tar.gz cache-inspector
ls -l dist/cache-inspector-bundle.tar.gz | awk '{printf "%-60s %8.1f MiB\n", $9, $5/1048576}'
echo "==> smoke test of the bundle"
temproot=$(mktemp -d "${TMPDIR:-/tmp}/cache-inspector-bundle-test.XXXXXX")
trap 'rm -rf "$temproot"' EXIT
CACHE_INSPECTOR_BUNDLE="$PWD/dist/bundle/cache-inspector" QT_QPA_PLATFORM=offscreen \
    PYTEST_DEBUG_TEMPROOT="$temproot" \
    "$PY" -m pytest -q -p no:cacheprovider tests/packaging/test_bundle.py
