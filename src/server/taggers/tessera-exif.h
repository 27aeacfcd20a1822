/* tessera-exif.h: camera facts from the original's EXIF, through libvips
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <vips/vips.h>

#include "tessera-image-record.h"

G_BEGIN_DECLS

#define TESSERA_EXIF_SOURCE "local/exif"

typedef struct
{
  char     *make;          /* as the camera wrote it, trimmed; NULL if absent */
  char     *model;
  char     *date_taken;    /* "YYYY-MM-DDTHH:MM:SS", camera local time */
  int       year;          /* 0 if unknown */
  int       orientation;   /* 1..8, 0 if absent */
  gboolean  has_flash;     /* the Flash tag is present */
  gboolean  flash_fired;
  gboolean  has_gps;       /* latitude and longitude both present */
} TesseraExif;

void      tessera_exif_clear       (TesseraExif         *exif);

/* Reads the facts from @image's metadata (a libvips image opened from the
 * original file: libvips keeps EXIF as "exif-ifdN-Name" strings). */
void      tessera_exif_read        (VipsImage           *image,
                                    TesseraExif         *exif);

/* "OLYMPUS OPTICAL CO.,LTD" -> "olympus": the brand people search for.
 * Returns: (transfer full) (nullable) */
char     *tessera_exif_normalize_make (const char       *make);

/* Adds the make, the year, "flash" and "geotagged" as labels and the facts
 * as metadata "exif" ({make, model, dateTaken, orientation, gps, flash}).
 * @original is opened for its header only; @image is the fallback when
 * @original has no local path. */
gboolean  tessera_exif_tag         (GFile               *original,
                                    VipsImage           *image,
                                    TesseraImageRecord  *record,
                                    GError             **error);

G_END_DECLS
