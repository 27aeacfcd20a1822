#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The desktop app over 100 000 images (issue 5, "How it is checked"):
#  - the time from the app's process start to the first frame painted with a
#    screen of thumbnails (target < 1.5 s);
#  - the worst frame interval while the gallery scrolls from top to bottom at
#    a steady pace (target: none over 50 ms);
#  - the peak resident memory (VmHWM) once at the bottom (target < 400 MB).
#
# A release build; one tessera-server on loopback with one user and
# N images seeded straight into its SQLite schema, each with its own thumbnail
# object (hard links to 50 real WebP thumbnails made with vipsthumbnail from
# the test photographs), so every tile makes its own request and decodes a
# real WebP. The app starts signed in: account.ini and the 0600 refresh-token
# file that TesseraAccount reads (TESSERA_NO_KEYRING=1), server-mode 'remote'
# in a keyfile GSettings backend. It runs under xvfb-run with GSK_RENDERER=cairo
# (no GPU), in a private dbus-run-session; src/app/tessera-bench-probe.c
# measures from inside and writes JSON. Each run starts with an empty cache
# (no listing, no thumbnails on disk) unless BENCH_WARM=1.
#
# usage: bench/run-app.sh [N_IMAGES [RUNS]]      (100000 and 3 by default)
# env:   BENCH_SPEED (px/s, 20000), BENCH_TILES (12), BENCH_WARM=1, BENCH_KEEP=1,
#        BENCH_WRAP (a command put before the app, e.g. "perf record -g --"),
#        BENCH_OUT (where each run's JSON and first-screen PNG go; default _build-appbench-release/bench-out)
# Needs: meson ninja sqlite3 curl python3 libvips-tools xvfb xauth dbus.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
n_images=${1:-100000}
runs=${2:-3}
build="$root/_build-appbench-release"
out=${BENCH_OUT:-$build/bench-out}
user=bench
password="bench password 12345"
work=$(mktemp -d "${TMPDIR:-/tmp}/tessera-appbench-XXXXXX")
server_pid=

log() { printf '%s\n' "$*" >&2; }

cleanup() {
  if [ -n "$server_pid" ]; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ -n "${BENCH_KEEP:-}" ]; then log "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT INT TERM

if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" "$root" --buildtype=release -Dtests=false >/dev/null
fi
if ! ninja -C "$build" src/server/local/tessera-server src/app/tessera data/gschemas.compiled \
     > "$work/ninja.log" 2>&1; then
  log "the release build failed:"; tail -n 30 "$work/ninja.log" >&2; exit 1
fi

# --- the server --------------------------------------------------------
data="$work/server"
mkdir -p "$data"
printf '[tagger]\nname=none\n' > "$data/tessera-server.conf"
"$build/src/server/local/tessera-server" --data-dir "$data" --listen 127.0.0.1:0 \
  > "$work/url" 2> "$work/server.log" &
server_pid=$!
for _ in $(seq 1 200); do [ -s "$work/url" ] && break; sleep 0.05; done
if [ ! -s "$work/url" ]; then
  log "tessera-server did not start:"; cat "$work/server.log" >&2; exit 1
fi
url=$(head -n1 "$work/url")
log "server at $url"

# The server's CPU time (user + system), to tell what it took of the two
# cores while the app scrolled.
server_cpu_s() {
  awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$server_pid/stat"
}

json_get() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
body="{\"username\":\"$user\",\"password\":\"$password\"}"
curl -sf -X POST -H 'Content-Type: application/json' -d "$body" "$url/signup" >/dev/null
token=$(curl -sf -X POST -H 'Content-Type: application/json' -d "$body" "$url/signin" | json_get token)
sub=$(python3 -c '
import base64, json, sys
p = sys.argv[1].split(".")[1]
print(json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))["sub"])' "$token")

# --- 50 real thumbnails, as the server makes them (256 px WebP) -----------
mkdir -p "$work/thumbs"
i=0
for photo in "$root"/_testdata/*/*.jpg /usr/share/darknet/data/*.jpg; do
  [ -f "$photo" ] || continue
  vipsthumbnail "$photo" --size 256 -o "$work/thumbs/t$i.webp[Q=80]" 2>/dev/null || continue
  i=$((i + 1))
  [ "$i" -ge 50 ] && break
done
if [ "$i" -eq 0 ]; then
  log "no photographs to make thumbnails from (_testdata/*/*.jpg)"; exit 1
fi
log "$i distinct thumbnails, $(du -cb "$work"/thumbs/*.webp | tail -n1 | cut -f1) bytes"

# --- N images, seeded straight into the schema (as bench/run-server.sh) ---
now=$(date +%s%3N)
sqlite3 "$data/tessera.db" <<SQL
.timeout 20000
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $n_images - 1)
INSERT INTO images (id, owner, filename, content_type, size, sha256, width, height,
                    created_at, updated_at, trashed_at, status, object_key,
                    thumbnail_key, preview_key, labels)
SELECT printf('%08x-0000-4000-8000-%012x', i, i), '$sub', printf('img%d.jpg', i),
       'image/jpeg', 2000000, printf('%064x', i), 1600, 1200,
       $now - i * 1000, $now - i * 1000, 0, 'ready',
       printf('u/$sub/%08x-0000-4000-8000-%012x', i, i),
       printf('u/$sub/%08x-0000-4000-8000-%012x.thumb.webp', i, i),
       printf('u/$sub/%08x-0000-4000-8000-%012x.preview.webp', i, i),
       '[{"name":"outdoor","confidence":0.9,"source":"local"}]'
FROM n;
INSERT OR IGNORE INTO image_tags (image_id, owner, tag, created_at)
SELECT id, owner, 'tag' || ((rowid * 7) % 1000), created_at FROM images WHERE owner = '$sub';
COMMIT;
ANALYZE;
SQL
bucket=$(sed -n 's/^bucket *= *//p' "$data/tessera-server.conf" | head -n1)
python3 "$here/app/seed-objects.py" "$data" "${bucket:-tessera}" "$sub" "$n_images" "$work"/thumbs/*.webp
log "seeded $(sqlite3 "$data/tessera.db" 'SELECT count(*) FROM images') images with thumbnails"

# A seeded thumbnail answers through the API, as the app will ask for it.
thumb_url=$(curl -sf -H "Authorization: Bearer $token" "$url/images?limit=1" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["images"][0]["thumbnailUrl"])')
curl -sf -o "$work/check.webp" "$thumb_url"
[ "$(head -c4 "$work/check.webp")" = "RIFF" ] || { log "the seeded thumbnail does not answer"; exit 1; }

# --- the runs -------------------------------------------------------------
mkdir -p "$out"
# A private session bus that activates nothing, as the ui suite's: on a
# desktop the portals already run; here starting them (and their failing
# to open a display) would be counted as the app's start-up.
cat > "$work/session.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=$work</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
CONF
stamp=$(date -u +%Y%m%dT%H%M%SZ)
results=()
home="$work/home"
for run in $(seq 1 "$runs"); do
  if [ -z "${BENCH_WARM:-}" ] || [ "$run" -eq 1 ]; then
    rm -rf "$home"
  fi
  export HOME="$home" XDG_CONFIG_HOME="$home/config" XDG_DATA_HOME="$home/data"
  export XDG_CACHE_HOME="$home/cache" XDG_RUNTIME_DIR="$home/runtime"
  mkdir -p "$XDG_CONFIG_HOME/tessera" "$XDG_CONFIG_HOME/glib-2.0/settings" \
    "$XDG_DATA_HOME" "$XDG_CACHE_HOME" "$XDG_RUNTIME_DIR"
  chmod 700 "$XDG_RUNTIME_DIR"

  # Signed in as the app leaves it: the account, the refresh token (fresh
  # each run: the app rotates it), the server mode.
  refresh=$(curl -sf -X POST -H 'Content-Type: application/json' -d "$body" "$url/signin" |
    json_get refreshToken)
  printf '[account]\nserver=%s\nusername=%s\n' "$url" "$user" > "$XDG_CONFIG_HOME/tessera/account.ini"
  (umask 077; printf '[%s]\n%s=%s\n' "$url" "$user" "$refresh" > "$XDG_CONFIG_HOME/tessera/refresh-token")
  printf "[io/github/tessera/Tessera]\nserver-mode='remote'\nserver-url='%s'\n" "$url" \
    > "$XDG_CONFIG_HOME/glib-2.0/settings/keyfile"
  unset refresh

  result="$work/run$run.json"
  load_before=$(cut -d' ' -f1-3 /proc/loadavg)
  server_cpu_before=$(server_cpu_s)
  log "run $run/$runs (load average $load_before)"
  TESSERA_BENCH="$result" TESSERA_BENCH_SPEED="${BENCH_SPEED:-20000}" \
  TESSERA_BENCH_TILES="${BENCH_TILES:-12}" TESSERA_BENCH_SCREENSHOT="$out/$stamp-run$run.png" \
  TESSERA_NO_KEYRING=1 GSETTINGS_SCHEMA_DIR="$build/data" GSETTINGS_BACKEND=keyfile \
  GDK_BACKEND=x11 GSK_RENDERER=cairo NO_AT_BRIDGE=1 GTK_A11Y=none ADW_DISABLE_PORTAL=1 \
    timeout 1800 dbus-run-session --config-file="$work/session.conf" -- xvfb-run -a -s "-screen 0 1280x1024x24 -nolisten tcp" \
      ${BENCH_WRAP:-} "$build/src/app/tessera" > "$work/app$run.log" 2>&1 || {
        log "the app failed (exit $?); its log:"; tail -n 30 "$work/app$run.log" >&2; }
  load_after=$(cut -d' ' -f1-3 /proc/loadavg)
  server_cpu_after=$(server_cpu_s)
  if [ ! -s "$result" ]; then
    log "run $run wrote no results; the app's log:"; tail -n 30 "$work/app$run.log" >&2
    exit 1
  fi
  python3 - "$result" "$load_before" "$load_after" "$server_cpu_before" "$server_cpu_after" <<'PY'
import json, sys
path, before, after, cpu_before, cpu_after = sys.argv[1:6]
j = json.load(open(path))
j["loadavg_before"], j["loadavg_after"] = before, after
j["server_cpu_s"] = round(float(cpu_after) - float(cpu_before), 2)
json.dump(j, open(path, "w"))
PY
  cp "$result" "$out/$stamp-run$run.json"
  results+=("$out/$stamp-run$run.json")
  python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
print("  first screen %.0f ms (%d tiles), worst frame %.1f ms, %d paints > 50 ms of %d, peak RSS %.0f MB, %d images, load %s -> %s, CPU: app %.0f s, server %.0f s%s" % (
    j["first_screen_ms"], j["first_screen_tiles"], j["paint_interval"]["max_ms"],
    j["paint_interval"]["over_50ms"], j["paint_interval"]["count"], j["vm_hwm_kb"] / 1024,
    j["n_items"], j["loadavg_before"], j["loadavg_after"], j["process_cpu_s"], j["server_cpu_s"],
    ("  ERROR: " + j["error"]) if "error" in j else ""))' "$result" >&2
done

log ""
log "$(nproc) cores; $(uname -r); results in $out/$stamp-run*.json"
python3 "$here/app/summarize.py" "${results[@]}"
