#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Reads meson's testlog.json and prints the plain summary line CI reads:
# "N passed, N failed, N skipped". Exits non-zero when anything failed.
import json
import sys

passed = failed = skipped = 0
failures = []
with open(sys.argv[1], encoding="utf-8") as log:
    for line in log:
        line = line.strip()
        if not line:
            continue
        result = json.loads(line)
        status = result.get("result")
        if status in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif status == "SKIP":
            skipped += 1
        else:
            failed += 1
            failures.append(f"{result.get('name')} ({status})")

for name in failures:
    print(f"FAILED: {name}")
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
