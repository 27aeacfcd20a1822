/* tessera-upload-item.h: one file in the upload queue
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * TesseraUploadState:
 * @TESSERA_UPLOAD_STATE_QUEUED: waiting for a free slot (or for a retry)
 * @TESSERA_UPLOAD_STATE_HASHING: reading the file to compute its sha256
 * @TESSERA_UPLOAD_STATE_UPLOADING: sending the file
 * @TESSERA_UPLOAD_STATE_PROCESSING: sent; the server is making thumbnails
 * @TESSERA_UPLOAD_STATE_DONE: uploaded
 * @TESSERA_UPLOAD_STATE_DUPLICATE: the server already had these bytes
 * @TESSERA_UPLOAD_STATE_FAILED: gave up; see the error message, retry
 * @TESSERA_UPLOAD_STATE_CANCELLED: cancelled by the user
 */
typedef enum
{
  TESSERA_UPLOAD_STATE_QUEUED,
  TESSERA_UPLOAD_STATE_HASHING,
  TESSERA_UPLOAD_STATE_UPLOADING,
  TESSERA_UPLOAD_STATE_PROCESSING,
  TESSERA_UPLOAD_STATE_DONE,
  TESSERA_UPLOAD_STATE_DUPLICATE,
  TESSERA_UPLOAD_STATE_FAILED,
  TESSERA_UPLOAD_STATE_CANCELLED,
} TesseraUploadState;

#define TESSERA_TYPE_UPLOAD_STATE (tessera_upload_state_get_type ())
GType       tessera_upload_state_get_type    (void) G_GNUC_CONST;
const char *tessera_upload_state_to_string   (TesseraUploadState state);
gboolean    tessera_upload_state_is_finished (TesseraUploadState state);

#define TESSERA_TYPE_UPLOAD_ITEM (tessera_upload_item_get_type ())

G_DECLARE_FINAL_TYPE (TesseraUploadItem, tessera_upload_item, TESSERA, UPLOAD_ITEM, GObject)

GFile              *tessera_upload_item_get_file          (TesseraUploadItem *self);
TesseraUploadState  tessera_upload_item_get_state         (TesseraUploadItem *self);
double              tessera_upload_item_get_progress      (TesseraUploadItem *self);
goffset             tessera_upload_item_get_size          (TesseraUploadItem *self);
const char         *tessera_upload_item_get_error_message (TesseraUploadItem *self);
const char         *tessera_upload_item_get_image_id      (TesseraUploadItem *self);

G_END_DECLS
