/* tessera-thumbnail-loader.h: thumbnails from memory, disk, or the server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "tessera-client.h"
#include "tessera-image.h"

G_BEGIN_DECLS

#define TESSERA_TYPE_THUMBNAIL_LOADER (tessera_thumbnail_loader_get_type ())

G_DECLARE_FINAL_TYPE (TesseraThumbnailLoader, tessera_thumbnail_loader, TESSERA, THUMBNAIL_LOADER, GObject)

TesseraThumbnailLoader *tessera_thumbnail_loader_new                  (TesseraClient          *client,
                                                                       const char             *cache_dir);
const char             *tessera_thumbnail_loader_get_cache_dir        (TesseraThumbnailLoader *self);
guint64                 tessera_thumbnail_loader_get_max_disk_bytes   (TesseraThumbnailLoader *self);
void                    tessera_thumbnail_loader_set_max_disk_bytes   (TesseraThumbnailLoader *self,
                                                                       guint64                 max_bytes);
guint64                 tessera_thumbnail_loader_get_max_memory_bytes (TesseraThumbnailLoader *self);
void                    tessera_thumbnail_loader_set_max_memory_bytes (TesseraThumbnailLoader *self,
                                                                       guint64                 max_bytes);
guint                   tessera_thumbnail_loader_get_n_downloads      (TesseraThumbnailLoader *self);
GBytes                 *tessera_thumbnail_loader_lookup               (TesseraThumbnailLoader *self,
                                                                       const char             *image_id);
void                    tessera_thumbnail_loader_clear_memory         (TesseraThumbnailLoader *self);
void                    tessera_thumbnail_loader_load_async           (TesseraThumbnailLoader *self,
                                                                       TesseraImage           *image,
                                                                       GCancellable           *cancellable,
                                                                       GAsyncReadyCallback     callback,
                                                                       gpointer                user_data);
GBytes                 *tessera_thumbnail_loader_load_finish          (TesseraThumbnailLoader *self,
                                                                       GAsyncResult           *result,
                                                                       GError                **error);

G_END_DECLS
