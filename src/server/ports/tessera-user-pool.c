/* tessera-user-pool.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-ports"

#include "config.h"

#include <string.h>

#include "tessera-user-pool.h"

G_DEFINE_INTERFACE (TesseraUserPool, tessera_user_pool, G_TYPE_OBJECT)

static void
tessera_user_pool_default_init (TesseraUserPoolInterface *iface)
{
}

#define IFACE(self) TESSERA_USER_POOL_GET_IFACE (self)

void
tessera_tokens_free (TesseraTokens *tokens)
{
  if (tokens == NULL)
    return;

  g_free (tokens->token);
  if (tokens->refresh_token != NULL)
    memset (tokens->refresh_token, 0, strlen (tokens->refresh_token));
  g_free (tokens->refresh_token);
  g_free (tokens);
}

gboolean
tessera_user_pool_sign_up (TesseraUserPool  *self,
                           const char       *username,
                           const char       *password,
                           GError          **error)
{
  g_return_val_if_fail (TESSERA_IS_USER_POOL (self), FALSE);
  g_return_val_if_fail (username != NULL && password != NULL, FALSE);

  return IFACE (self)->sign_up (self, username, password, error);
}

TesseraTokens *
tessera_user_pool_initiate_auth (TesseraUserPool  *self,
                                 const char       *username,
                                 const char       *password,
                                 const char       *source_ip,
                                 gint64           *retry_after,
                                 GError          **error)
{
  gint64 dummy = 0;

  g_return_val_if_fail (TESSERA_IS_USER_POOL (self), NULL);
  g_return_val_if_fail (username != NULL && password != NULL, NULL);

  return IFACE (self)->initiate_auth (self, username, password, source_ip,
                                      retry_after ? retry_after : &dummy, error);
}

TesseraTokens *
tessera_user_pool_refresh (TesseraUserPool  *self,
                           const char       *refresh_token,
                           GError          **error)
{
  g_return_val_if_fail (TESSERA_IS_USER_POOL (self), NULL);
  g_return_val_if_fail (refresh_token != NULL, NULL);

  return IFACE (self)->refresh (self, refresh_token, error);
}

gboolean
tessera_user_pool_revoke (TesseraUserPool  *self,
                          const char       *sub,
                          const char       *refresh_token,
                          GError          **error)
{
  g_return_val_if_fail (TESSERA_IS_USER_POOL (self), FALSE);
  g_return_val_if_fail (sub != NULL && refresh_token != NULL, FALSE);

  return IFACE (self)->revoke (self, sub, refresh_token, error);
}

char *
tessera_user_pool_dup_jwks (TesseraUserPool  *self,
                            GError          **error)
{
  g_return_val_if_fail (TESSERA_IS_USER_POOL (self), NULL);

  return IFACE (self)->dup_jwks (self, error);
}
