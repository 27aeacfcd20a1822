/* tessera-local-user-pool.h: Cognito, locally (accounts in SQLite, Argon2id
 * passwords, RS256 ID tokens, rotating refresh tokens, sign-in rate limits)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "tessera-local-db.h"
#include "tessera-user-pool.h"

G_BEGIN_DECLS

typedef struct
{
  gint64  id_token_lifetime;        /* seconds, 3600 */
  gint64  refresh_token_lifetime;   /* seconds, 30 days */
  guint   max_failures;             /* per username per window, 5 */
  guint   max_failures_per_address; /* per source address per window, 20 */
  gint64  failure_window;           /* seconds, 300 */
  char   *issuer;                   /* the `iss` claim: the server's public URL */
  char   *client_id;                /* the `aud` claim, "tessera" */
} TesseraLocalUserPoolSettings;

void tessera_local_user_pool_settings_init_defaults (TesseraLocalUserPoolSettings *settings);
void tessera_local_user_pool_settings_clear         (TesseraLocalUserPoolSettings *settings);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (TesseraLocalUserPoolSettings, tessera_local_user_pool_settings_clear)

#define TESSERA_TYPE_LOCAL_USER_POOL (tessera_local_user_pool_get_type ())

G_DECLARE_FINAL_TYPE (TesseraLocalUserPool, tessera_local_user_pool, TESSERA, LOCAL_USER_POOL, GObject)

TesseraLocalUserPool *tessera_local_user_pool_new    (TesseraLocalDb                     *db,
                                                      const char                         *key_path,
                                                      const TesseraLocalUserPoolSettings *settings,
                                                      GError                            **error);
gboolean              tessera_local_user_pool_verify (TesseraLocalUserPool               *self,
                                                      const char                         *token,
                                                      char                              **sub,
                                                      char                              **username,
                                                      GError                            **error);

G_END_DECLS
