/* tessera-window.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "tessera-application.h"
#include "tessera-client.h"
#include "tessera-image-list.h"
#include "tessera-upload-queue.h"
#include "tessera-viewer.h"

G_BEGIN_DECLS

#define TESSERA_TYPE_WINDOW (tessera_window_get_type ())

G_DECLARE_FINAL_TYPE (TesseraWindow, tessera_window, TESSERA, WINDOW, AdwApplicationWindow)

TesseraWindow      *tessera_window_new                (TesseraApplication  *application);
void                tessera_window_upload_files       (TesseraWindow       *self,
                                                       GFile              **files,
                                                       int                  n_files);
void                tessera_window_add_toast          (TesseraWindow       *self,
                                                       AdwToast            *toast);
TesseraClient      *tessera_window_get_client         (TesseraWindow       *self);
void                tessera_window_set_client         (TesseraWindow       *self,
                                                       TesseraClient       *client);
TesseraImageList   *tessera_window_get_image_list     (TesseraWindow       *self);
TesseraImageList   *tessera_window_get_trash_list     (TesseraWindow       *self);
TesseraUploadQueue *tessera_window_get_upload_queue   (TesseraWindow       *self);
GtkSelectionModel  *tessera_window_get_selection      (TesseraWindow       *self);
TesseraViewer      *tessera_window_get_viewer         (TesseraWindow       *self);
const char         *tessera_window_get_page           (TesseraWindow       *self);
AdwStatusPage      *tessera_window_get_status_page    (TesseraWindow       *self);
gboolean            tessera_window_get_offline        (TesseraWindow       *self);
void                tessera_window_add_filter_tag     (TesseraWindow       *self,
                                                       const char          *tag);
void                tessera_window_remove_filter_tag  (TesseraWindow       *self,
                                                       const char          *tag);
void                tessera_window_set_match_any      (TesseraWindow       *self,
                                                       gboolean             match_any);
void                tessera_window_set_untagged       (TesseraWindow       *self,
                                                       gboolean             untagged);
char              **tessera_window_dup_completions    (TesseraWindow       *self);
void                tessera_window_open_image         (TesseraWindow       *self,
                                                       guint                position);
void                tessera_window_show_image         (TesseraWindow       *self,
                                                       TesseraImage        *image);
void                tessera_window_search             (TesseraWindow       *self,
                                                       const char * const  *terms);

G_END_DECLS
