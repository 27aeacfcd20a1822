/* tessera-viewer.h: one image, large, with its tags and facts
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "tessera-client.h"
#include "tessera-image.h"

G_BEGIN_DECLS

#define TESSERA_TYPE_VIEWER (tessera_viewer_get_type ())

G_DECLARE_FINAL_TYPE (TesseraViewer, tessera_viewer, TESSERA, VIEWER, AdwBin)

TesseraClient *tessera_viewer_get_client       (TesseraViewer *self);
void           tessera_viewer_set_client       (TesseraViewer *self,
                                                TesseraClient *client);
TesseraImage  *tessera_viewer_get_image        (TesseraViewer *self);
void           tessera_viewer_set_image        (TesseraViewer *self,
                                                TesseraImage  *image);
gboolean       tessera_viewer_get_loaded       (TesseraViewer *self);
gboolean       tessera_viewer_get_busy         (TesseraViewer *self);
void           tessera_viewer_add_tag          (TesseraViewer *self,
                                                const char    *tag);
void           tessera_viewer_remove_tag       (TesseraViewer *self,
                                                const char    *tag);

G_END_DECLS
