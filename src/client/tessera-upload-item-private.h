/* tessera-upload-item-private.h: what only the queue may change
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "tessera-upload-item.h"

G_BEGIN_DECLS

TesseraUploadItem *_tessera_upload_item_new               (GFile              *file);
void               _tessera_upload_item_set_state         (TesseraUploadItem  *self,
                                                           TesseraUploadState  state);
void               _tessera_upload_item_set_progress      (TesseraUploadItem  *self,
                                                           goffset             sent,
                                                           goffset             total);
void               _tessera_upload_item_set_error_message (TesseraUploadItem  *self,
                                                           const char         *message);
void               _tessera_upload_item_set_image_id      (TesseraUploadItem  *self,
                                                           const char         *image_id);

G_END_DECLS
