#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Stores a thumbnail object for each of N seeded images in tessera-server's
# local object store, the layout tessera-local-object-store.c writes:
#   DATA/objects/<bucket>/<key>       the bytes
#   DATA/object-meta/<bucket>/<key>   a key file: content type, etag
# with key u/<sub>/<id>.thumb.webp. The bytes are hard links to a few real
# WebP thumbnails, so every tile still makes its own request and decodes a
# real image while the disk holds only a few.
#
# usage: seed-objects.py DATA_DIR BUCKET SUB N_IMAGES THUMB.webp...
import hashlib
import os
import sys


def image_id(i):
    # The ids the SQL seed gives (bench/run-app.sh).
    return "%08x-0000-4000-8000-%012x" % (i, i)


def main():
    data, bucket, sub, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    thumbs = sys.argv[5:]
    if not thumbs:
        sys.exit("no thumbnails given")
    obj_dir = os.path.join(data, "objects", bucket, "u", sub)
    meta_dir = os.path.join(data, "object-meta", bucket, "u", sub)
    os.makedirs(obj_dir, exist_ok=True)
    os.makedirs(meta_dir, exist_ok=True)

    metas = []
    for k, path in enumerate(thumbs):
        with open(path, "rb") as f:
            etag = hashlib.md5(f.read()).hexdigest()
        meta = os.path.join(data, "meta-%d" % k)
        with open(meta, "w") as f:
            f.write("[object]\ncontent-type=image/webp\netag=%s\n" % etag)
        os.chmod(meta, 0o600)
        metas.append(meta)

    for i in range(n):
        k = i % len(thumbs)
        name = image_id(i) + ".thumb.webp"
        os.link(thumbs[k], os.path.join(obj_dir, name))
        os.link(metas[k], os.path.join(meta_dir, name))

    for meta in metas:
        os.unlink(meta)


if __name__ == "__main__":
    main()
