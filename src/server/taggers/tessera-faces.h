/* tessera-faces.h: faces, eyes and smiles with our Haar cascade evaluator
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <vips/vips.h>

#include "tessera-cascade.h"
#include "tessera-image-record.h"

G_BEGIN_DECLS

#define TESSERA_FACES_SOURCE "local/faces"

/* The longest side the face stage works at: with the 24 px smallest
 * window, a face of 1/22 of the picture's longest side is found; smaller
 * (720 px, 1/30) cost twice the windows and found no more faces on the
 * labelled pictures (docs/tagging.md). */
#define TESSERA_FACES_MAX_SIDE 520
/* The longest side of the grey copy eyes and smiles are looked for in. */
#define TESSERA_FACES_DETAIL_SIDE 1600

typedef struct
{
  int      x;           /* in the pixels of the grey image given */
  int      y;
  int      width;
  int      height;
  int      neighbours;  /* raw windows grouped into this face */
  int      n_eyes;      /* eyes found in the face's upper half */
  gboolean smile;       /* a smile found in the face's lower half */
} TesseraFace;

typedef struct _TesseraFaceDetector TesseraFaceDetector;

/* Loads haarcascade_frontalface_alt2, haarcascade_eye and haarcascade_smile
 * from @cascade_dir (NULL: Debian's /usr/share/opencv4/haarcascades). */
TesseraFaceDetector *tessera_face_detector_new     (const char           *cascade_dir,
                                                    GError              **error);
void                 tessera_face_detector_free    (TesseraFaceDetector  *self);

/* Every face we believe in (see docs/tagging.md for the rule), with its
 * eyes and smile. @grey is best at TESSERA_FACES_DETAIL_SIDE: faces are
 * searched in a copy downscaled to TESSERA_FACES_MAX_SIDE, eyes and smiles
 * in @grey itself. Returns: (transfer full) (element-type TesseraFace) */
GArray              *tessera_face_detector_detect  (TesseraFaceDetector  *self,
                                                    const TesseraGrey    *grey);

/* Adds face, person, people, smile and portrait labels to @record for
 * @grey (best made at TESSERA_FACES_DETAIL_SIDE). */
gboolean             tessera_face_detector_tag     (TesseraFaceDetector  *self,
                                                    const TesseraGrey    *grey,
                                                    TesseraImageRecord   *record,
                                                    GError              **error);

/* A packed 8-bit grey copy of @image, downscaled so its longest side is at
 * most @max_side; @grey views the returned buffer (free it with g_free).
 * Returns: (transfer full) (nullable) */
guint8              *tessera_grey_from_vips        (VipsImage            *image,
                                                    int                   max_side,
                                                    TesseraGrey          *grey,
                                                    GError              **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TesseraFaceDetector, tessera_face_detector_free)

G_END_DECLS
