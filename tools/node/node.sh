#!/usr/bin/env bash
# The project's Node.js (the version in .nvmrc, the one the image ships), so CI and the benchmark
# run on it whatever Node this machine has.
#
#   tools/node/node.sh bin          print the folder holding that `node` (installing it if needed)
#   tools/node/node.sh exec ARGS…   run that `node` with ARGS
#
# When the `node` on the PATH already is that version it is used as it is. Otherwise the official
# binary comes from the npm registry (package node-<platform>-<arch>), is checked against the
# integrity pinned in tools/node/node.lock, and is kept in ${XDG_CACHE_HOME:-~/.cache}/platform-node,
# so later runs (and other clones on this machine) start at once.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
version=$(tr -d ' \nv' < "$root/.nvmrc")

fail() { echo "tools/node/node.sh: $*" >&2; exit 1; }

node_bin_dir() {
  if [ "$(node --version 2>/dev/null || true)" = "v$version" ]; then
    dirname "$(command -v node)"
    return
  fi
  local platform arch
  case "$(uname -s)" in Linux) platform=linux ;; Darwin) platform=darwin ;; *) fail "no Node.js $version build for $(uname -s)" ;; esac
  case "$(uname -m)" in x86_64 | amd64) arch=x64 ;; aarch64 | arm64) arch=arm64 ;; *) fail "no Node.js $version build for $(uname -m)" ;; esac
  local package="node-$platform-$arch@$version"
  local cache="${XDG_CACHE_HOME:-$HOME/.cache}/platform-node/$platform-$arch-$version"
  if [ -x "$cache/bin/node" ] && [ "$("$cache/bin/node" --version 2>/dev/null)" = "v$version" ]; then
    echo "$cache/bin"
    return
  fi
  local expected
  expected=$(awk -v p="$package" '$1 == p { print $2 }' "$root/tools/node/node.lock")
  [ -n "$expected" ] || fail "$package has no pinned integrity in tools/node/node.lock (add it with: npm view $package dist.integrity)"
  echo "Installing Node.js $version ($package from the npm registry) into $cache" >&2
  local scratch
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' RETURN
  (cd "$scratch" && npm pack --silent "$package" > /dev/null) || fail "could not download $package from the npm registry"
  local tarball actual
  tarball=$(ls "$scratch"/*.tgz)
  actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
  [ "$actual" = "$expected" ] || fail "$package: integrity $actual does not match the pinned $expected"
  mkdir -p "$scratch/unpacked" "$(dirname "$cache")"
  tar -xzf "$tarball" -C "$scratch/unpacked" package/bin/node package/LICENSE
  rm -rf "$cache" && mv "$scratch/unpacked/package" "$cache"
  [ "$("$cache/bin/node" --version)" = "v$version" ] || fail "the installed node does not report v$version"
  echo "$cache/bin"
}

case "${1:-}" in
  bin) node_bin_dir ;;
  exec)
    shift
    dir=$(node_bin_dir)
    exec "$dir/node" "$@"
    ;;
  *) fail "usage: tools/node/node.sh bin | exec ARGS…" ;;
esac
