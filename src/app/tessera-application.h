/* tessera-application.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "tessera-client.h"
#include "tessera-local-server.h"

G_BEGIN_DECLS

#define TESSERA_TYPE_APPLICATION (tessera_application_get_type ())

G_DECLARE_FINAL_TYPE (TesseraApplication, tessera_application, TESSERA, APPLICATION, AdwApplication)

TesseraApplication *tessera_application_new                (void);
GSettings          *tessera_application_get_settings       (TesseraApplication *self);
TesseraClient      *tessera_application_get_client         (TesseraApplication *self);
TesseraLocalServer *tessera_application_get_local_server   (TesseraApplication *self);
GtkWindow          *tessera_application_get_signin_dialog  (TesseraApplication *self);
gboolean            tessera_application_get_starting       (TesseraApplication *self);
void                tessera_application_sign_out           (TesseraApplication *self);

G_END_DECLS
