/* tessera-signin-dialog.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "tessera-client.h"
#include "tessera-local-server.h"

G_BEGIN_DECLS

#define TESSERA_TYPE_SIGNIN_DIALOG (tessera_signin_dialog_get_type ())

G_DECLARE_FINAL_TYPE (TesseraSigninDialog, tessera_signin_dialog, TESSERA, SIGNIN_DIALOG, AdwWindow)

TesseraSigninDialog *tessera_signin_dialog_new         (GtkWindow            *parent,
                                                        TesseraLocalServer   *local_server);
void                 tessera_signin_dialog_set_remote  (TesseraSigninDialog  *self,
                                                        const char           *url);
void                 tessera_signin_dialog_set_username (TesseraSigninDialog *self,
                                                        const char           *username);
void                 tessera_signin_dialog_submit      (TesseraSigninDialog  *self,
                                                        const char           *password,
                                                        gboolean              create_account);
const char          *tessera_signin_dialog_get_error   (TesseraSigninDialog  *self);
gboolean             tessera_signin_dialog_get_busy    (TesseraSigninDialog  *self);

G_END_DECLS
