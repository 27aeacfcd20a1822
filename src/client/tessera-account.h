/* tessera-account.h: which server and user, and the refresh token in the keyring
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define TESSERA_TYPE_ACCOUNT (tessera_account_get_type ())

G_DECLARE_FINAL_TYPE (TesseraAccount, tessera_account, TESSERA, ACCOUNT, GObject)

TesseraAccount *tessera_account_new                (void);
const char     *tessera_account_get_config_path    (TesseraAccount       *self);
gboolean        tessera_account_load               (TesseraAccount       *self,
                                                    GError              **error);
gboolean        tessera_account_save               (TesseraAccount       *self,
                                                    GError              **error);
const char     *tessera_account_get_server_url     (TesseraAccount       *self);
void            tessera_account_set_server_url     (TesseraAccount       *self,
                                                    const char           *server_url);
const char     *tessera_account_get_username       (TesseraAccount       *self);
void            tessera_account_set_username       (TesseraAccount       *self,
                                                    const char           *username);
gboolean        tessera_account_get_uses_keyring   (TesseraAccount       *self);

gboolean        tessera_account_store_token        (TesseraAccount       *self,
                                                    const char           *refresh_token,
                                                    GCancellable         *cancellable,
                                                    GError              **error);
char           *tessera_account_lookup_token       (TesseraAccount       *self,
                                                    GCancellable         *cancellable,
                                                    GError              **error);
gboolean        tessera_account_clear_token        (TesseraAccount       *self,
                                                    GCancellable         *cancellable,
                                                    GError              **error);

void            tessera_account_store_token_async  (TesseraAccount       *self,
                                                    const char           *refresh_token,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean        tessera_account_store_token_finish (TesseraAccount       *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);
void            tessera_account_lookup_token_async (TesseraAccount       *self,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
char           *tessera_account_lookup_token_finish (TesseraAccount      *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);
void            tessera_account_clear_token_async  (TesseraAccount       *self,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean        tessera_account_clear_token_finish (TesseraAccount       *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);

G_END_DECLS
