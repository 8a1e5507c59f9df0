#!/usr/bin/env bash
# Prometheus's promtool, for the offline checks of the alert rules and their unit tests.
#
#   tools/prometheus/promtool.sh bin          print the folder holding `promtool` (fetching it if needed)
#   tools/prometheus/promtool.sh exec ARGS…   run `promtool` with ARGS
#
# A `promtool` on the PATH is used as it is. Otherwise the binary comes from Debian's `prometheus`
# package: `apt-get download` (apt checks the archive's signatures; as root the package lists are
# refreshed first when they are missing) and unpacked, not installed, into
# ${XDG_CACHE_HOME:-~/.cache}/platform-promtool, so later runs start at once. Exits 69 (EX_UNAVAILABLE)
# with one line on stderr when it cannot be had (no apt, no network): the callers say so and skip.
set -euo pipefail

fail() {
  echo "tools/prometheus/promtool.sh: $*" >&2
  exit 69
}

promtool_bin_dir() {
  if command -v promtool > /dev/null 2>&1; then
    dirname "$(command -v promtool)"
    return
  fi
  local cache="${XDG_CACHE_HOME:-$HOME/.cache}/platform-promtool"
  if [ -x "$cache/usr/bin/promtool" ]; then
    echo "$cache/usr/bin"
    return
  fi
  command -v apt-get > /dev/null 2>&1 || fail "no promtool on the PATH and no apt-get to fetch Debian's prometheus package"
  local scratch
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' RETURN
  chmod 755 "$scratch"
  if ! (cd "$scratch" && apt-get download prometheus > /dev/null 2>&1); then
    [ "$(id -u)" = 0 ] || fail "apt-get download prometheus failed (as non-root the package lists cannot be refreshed)"
    apt-get update -qq > /dev/null 2>&1 || fail "apt-get update failed"
    (cd "$scratch" && apt-get download prometheus > /dev/null 2>&1) || fail "apt-get download prometheus failed"
  fi
  echo "Unpacking promtool from Debian's prometheus package into $cache" >&2
  mkdir -p "$cache.partial"
  dpkg-deb -x "$scratch"/prometheus_*.deb "$cache.partial" || fail "could not unpack the prometheus package"
  "$cache.partial/usr/bin/promtool" --version > /dev/null 2>&1 || fail "the unpacked promtool does not run"
  rm -rf "$cache" && mv "$cache.partial" "$cache"
  echo "$cache/usr/bin"
}

case "${1:-}" in
  bin) promtool_bin_dir ;;
  exec)
    shift
    dir=$(promtool_bin_dir)
    exec "$dir/promtool" "$@"
    ;;
  *)
    echo "usage: tools/prometheus/promtool.sh bin | exec ARGS..." >&2
    exit 64
    ;;
esac
