#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Every file with user-visible strings is in po/POTFILES.in, every listed
# file exists, and every language in po/LINGUAS has a .po that msgfmt
# accepts with no fuzzy or untranslated message.
#
# usage: test-potfiles.sh SOURCE_ROOT
set -eu
cd "$1"

listed=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' po/POTFILES.in)
status=0

for f in $listed; do
  [ -f "$f" ] || { echo "FAIL: po/POTFILES.in lists $f, which does not exist" >&2; status=1; }
done

needed=$( (grep -rlE '(^|[^A-Za-z0-9_])(N?_|C_|g_dngettext|ngettext)[[:space:]]*\(' --include='*.c' src || true;
           grep -rl 'translatable="yes"' --include='*.ui' src || true;
           ls data/*.desktop.in data/*.metainfo.xml.in data/*.gschema.xml) | sort -u)
for f in $needed; do
  echo "$listed" | grep -qx "$f" || { echo "FAIL: $f has translatable strings but is not in po/POTFILES.in" >&2; status=1; }
done

for lang in $(sed -e 's/#.*//' po/LINGUAS); do
  po="po/$lang.po"
  [ -f "$po" ] || { echo "FAIL: po/LINGUAS names $lang but $po is missing" >&2; status=1; continue; }
  stats=$(LC_ALL=C msgfmt --check --statistics -o /dev/null "$po" 2>&1) ||
    { echo "FAIL: msgfmt --check $po: $stats" >&2; status=1; continue; }
  case "$stats" in
    *fuzzy*|*untranslated*) echo "FAIL: $po is incomplete: $stats" >&2; status=1 ;;
    *) echo "ok: $po: $stats" ;;
  esac
done

exit $status
