/* tessera-upload-queue.h: uploads a few at a time, surviving restarts
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "tessera-client.h"
#include "tessera-upload-item.h"

G_BEGIN_DECLS

#define TESSERA_TYPE_UPLOAD_QUEUE (tessera_upload_queue_get_type ())

G_DECLARE_FINAL_TYPE (TesseraUploadQueue, tessera_upload_queue, TESSERA, UPLOAD_QUEUE, GObject)

TesseraUploadQueue *tessera_upload_queue_new            (TesseraClient      *client,
                                                         const char         *state_path);
TesseraClient      *tessera_upload_queue_get_client     (TesseraUploadQueue *self);
const char         *tessera_upload_queue_get_state_path (TesseraUploadQueue *self);
guint               tessera_upload_queue_get_max_jobs   (TesseraUploadQueue *self);
void                tessera_upload_queue_set_max_jobs   (TesseraUploadQueue *self,
                                                         guint               max_jobs);
guint               tessera_upload_queue_get_max_attempts (TesseraUploadQueue *self);
void                tessera_upload_queue_set_max_attempts (TesseraUploadQueue *self,
                                                         guint               max_attempts);
gboolean            tessera_upload_queue_get_busy       (TesseraUploadQueue *self);
gboolean            tessera_upload_queue_get_wait_for_processing (TesseraUploadQueue *self);
void                tessera_upload_queue_set_wait_for_processing (TesseraUploadQueue *self,
                                                         gboolean            wait_for_processing);
TesseraUploadItem  *tessera_upload_queue_add_file       (TesseraUploadQueue *self,
                                                         GFile              *file);
void                tessera_upload_queue_cancel         (TesseraUploadQueue *self,
                                                         TesseraUploadItem  *item);
void                tessera_upload_queue_cancel_all     (TesseraUploadQueue *self);
void                tessera_upload_queue_retry          (TesseraUploadQueue *self,
                                                         TesseraUploadItem  *item);
void                tessera_upload_queue_clear_finished (TesseraUploadQueue *self);

G_END_DECLS
