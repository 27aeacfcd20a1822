/* tessera-image.h: one image of the API, as a GObject that notifies
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define TESSERA_TYPE_IMAGE (tessera_image_get_type ())

G_DECLARE_FINAL_TYPE (TesseraImage, tessera_image, TESSERA, IMAGE, GObject)

TesseraImage       *tessera_image_new_from_json      (JsonObject   *object);
gboolean            tessera_image_update_from_json   (TesseraImage *self,
                                                      JsonObject   *object);
JsonObject         *tessera_image_to_json            (TesseraImage *self);
const char         *tessera_image_get_id             (TesseraImage *self);
const char         *tessera_image_get_filename       (TesseraImage *self);
const char         *tessera_image_get_content_type   (TesseraImage *self);
gint64              tessera_image_get_size           (TesseraImage *self);
int                 tessera_image_get_width          (TesseraImage *self);
int                 tessera_image_get_height         (TesseraImage *self);
const char         *tessera_image_get_created_at     (TesseraImage *self);
const char         *tessera_image_get_status         (TesseraImage *self);
const char * const *tessera_image_get_tags           (TesseraImage *self);
gboolean            tessera_image_has_tag            (TesseraImage *self,
                                                      const char   *tag);
JsonArray          *tessera_image_get_labels         (TesseraImage *self);
const char         *tessera_image_get_file_url       (TesseraImage *self);
const char         *tessera_image_get_thumbnail_url  (TesseraImage *self);
const char         *tessera_image_get_preview_url    (TesseraImage *self);
const char         *tessera_image_get_failure_reason (TesseraImage *self);
const char         *tessera_image_get_trashed_at     (TesseraImage *self);
const char         *tessera_image_get_sha256         (TesseraImage *self);
JsonObject         *tessera_image_get_metadata       (TesseraImage *self);
void                tessera_image_forget_full_urls   (TesseraImage *self);

G_END_DECLS
