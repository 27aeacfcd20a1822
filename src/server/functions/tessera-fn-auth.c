/* tessera-fn-auth.c: sign up, sign in, refresh, sign out, the JWKS
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-api"

#include "config.h"

#include "tessera-api-private.h"
#include "tessera-error.h"
#include "tessera-json.h"

static TesseraResponse *
tokens_response (TesseraTokens *tokens)
{
  g_autoptr(JsonObject) object = json_object_new ();

  json_object_set_string_member (object, "token", tokens->token);
  json_object_set_string_member (object, "refreshToken", tokens->refresh_token);
  json_object_set_int_member (object, "expiresIn", tokens->expires_in);

  return _tessera_response_new_object (201, object);
}

/* Reads the two required strings of a credentials body. */
static gboolean
parse_credentials (TesseraApi      *api,
                   TesseraRequest  *request,
                   JsonObject     **object,
                   const char     **username,
                   const char     **password,
                   GError         **error)
{
  g_autoptr(JsonObject) body = _tessera_api_parse_body (api, request, error);

  if (body == NULL ||
      !tessera_json_get_string (body, "username", TRUE, username, error) ||
      !tessera_json_get_string (body, "password", TRUE, password, error))
    return FALSE;

  *object = g_steal_pointer (&body);
  return TRUE;
}

TesseraResponse *
_tessera_fn_signup (TesseraApi      *api,
                    TesseraRequest  *request,
                    const char      *id,
                    GError         **error)
{
  g_autoptr(JsonObject) body = NULL;
  const char *username;
  const char *password;

  if (!parse_credentials (api, request, &body, &username, &password, error))
    return NULL;

  if (!tessera_user_pool_sign_up (api->user_pool, username, password, error))
    return NULL;

  return _tessera_response_new_message (201, "User created");
}

TesseraResponse *
_tessera_fn_signin (TesseraApi      *api,
                    TesseraRequest  *request,
                    const char      *id,
                    GError         **error)
{
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(TesseraTokens) tokens = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *username;
  const char *password;
  gint64 retry_after = 0;

  if (!parse_credentials (api, request, &body, &username, &password, error))
    return NULL;

  tokens = tessera_user_pool_initiate_auth (api->user_pool, username, password,
                                            request->source_ip, &retry_after,
                                            &local_error);
  if (tokens == NULL)
    {
      TesseraResponse *response = tessera_response_new_error (local_error);

      if (g_error_matches (local_error, TESSERA_ERROR, TESSERA_ERROR_RATE_LIMITED))
        {
          g_autofree char *seconds = g_strdup_printf ("%" G_GINT64_FORMAT, MAX (retry_after, 1));
          tessera_response_add_header (response, "Retry-After", seconds);
        }
      return response;
    }

  return tokens_response (tokens);
}

TesseraResponse *
_tessera_fn_refresh (TesseraApi      *api,
                     TesseraRequest  *request,
                     const char      *id,
                     GError         **error)
{
  g_autoptr(JsonObject) body = _tessera_api_parse_body (api, request, error);
  g_autoptr(TesseraTokens) tokens = NULL;
  const char *refresh_token;

  if (body == NULL ||
      !tessera_json_get_string (body, "refreshToken", TRUE, &refresh_token, error))
    return NULL;

  tokens = tessera_user_pool_refresh (api->user_pool, refresh_token, error);
  if (tokens == NULL)
    return NULL;

  return tokens_response (tokens);
}

TesseraResponse *
_tessera_fn_signout (TesseraApi      *api,
                     TesseraRequest  *request,
                     const char      *id,
                     GError         **error)
{
  g_autoptr(JsonObject) body = _tessera_api_parse_body (api, request, error);
  const char *refresh_token;

  if (body == NULL ||
      !tessera_json_get_string (body, "refreshToken", TRUE, &refresh_token, error))
    return NULL;

  if (!tessera_user_pool_revoke (api->user_pool, request->sub, refresh_token, error))
    return NULL;

  return _tessera_response_new_message (200, "Signed out");
}

TesseraResponse *
_tessera_fn_jwks (TesseraApi      *api,
                  TesseraRequest  *request,
                  const char      *id,
                  GError         **error)
{
  TesseraResponse *response;
  char *jwks;

  jwks = tessera_user_pool_dup_jwks (api->user_pool, error);
  if (jwks == NULL)
    return NULL;

  /* Public keys: verifiers may keep them a while. */
  response = tessera_response_new (200, jwks);
  tessera_response_add_header (response, "Cache-Control", "public, max-age=300");
  return response;
}
