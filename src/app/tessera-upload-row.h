/* tessera-upload-row.h: one file of the upload queue, in its popover
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "tessera-upload-queue.h"

G_BEGIN_DECLS

#define TESSERA_TYPE_UPLOAD_ROW (tessera_upload_row_get_type ())

G_DECLARE_FINAL_TYPE (TesseraUploadRow, tessera_upload_row, TESSERA, UPLOAD_ROW, GtkListBoxRow)

GtkWidget         *tessera_upload_row_new      (TesseraUploadQueue *queue,
                                                TesseraUploadItem  *item);
TesseraUploadItem *tessera_upload_row_get_item (TesseraUploadRow   *self);
gboolean           tessera_upload_row_get_has_thumbnail (TesseraUploadRow *self);

G_END_DECLS
