#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The Shell search provider's latency: GetInitialResultSet over D-Bus
# against a listing cache of 100 000 images, the app started by D-Bus
# activation from its service file in a private session bus, as the Shell
# starts it. The Shell drops providers slower than its timeout; the target
# is p95 under 50 ms. Exits non-zero when a case misses it.
#
# usage: bench/search-provider.sh [N_IMAGES] [N_CALLS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
n_images=${1:-100000}
n_calls=${2:-200}
build="$root/_build-bench-desktop"

if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" "$root" --buildtype=release -Dtests=false >/dev/null
fi
ninja -C "$build" src/app/tessera data/gschemas.compiled >/dev/null

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tessera-bench-search.XXXXXX")
# (the document portal may leave a FUSE mount in the runtime dir: not an error)
trap 'rm -rf "$tmp" 2>/dev/null || true' EXIT INT TERM

# shellcheck disable=SC2046
cc -O2 -o "$tmp/bench" "$here/search-provider-bench.c" $(pkg-config --cflags --libs gio-2.0)

export HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/config" XDG_DATA_HOME="$tmp/data"
export XDG_CACHE_HOME="$tmp/cache" XDG_RUNTIME_DIR="$tmp/runtime"
mkdir -p "$HOME" "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_CACHE_HOME/tessera" "$XDG_RUNTIME_DIR" \
         "$tmp/share/dbus-1/services"
chmod 700 "$XDG_RUNTIME_DIR"
export XDG_DATA_DIRS="$tmp/share:/usr/share"
export GSETTINGS_SCHEMA_DIR="$build/data" GSETTINGS_BACKEND=memory
sed "s|@bindir@/tessera|$build/src/app/tessera|" "$root/data/io.github.tessera.Tessera.service.in" \
  >"$tmp/share/dbus-1/services/io.github.tessera.Tessera.service"

# An account whose server is down (the background refresh after a search
# finds it offline and keeps the cache: this is the cache alone), its session
# in the 0600 file the account falls back to without a keyring, and its
# listing where the provider looks for it.
server=http://127.0.0.1:9
mkdir -p "$XDG_CONFIG_HOME/tessera"
printf '[account]\nserver=%s\nusername=bench\n' "$server" >"$XDG_CONFIG_HOME/tessera/account.ini"
printf '[%s]\nbench=not-a-real-token\n' "$server" >"$XDG_CONFIG_HOME/tessera/refresh-token"
chmod 600 "$XDG_CONFIG_HOME/tessera/refresh-token"
export TESSERA_NO_KEYRING=1
key=$(printf %s "$server" | sha256sum | cut -c1-16)
listing="$XDG_CACHE_HOME/tessera/listing/$key/bench.gvariant"
mkdir -p "$(dirname "$listing")"
"$tmp/bench" fill "$listing" "$n_images"
echo "listing cache: $n_images images, $(du -h "$listing" | cut -f1) on disk"
echo "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"

# GTK needs a display even for a service start: Xvfb stands in.
xvfb-run -a dbus-run-session -- bash -c '
  status=0
  echo "one tag, 300 matches (tag999), answers capped at 100; the first call starts the app and reads the cache:"
  "$1" time "$2" tag999 || status=$?
  touch "$3"
  echo "a prefix of 111 tags, most images match (tag1); the first call re-reads the touched cache:"
  "$1" time "$2" tag1 || status=$?
  echo "two words (tag4 tag9):"
  "$1" time "$2" tag4 tag9 || status=$?
  echo "no match (horse): the whole cache is scanned:"
  "$1" time "$2" horse || status=$?
  exit $status
' bash "$tmp/bench" "$n_calls" "$listing"
