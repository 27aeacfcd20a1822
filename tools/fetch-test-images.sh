#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Extracts the labelled photographs the tagger tests use from two Debian
# packages (darknet and opencv-doc) into _testdata/ at the repository root,
# without installing them or their many dependencies. The tests find the
# directory through TESSERA_TEST_IMAGES (set in tests/meson.build).
# Idempotent: does nothing once the images are there. Never fails the
# caller: without the images the photograph tests skip, they do not fail.
set -uo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
dest=${TESSERA_TEST_IMAGES:-$here/_testdata}
stamp=$dest/.complete

if [ -f "$stamp" ]; then
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$dest"

cd "$work" || exit 0
# apt's sandbox user must be able to write where the .deb lands.
chmod 0777 "$work" 2>/dev/null || true
if ! apt-get download darknet opencv-doc >/dev/null 2>&1; then
  echo "fetch-test-images: apt-get download failed; photograph tests will skip" >&2
  exit 0
fi

for deb in darknet_*.deb opencv-doc_*.deb; do
  dpkg-deb -x "$deb" "$work/root" || exit 0
done

mkdir -p "$dest/darknet" "$dest/opencv" "$dest/text"
cp -f "$work"/root/usr/share/darknet/data/*.jpg "$dest/darknet/" 2>/dev/null
src="$work/root/usr/share/doc/opencv-doc/examples"
for f in "$src"/data/*.jpg "$src"/data/*.png; do
  [ -f "$f" ] && cp -f "$f" "$dest/opencv/"
done
for f in "$src"/text/*.jpg "$src"/text/*.png; do
  [ -f "$f" ] && cp -f "$f" "$dest/text/"
done
# Debian compresses some documentation files.
find "$dest" -name '*.gz' -exec gunzip -f {} + 2>/dev/null

touch "$stamp"
echo "fetch-test-images: images in $dest"
