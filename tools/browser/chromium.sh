#!/usr/bin/env bash
# The headless browser of the API reference test: Debian's `chromium`.
#
#   tools/browser/chromium.sh path   print the path of the chromium binary (installing it if needed)
#
# A chromium (or chromium-browser, google-chrome) on the PATH is used as it is. Otherwise, as root
# on Debian or Ubuntu, it is installed from the distribution's packages (apt-get update first when
# the package lists are missing). Exits 69 (EX_UNAVAILABLE) with one line on stderr when there is
# none and it cannot be installed: the test then says so.
set -euo pipefail

fail() {
  echo "tools/browser/chromium.sh: $*" >&2
  exit 69
}

find_chromium() {
  local candidate
  for candidate in chromium chromium-browser google-chrome; do
    if command -v "$candidate" > /dev/null 2>&1; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}

case "${1:-}" in
  path)
    if find_chromium; then exit 0; fi
    command -v apt-get > /dev/null 2>&1 || fail "no chromium on the PATH and no apt-get to install Debian's chromium package"
    [ "$(id -u)" = 0 ] || fail "no chromium on the PATH; install Debian's chromium package (as root: apt-get install chromium)"
    echo "Installing Debian's chromium package" >&2
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -qq --no-install-recommends chromium > /dev/null 2>&1; then
      apt-get update -qq > /dev/null 2>&1 || fail "apt-get update failed"
      apt-get install -y -qq --no-install-recommends chromium > /dev/null 2>&1 || fail "apt-get install chromium failed"
    fi
    find_chromium || fail "chromium was installed but is not on the PATH"
    ;;
  *)
    echo "usage: tools/browser/chromium.sh path" >&2
    exit 64
    ;;
esac
