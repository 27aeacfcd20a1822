/* tessera-image-tile.h: one image in the gallery grid
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "tessera-image.h"
#include "tessera-thumbnail-loader.h"

G_BEGIN_DECLS

#define TESSERA_TYPE_IMAGE_TILE (tessera_image_tile_get_type ())

G_DECLARE_FINAL_TYPE (TesseraImageTile, tessera_image_tile, TESSERA, IMAGE_TILE, GtkWidget)

GtkWidget    *tessera_image_tile_new          (TesseraThumbnailLoader *loader);
TesseraImage *tessera_image_tile_get_image    (TesseraImageTile       *self);
void          tessera_image_tile_set_image    (TesseraImageTile       *self,
                                               TesseraImage           *image);
void          tessera_image_tile_set_size     (TesseraImageTile       *self,
                                               int                     size);
gboolean      tessera_image_tile_get_has_thumbnail (TesseraImageTile  *self);

G_END_DECLS
