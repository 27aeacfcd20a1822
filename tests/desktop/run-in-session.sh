#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Runs a desktop test as the Shell would meet the app: under Xvfb, in a
# private D-Bus session whose service directory holds the app's D-Bus
# service file (so a call to io.github.tessera.Tessera starts the built app
# with --gapplication-service), with a real unlocked gnome-keyring-daemon,
# and HOME and the XDG dirs in a temporary directory.
#
# usage: run-in-session.sh APP_BINARY SERVICE_FILE_IN TEST [ARGS...]
set -eu

app=$1
service_in=$2
shift 2

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tessera-desktop-test.XXXXXX")
cleanup () { rm -rf "$tmp"; }
trap cleanup EXIT INT TERM

export HOME="$tmp/home"
export XDG_CONFIG_HOME="$tmp/config"
export XDG_DATA_HOME="$tmp/data"
export XDG_CACHE_HOME="$tmp/cache"
export XDG_RUNTIME_DIR="$tmp/runtime"
mkdir -p "$HOME" "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_CACHE_HOME" "$XDG_RUNTIME_DIR" \
         "$tmp/share/dbus-1/services"
chmod 700 "$XDG_RUNTIME_DIR"
# The session bus finds services under XDG_DATA_DIRS when it starts.
export XDG_DATA_DIRS="$tmp/share:${XDG_DATA_DIRS:-/usr/local/share:/usr/share}"
sed "s|@bindir@/tessera|$app|" "$service_in" >"$tmp/share/dbus-1/services/io.github.tessera.Tessera.service"
# Settings the test writes for the app to read: a real file, not memory.
export GSETTINGS_BACKEND=keyfile
export GDK_BACKEND=x11 GSK_RENDERER=cairo NO_AT_BRIDGE=1
unset TESSERA_NO_KEYRING

status=0
xvfb-run -a -s '-screen 0 1280x1024x24' dbus-run-session -- sh -c '
  eval "$(printf %s tessera-test-keyring | gnome-keyring-daemon --unlock --components=secrets)"
  export GNOME_KEYRING_CONTROL
  exec "$@"
' sh "$@" || status=$?

exit $status
