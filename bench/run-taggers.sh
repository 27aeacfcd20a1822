#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The ObjectCreated job on 12-megapixel JPEGs, step by step (check,
# thumbnails, each tagger stage), beside vipsthumbnail making the same
# 256 px thumbnail (the floor), vipsthumbnail making the same two WebPs as
# the job (1024 px preview, 256 px thumbnail from it), and ImageMagick's
# convert -thumbnail. Prints a table per picture and the ratios; exits
# non-zero when a target is missed:
#   thumbnails <= 1.2 x vipsthumbnail, job (thumbnails + local tagger)
#   < 4 x vipsthumbnail, peak memory per job < 150 MB.
#
# usage: bench/run-taggers.sh [RUNS]      (RUNS per picture, 5 by default)
# needs: hyperfine, libvips-tools, imagemagick (apt-get install -y imagemagick),
#        python3, the test pictures (tools/fetch-test-images.sh)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
runs=${1:-5}
build="$root/_build-bench-taggers"

for tool in hyperfine vipsthumbnail vips python3; do
  command -v "$tool" >/dev/null || { echo "run-taggers: needs $tool" >&2; exit 2; }
done
if ! [ -x /usr/bin/convert ]; then
  echo "run-taggers: needs ImageMagick: apt-get install -y imagemagick" >&2
  exit 2
fi
if ! [ -d "$root/_testdata/darknet" ]; then
  "$root/tools/fetch-test-images.sh"
fi

if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" "$root" --buildtype=release -Dapp=false >/dev/null
fi
ninja -C "$build" tests/taggers/tagging-bench >/dev/null

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tessera-bench-taggers.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# Distinct photographs (people, a face, animals, fruit, a building, a street
# sign), each upscaled to about 12 megapixels and saved at quality 90.
pictures="darknet/dog.jpg darknet/kite.jpg darknet/person.jpg opencv/messi5.jpg
opencv/fruits.jpg opencv/building.jpg text/scenetext01.jpg"
for p in $pictures; do
  name=$(basename "$p" .jpg)
  w=$(vipsheader -f width "$root/_testdata/$p")
  h=$(vipsheader -f height "$root/_testdata/$p")
  scale=$(python3 -c "import math; print(math.sqrt(12e6 / ($w * $h)))")
  vips resize "$root/_testdata/$p" "$tmp/$name.jpg[Q=90]" "$scale"
done

echo "# $(date -u '+%F %H:%M UTC'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for f in "$tmp"/*.jpg; do
  name=$(basename "$f" .jpg)
  hyperfine -N -w 1 -r "$runs" --export-json "$tmp/$name.cmd.json" \
    -n vipsthumbnail-256 "vipsthumbnail $f -s 256 -o $tmp/out-vt.webp[Q=80,strip]" \
    -n vipsthumbnail-1024+256 "sh -c 'vipsthumbnail $f -s 1024 -o $tmp/out-p.webp[Q=80,strip] && vipsthumbnail $tmp/out-p.webp -s 256 -o $tmp/out-t.webp[Q=80,strip]'" \
    -n convert-256 "convert $f -thumbnail 256x256 $tmp/out-im.webp" >/dev/null 2>&1
  # The job in-process; the first run loads the models and is dropped.
  "$build/tests/taggers/tagging-bench" --tagger none --repeat "$((runs + 1))" "$f" \
    > "$tmp/$name.none.tsv" 2>/dev/null
  "$build/tests/taggers/tagging-bench" --repeat "$((runs + 1))" "$f" \
    > "$tmp/$name.local.tsv" 2>/dev/null
done

python3 - "$tmp" <<'EOF'
import json, glob, os, statistics, sys

tmp = sys.argv[1]
med = statistics.median

def jobs(path):
    rows = []
    startup = ""
    for line in open(path):
        if line.startswith("# tagger"):
            startup = line.strip()
        if line.startswith("#") or not line.strip():
            continue
        f = line.rstrip("\n").split("\t")
        if f[1] == "0":
            continue  # first job: loads the models
        rows.append([float(x) for x in f[2:14]])
    return rows, startup

cols = ["job", "check", "thumbnails", "tagging", "load", "exif", "colour", "grey", "faces", "text", "hwm", "cpu"]
print("\n| picture | vipsthumbnail 256 | vipsthumbnail 1024+256 | convert 256 | job, no tagger | thumbnails step | job, local | exif | colour | grey | faces | text | peak MB | CPU: vipsthumbnail 256, job without tagger, job |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
ratios = {"thumb/vt": [], "thumb/vt-pair": [], "job/vt": [], "convert/vt": [], "cpu-job/vt": [], "cpu-none/vt": []}
peaks = []
failed = False
for cmd in sorted(glob.glob(os.path.join(tmp, "*.cmd.json"))):
    name = os.path.basename(cmd)[:-len(".cmd.json")]
    r = {x["command"]: x for x in json.load(open(cmd))["results"]}
    vt = med(r["vipsthumbnail-256"]["times"]) * 1000
    vt_cpu = (r["vipsthumbnail-256"]["user"] + r["vipsthumbnail-256"]["system"]) * 1000
    pair = med(r["vipsthumbnail-1024+256"]["times"]) * 1000
    im = med(r["convert-256"]["times"]) * 1000
    none, _ = jobs(os.path.join(tmp, name + ".none.tsv"))
    local, startup = jobs(os.path.join(tmp, name + ".local.tsv"))
    m = {c: med([row[i] for row in local]) for i, c in enumerate(cols)}
    thumbs = med([row[cols.index("check")] + row[cols.index("thumbnails")] for row in local])
    job_none = med([row[0] for row in none])
    cpu_none = med([row[cols.index("cpu")] for row in none])
    ratios["cpu-job/vt"].append(m["cpu"] / vt_cpu)
    ratios["cpu-none/vt"].append(cpu_none / vt_cpu)
    peak = max(row[cols.index("hwm")] for row in local)
    peaks.append(peak)
    ratios["thumb/vt"].append(thumbs / vt)
    ratios["thumb/vt-pair"].append(thumbs / pair)
    ratios["job/vt"].append(m["job"] / vt)
    ratios["convert/vt"].append(im / vt)
    print(f"| {name} | {vt:.0f} | {pair:.0f} | {im:.0f} | {job_none:.0f} | {thumbs:.0f} | {m['job']:.0f} "
          f"| {m['exif']:.1f} | {m['colour']:.1f} | {m['grey']:.1f} | {m['faces']:.0f} | {m['text']:.0f} | {peak:.0f} "
          f"| {vt_cpu:.0f}, {cpu_none:.0f}, {m['cpu']:.0f} |")

print("\nmedian times in ms over the runs (the job's first run, which loads the models, left out);")
print("vipsthumbnail and convert are whole processes (hyperfine), the job is timed inside tagging-bench.")
print(f"{startup}\n")
print("| ratio (median over the pictures; worst) | value | target |")
print("|---|---|---|")
def line(label, key, target):
    global failed
    v = ratios[key]
    ok = target is None or max(v) <= target
    failed |= not ok
    print(f"| {label} | {med(v):.2f}; {max(v):.2f} | {'' if target is None else ('<= ' + str(target)) + (' ok' if ok else ' MISSED')} |")
line("thumbnails step / vipsthumbnail 256", "thumb/vt", 1.2)
line("thumbnails step / vipsthumbnail 1024 then 256", "thumb/vt-pair", None)
line("whole job (thumbnails + local tagger) / vipsthumbnail 256", "job/vt", 4.0)
line("convert -thumbnail / vipsthumbnail 256", "convert/vt", None)
line("CPU time: job without tagger (check + thumbnails) / vipsthumbnail 256", "cpu-none/vt", None)
line("CPU time: whole job / vipsthumbnail 256", "cpu-job/vt", None)
ok = max(peaks) < 150
failed |= not ok
print(f"| peak resident memory per job (VmHWM) | {med(peaks):.0f} MB; {max(peaks):.0f} MB | < 150 MB {'ok' if ok else 'MISSED'} |")
sys.exit(1 if failed else 0)
EOF
