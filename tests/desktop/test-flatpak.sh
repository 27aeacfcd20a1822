#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# What can be checked of the Flatpak manifest without the GNOME runtime
# (offline, it cannot be downloaded, so the manifest cannot be built here):
# flatpak-builder parses it without a single warning (it only warns on
# unknown keys), finish-args are exactly the reviewed list, every download
# is pinned by a sha256, and the project's own module configures and builds
# with exactly the manifest's meson options (prefix /app, as in the sandbox).
#
# usage: test-flatpak.sh SOURCE_ROOT SCRATCH_DIR
set -eu

src=$1
scratch=$2
manifest="$src/flatpak/io.github.tessera.Tessera.json"

fail () { echo "FAIL: $*" >&2; exit 1; }

mkdir -p "$scratch"

if command -v flatpak-builder >/dev/null; then
  # (it keeps a .flatpak-builder state dir in the working directory)
  (cd "$scratch" && flatpak-builder --show-manifest "$manifest") >"$scratch/manifest.out" 2>"$scratch/manifest.err" ||
    { cat "$scratch/manifest.err"; fail "flatpak-builder could not read the manifest"; }
  if [ -s "$scratch/manifest.err" ]; then
    cat "$scratch/manifest.err" >&2
    fail "flatpak-builder warned about the manifest"
  fi
  echo "ok: flatpak-builder --show-manifest, no warning"
else
  echo "skip: flatpak-builder is not installed"
fi

# The manifest's facts, one check per line; the meson options of the app's
# module go to a file for the build below.
python3 - "$manifest" "$scratch/meson-options" <<'PY'
import json, re, sys

manifest = json.load(open(sys.argv[1]))
failures = []

expected = ["--share=network", "--share=ipc", "--socket=wayland",
            "--socket=fallback-x11", "--device=dri"]
if manifest.get("finish-args") != expected:
    failures.append("finish-args are %r, not %r" % (manifest.get("finish-args"), expected))
for arg in manifest.get("finish-args", []):
    if arg.startswith("--filesystem") or arg in ("--socket=x11", "--socket=session-bus", "--socket=system-bus"):
        failures.append("finish-args must not grant " + arg)

if manifest.get("runtime") != "org.gnome.Platform" or manifest.get("sdk") != "org.gnome.Sdk":
    failures.append("not on the GNOME runtime and SDK")
if manifest.get("command") != "tessera":
    failures.append("command is not tessera")

names = []
for module in manifest["modules"]:
    names.append(module["name"])
    for source in module.get("sources", []):
        if source["type"] in ("archive", "file"):
            if not re.fullmatch(r"[0-9a-f]{64}", source.get("sha256", "")):
                failures.append("%s: %s is not pinned by a sha256" % (module["name"], source.get("url")))
            if not source.get("url", "").startswith("https://"):
                failures.append("%s: %s is not https" % (module["name"], source.get("url")))
        elif source["type"] == "git" and not source.get("commit"):
            failures.append("%s: a git source without a commit" % module["name"])

for needed in ("libvips", "libsodium", "jansson", "libjwt", "leptonica", "tesseract",
               "tessdata-eng", "opencv-haarcascades", "tessera"):
    if needed not in names:
        failures.append("no module " + needed)
if names and names[-1] != "tessera":
    failures.append("the app is not the last module")

app = [m for m in manifest["modules"] if m["name"] == "tessera"]
if app:
    if app[0].get("buildsystem") != "meson":
        failures.append("the app's module is not built with meson")
    with open(sys.argv[2], "w") as out:
        out.write("\n".join(app[0].get("config-opts", [])) + "\n")

for f in failures:
    print("FAIL: " + f, file=sys.stderr)
sys.exit(1 if failures else 0)
PY
echo "ok: finish-args, runtime, pinned sources, modules"

# The project's own module, with exactly the manifest's options.
build="$scratch/build"
if [ ! -f "$build/build.ninja" ] || ! cmp -s "$scratch/meson-options" "$scratch/meson-options.used"; then
  rm -rf "$build"
  # shellcheck disable=SC2046
  meson setup "$build" "$src" --prefix=/app --libdir=lib --buildtype=release \
    $(cat "$scratch/meson-options") >"$scratch/setup.log" 2>&1 ||
    { tail -30 "$scratch/setup.log"; fail "meson setup with the manifest's options"; }
  cp "$scratch/meson-options" "$scratch/meson-options.used"
fi
ninja -C "$build" >"$scratch/build.log" 2>&1 || { tail -40 "$scratch/build.log"; fail "the app's module does not build"; }
grep -q '^#define HAARCASCADES_DIR "/app/share/opencv4/haarcascades"$' "$build/config.h" ||
  fail "the tagger would not find the bundled cascades"
grep -q '^#define BINDIR "/app/bin"$' "$build/config.h" || fail "the app would not find /app/bin/tessera-server"
for f in src/app/tessera src/server/local/tessera-server src/cli/tessera-cli; do
  [ -x "$build/$f" ] || fail "not built: $f"
done
echo "ok: the tessera module builds with the manifest's options"
