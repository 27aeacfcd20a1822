#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The app's gallery over 100 000 images: time from a launch with a session
# to the first screen of thumbnails painted, the worst frame interval while
# scrolling from top to bottom, and the peak memory after it (targets:
# 1.5 s, 50 ms, 400 MB). One real image is uploaded and processed through
# the API; the other rows are seeded straight into the server's SQLite
# schema and share its stored thumbnail and preview, so every tile still
# makes its own request and decodes a real WebP. Runs under Xvfb with the
# cairo renderer, as this machine has no GPU.
#
# usage: bench/app-gallery.sh [N_IMAGES]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
n_images=${1:-100000}
build="$root/_build-bench-app"
password="bench password 12345"

log() { printf '%s\n' "$*" >&2; }

if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" "$root" --buildtype=release >/dev/null
fi
ninja -C "$build" src/server/local/tessera-server src/cli/tessera-cli \
  tests/ui/bench-gallery data/gschemas.compiled >/dev/null

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tessera-bench-app.XXXXXX")
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$tmp" 2>/dev/null || true
}
trap cleanup EXIT INT TERM

export HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/config" XDG_DATA_HOME="$tmp/data"
export XDG_CACHE_HOME="$tmp/cache" XDG_RUNTIME_DIR="$tmp/runtime"
mkdir -p "$HOME" "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_CACHE_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
export TESSERA_NO_KEYRING=1

data="$tmp/server"
mkdir -p "$data"
printf '[tagger]\nname=none\n' > "$data/tessera-server.conf"
"$build/src/server/local/tessera-server" --data-dir "$data" --listen 127.0.0.1:0 \
  > "$tmp/url" 2> "$tmp/server.log" &
server_pid=$!
for _ in $(seq 1 200); do [ -s "$tmp/url" ] && break; sleep 0.05; done
url=$(head -n1 "$tmp/url")
log "server at $url"

cli() { "$build/src/cli/tessera-cli" --server "$url" "$@"; }
printf '%s\n' "$password" | cli --password-stdin -q signup bench
photo="$root/_testdata/darknet/dog.jpg"
[ -f "$photo" ] || photo=$(ls "$root"/_testdata/*/*.jpg | head -n1)
cli -q upload "$photo"
for _ in $(seq 1 300); do
  cli --json ls | grep -q '"status" *: *"ready"' && break
  sleep 0.1
done

# Seed the rest: same owner, older dates, the real image's stored keys.
sqlite3 "$data/tessera.db" <<SQL
.timeout 20000
BEGIN;
CREATE TEMP TABLE real AS SELECT * FROM images LIMIT 1;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $n_images - 1)
INSERT INTO images (id, owner, filename, content_type, size, sha256, width, height,
                    created_at, updated_at, trashed_at, status, object_key,
                    thumbnail_key, preview_key, labels)
SELECT printf('%08x-0000-4000-8000-%012x', i, i), real.owner, printf('img%d.jpg', i),
       real.content_type, real.size, printf('%064x', i), real.width, real.height,
       real.created_at - i * 1000, real.created_at - i * 1000, 0, 'ready', real.object_key,
       real.thumbnail_key, real.preview_key, real.labels
FROM n, real;
COMMIT;
ANALYZE;
SQL
log "seeded $(sqlite3 "$data/tessera.db" 'SELECT count(*) FROM images') images"

TESSERA_BENCH_URL="$url" TESSERA_BENCH_USER=bench TESSERA_BENCH_PASSWORD="$password" \
GSETTINGS_SCHEMA_DIR="$build/data" GSETTINGS_BACKEND=memory \
GDK_BACKEND=x11 GSK_RENDERER=cairo NO_AT_BRIDGE=1 GTK_A11Y=none ADW_DISABLE_PORTAL=1 \
  dbus-run-session -- xvfb-run -a -s "-screen 0 1280x1024x24" ${BENCH_WRAP:-} "$build/tests/ui/bench-gallery"
