#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# `make bench`: every benchmark script in bench/, one after the other.
# Their figures go into bench/README.md by hand, with the date and machine.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)

"$here/run-server.sh"

if [ -x "$here/bench-client-upload.sh" ]; then
  client_build="$root/_build-client-release"
  if [ ! -f "$client_build/build.ninja" ]; then
    meson setup "$client_build" "$root" --buildtype=release -Dapp=false -Dtests=false >/dev/null
  fi
  ninja -C "$client_build" src/server/local/tessera-server src/cli/tessera-cli >/dev/null
  (cd "$root" && "$here/bench-client-upload.sh" _build-client-release)
fi
