#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# A real install runs from its prefix, not from the build dir.
#
# Configures the project a second time with --prefix in a scratch dir under
# the build dir (kept, so a rerun is incremental), installs it into that
# prefix, checks the layout, then starts the INSTALLED app under Xvfb with a
# fresh home, XDG_DATA_DIRS and GSETTINGS_SCHEMA_DIR pointing at the prefix,
# and no TESSERA_SERVER: the app must map its window and start the bundled
# tessera-server from PREFIX/bin.
#
# usage: test-install.sh SOURCE_ROOT SCRATCH_DIR
set -eu

src=$1
scratch=$2
build="$scratch/build"
prefix="$scratch/prefix"
app_id=io.github.tessera.Tessera

fail () { echo "FAIL: $*" >&2; exit 1; }
check_file () { [ -f "$prefix/$1" ] || fail "not installed: $1"; echo "ok: $1"; }

mkdir -p "$scratch"
rm -rf "$prefix"
if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" "$src" --prefix="$prefix" --buildtype=plain -Dtests=false >"$scratch/setup.log" 2>&1 ||
    { cat "$scratch/setup.log"; fail "meson setup"; }
fi
meson install -C "$build" >"$scratch/install.log" 2>&1 || { tail -40 "$scratch/install.log"; fail "meson install"; }

# The layout.
for f in bin/tessera bin/tessera-server bin/tessera-cli; do
  [ -x "$prefix/$f" ] || fail "not installed or not executable: $f"
  echo "ok: $f"
done
check_file share/applications/$app_id.desktop
check_file share/metainfo/$app_id.metainfo.xml
check_file share/glib-2.0/schemas/$app_id.gschema.xml
check_file share/glib-2.0/schemas/gschemas.compiled
check_file share/icons/hicolor/scalable/apps/$app_id.svg
check_file share/icons/hicolor/symbolic/apps/$app_id-symbolic.svg
check_file share/gnome-shell/search-providers/$app_id.search-provider.ini
check_file share/dbus-1/services/$app_id.service
grep -qx "Exec=$prefix/bin/tessera --gapplication-service" "$prefix/share/dbus-1/services/$app_id.service" ||
  fail "the service file does not start the installed binary as a service"
for lang in $(sed -e 's/#.*//' "$src/po/LINGUAS"); do
  check_file share/locale/$lang/LC_MESSAGES/tessera.mo
done
# The installed files hold no path into the build or source dir.
if grep -rlF "$build" "$prefix/share" >/dev/null 2>&1; then
  fail "an installed data file names the build dir"
fi

# The installed app, run as a new user would, with a session to resume so
# that it starts its bundled server ("This computer", the default).
home="$scratch/home"
rm -rf "$home"
mkdir -p "$home/config/tessera" "$home/data" "$home/cache" "$home/runtime"
chmod 700 "$home/runtime"
# A stored session (the 0600 file the account falls back to without a
# keyring); its token is stale, which only matters after the server started.
printf '[account]\nserver=http://127.0.0.1:9\nusername=installed\n' >"$home/config/tessera/account.ini"
printf '[http://127.0.0.1:9]\ninstalled=stale-token\n' >"$home/config/tessera/refresh-token"
chmod 600 "$home/config/tessera/refresh-token"

cat >"$scratch/run-app.sh" <<EOF
#!/bin/sh
set -eu
"$prefix/bin/tessera" &
app=\$!
# The window maps (by its title), and the app is still up a while later.
if ! timeout 30 xdotool search --sync --onlyvisible --name '^Tessera' >/dev/null; then
  echo "FAIL: the installed app mapped no window" >&2
  kill \$app 2>/dev/null || true
  exit 1
fi
echo "ok: the installed app mapped its window"
for i in \$(seq 1 30); do
  [ -f "$home/data/tessera/server/server.ini" ] && break
  sleep 0.5
done
kill -0 \$app || { echo "FAIL: the installed app exited" >&2; exit 1; }
status=0
pid=\$(sed -n 's/^pid=//p' "$home/data/tessera/server/server.ini" 2>/dev/null || true)
exe=\$(readlink "/proc/\$pid/exe" 2>/dev/null || true)
if [ "\$exe" = "$prefix/bin/tessera-server" ]; then
  echo "ok: the app started \$exe"
else
  echo "FAIL: the app's server is '\$exe' (pid '\$pid'), not $prefix/bin/tessera-server" >&2
  status=1
fi
# Quit as a user does (app.quit, here over D-Bus), so the app stops its server.
gdbus call --session --dest $app_id --object-path /io/github/tessera/Tessera \\
  --method org.gtk.Actions.Activate quit '[]' '{}' >/dev/null
for i in \$(seq 1 20); do
  kill -0 \$app 2>/dev/null || break
  sleep 0.5
done
if kill -0 \$app 2>/dev/null; then
  echo "FAIL: the installed app did not quit" >&2
  kill -KILL \$app
  status=1
fi
wait \$app || true
exit \$status
EOF
chmod +x "$scratch/run-app.sh"

env -u TESSERA_SERVER -u GSETTINGS_SCHEMA_DIR \
  HOME="$home" XDG_CONFIG_HOME="$home/config" XDG_DATA_HOME="$home/data" \
  XDG_CACHE_HOME="$home/cache" XDG_RUNTIME_DIR="$home/runtime" \
  XDG_DATA_DIRS="$prefix/share:/usr/share" \
  GSETTINGS_SCHEMA_DIR="$prefix/share/glib-2.0/schemas" \
  GSETTINGS_BACKEND=memory TESSERA_NO_KEYRING=1 \
  GDK_BACKEND=x11 GSK_RENDERER=cairo NO_AT_BRIDGE=1 \
  dbus-run-session -- xvfb-run -a -s '-screen 0 1280x1024x24' "$scratch/run-app.sh"

# The bundled server stops with the app.
for i in $(seq 1 10); do
  pid=$(sed -n 's/^pid=//p' "$home/data/tessera/server/server.ini" 2>/dev/null || true)
  [ -n "$pid" ] && [ -e "/proc/$pid" ] || break
  sleep 0.5
done
pid=$(sed -n 's/^pid=//p' "$home/data/tessera/server/server.ini" 2>/dev/null || true)
if [ -n "$pid" ] && [ "$(readlink "/proc/$pid/exe" 2>/dev/null || true)" = "$prefix/bin/tessera-server" ]; then
  kill -TERM "$pid" 2>/dev/null || true
  fail "the bundled server outlived the app"
fi
echo "ok: installed layout runs"

# The installed app in German: a new user's first start shows the sign-in
# dialog with its title from PREFIX/share/locale/de, and a screenshot of the
# screen is kept as an artifact.
home="$scratch/home-de"
rm -rf "$home"
mkdir -p "$home/config" "$home/data" "$home/cache" "$home/runtime"
chmod 700 "$home/runtime"
shot="$(dirname "$scratch")/screenshot-installed-signin-de.png"
rm -f "$shot"

cat >"$scratch/run-app-de.sh" <<EOF
#!/bin/sh
set -eu
"$prefix/bin/tessera" &
app=\$!
status=0
if timeout 30 xdotool search --sync --onlyvisible --name '^Anmelden\$' >/dev/null; then
  echo "ok: the sign-in dialog is in German"
  sleep 1
  import -window root "$shot"
else
  echo "FAIL: no sign-in dialog titled 'Anmelden' (the German for 'Sign In')" >&2
  status=1
fi
gdbus call --session --dest $app_id --object-path /io/github/tessera/Tessera \\
  --method org.gtk.Actions.Activate quit '[]' '{}' >/dev/null || true
for i in \$(seq 1 20); do
  kill -0 \$app 2>/dev/null || break
  sleep 0.5
done
if kill -0 \$app 2>/dev/null; then kill -KILL \$app; fi
wait \$app || true
exit \$status
EOF
chmod +x "$scratch/run-app-de.sh"

env -u TESSERA_SERVER -u GSETTINGS_SCHEMA_DIR -u LC_ALL -u LC_MESSAGES \
  LANG=C.UTF-8 LANGUAGE=de \
  HOME="$home" XDG_CONFIG_HOME="$home/config" XDG_DATA_HOME="$home/data" \
  XDG_CACHE_HOME="$home/cache" XDG_RUNTIME_DIR="$home/runtime" \
  XDG_DATA_DIRS="$prefix/share:/usr/share" \
  GSETTINGS_SCHEMA_DIR="$prefix/share/glib-2.0/schemas" \
  GSETTINGS_BACKEND=memory TESSERA_NO_KEYRING=1 \
  GDK_BACKEND=x11 GSK_RENDERER=cairo NO_AT_BRIDGE=1 \
  dbus-run-session -- xvfb-run -a -s '-screen 0 1280x1024x24' "$scratch/run-app-de.sh"

[ -s "$shot" ] || fail "no screenshot of the German sign-in dialog"
echo "ok: screenshot $shot"
