#!/usr/bin/env bash
# Install Debian's chromium for the browser tests (tests/dev/stack/test_ui_browser.py drives it with Playwright;
# Playwright's own browser download is never used). Idempotent: does nothing when /usr/bin/chromium exists.
# Needs root (or a user allowed to run apt-get).
set -euo pipefail

if [[ -x /usr/bin/chromium ]]; then
    echo "chromium present: $(/usr/bin/chromium --version 2>/dev/null | head -n 1)"
    exit 0
fi
echo "chromium is not installed: installing it from Debian's packages" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
echo "chromium installed: $(/usr/bin/chromium --version 2>/dev/null | head -n 1)"
