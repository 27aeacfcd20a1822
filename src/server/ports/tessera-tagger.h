/* tessera-tagger.h: image recognition (local, clarifai, rekognition)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <vips/vips.h>

#include "tessera-image-record.h"

G_BEGIN_DECLS

#define TESSERA_TYPE_TAGGER (tessera_tagger_get_type ())

G_DECLARE_INTERFACE (TesseraTagger, tessera_tagger, TESSERA, TAGGER, GObject)

struct _TesseraTaggerInterface
{
  GTypeInterface parent_iface;

  gboolean (*tag) (TesseraTagger       *self,
                   GFile               *original,
                   VipsImage           *image,
                   TesseraImageRecord  *record,
                   GCancellable        *cancellable,
                   GError             **error);
};

/* Adds labels (and, for facts, metadata) to @record for the image in
 * @original, already decoded as @image (sRGB, auto-rotated). An error here
 * is recorded on the image and never loses the image or its thumbnails. */
gboolean tessera_tagger_tag (TesseraTagger       *self,
                             GFile               *original,
                             VipsImage           *image,
                             TesseraImageRecord  *record,
                             GCancellable        *cancellable,
                             GError             **error);

G_END_DECLS
