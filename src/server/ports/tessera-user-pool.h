/* tessera-user-pool.h: accounts and tokens (the local user pool, or Cognito)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define TESSERA_TYPE_USER_POOL (tessera_user_pool_get_type ())

G_DECLARE_INTERFACE (TesseraUserPool, tessera_user_pool, TESSERA, USER_POOL, GObject)

typedef struct
{
  char   *token;           /* the ID token, a JWT */
  char   *refresh_token;   /* opaque */
  gint64  expires_in;      /* seconds */
} TesseraTokens;

void tessera_tokens_free (TesseraTokens *tokens);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TesseraTokens, tessera_tokens_free)

struct _TesseraUserPoolInterface
{
  GTypeInterface parent_iface;

  gboolean       (*sign_up)       (TesseraUserPool  *self,
                                   const char       *username,
                                   const char       *password,
                                   GError          **error);
  TesseraTokens *(*initiate_auth) (TesseraUserPool  *self,
                                   const char       *username,
                                   const char       *password,
                                   const char       *source_ip,
                                   gint64           *retry_after,
                                   GError          **error);
  TesseraTokens *(*refresh)       (TesseraUserPool  *self,
                                   const char       *refresh_token,
                                   GError          **error);
  gboolean       (*revoke)        (TesseraUserPool  *self,
                                   const char       *sub,
                                   const char       *refresh_token,
                                   GError          **error);
  char          *(*dup_jwks)      (TesseraUserPool  *self,
                                   GError          **error);
};

/* TESSERA_ERROR_CONFLICT when the name is taken, TESSERA_ERROR_INVALID for a
 * name or password the pool refuses (the message says why). */
gboolean       tessera_user_pool_sign_up       (TesseraUserPool  *self,
                                                const char       *username,
                                                const char       *password,
                                                GError          **error);
/* TESSERA_ERROR_UNAUTHORIZED for a wrong name or password (the same message
 * for both), TESSERA_ERROR_RATE_LIMITED with @retry_after in seconds. */
TesseraTokens *tessera_user_pool_initiate_auth (TesseraUserPool  *self,
                                                const char       *username,
                                                const char       *password,
                                                const char       *source_ip,
                                                gint64           *retry_after,
                                                GError          **error);
/* Rotates: the returned refresh token replaces @refresh_token, which stops
 * working. TESSERA_ERROR_UNAUTHORIZED when it is unknown, revoked or expired. */
TesseraTokens *tessera_user_pool_refresh       (TesseraUserPool  *self,
                                                const char       *refresh_token,
                                                GError          **error);
/* Revokes @refresh_token, which must belong to @sub. */
gboolean       tessera_user_pool_revoke        (TesseraUserPool  *self,
                                                const char       *sub,
                                                const char       *refresh_token,
                                                GError          **error);
/* Returns (transfer full): the JSON Web Key Set that verifies the tokens. */
char          *tessera_user_pool_dup_jwks      (TesseraUserPool  *self,
                                                GError          **error);

G_END_DECLS
