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
# Workbox runtime modules for the service worker, loaded from our own origin (never a CDN).
WORKBOX_VERSION="${WORKBOX_VERSION:-7.4.1}"
mkdir -p pwa/js/vendor/workbox
for m in sw core routing strategies precaching range-requests cacheable-response expiration; do
  ( cd "$tmp" && npm pack --silent "workbox-${m}@${WORKBOX_VERSION}" >/dev/null && mkdir -p "wb-$m" && tar xzf "workbox-${m}-${WORKBOX_VERSION}.tgz" -C "wb-$m" )
  if [ "$m" = sw ]; then cp "$tmp/wb-$m/package/build/workbox-sw.js" pwa/js/vendor/workbox/
  else cp "$tmp/wb-$m/package/build/workbox-${m}.prod.js" pwa/js/vendor/workbox/; fi
done
echo "workbox ${WORKBOX_VERSION}" >> pwa/js/vendor/VERSIONS
