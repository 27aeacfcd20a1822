#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Runs a client test inside its own D-Bus session with a real
# gnome-keyring-daemon, unlocked, and HOME and the XDG dirs in a temporary
# directory, so that nothing touches the user's keyring or config.
set -eu

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tessera-client-test.XXXXXX")
cleanup () { rm -rf "$tmp"; }
trap cleanup EXIT INT TERM

export HOME="$tmp/home"
export XDG_CONFIG_HOME="$tmp/config"
export XDG_DATA_HOME="$tmp/data"
export XDG_CACHE_HOME="$tmp/cache"
export XDG_RUNTIME_DIR="$tmp/runtime"
mkdir -p "$HOME" "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_CACHE_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
unset TESSERA_NO_KEYRING

status=0
dbus-run-session -- sh -c '
  eval "$(printf %s tessera-test-keyring | gnome-keyring-daemon --unlock --components=secrets)"
  export GNOME_KEYRING_CONTROL
  exec "$@"
' sh "$@" || status=$?

exit $status
