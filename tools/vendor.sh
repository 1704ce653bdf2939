#!/usr/bin/env bash
# Refreshes the vendored front-end files from the npm registry at pinned versions.
# Run by hand when upgrading; the results are committed (the app never fetches anything at run time).
set -euo pipefail
cd "$(dirname "$0")/.."
HTMX_VERSION="${HTMX_VERSION:-2.0.11}"
AXE_VERSION="${AXE_VERSION:-4.14.1}"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
( cd "$tmp" && npm pack --silent "htmx.org@${HTMX_VERSION}" >/dev/null && tar xzf htmx.org-*.tgz )
cp "$tmp/package/dist/htmx.min.js" pwa/js/vendor/htmx.min.js
echo "htmx.org ${HTMX_VERSION}" > pwa/js/vendor/VERSIONS
# axe-core is for the browser tests only; it is not served to anyone.
( cd "$tmp" && npm pack --silent "axe-core@${AXE_VERSION}" >/dev/null && tar xzf axe-core-*.tgz --one-top-level=axe )
mkdir -p tests/browser/vendor && cp "$tmp/axe/package/axe.min.js" tests/browser/vendor/axe.min.js
echo "axe-core ${AXE_VERSION}" >> pwa/js/vendor/VERSIONS
