/* tessera-api.c: requests, responses and the router
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-api"

#include "config.h"

#include <string.h>

#include "tessera-api-private.h"
#include "tessera-error.h"
#include "tessera-json.h"

#define ALLOW_HEADERS "Authorization, Content-Type"
#define ALLOW_METHODS "GET, POST, PATCH, DELETE, OPTIONS"
#define MAX_BODY_DEPTH 32

/**
 * tessera_api_settings_init_defaults:
 * @settings: the settings to fill
 *
 * Fills @settings with the defaults the design names.
 */
void
tessera_api_settings_init_defaults (TesseraApiSettings *settings)
{
  g_return_if_fail (settings != NULL);

  settings->max_upload_size = 50 * 1024 * 1024;
  settings->upload_expires = 15 * 60;
  settings->url_expires = 60 * 60;
  settings->max_pixels = 100000000;
  settings->trash_retention_ms = (gint64) 30 * 24 * 60 * 60 * 1000;
  settings->max_body_size = 64 * 1024;
  settings->tag_threshold = 0.5;
  settings->debug_delay_ms = 0;
}

/* Requests */

/**
 * tessera_request_new:
 * @method: the HTTP method
 * @path: the decoded path, without the query
 *
 * Returns: (transfer full): a request with empty query and header tables
 */
TesseraRequest *
tessera_request_new (const char *method,
                     const char *path)
{
  TesseraRequest *request;

  g_return_val_if_fail (method != NULL, NULL);
  g_return_val_if_fail (path != NULL, NULL);

  request = g_new0 (TesseraRequest, 1);
  request->method = g_strdup (method);
  request->path = g_strdup (path);
  request->query = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  request->headers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  return request;
}

void
tessera_request_free (TesseraRequest *request)
{
  if (request == NULL)
    return;

  g_free (request->method);
  g_free (request->path);
  g_clear_pointer (&request->query, g_hash_table_unref);
  g_clear_pointer (&request->headers, g_hash_table_unref);
  g_clear_pointer (&request->body, g_bytes_unref);
  g_free (request->source_ip);
  g_free (request->sub);
  g_free (request->username);
  g_free (request->auth_error);
  g_free (request);
}

/**
 * tessera_request_get_header:
 * @name: a header name, in any case
 *
 * Returns: (nullable): the header's value
 */
const char *
tessera_request_get_header (TesseraRequest *request,
                            const char     *name)
{
  g_autofree char *lower = NULL;

  g_return_val_if_fail (request != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  if (request->headers == NULL)
    return NULL;

  lower = g_ascii_strdown (name, -1);
  return g_hash_table_lookup (request->headers, lower);
}

const char *
_tessera_request_get_query (TesseraRequest *request,
                            const char     *name)
{
  return request->query ? g_hash_table_lookup (request->query, name) : NULL;
}

gboolean
_tessera_request_get_boolean (TesseraRequest  *request,
                              const char      *name,
                              gboolean         default_value,
                              gboolean        *value,
                              GError         **error)
{
  const char *text = _tessera_request_get_query (request, name);

  *value = default_value;
  if (text == NULL)
    return TRUE;

  if (g_strcmp0 (text, "true") == 0)
    *value = TRUE;
  else if (g_strcmp0 (text, "false") == 0)
    *value = FALSE;
  else
    {
      g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                   "Parameter “%s” must be true or false", name);
      return FALSE;
    }

  return TRUE;
}

/* json-glib's parser recurses once per nesting level: 64 KiB of `[` would
 * exhaust a worker thread's stack. No request of ours nests deeper than 3. */
static gboolean
nests_deeper_than (const char *data,
                   gsize       size,
                   guint       limit)
{
  gboolean in_string = FALSE;
  guint depth = 0;

  for (gsize i = 0; i < size; i++)
    {
      char c = data[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
        }
      else if (c == '"')
        in_string = TRUE;
      else if (c == '[' || c == '{')
        {
          if (++depth > limit)
            return TRUE;
        }
      else if ((c == ']' || c == '}') && depth > 0)
        depth--;
    }

  return FALSE;
}

JsonObject *
_tessera_api_parse_body (TesseraApi      *api,
                         TesseraRequest  *request,
                         GError         **error)
{
  gconstpointer data = NULL;
  gsize size = 0;

  if (request->body != NULL)
    data = g_bytes_get_data (request->body, &size);

  if (size > api->settings.max_body_size)
    {
      g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_TOO_LARGE,
                   "The request body is larger than %" G_GSIZE_FORMAT " bytes",
                   api->settings.max_body_size);
      return NULL;
    }

  if (nests_deeper_than (data, size, MAX_BODY_DEPTH))
    {
      g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                   "The request body nests deeper than %d levels", MAX_BODY_DEPTH);
      return NULL;
    }

  return tessera_json_parse_object (data, size, error);
}

/* Responses */

/**
 * tessera_response_new:
 * @status: the HTTP status
 * @body: (transfer full) (nullable): JSON text
 *
 * Returns: (transfer full): a response with no headers yet
 */
TesseraResponse *
tessera_response_new (guint  status,
                      char  *body)
{
  TesseraResponse *response = g_new0 (TesseraResponse, 1);

  response->status = status;
  response->headers = g_ptr_array_new_with_free_func (g_free);
  response->body = body;

  return response;
}

TesseraResponse *
_tessera_response_new_object (guint       status,
                              JsonObject *object)
{
  return tessera_response_new (status, tessera_json_object_to_string (object));
}

TesseraResponse *
_tessera_response_new_message (guint       status,
                               const char *message)
{
  return tessera_response_new (status, tessera_json_message (message));
}

/**
 * tessera_response_new_error:
 * @error: what went wrong
 *
 * Turns @error into `{"message"}` with the status of its code. An error that
 * is not the client's (INTERNAL, or any other domain) is logged with its
 * details and answered with a generic message, so no internals leak.
 *
 * Returns: (transfer full): the response
 */
TesseraResponse *
tessera_response_new_error (const GError *error)
{
  TesseraResponse *response;
  guint status;

  g_return_val_if_fail (error != NULL, NULL);

  status = tessera_error_to_http_status (error);

  if (status == 500)
    {
      g_warning ("Internal error: %s (%s %d)",
                 error->message, g_quark_to_string (error->domain), error->code);
      return _tessera_response_new_message (500, "Internal server error");
    }

  if (status == 503)
    {
      g_message ("Unavailable: %s", error->message);
      response = _tessera_response_new_message (503, "The service is busy, try again");
      tessera_response_add_header (response, "Retry-After", "1");
      return response;
    }

  response = _tessera_response_new_message (status, error->message);
  if (status == 401)
    tessera_response_add_header (response, "WWW-Authenticate", "Bearer realm=\"tessera\"");

  return response;
}

void
tessera_response_add_header (TesseraResponse *response,
                             const char      *name,
                             const char      *value)
{
  g_return_if_fail (response != NULL);
  g_return_if_fail (name != NULL);
  g_return_if_fail (value != NULL);

  g_ptr_array_add (response->headers, g_strdup (name));
  g_ptr_array_add (response->headers, g_strdup (value));
}

void
tessera_response_free (TesseraResponse *response)
{
  if (response == NULL)
    return;

  g_clear_pointer (&response->headers, g_ptr_array_unref);
  g_free (response->body);
  g_free (response);
}

static gboolean
has_header (TesseraResponse *response,
            const char      *name)
{
  for (guint i = 0; i + 1 < response->headers->len; i += 2)
    if (g_ascii_strcasecmp (g_ptr_array_index (response->headers, i), name) == 0)
      return TRUE;

  return FALSE;
}

/* The router */

typedef struct
{
  const char     *method;
  TesseraApiFunc  func;
  gboolean        needs_auth;
} Handler;

typedef struct
{
  const char *pattern;        /* "{id}" matches one non-empty segment */
  const char *allow;          /* for 405's Allow */
  Handler     handlers[3];
} Route;

static const Route routes[] = {
  { "/signup", "POST, OPTIONS", {
      { "POST", _tessera_fn_signup, FALSE } } },
  { "/signin", "POST, OPTIONS", {
      { "POST", _tessera_fn_signin, FALSE } } },
  { "/refresh", "POST, OPTIONS", {
      { "POST", _tessera_fn_refresh, FALSE } } },
  { "/signout", "POST, OPTIONS", {
      { "POST", _tessera_fn_signout, TRUE } } },
  { "/.well-known/jwks.json", "GET, OPTIONS", {
      { "GET", _tessera_fn_jwks, FALSE } } },
  { "/images", "GET, POST, OPTIONS", {
      { "GET", _tessera_fn_list_images, TRUE },
      { "POST", _tessera_fn_create_image, TRUE } } },
  { "/images/{id}", "GET, PATCH, DELETE, OPTIONS", {
      { "GET", _tessera_fn_get_image, TRUE },
      { "PATCH", _tessera_fn_patch_image, TRUE },
      { "DELETE", _tessera_fn_delete_image, TRUE } } },
  { "/images/{id}/restore", "POST, OPTIONS", {
      { "POST", _tessera_fn_restore_image, TRUE } } },
  { "/tags", "GET, OPTIONS", {
      { "GET", _tessera_fn_list_tags, TRUE } } },
};

/* Matches @path against @pattern; on a match, *id is the `{id}` segment (or
 * NULL when the pattern has none). */
static gboolean
route_matches (const char  *pattern,
               const char  *path,
               char       **id)
{
  g_auto(GStrv) want = g_strsplit (pattern, "/", -1);
  g_auto(GStrv) have = g_strsplit (path, "/", -1);
  g_autofree char *found = NULL;

  g_assert (id != NULL);

  if (g_strv_length (want) != g_strv_length (have))
    return FALSE;

  for (guint i = 0; want[i] != NULL; i++)
    {
      if (g_str_equal (want[i], "{id}"))
        {
          if (*have[i] == '\0')
            return FALSE;
          g_free (found);
          found = g_strdup (have[i]);
        }
      else if (!g_str_equal (want[i], have[i]))
        return FALSE;
    }

  *id = g_steal_pointer (&found);
  return TRUE;
}

static TesseraResponse *
unauthorized (TesseraRequest *request)
{
  TesseraResponse *response;

  response = _tessera_response_new_message (401, request->auth_error ? request->auth_error
                                                                      : "Missing token");
  tessera_response_add_header (response, "WWW-Authenticate",
                               request->auth_error ? "Bearer realm=\"tessera\", error=\"invalid_token\""
                                                   : "Bearer realm=\"tessera\"");
  return response;
}

static TesseraResponse *
route (TesseraApi     *api,
       TesseraRequest *request)
{
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (routes); i++)
    {
      const Route *r = &routes[i];
      g_autofree char *id = NULL;
      TesseraResponse *response;

      if (!route_matches (r->pattern, request->path, &id))
        continue;

      if (g_str_equal (request->method, "OPTIONS"))
        {
          response = tessera_response_new (204, NULL);
          tessera_response_add_header (response, "Access-Control-Max-Age", "600");
          return response;
        }

      for (guint j = 0; j < G_N_ELEMENTS (r->handlers) && r->handlers[j].method; j++)
        {
          const Handler *h = &r->handlers[j];

          if (!g_str_equal (h->method, request->method))
            continue;

          if (h->needs_auth && request->sub == NULL)
            return unauthorized (request);

          response = h->func (api, request, id, &error);
          if (response == NULL)
            {
              g_assert (error != NULL);
              response = tessera_response_new_error (error);
            }
          return response;
        }

      response = _tessera_response_new_message (405, "Method not allowed");
      tessera_response_add_header (response, "Allow", r->allow);
      return response;
    }

  if (g_str_equal (request->method, "OPTIONS"))
    return tessera_response_new (204, NULL);

  return _tessera_response_new_message (404, "Not found");
}

/**
 * tessera_api_handle:
 * @api: the API and its ports
 * @request: the request, with the authorizer's claims filled in
 *
 * Routes @request to its function.
 *
 * Returns: (transfer full): the response; never %NULL
 */
TesseraResponse *
tessera_api_handle (TesseraApi     *api,
                    TesseraRequest *request)
{
  TesseraResponse *response;

  g_return_val_if_fail (api != NULL, NULL);
  g_return_val_if_fail (request != NULL, NULL);
  g_return_val_if_fail (request->method != NULL, NULL);
  g_return_val_if_fail (request->path != NULL, NULL);

  response = route (api, request);

  tessera_response_add_header (response, "Access-Control-Allow-Origin", "*");
  tessera_response_add_header (response, "Access-Control-Allow-Headers", ALLOW_HEADERS);
  tessera_response_add_header (response, "Access-Control-Allow-Methods", ALLOW_METHODS);
  /* A browser client hides other headers from scripts; these two say when
   * to retry and why a token failed. */
  tessera_response_add_header (response, "Access-Control-Expose-Headers", "Retry-After, WWW-Authenticate");
  tessera_response_add_header (response, "Content-Type", "application/json");
  /* Bodies hold tokens and pre-signed URLs: no cache keeps them, unless
   * the function said otherwise (the JWKS). */
  if (!has_header (response, "Cache-Control"))
    tessera_response_add_header (response, "Cache-Control", "no-store");

  g_debug ("%s %s -> %u (sub %s)",
           request->method, request->path, response->status,
           request->sub ? request->sub : "none");

  return response;
}
