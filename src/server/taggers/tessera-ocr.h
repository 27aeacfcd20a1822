/* tessera-ocr.h: words in the picture, through Tesseract's C API
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "tessera-cascade.h"
#include "tessera-image-record.h"

G_BEGIN_DECLS

#define TESSERA_OCR_SOURCE "local/text"

/* Tesseract finds letters of 20 px and more best; this keeps a page legible
 * and a 12-megapixel photograph to a fraction of a second. 1024 and 1152 px
 * were tried for speed and lost the text of scenetext05 upscaled to 12
 * megapixels, so it stays at 1280. */
#define TESSERA_OCR_MAX_SIDE 1280

typedef struct
{
  GPtrArray *words;           /* element-type utf8: the confident words, in reading order */
  glong      letters;         /* characters in those words */
  double     mean_confidence; /* of those words, 0..1 */
  double     text_area;       /* fraction of the picture their boxes cover */
  double     text_extent;     /* fraction covered by the box around them all */
} TesseraOcrResult;

typedef struct _TesseraOcr TesseraOcr;

/* Returns NULL with an error when Tesseract or its English data is
 * missing. Makes OpenMP regions run on one thread, process-wide (what
 * OMP_THREAD_LIMIT=1 does): jobs run in parallel already. */
TesseraOcr *tessera_ocr_new              (GError             **error);
void        tessera_ocr_free             (TesseraOcr          *self);

/* Thread-safe (one recognition at a time). */
gboolean    tessera_ocr_recognize        (TesseraOcr          *self,
                                          const TesseraGrey   *grey,
                                          TesseraOcrResult    *result,
                                          GError             **error);
void        tessera_ocr_result_clear     (TesseraOcrResult    *result);

/* A word we keep: at least 3 characters, mostly letters. */
gboolean    tessera_ocr_word_is_plausible (const char         *word);

/* Adds "text" and "document" labels and metadata "text" to @record. */
gboolean    tessera_ocr_tag              (TesseraOcr          *self,
                                          const TesseraGrey   *grey,
                                          TesseraImageRecord  *record,
                                          GError             **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TesseraOcr, tessera_ocr_free)

G_END_DECLS
