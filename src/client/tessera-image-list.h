/* tessera-image-list.h: the user's images as a GListModel, page by page
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "tessera-client.h"
#include "tessera-image.h"

G_BEGIN_DECLS

#define TESSERA_TYPE_IMAGE_LIST (tessera_image_list_get_type ())

G_DECLARE_FINAL_TYPE (TesseraImageList, tessera_image_list, TESSERA, IMAGE_LIST, GObject)

TesseraImageList   *tessera_image_list_new               (TesseraClient      *client);
TesseraClient      *tessera_image_list_get_client        (TesseraImageList   *self);
void                tessera_image_list_set_filter        (TesseraImageList   *self,
                                                          const char * const *tags,
                                                          gboolean            match_any,
                                                          gboolean            untagged);
const char * const *tessera_image_list_get_tags          (TesseraImageList   *self);
gboolean            tessera_image_list_get_match_any     (TesseraImageList   *self);
gboolean            tessera_image_list_get_untagged      (TesseraImageList   *self);
gboolean            tessera_image_list_get_trashed       (TesseraImageList   *self);
void                tessera_image_list_set_trashed       (TesseraImageList   *self,
                                                          gboolean            trashed);
guint               tessera_image_list_get_page_size     (TesseraImageList   *self);
void                tessera_image_list_set_page_size     (TesseraImageList   *self,
                                                          guint               page_size);
gboolean            tessera_image_list_get_loading       (TesseraImageList   *self);
gboolean            tessera_image_list_get_has_more      (TesseraImageList   *self);
const char         *tessera_image_list_get_error_message (TesseraImageList   *self);
const GError       *tessera_image_list_get_error         (TesseraImageList   *self);
void                tessera_image_list_refresh           (TesseraImageList   *self);
void                tessera_image_list_load_more         (TesseraImageList   *self);
TesseraImage       *tessera_image_list_lookup            (TesseraImageList   *self,
                                                          const char         *image_id);
gboolean            tessera_image_list_remove            (TesseraImageList   *self,
                                                          const char         *image_id);
void                tessera_image_list_upsert            (TesseraImageList   *self,
                                                          TesseraImage       *image);
void                tessera_image_list_show_cached       (TesseraImageList   *self,
                                                          GPtrArray          *images);
gboolean            tessera_image_list_get_showing_cached (TesseraImageList  *self);

G_END_DECLS
