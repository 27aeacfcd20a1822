#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Server benchmarks, everything on loopback, against a release build:
#  (a) GET /images?tags=...&limit=50 over 100 000 images and 1 000 tags with
#      wrk, side by side with nginx serving a static file of the same size;
#  (b) 200 uploads of a 2 MB JPEG through pre-signed POST forms, against
#      tessera-server and against s3rver 3 (npm), with curl at the same
#      parallelism;
#  (c) tessera-server's peak memory (VmHWM) while it receives one 200 MB
#      upload: it must stay under 64 MB.
#
# usage: bench/run-server.sh [a] [b] [c]   (all three by default)
# Needs: wrk nginx-light sqlite3 curl python3-boto3 libvips-tools nodejs npm.
# Prints the figures; copy them into bench/README.md.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build="${BENCH_BUILD:-$root/_build-bench}"
server="$build/src/server/local/tessera-server"
work=$(mktemp -d /tmp/tessera-bench-XXXXXX)
parallel=${BENCH_PARALLEL:-8}
duration=${BENCH_DURATION:-15s}
pids=()

cleanup() {
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  [ -n "${BENCH_KEEP:-}" ] && log "kept $work" || rm -rf "$work"
}
trap cleanup EXIT

log() { printf '%s\n' "$*" >&2; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

build_release() {
  if [ ! -f "$build/build.ninja" ]; then
    meson setup "$build" "$root" --buildtype=release -Dtests=false -Dapp=false >/dev/null
  fi
  ninja -C "$build" src/server/local/tessera-server >/dev/null
}

# start_server DATA_DIR [CONFIG_TEXT]: sets $url and $server_pid
start_server() {
  local dir=$1 config=${2:-}
  mkdir -p "$dir"
  if [ -n "$config" ]; then
    printf '%s\n' "$config" > "$dir/tessera-server.conf"
  fi
  "$server" --data-dir "$dir" --listen 127.0.0.1:0 > "$dir.url" 2> "$dir.log" &
  server_pid=$!
  pids+=("$server_pid")
  for _ in $(seq 1 200); do
    if [ -s "$dir.url" ]; then
      url=$(head -n1 "$dir.url")
      return 0
    fi
    sleep 0.05
  done
  log "tessera-server did not start; its log:"
  cat "$dir.log" >&2
  exit 1
}

stop_server() {
  kill -TERM "$server_pid"
  wait "$server_pid" || true
}

json_get() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

# sign_up URL USER: prints a token
sign_up() {
  local body="{\"username\":\"$2\",\"password\":\"bench password 12345\"}"
  curl -sf -X POST -H 'Content-Type: application/json' -d "$body" "$1/signup" >/dev/null
  curl -sf -X POST -H 'Content-Type: application/json' -d "$body" "$1/signin" | json_get token
}

token_sub() {
  python3 -c '
import base64, json, sys
p = sys.argv[1].split(".")[1]
print(json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))["sub"])' "$1"
}

# wrk_figures: reads wrk --latency output; prints "REQ_PER_S P99_MS"
wrk_figures() {
  python3 -c '
import re, sys
text = sys.stdin.read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
m = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
if non2xx:
    sys.exit("wrk saw %s non-2xx responses" % non2xx.group(1))
print("%.0f %.2f" % (rps, float(m.group(1)) * scale))'
}

bench_listing() {
  log "== (a) GET /images?tags=...&limit=50 over 100 000 images, 1 000 tags"
  local dir="$work/a" token sub now
  start_server "$dir" "[tagger]
name=none"
  token=$(sign_up "$url" bench)
  sub=$(token_sub "$token")
  now=$(date +%s%3N)

  # Seed straight into the server's schema (the server is idle; WAL lets
  # the sqlite3 CLI write beside it). Three tags per image, spread so that
  # each of the 1 000 tags has about 300 images.
  sqlite3 "$dir/tessera.db" <<EOF
.timeout 20000
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 99999)
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
INSERT OR IGNORE INTO image_tags (image_id, owner, tag, created_at)
SELECT id, owner, 'tag' || ((rowid * 13 + 1) % 1000), created_at FROM images WHERE owner = '$sub';
INSERT OR IGNORE INTO image_tags (image_id, owner, tag, created_at)
SELECT id, owner, 'tag' || ((rowid * 31 + 2) % 1000), created_at FROM images WHERE owner = '$sub';
COMMIT;
ANALYZE;
EOF
  local n_images n_tags
  n_images=$(sqlite3 "$dir/tessera.db" "SELECT count(*) FROM images")
  n_tags=$(sqlite3 "$dir/tessera.db" "SELECT count(DISTINCT tag) FROM image_tags")
  log "seeded $n_images images, $n_tags distinct tags"

  # One response, to size the static file and check the answer.
  curl -sf -H "Authorization: Bearer $token" "$url/images?tags=tag42&limit=50" > "$work/sample.json"
  local count size
  count=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["images"]))' "$work/sample.json")
  size=$(stat -c %s "$work/sample.json")
  [ "$count" = 50 ] || { log "expected 50 images, got $count"; exit 1; }
  log "a page is $count images, $size bytes"

  # nginx serving the same number of bytes.
  local nginx_port
  nginx_port=$(free_port)
  mkdir -p "$work/nginx/html" "$work/nginx/logs"
  cp "$work/sample.json" "$work/nginx/html/images.json"
  # nginx's workers run as www-data: let them read the page
  chmod a+rx "$work" "$work/nginx" "$work/nginx/html"
  chmod a+r "$work/nginx/html/images.json"
  cat > "$work/nginx/nginx.conf" <<EOF
worker_processes auto;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log;
daemon off;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$nginx_port;
    root $work/nginx/html;
    default_type application/json;
  }
}
EOF
  nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" &
  pids+=($!)
  sleep 0.5

  # A different tag on every request, over all 1 000.
  cat > "$work/tags.lua" <<'EOF'
math.randomseed(42)
request = function()
  return wrk.format("GET", "/images?tags=tag" .. math.random(0, 999) .. "&limit=50")
end
EOF

  printf '(a) listing, %s bytes/response, random tag of 1 000, limit=50\n' "$size"
  local conns
  for conns in 32 1; do
    local server_out nginx_out s_rps s_p99 n_rps n_p99 threads=$((conns < 2 ? 1 : 2))
    server_out=$(wrk -t"$threads" -c"$conns" -d"$duration" --latency -s "$work/tags.lua" \
                   -H "Authorization: Bearer $token" "$url" |
                 tee "$work/wrk-server-$conns.txt" | wrk_figures)
    nginx_out=$(wrk -t"$threads" -c"$conns" -d"$duration" --latency \
                  "http://127.0.0.1:$nginx_port/images.json" |
                tee "$work/wrk-nginx-$conns.txt" | wrk_figures)
    read -r s_rps s_p99 <<< "$server_out"
    read -r n_rps n_p99 <<< "$nginx_out"
    printf '  wrk -t%s -c%s -d%s\n' "$threads" "$conns" "$duration"
    printf '    tessera-server: %8s req/s  p99 %8s ms\n' "$s_rps" "$s_p99"
    printf '    nginx (static): %8s req/s  p99 %8s ms\n' "$n_rps" "$n_p99"
    python3 -c 'import sys; s,n,sp,np_=map(float,sys.argv[1:]); print("    ratio: %.4f of nginx throughput, p99 %.1fx nginx" % (s/n, sp/np_))' \
      "$s_rps" "$n_rps" "$s_p99" "$n_p99"
  done
  stop_server
}

# make_jpeg OUT WIDTH HEIGHT: a real JPEG of noise (does not compress)
make_jpeg() {
  vips gaussnoise "$work/noise.v" "$2" "$3" --mean 128 --sigma 50
  vips cast "$work/noise.v" "$work/noise8.v" uchar
  vips bandjoin "$work/noise8.v $work/noise8.v $work/noise8.v" "$work/rgb.v"
  vips copy "$work/rgb.v" "$1[Q=97]" --interpretation srgb
  rm -f "$work/noise.v" "$work/noise8.v" "$work/rgb.v"
}

# curl_configs FORMS_JSON OUTDIR FILE: one curl config per form
curl_configs() {
  python3 - "$@" <<'EOF'
import json, os, sys
forms, outdir, path = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(outdir, exist_ok=True)
for n, line in enumerate(open(forms)):
    form = json.loads(line)
    with open(os.path.join(outdir, "%03d.cfg" % n), "w") as cfg:
        cfg.write('url = "%s"\n' % form["url"])
        for name, value in form["fields"].items():
            cfg.write('form-string = "%s=%s"\n' % (name, value))
        cfg.write('form = "file=@%s;type=image/jpeg"\n' % path)
        cfg.write('silent\noutput = "/dev/null"\nwrite-out = "%{http_code}\\n"\n')
EOF
}

# post_all DIR: posts every form at $parallel, prints "SECONDS"; fails unless all 204
post_all() {
  local start end codes
  start=$(date +%s.%N)
  codes=$(ls "$1"/*.cfg | xargs -P "$parallel" -n 1 curl -K)
  end=$(date +%s.%N)
  local good
  good=$(grep -c '^204$' <<< "$codes" || true)
  if [ "$good" != 200 ]; then
    log "only $good of 200 uploads answered 204:"; sort <<< "$codes" | uniq -c >&2; exit 1
  fi
  python3 -c 'import sys; print("%.3f" % (float(sys.argv[2]) - float(sys.argv[1])))' "$start" "$end"
}

bench_uploads() {
  log "== (b) 200 uploads of a 2 MB JPEG through pre-signed forms"
  local dir="$work/b" token jpeg="$work/upload.jpg"
  make_jpeg "$jpeg" 1600 1240
  local size
  size=$(stat -c %s "$jpeg")
  log "upload file: $size bytes"

  start_server "$dir" "[tagger]
name=none"
  token=$(sign_up "$url" bench)
  : > "$work/tessera-forms.json"
  for _ in $(seq 1 200); do
    curl -sf -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
      -d "{\"filename\":\"a.jpg\",\"contentType\":\"image/jpeg\",\"size\":$size}" "$url/images" |
      python3 -c 'import json,sys; f=json.load(sys.stdin)["formConfig"]; print(json.dumps({"url":f["uploadUrl"],"fields":f["formFields"]}))' \
      >> "$work/tessera-forms.json"
  done
  curl_configs "$work/tessera-forms.json" "$work/tessera-cfg" "$jpeg"
  local t_tessera
  t_tessera=$(post_all "$work/tessera-cfg")
  stop_server

  # s3rver 3, installed on first use into bench/.s3rver (not committed)
  if [ ! -x "$here/.s3rver/node_modules/.bin/s3rver" ]; then
    (cd "$here" && mkdir -p .s3rver && cd .s3rver && npm install --silent --no-audit --no-fund s3rver@3 >&2)
  fi
  local s3_port
  s3_port=$(free_port)
  mkdir -p "$work/s3rver"
  "$here/.s3rver/node_modules/.bin/s3rver" --directory "$work/s3rver" --address 127.0.0.1 \
    --port "$s3_port" --configure-bucket tessera --silent &
  pids+=($!)
  for _ in $(seq 1 100); do
    curl -s -o /dev/null "http://127.0.0.1:$s3_port/" && break
    sleep 0.1
  done
  # s3rver's default credentials; the same tool (boto3) signs every form
  AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER python3 - "$s3_port" "$size" \
    > "$work/s3rver-forms.json" <<'EOF'
import json, sys
import boto3
from botocore.config import Config
port, size = sys.argv[1], int(sys.argv[2])
s3 = boto3.client("s3", endpoint_url="http://127.0.0.1:%s" % port, region_name="us-east-1",
                  config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
for n in range(200):
    form = s3.generate_presigned_post(
        Bucket="tessera", Key="u/bench/%03d" % n, Fields={"Content-Type": "image/jpeg"},
        Conditions=[["content-length-range", 1, 52428800],
                    ["starts-with", "$Content-Type", "image/"]],
        ExpiresIn=900)
    print(json.dumps(form))
EOF
  curl_configs "$work/s3rver-forms.json" "$work/s3rver-cfg" "$jpeg"
  local t_s3rver
  t_s3rver=$(post_all "$work/s3rver-cfg")

  printf '(b) 200 uploads of %s bytes, curl -F at parallelism %s\n' "$size" "$parallel"
  python3 -c '
import sys
t, s, size = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
mb = 200 * size / 1e6
print("    tessera-server: %7.2f s  %6.1f uploads/s  %6.1f MB/s" % (t, 200 / t, mb / t))
print("    s3rver 3:       %7.2f s  %6.1f uploads/s  %6.1f MB/s" % (s, 200 / s, mb / s))
print("    ratio: tessera-server is %.2fx s3rver'"'"'s throughput" % (s / t))' \
    "$t_tessera" "$t_s3rver" "$size"
}

bench_big_upload() {
  log "== (c) peak memory while receiving one 200 MB upload"
  local dir="$work/c" token big="$work/big.jpg"
  # JPEG magic then random bytes: the upload path never looks inside
  { printf '\xff\xd8\xff\xe0'; head -c $((200 * 1024 * 1024 - 4)) /dev/urandom; } > "$big"
  local size
  size=$(stat -c %s "$big")
  start_server "$dir" "[tagger]
name=none
[limits]
max-upload-size=262144000"
  # The peak of an idle start (libraries, key generation) and that of a
  # sign-up and sign-in (Argon2id takes 64 MiB per hash) are not the
  # upload's: note them, then reset the high-water mark (clear_refs 5) to
  # measure the upload alone.
  local startup signin before
  startup=$(awk '/VmHWM/ {print $2}' "/proc/$server_pid/status")
  token=$(sign_up "$url" bench)
  signin=$(awk '/VmHWM/ {print $2}' "/proc/$server_pid/status")
  echo 5 > "/proc/$server_pid/clear_refs"
  before=$(awk '/VmHWM/ {print $2}' "/proc/$server_pid/status")
  curl -sf -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d "{\"filename\":\"big.jpg\",\"contentType\":\"image/jpeg\",\"size\":$size}" "$url/images" |
    python3 -c 'import json,sys; f=json.load(sys.stdin)["formConfig"]; print(json.dumps({"url":f["uploadUrl"],"fields":f["formFields"]}))' \
    > "$work/big-form.json"
  curl_configs "$work/big-form.json" "$work/big-cfg" "$big"
  local start end code
  start=$(date +%s.%N)
  code=$(curl -K "$work/big-cfg/000.cfg")
  end=$(date +%s.%N)
  [ "$code" = 204 ] || { log "the 200 MB upload answered $code"; exit 1; }
  local after
  after=$(awk '/VmHWM/ {print $2}' "/proc/$server_pid/status")
  printf '(c) one %s-byte upload\n' "$size"
  printf '    VmHWM after an idle start-up: %s KiB; after a sign-up and sign-in: %s KiB\n' \
    "$startup" "$signin"
  printf '    (reset to %s KiB before the upload)\n' "$before"
  printf '    VmHWM after the upload: %s KiB; limit 64 MB (65536 KiB): %s\n' \
    "$after" "$([ "$after" -lt $((64 * 1024)) ] && echo PASS || echo FAIL)"
  python3 -c 'import sys; print("    received in %.2f s (%.0f MB/s)" % (float(sys.argv[2]) - float(sys.argv[1]), int(sys.argv[3]) / 1e6 / (float(sys.argv[2]) - float(sys.argv[1]))))' \
    "$start" "$end" "$size"
  stop_server
}

build_release
log "machine: $(nproc) cores, $(awk '/MemTotal/ {print int($2/1024) " MB"}' /proc/meminfo), $(. /etc/os-release && echo "$PRETTY_NAME")"
date -u +'date: %Y-%m-%d %H:%M UTC' >&2

which=("$@")
[ ${#which[@]} -gt 0 ] || which=(a b c)
for w in "${which[@]}"; do
  case $w in
    a) bench_listing ;;
    b) bench_uploads ;;
    c) bench_big_upload ;;
    *) log "unknown benchmark $w"; exit 2 ;;
  esac
done
