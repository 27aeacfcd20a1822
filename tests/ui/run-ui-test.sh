#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Runs a ui test under Xvfb inside its own D-Bus session with a real
# gnome-keyring-daemon, unlocked, and HOME and the XDG dirs in a temporary
# directory. The bus activates nothing: the desktop portals a full session
# would start (documents, settings) mount and write under the runtime dir
# and have nothing to do with what is tested.
set -eu

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tessera-ui-test.XXXXXX")
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

cat > "$tmp/session.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=$tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
CONF

status=0
dbus-run-session --config-file="$tmp/session.conf" -- sh -c '
  eval "$(printf %s tessera-test-keyring | gnome-keyring-daemon --unlock --components=secrets)"
  export GNOME_KEYRING_CONTROL
  exec xvfb-run -a -s "-screen 0 1280x1024x24" "$@"
' sh "$@" || status=$?

exit $status
