#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The reference for tessera-cascade: OpenCV's own CascadeClassifier on the
# same grey image. Prints one "x y width height" line per detection.
# Usage: opencv-detect.py CASCADE.xml IMAGE.pgm MIN_NEIGHBOURS [MIN_SIZE]
import sys

try:
    import cv2
except ImportError:
    sys.exit(77)  # python3-opencv is missing: the caller skips

cascade_path, image_path, min_neighbours = sys.argv[1], sys.argv[2], int(sys.argv[3])
min_size = int(sys.argv[4]) if len(sys.argv) > 4 else 0

cascade = cv2.CascadeClassifier(cascade_path)
if cascade.empty():
    sys.exit("cannot load " + cascade_path)
image = cv2.imread(image_path, cv2.IMREAD_GRAYSCALE)
if image is None:
    sys.exit("cannot read " + image_path)

cv2.setNumThreads(1)
boxes = cascade.detectMultiScale(image, scaleFactor=1.1, minNeighbors=min_neighbours,
                                 minSize=(min_size, min_size))
for (x, y, w, h) in boxes:
    print(x, y, w, h)
