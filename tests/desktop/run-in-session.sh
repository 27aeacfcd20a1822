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
# Whatever happens, the test's status is the test's: a leftover mount (a
# portal's FUSE directory under the runtime dir) must not fail it.
cleanup () {
  if [ -d "$tmp/runtime/doc" ]; then
    fusermount3 -uz "$tmp/runtime/doc" 2>/dev/null || fusermount -uz "$tmp/runtime/doc" 2>/dev/null || true
  fi
  rm -rf "$tmp" 2>/dev/null || true
}
trap cleanup EXIT INT TERM

export HOME="$tmp/home"
export XDG_CONFIG_HOME="$tmp/config"
export XDG_DATA_HOME="$tmp/data"
export XDG_CACHE_HOME="$tmp/cache"
export XDG_RUNTIME_DIR="$tmp/runtime"
mkdir -p "$HOME" "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_CACHE_HOME" "$XDG_RUNTIME_DIR" \
         "$tmp/share/dbus-1/services"
chmod 700 "$XDG_RUNTIME_DIR"
# The app's own data (icons, the schema) under XDG_DATA_DIRS too.
export XDG_DATA_DIRS="$tmp/share:${XDG_DATA_DIRS:-/usr/local/share:/usr/share}"
sed "s|@bindir@/tessera|$app|" "$service_in" >"$tmp/share/dbus-1/services/io.github.tessera.Tessera.service"
# Settings the test writes for the app to read: a real file, not memory.
export GSETTINGS_BACKEND=keyfile
export GDK_BACKEND=x11 GSK_RENDERER=cairo NO_AT_BRIDGE=1
unset TESSERA_NO_KEYRING

# A session bus that activates only the app: not the portals or the
# accessibility bus of the machine's own service directories, which would
# start (and mount) things the test does not ask for and may outlive it.
cat >"$tmp/session.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=$tmp</listen>
  <auth>EXTERNAL</auth>
  <servicedir>$tmp/share/dbus-1/services</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
CONF

status=0
xvfb-run -a -s '-screen 0 1280x1024x24' dbus-run-session --config-file="$tmp/session.conf" -- sh -c '
  eval "$(printf %s tessera-test-keyring | gnome-keyring-daemon --unlock --components=secrets)"
  export GNOME_KEYRING_CONTROL
  exec "$@"
' sh "$@" || status=$?

exit $status
