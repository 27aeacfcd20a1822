#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# tessera-cli upload vs curl posting the same kind of pre-signed forms, with
# the same parallelism, against one local tessera-server; then the client's
# peak memory while uploading one large file.
#
#   bench/bench-client-upload.sh [BUILD_DIR]
#
# N (200) files of SIZE_MB (2) MB, JOBS (4) at a time, BIG_MB (200) for the
# memory run. Use a release build (meson setup -Dbuildtype=release).
set -eu

BUILD=${1:-_build-client-release}
N=${N:-200}
SIZE_MB=${SIZE_MB:-2}
JOBS=${JOBS:-4}
BIG_MB=${BIG_MB:-200}
ROUNDS=${ROUNDS:-3}

here=$(cd "$(dirname "$0")/.." && pwd)
server_bin="$here/$BUILD/src/server/local/tessera-server"
cli_bin="$here/$BUILD/src/cli/tessera-cli"
for bin in "$server_bin" "$cli_bin"; do
  [ -x "$bin" ] || { echo "missing $bin: build $BUILD first" >&2; exit 2; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/tessera-bench-client.XXXXXX")
server_pid=
cleanup () {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

mkdir -p "$work/data" "$work/files" "$work/forms"
cat > "$work/data/tessera-server.conf" <<CONF
[tagger]
name=none
[limits]
max-upload-size=$(( (BIG_MB + 10) * 1024 * 1024 ))
CONF

"$server_bin" --data-dir "$work/data" --listen 127.0.0.1:0 > "$work/url" 2> "$work/server.log" &
server_pid=$!
for i in $(seq 100); do [ -s "$work/url" ] && break; sleep 0.1; done
url=$(head -n 1 "$work/url")
[ -n "$url" ] || { echo "the server did not start" >&2; cat "$work/server.log" >&2; exit 1; }

export HOME="$work/home" XDG_CONFIG_HOME="$work/config" XDG_DATA_HOME="$work/share" \
       XDG_CACHE_HOME="$work/cache" TESSERA_NO_KEYRING=1
mkdir -p "$HOME"

now () { date +%s.%N; }

# Each upload queues a job on the server's workers; wait until they are done
# with the previous round (server CPU idle for a second) so that neither side
# pays for the other's backlog.
cpu_ticks () { awk '{ print $14 + $15 }' "/proc/$server_pid/stat"; }
settle () {
  for i in $(seq 120); do
    a=$(cpu_ticks); sleep 1; b=$(cpu_ticks)
    [ $(( b - a )) -le 2 ] && return 0
  done
}

# Files: a JPEG signature, then random bytes (the worker rejects them quickly,
# so what is measured is the transfer, not thumbnailing).
make_files () {
  dir=$1
  mkdir -p "$dir"
  for i in $(seq "$N"); do
    { printf '\377\330\377'; head -c $(( SIZE_MB * 1024 * 1024 - 3 )) /dev/urandom; } > "$dir/img-$i.jpg"
  done
}

token_for () {
  user=$1
  curl -sf -X POST "$url/signup" -H 'Content-Type: application/json' \
       -d "{\"username\":\"$user\",\"password\":\"bench password\"}" > /dev/null
  curl -sf -X POST "$url/signin" -H 'Content-Type: application/json' \
       -d "{\"username\":\"$user\",\"password\":\"bench password\"}" | jq -r .token
}

# curl: ask for the forms first (not timed), then post them N at a time.
curl_round () {
  round=$1
  files="$work/files/curl-$round"
  forms="$work/forms/$round"
  make_files "$files"
  mkdir -p "$forms"
  token=$(token_for "curl$round")
  for f in "$files"/*.jpg; do
    name=$(basename "$f")
    curl -sf -X POST "$url/images" -H "Authorization: Bearer $token" \
         -H 'Content-Type: application/json' \
         -d "{\"filename\":\"$name\",\"contentType\":\"image/jpeg\",\"size\":$(stat -c %s "$f")}" |
      jq -r --arg file "$f" '
        "url = \"" + .formConfig.uploadUrl + "\"",
        (.formConfig.formFields | to_entries[] | "form-string = \"" + .key + "=" + .value + "\""),
        "form = \"file=@" + $file + ";type=image/jpeg\"",
        "silent", "output = \"/dev/null\"", "write-out = \"%{http_code}\\n\""' > "$forms/$name.cfg"
  done
  settle
  start=$(now)
  ls "$forms"/*.cfg | xargs -P "$JOBS" -n 1 curl -K > "$work/curl-codes-$round"
  end=$(now)
  ok=$(grep -c '^204$' "$work/curl-codes-$round" || true)
  [ "$ok" -eq "$N" ] || { echo "curl: only $ok of $N forms accepted" >&2; exit 1; }
  echo "$end - $start" | bc
}

cli_round () {
  round=$1
  files="$work/files/cli-$round"
  make_files "$files"
  printf 'bench password' | "$cli_bin" --server "$url" -q --password-stdin signup "cli$round" > /dev/null
  export TESSERA_UPLOAD_STATE="$work/uploads-$round.json"
  settle
  start=$(now)
  "$cli_bin" -q upload --jobs "$JOBS" "$files"
  end=$(now)
  echo "$end - $start" | bc
}

echo "tessera-server at $url; $N files of $SIZE_MB MB, $JOBS at a time, $ROUNDS rounds"
total_cli=0
total_curl=0
for round in $(seq "$ROUNDS"); do
  # Alternate who goes first, so neither always meets a warmer server.
  if [ $(( round % 2 )) -eq 1 ]; then
    t_cli=$(cli_round "$round"); t_curl=$(curl_round "$round")
  else
    t_curl=$(curl_round "$round"); t_cli=$(cli_round "$round")
  fi
  printf 'round %s: tessera-cli %.2f s, curl %.2f s\n' "$round" "$t_cli" "$t_curl"
  total_cli=$(echo "$total_cli + $t_cli" | bc)
  total_curl=$(echo "$total_curl + $t_curl" | bc)
  rm -rf "$work/files/cli-$round" "$work/files/curl-$round"
done
mb=$(( N * SIZE_MB * ROUNDS ))
printf 'tessera-cli: %.2f s in all (%.1f MB/s)\n' "$total_cli" "$(echo "$mb / $total_cli" | bc -l)"
printf 'curl:        %.2f s in all (%.1f MB/s)\n' "$total_curl" "$(echo "$mb / $total_curl" | bc -l)"
printf 'ratio tessera-cli / curl: %.3f\n' "$(echo "$total_cli / $total_curl" | bc -l)"

# Peak memory: one large file, streamed.
{ printf '\377\330\377'; head -c $(( BIG_MB * 1024 * 1024 - 3 )) /dev/urandom; } > "$work/big.jpg"
printf 'bench password' | "$cli_bin" --server "$url" -q --password-stdin signup bigfile > /dev/null
export TESSERA_UPLOAD_STATE="$work/uploads-big.json"
settle
/usr/bin/time -f '%M %e' -o "$work/time-big" "$cli_bin" -q upload "$work/big.jpg"
read -r rss secs < "$work/time-big"
printf 'peak RSS uploading a %s MB file: %.1f MB (%s s)\n' "$BIG_MB" "$(echo "$rss / 1024" | bc -l)" "$secs"
