/* tessera-window.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "tessera-application.h"

G_BEGIN_DECLS

#define TESSERA_TYPE_WINDOW (tessera_window_get_type ())

G_DECLARE_FINAL_TYPE (TesseraWindow, tessera_window, TESSERA, WINDOW, AdwApplicationWindow)

TesseraWindow *tessera_window_new           (TesseraApplication  *application);
void           tessera_window_upload_files  (TesseraWindow       *self,
                                             GFile              **files,
                                             int                  n_files);
void           tessera_window_add_toast     (TesseraWindow       *self,
                                             AdwToast            *toast);

G_END_DECLS
