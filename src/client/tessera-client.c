/* tessera-client.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-client"

#include "config.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#include "tessera-client.h"
#include "tessera-util.h"
#include "tessera-multipart-stream.h"

#define DEFAULT_MAX_RETRIES 3
#define BACKOFF_BASE_MS     200
#define BACKOFF_CAP_MS      5000

/* Errors carry the HTTP status and the server's Retry-After alongside the
 * message, so that a caller can wait as long as the server asked. */
typedef struct
{
  guint status;
  guint retry_after;
} TesseraClientErrorPrivate;

static void
tessera_client_error_private_init (TesseraClientErrorPrivate *priv)
{
}

static void
tessera_client_error_private_copy (const TesseraClientErrorPrivate *src,
                                   TesseraClientErrorPrivate       *dest)
{
  *dest = *src;
}

static void
tessera_client_error_private_clear (TesseraClientErrorPrivate *priv)
{
}

G_DEFINE_EXTENDED_ERROR (TesseraClientError, tessera_client_error)

/**
 * tessera_client_error_get_retry_after:
 * @error: an error of the %TESSERA_CLIENT_ERROR domain
 *
 * Returns: the seconds the server asked to wait (Retry-After), or 0
 */
guint
tessera_client_error_get_retry_after (const GError *error)
{
  TesseraClientErrorPrivate *priv;

  g_return_val_if_fail (error != NULL, 0);

  if (error->domain != TESSERA_CLIENT_ERROR)
    return 0;
  priv = tessera_client_error_get_private (error);
  return priv ? priv->retry_after : 0;
}

/**
 * tessera_client_error_get_http_status:
 * @error: an error of the %TESSERA_CLIENT_ERROR domain
 *
 * Returns: the HTTP status the server answered, or 0 if none
 */
guint
tessera_client_error_get_http_status (const GError *error)
{
  TesseraClientErrorPrivate *priv;

  g_return_val_if_fail (error != NULL, 0);

  if (error->domain != TESSERA_CLIENT_ERROR)
    return 0;
  priv = tessera_client_error_get_private (error);
  return priv ? priv->status : 0;
}

TesseraTagCount *
tessera_tag_count_copy (const TesseraTagCount *self)
{
  TesseraTagCount *copy = g_new0 (TesseraTagCount, 1);

  copy->name = g_strdup (self->name);
  copy->count = self->count;

  return copy;
}

void
tessera_tag_count_free (TesseraTagCount *self)
{
  if (self == NULL)
    return;
  g_free (self->name);
  g_free (self);
}

G_DEFINE_BOXED_TYPE (TesseraTagCount, tessera_tag_count, tessera_tag_count_copy, tessera_tag_count_free)

struct _TesseraClient
{
  GObject      parent_instance;

  char        *server_url;
  SoupSession *session;

  /* The session: the access token lives in memory only. */
  char        *username;
  char        *token;
  char        *refresh_token;
  gint64       token_expires_at;

  guint        max_retries;

  /* One refresh at a time: requests that meet a 401 while one is under way
   * wait for it rather than spending the (rotating) refresh token twice. */
  GPtrArray   *refresh_waiters;
  gboolean     refreshing;
};

G_DEFINE_FINAL_TYPE (TesseraClient, tessera_client, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_SERVER_URL,
  PROP_SIGNED_IN,
  PROP_USERNAME,
  PROP_MAX_RETRIES,
  N_PROPS
};

enum {
  SESSION_CHANGED,
  SIGNED_OUT,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static GError *
client_error_new (TesseraClientError  code,
                  guint               status,
                  guint               retry_after,
                  const char         *format,
                  ...) G_GNUC_PRINTF (4, 5);

static GError *
client_error_new (TesseraClientError  code,
                  guint               status,
                  guint               retry_after,
                  const char         *format,
                  ...)
{
  TesseraClientErrorPrivate *priv;
  g_autofree char *message = NULL;
  GError *error;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  error = g_error_new_literal (TESSERA_CLIENT_ERROR, code, message);
  priv = tessera_client_error_get_private (error);
  priv->status = status;
  priv->retry_after = retry_after;

  return error;
}

static GError *
cancelled_error (void)
{
  return client_error_new (TESSERA_CLIENT_ERROR_CANCELLED, 0, 0, "Cancelled");
}

static GError *
error_from_io (TesseraClient *self,
               const GError  *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return cancelled_error ();

  return client_error_new (TESSERA_CLIENT_ERROR_OFFLINE, 0, 0,
                           "Could not reach the server at %s (%s)",
                           self->server_url, error->message);
}

static GError *
error_from_status (guint        status,
                   GBytes      *body,
                   const char  *retry_after_header)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  const char *server_message = NULL;
  guint retry_after = 0;
  TesseraClientError code;
  const char *fallback;

  if (body != NULL && g_bytes_get_size (body) > 0 &&
      json_parser_load_from_data (parser, g_bytes_get_data (body, NULL),
                                  g_bytes_get_size (body), NULL))
    {
      JsonNode *root = json_parser_get_root (parser);

      if (root && JSON_NODE_HOLDS_OBJECT (root))
        server_message = json_object_get_string_member_with_default (json_node_get_object (root),
                                                                     "message", NULL);
    }

  if (retry_after_header != NULL)
    retry_after = (guint) MIN (g_ascii_strtoull (retry_after_header, NULL, 10), 86400);

  switch (status)
    {
    case 400:
    case 422:
      code = TESSERA_CLIENT_ERROR_INVALID;
      fallback = "The server did not accept the request";
      break;
    case 401:
      code = TESSERA_CLIENT_ERROR_UNAUTHORIZED;
      fallback = "You are not signed in";
      break;
    case 403:
      code = TESSERA_CLIENT_ERROR_FORBIDDEN;
      fallback = "The server refused the request";
      break;
    case 404:
      code = TESSERA_CLIENT_ERROR_NOT_FOUND;
      fallback = "Not found";
      break;
    case 409:
      code = TESSERA_CLIENT_ERROR_CONFLICT;
      fallback = "It already exists";
      break;
    case 413:
      code = TESSERA_CLIENT_ERROR_TOO_LARGE;
      fallback = "The file is too large for the server";
      break;
    case 415:
      code = TESSERA_CLIENT_ERROR_UNSUPPORTED;
      fallback = "The server does not accept this kind of file";
      break;
    case 429:
      code = TESSERA_CLIENT_ERROR_RATE_LIMITED;
      fallback = "Too many requests; try again later";
      break;
    default:
      if (status >= 400 && status < 500)
        {
          code = TESSERA_CLIENT_ERROR_INVALID;
          fallback = "The server did not accept the request";
        }
      else
        {
          code = TESSERA_CLIENT_ERROR_SERVER;
          fallback = "The server failed to answer";
        }
      break;
    }

  if (code == TESSERA_CLIENT_ERROR_RATE_LIMITED && retry_after > 0)
    return client_error_new (code, status, retry_after, "%s (try again in %u s)",
                             server_message ? server_message : fallback, retry_after);

  if (code == TESSERA_CLIENT_ERROR_SERVER)
    return client_error_new (code, status, retry_after, "%s (HTTP %u)",
                             server_message ? server_message : fallback, status);

  return client_error_new (code, status, retry_after, "%s",
                           server_message ? server_message : fallback);
}

static GError *
error_from_message (SoupMessage *message,
                    GBytes      *body)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (message);

  return error_from_status (soup_message_get_status (message), body,
                            soup_message_headers_get_one (headers, "Retry-After"));
}

static void
tessera_client_dispose (GObject *object)
{
  TesseraClient *self = (TesseraClient *)object;

  if (self->session != NULL)
    soup_session_abort (self->session);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (tessera_client_parent_class)->dispose (object);
}

static void
tessera_client_finalize (GObject *object)
{
  TesseraClient *self = (TesseraClient *)object;

  g_clear_pointer (&self->server_url, g_free);
  g_clear_pointer (&self->username, g_free);
  g_clear_pointer (&self->token, g_free);
  g_clear_pointer (&self->refresh_token, g_free);
  g_clear_pointer (&self->refresh_waiters, g_ptr_array_unref);

  G_OBJECT_CLASS (tessera_client_parent_class)->finalize (object);
}

static void
tessera_client_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  TesseraClient *self = TESSERA_CLIENT (object);

  switch (prop_id)
    {
    case PROP_SERVER_URL:
      g_value_set_string (value, self->server_url);
      break;
    case PROP_SIGNED_IN:
      g_value_set_boolean (value, tessera_client_get_signed_in (self));
      break;
    case PROP_USERNAME:
      g_value_set_string (value, self->username);
      break;
    case PROP_MAX_RETRIES:
      g_value_set_uint (value, self->max_retries);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_client_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  TesseraClient *self = TESSERA_CLIENT (object);

  switch (prop_id)
    {
    case PROP_SERVER_URL:
      {
        const char *url = g_value_get_string (value);
        gsize len = url ? strlen (url) : 0;

        while (len > 0 && url[len - 1] == '/')
          len--;
        self->server_url = g_strndup (url ? url : "", len);
      }
      break;
    case PROP_MAX_RETRIES:
      tessera_client_set_max_retries (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_client_class_init (TesseraClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tessera_client_dispose;
  object_class->finalize = tessera_client_finalize;
  object_class->get_property = tessera_client_get_property;
  object_class->set_property = tessera_client_set_property;

  /**
   * TesseraClient:server-url:
   *
   * The API's base URL, such as `http://127.0.0.1:8080`.
   */
  properties[PROP_SERVER_URL] =
    g_param_spec_string ("server-url", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * TesseraClient:signed-in:
   *
   * Whether the client holds a session (a refresh token).
   */
  properties[PROP_SIGNED_IN] =
    g_param_spec_boolean ("signed-in", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  properties[PROP_USERNAME] =
    g_param_spec_string ("username", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * TesseraClient:max-retries:
   *
   * How many times an idempotent request is retried after a connection
   * error or a 502/503/504, with exponential backoff and jitter.
   */
  properties[PROP_MAX_RETRIES] =
    g_param_spec_uint ("max-retries", NULL, NULL, 0, 10, DEFAULT_MAX_RETRIES,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * TesseraClient::session-changed:
   *
   * The refresh token changed (sign in, or a refresh that rotated it): the
   * owner should store tessera_client_dup_refresh_token() again.
   */
  signals[SESSION_CHANGED] =
    g_signal_new ("session-changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);

  /**
   * TesseraClient::signed-out:
   * @expired: %TRUE when the server refused to renew the session,
   *   %FALSE when the user signed out
   *
   * The session ended; the owner should forget the stored refresh token.
   */
  signals[SIGNED_OUT] =
    g_signal_new ("signed-out",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_BOOLEAN);
}

static void
tessera_client_init (TesseraClient *self)
{
  self->max_retries = DEFAULT_MAX_RETRIES;
  self->refresh_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  self->session = soup_session_new_with_options ("user-agent", "tessera/" PACKAGE_VERSION,
                                                 "max-conns-per-host", 16,
                                                 NULL);
}

/**
 * tessera_client_new:
 * @server_url: the API's base URL
 *
 * Returns: (transfer full): a new client, signed out
 */
TesseraClient *
tessera_client_new (const char *server_url)
{
  g_return_val_if_fail (server_url != NULL, NULL);

  return g_object_new (TESSERA_TYPE_CLIENT, "server-url", server_url, NULL);
}

const char *
tessera_client_get_server_url (TesseraClient *self)
{
  g_return_val_if_fail (TESSERA_IS_CLIENT (self), NULL);

  return self->server_url;
}

/**
 * tessera_client_get_session:
 *
 * Returns: (transfer none): the #SoupSession the client sends with
 */
SoupSession *
tessera_client_get_session (TesseraClient *self)
{
  g_return_val_if_fail (TESSERA_IS_CLIENT (self), NULL);

  return self->session;
}

gboolean
tessera_client_get_signed_in (TesseraClient *self)
{
  g_return_val_if_fail (TESSERA_IS_CLIENT (self), FALSE);

  return self->refresh_token != NULL;
}

const char *
tessera_client_get_username (TesseraClient *self)
{
  g_return_val_if_fail (TESSERA_IS_CLIENT (self), NULL);

  return self->username;
}

/**
 * tessera_client_dup_refresh_token:
 *
 * Returns: (transfer full) (nullable): the refresh token, for the keyring
 */
char *
tessera_client_dup_refresh_token (TesseraClient *self)
{
  g_return_val_if_fail (TESSERA_IS_CLIENT (self), NULL);

  return g_strdup (self->refresh_token);
}

guint
tessera_client_get_max_retries (TesseraClient *self)
{
  g_return_val_if_fail (TESSERA_IS_CLIENT (self), 0);

  return self->max_retries;
}

void
tessera_client_set_max_retries (TesseraClient *self,
                                guint          max_retries)
{
  g_return_if_fail (TESSERA_IS_CLIENT (self));

  max_retries = MIN (max_retries, 10);
  if (self->max_retries != max_retries)
    {
      self->max_retries = max_retries;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_RETRIES]);
    }
}

static void
set_session_internal (TesseraClient *self,
                      const char    *username,
                      const char    *token,
                      const char    *refresh_token,
                      gint64         expires_in)
{
  gboolean was_signed_in = tessera_client_get_signed_in (self);
  gboolean username_changed = g_strcmp0 (username, self->username) != 0;

  if (username_changed)
    {
      g_free (self->username);
      self->username = g_strdup (username);
    }

  g_free (self->token);
  self->token = g_strdup (token);
  g_free (self->refresh_token);
  self->refresh_token = g_strdup (refresh_token);

  /* Renew a little early when the lifetime allows it, so that a request
   * rarely meets a 401 at all. */
  if (token != NULL && expires_in > 0)
    self->token_expires_at = g_get_monotonic_time ()
                             + (expires_in - (expires_in > 60 ? 30 : 0)) * G_USEC_PER_SEC;
  else
    self->token_expires_at = 0;

  if (username_changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_USERNAME]);
  if (was_signed_in != tessera_client_get_signed_in (self))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SIGNED_IN]);
}

/**
 * tessera_client_set_session:
 * @self: a #TesseraClient
 * @username: (nullable): the user
 * @refresh_token: (nullable): a refresh token from the keyring
 *
 * Restores a session saved earlier: the first request renews the access
 * token with @refresh_token. Emits no signal.
 */
void
tessera_client_set_session (TesseraClient *self,
                            const char    *username,
                            const char    *refresh_token)
{
  g_return_if_fail (TESSERA_IS_CLIENT (self));

  set_session_internal (self, username, NULL, refresh_token, 0);
}

static void
forget_session (TesseraClient *self,
                gboolean       expired)
{
  gboolean was_signed_in = tessera_client_get_signed_in (self);

  set_session_internal (self, expired ? self->username : NULL, NULL, NULL, 0);
  if (was_signed_in)
    g_signal_emit (self, signals[SIGNED_OUT], 0, expired);
}

/**
 * tessera_client_forget_session:
 *
 * Drops the session locally without telling the server, emitting
 * #TesseraClient::signed-out if there was one.
 */
void
tessera_client_forget_session (TesseraClient *self)
{
  g_return_if_fail (TESSERA_IS_CLIENT (self));

  forget_session (self, FALSE);
}

/* libsoup writes the headers and the body of a request separately; with
 * Nagle's algorithm the body then waits for the server's delayed ACK (40 ms
 * on Linux) on every small POST. Send at once, as curl does. */
static void
network_event_cb (SoupMessage        *message,
                  GSocketClientEvent  event,
                  GIOStream          *connection,
                  gpointer            user_data)
{
  GSocket *socket;

  if (event != G_SOCKET_CLIENT_CONNECTED || !G_IS_SOCKET_CONNECTION (connection))
    return;

  socket = g_socket_connection_get_socket (G_SOCKET_CONNECTION (connection));
  if (g_socket_get_family (socket) != G_SOCKET_FAMILY_UNIX)
    g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
}

static SoupMessage *
new_message (const char *method,
             const char *url)
{
  SoupMessage *message = soup_message_new (method, url);

  if (message != NULL)
    g_signal_connect (message, "network-event", G_CALLBACK (network_event_cb), NULL);

  return message;
}

/* Requests ------------------------------------------------------------------ */

typedef enum
{
  REQUEST_AUTH       = 1 << 0,
  REQUEST_IDEMPOTENT = 1 << 1,
  REQUEST_ABSOLUTE   = 1 << 2,
  REQUEST_RAW        = 1 << 3,
} RequestFlags;

/* Turns a 2xx answer into what the route's task returns. */
typedef gpointer (*RequestParseFunc) (GBytes  *body,
                                      guint    status,
                                      GError **error);

typedef struct
{
  char             *method;
  char             *url;
  GBytes           *body;
  RequestFlags      flags;
  guint             attempt;
  gboolean          refreshed;
  SoupMessage      *message;
  /* Set for answers worth a thread (a page of the listing): parsed there,
   * so that a big answer never holds up the main loop. */
  RequestParseFunc  parse;
  GDestroyNotify    parsed_free;
  int               io_priority;
} Request;

static void
request_free (Request *request)
{
  g_clear_pointer (&request->method, g_free);
  g_clear_pointer (&request->url, g_free);
  g_clear_pointer (&request->body, g_bytes_unref);
  g_clear_object (&request->message);
  g_free (request);
}

static void request_send          (GTask *task);
static void ensure_refresh_async  (TesseraClient       *self,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data);

static gboolean
token_is_fresh (TesseraClient *self)
{
  return self->token != NULL &&
         (self->token_expires_at == 0 || g_get_monotonic_time () < self->token_expires_at);
}

/* The end of the backoff: the delay passed or the request was cancelled,
 * whichever came first. Both wake this one callback of one source, which
 * then either completes the task or sends the next attempt. */
static gboolean
request_retry_cb (gpointer user_data)
{
  GTask *task = user_data;

  if (g_cancellable_is_cancelled (g_task_get_cancellable (task)))
    g_task_return_error (task, cancelled_error ());
  else
    request_send (g_object_ref (task));

  return G_SOURCE_REMOVE;
}

static gboolean
request_maybe_retry (GTask *task)
{
  TesseraClient *self = g_task_get_source_object (task);
  Request *request = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  g_autoptr(GSource) source = NULL;
  guint delay;

  if (!(request->flags & REQUEST_IDEMPOTENT) || request->attempt >= self->max_retries)
    return FALSE;

  /* Exponential backoff with jitter: half the step fixed, half random, so
   * that many clients who failed together do not return together. */
  delay = MIN (BACKOFF_BASE_MS << request->attempt, BACKOFF_CAP_MS);
  delay = delay / 2 + g_random_int_range (0, (int) (delay / 2) + 1);
  request->attempt++;

  g_debug ("Retrying %s %s in %u ms (attempt %u)",
           request->method, request->url, delay, request->attempt);

  /* The task's one reference while it waits is this source's: a
   * cancellation dispatches the same source early rather than racing it. */
  source = g_timeout_source_new (delay);
  if (cancellable != NULL)
    {
      g_autoptr(GSource) cancelled = g_cancellable_source_new (cancellable);

      g_source_set_dummy_callback (cancelled);
      g_source_add_child_source (source, cancelled);
    }
  g_source_set_callback (source, request_retry_cb, g_object_ref (task), g_object_unref);
  g_source_attach (source, g_task_get_context (task));

  return TRUE;
}

static void
request_refreshed_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  request_send (g_steal_pointer (&task));
}

/* Every JSON route answers an object, or nothing at all (204): an empty
 * object for no body. */
static JsonObject *
parse_object (GBytes  *body,
              guint    status,
              GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) parse_error = NULL;
  JsonNode *root;

  if (g_bytes_get_size (body) == 0)
    return json_object_new ();

  if (!json_parser_load_from_data (parser, g_bytes_get_data (body, NULL),
                                   g_bytes_get_size (body), &parse_error))
    {
      g_propagate_error (error,
                         client_error_new (TESSERA_CLIENT_ERROR_SERVER, status, 0,
                                           "The server sent a malformed answer (%s)",
                                           parse_error->message));
      return NULL;
    }

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_propagate_error (error,
                         client_error_new (TESSERA_CLIENT_ERROR_SERVER, status, 0,
                                           "The server sent an unexpected answer"));
      return NULL;
    }

  return json_object_ref (json_node_get_object (root));
}

typedef struct
{
  GBytes           *body;
  guint             status;
  RequestParseFunc  parse;
  GDestroyNotify    parsed_free;
} ParseJob;

static void
parse_job_free (ParseJob *job)
{
  g_bytes_unref (job->body);
  g_free (job);
}

static void
parse_thread (GTask        *parse,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  ParseJob *job = task_data;
  GError *error = NULL;
  gpointer result;

  (void) source_object;
  (void) cancellable;

  tessera_thread_set_background ();
  result = job->parse (job->body, job->status, &error);
  if (result == NULL)
    g_task_return_error (parse, error);
  else
    g_task_return_pointer (parse, result, job->parsed_free);
}

static void
parsed_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Request *request = g_task_get_task_data (task);
  GError *error = NULL;
  gpointer parsed;

  (void) object;

  parsed = g_task_propagate_pointer (G_TASK (result), &error);
  if (parsed == NULL)
    g_task_return_error (task, error);
  else if (g_cancellable_is_cancelled (g_task_get_cancellable (task)))
    {
      request->parsed_free (parsed);
      g_task_return_error (task, cancelled_error ());
    }
  else
    g_task_return_pointer (task, parsed, request->parsed_free);
}

/* Completes @task with the answer, parsed as its request says: raw bytes,
 * an object, or (request->parse) whatever that makes of it, in a thread. */
static void
return_answer (GTask  *task,
               guint   status,
               GBytes *body)
{
  Request *request = g_task_get_task_data (task);
  GError *error = NULL;
  JsonObject *object;

  if (request->flags & REQUEST_RAW)
    {
      g_task_return_pointer (task, g_bytes_ref (body), (GDestroyNotify) g_bytes_unref);
    }
  else if (request->parse != NULL)
    {
      g_autoptr(GTask) parse = g_task_new (NULL, NULL, parsed_cb, g_object_ref (task));
      ParseJob *job = g_new0 (ParseJob, 1);

      job->body = g_bytes_ref (body);
      job->status = status;
      job->parse = request->parse;
      job->parsed_free = request->parsed_free;
      g_task_set_task_data (parse, job, (GDestroyNotify) parse_job_free);
      g_task_run_in_thread (parse, parse_thread);
    }
  else if ((object = parse_object (body, status, &error)) != NULL)
    {
      g_task_return_pointer (task, object, (GDestroyNotify) json_object_unref);
    }
  else
    {
      g_task_return_error (task, error);
    }
}

static void
request_sent_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  SoupSession *session = SOUP_SESSION (object);
  g_autoptr(GTask) task = user_data;
  TesseraClient *self = g_task_get_source_object (task);
  Request *request = g_task_get_task_data (task);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  guint status;

  /* Attempts follow one another: this is the answer to the only one in
   * flight, request->message. */
  body = soup_session_send_and_read_finish (session, result, &error);

  if (body == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
          request_maybe_retry (task))
        return;
      g_task_return_error (task, error_from_io (self, error));
      return;
    }

  status = soup_message_get_status (request->message);

  g_debug ("%s %s -> %u", request->method, request->url, status);

  if (status == 401 && (request->flags & REQUEST_AUTH) && !request->refreshed &&
      self->refresh_token != NULL)
    {
      GCancellable *cancellable = g_task_get_cancellable (task);

      /* Not in the same call as g_steal_pointer (&task): the order in which
       * arguments are evaluated is unspecified. */
      request->refreshed = TRUE;
      g_clear_pointer (&self->token, g_free);
      ensure_refresh_async (self, cancellable, request_refreshed_cb, g_steal_pointer (&task));
      return;
    }

  if ((status == 502 || status == 503 || status == 504) && request_maybe_retry (task))
    return;

  if (status >= 200 && status < 300)
    {
      return_answer (task, status, body);
      return;
    }

  if (status == 401 && (request->flags & REQUEST_AUTH))
    {
      /* Refreshing did not help (or there was nothing to refresh with): the
       * session is over. */
      forget_session (self, TRUE);
      g_task_return_error (task,
                           client_error_new (TESSERA_CLIENT_ERROR_UNAUTHORIZED, status, 0,
                                             "Your session has expired; sign in again"));
      return;
    }

  g_task_return_error (task, error_from_message (request->message, body));
}

static void
request_send (GTask *task)
{
  TesseraClient *self = g_task_get_source_object (task);
  Request *request = g_task_get_task_data (task);
  SoupMessageHeaders *headers;

  if (request->flags & REQUEST_AUTH)
    {
      if (self->refresh_token == NULL && self->token == NULL)
        {
          g_task_return_error (task,
                               client_error_new (TESSERA_CLIENT_ERROR_UNAUTHORIZED, 0, 0,
                                                 "You are not signed in"));
          g_object_unref (task);
          return;
        }

      if (!token_is_fresh (self) && self->refresh_token != NULL && !request->refreshed)
        {
          request->refreshed = TRUE;
          ensure_refresh_async (self, g_task_get_cancellable (task), request_refreshed_cb, task);
          return;
        }
    }

  g_clear_object (&request->message);
  request->message = new_message (request->method, request->url);
  if (request->message == NULL)
    {
      g_task_return_error (task,
                           client_error_new (TESSERA_CLIENT_ERROR_INVALID, 0, 0,
                                             "“%s” is not a valid address", request->url));
      g_object_unref (task);
      return;
    }

  headers = soup_message_get_request_headers (request->message);
  if (!(request->flags & REQUEST_RAW))
    soup_message_headers_replace (headers, "Accept", "application/json");
  if ((request->flags & REQUEST_AUTH) && self->token != NULL)
    {
      g_autofree char *value = g_strdup_printf ("Bearer %s", self->token);
      soup_message_headers_replace (headers, "Authorization", value);
    }
  if (request->body != NULL)
    soup_message_set_request_body_from_bytes (request->message, "application/json", request->body);

  soup_session_send_and_read_async (self->session, request->message, request->io_priority,
                                    g_task_get_cancellable (task), request_sent_cb, task);
}

static char *
absolute_url (TesseraClient *self,
              const char    *url)
{
  if (g_str_has_prefix (url, "/"))
    return g_strconcat (self->server_url, url, NULL);

  return g_strdup (url);
}

static GTask *
route_task (TesseraClient       *self,
            gpointer             source_tag,
            GCancellable        *cancellable,
            GAsyncReadyCallback  callback,
            gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_check_cancellable (task, FALSE);

  return task;
}

/* Sends a request with the session, renewing it and retrying as @flags
 * allow. The task, tagged @source_tag, returns the answer's #JsonObject
 * (request_finish()), its #GBytes with %REQUEST_RAW, or what @parse makes
 * of it in a thread. @io_priority is the download's and the completion's.
 * A route's _async only builds the request; its _finish only unpacks the
 * answer. */
static void
request_parsed_async (TesseraClient       *self,
                      const char          *method,
                      const char          *path,
                      JsonObject          *body,
                      RequestFlags         flags,
                      RequestParseFunc     parse,
                      GDestroyNotify       parsed_free,
                      int                  io_priority,
                      gpointer             source_tag,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  GTask *task = route_task (self, source_tag, cancellable, callback, user_data);
  Request *request;

  g_task_set_priority (task, io_priority);
  request = g_new0 (Request, 1);
  request->method = g_strdup (method);
  if (flags & REQUEST_ABSOLUTE)
    request->url = absolute_url (self, path);
  else
    request->url = g_strconcat (self->server_url, path, NULL);
  request->flags = flags;
  request->parse = parse;
  request->parsed_free = parsed_free;
  request->io_priority = io_priority;
  if (body != NULL)
    {
      g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), body);
      char *text = json_to_string (node, FALSE);
      request->body = g_bytes_new_take (text, strlen (text));
    }
  g_task_set_task_data (task, request, (GDestroyNotify) request_free);

  request_send (task);
}

static void
request_async (TesseraClient       *self,
               const char          *method,
               const char          *path,
               JsonObject          *body,
               RequestFlags         flags,
               gpointer             source_tag,
               GCancellable        *cancellable,
               GAsyncReadyCallback  callback,
               gpointer             user_data)
{
  request_parsed_async (self, method, path, body, flags, NULL, NULL, G_PRIORITY_DEFAULT,
                        source_tag, cancellable, callback, user_data);
}

/* Returns: (transfer full): the answer of a JSON request_async() */
static JsonObject *
request_finish (GAsyncResult  *result,
                GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static gboolean
request_finish_boolean (GAsyncResult  *result,
                        GError       **error)
{
  g_autoptr(JsonObject) object = request_finish (result, error);

  return object != NULL;
}

/* Sessions ----------------------------------------------------------------- */

typedef struct
{
  char *username;
} SignIn;

static void
sign_in_free (SignIn *state)
{
  g_free (state->username);
  g_free (state);
}

static gboolean
take_tokens (TesseraClient  *self,
             const char     *username,
             JsonObject     *object,
             GError        **error)
{
  const char *token, *refresh_token;
  gint64 expires_in;

  token = json_object_get_string_member_with_default (object, "token", NULL);
  refresh_token = json_object_get_string_member_with_default (object, "refreshToken", NULL);
  expires_in = json_object_get_int_member_with_default (object, "expiresIn", 0);

  if (token == NULL || refresh_token == NULL)
    {
      g_set_error_literal (error, TESSERA_CLIENT_ERROR, TESSERA_CLIENT_ERROR_SERVER,
                           "The server sent no token");
      return FALSE;
    }

  set_session_internal (self, username, token, refresh_token, expires_in);
  g_signal_emit (self, signals[SESSION_CHANGED], 0);

  return TRUE;
}

static void
sign_in_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  TesseraClient *self = TESSERA_CLIENT (object);
  g_autoptr(GTask) task = user_data;
  SignIn *state = g_task_get_task_data (task);
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(GError) error = NULL;

  answer = request_finish (result, &error);
  if (answer == NULL)
    {
      if (g_error_matches (error, TESSERA_CLIENT_ERROR, TESSERA_CLIENT_ERROR_UNAUTHORIZED))
        {
          g_clear_error (&error);
          error = client_error_new (TESSERA_CLIENT_ERROR_UNAUTHORIZED, 401, 0,
                                    "Wrong user name or password");
        }
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (!take_tokens (self, state->username, answer, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static JsonObject *
credentials (const char *username,
             const char *password)
{
  JsonObject *body = json_object_new ();

  json_object_set_string_member (body, "username", username);
  json_object_set_string_member (body, "password", password);

  return body;
}

/**
 * tessera_client_sign_up_async:
 * @self: a #TesseraClient
 * @username: the new user's name
 * @password: the password; it is sent once and never kept
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: closure
 *
 * Creates an account (POST /signup). It does not sign in.
 */
void
tessera_client_sign_up_async (TesseraClient       *self,
                              const char          *username,
                              const char          *password,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(JsonObject) body = NULL;

  g_return_if_fail (TESSERA_IS_CLIENT (self));
  g_return_if_fail (username != NULL);
  g_return_if_fail (password != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  body = credentials (username, password);
  request_async (self, "POST", "/signup", body, 0, tessera_client_sign_up_async,
                 cancellable, callback, user_data);
}

gboolean
tessera_client_sign_up_finish (TesseraClient  *self,
                               GAsyncResult   *result,
                               GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return request_finish_boolean (result, error);
}

/**
 * tessera_client_sign_in_async:
 * @self: a #TesseraClient
 * @username: the user
 * @password: the password; it is sent once and never kept
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: closure
 *
 * Signs in (POST /signin). On success #TesseraClient:signed-in becomes
 * %TRUE and #TesseraClient::session-changed is emitted.
 */
void
tessera_client_sign_in_async (TesseraClient       *self,
                              const char          *username,
                              const char          *password,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(JsonObject) body = NULL;
  GTask *task;
  SignIn *state;

  g_return_if_fail (TESSERA_IS_CLIENT (self));
  g_return_if_fail (username != NULL);
  g_return_if_fail (password != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = route_task (self, tessera_client_sign_in_async, cancellable, callback, user_data);
  state = g_new0 (SignIn, 1);
  state->username = g_strdup (username);
  g_task_set_task_data (task, state, (GDestroyNotify) sign_in_free);

  body = credentials (username, password);
  request_async (self, "POST", "/signin", body, 0, tessera_client_sign_in_async,
                 cancellable, sign_in_cb, task);
}

gboolean
tessera_client_sign_in_finish (TesseraClient  *self,
                               GAsyncResult   *result,
                               GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
refresh_done_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  TesseraClient *self = TESSERA_CLIENT (object);
  g_autoptr(GPtrArray) waiters = NULL;
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  answer = request_finish (result, &error);
  ok = answer != NULL && take_tokens (self, self->username, answer, &error);

  if (!ok && (g_error_matches (error, TESSERA_CLIENT_ERROR, TESSERA_CLIENT_ERROR_UNAUTHORIZED) ||
              g_error_matches (error, TESSERA_CLIENT_ERROR, TESSERA_CLIENT_ERROR_INVALID) ||
              g_error_matches (error, TESSERA_CLIENT_ERROR, TESSERA_CLIENT_ERROR_FORBIDDEN)))
    {
      g_clear_error (&error);
      error = client_error_new (TESSERA_CLIENT_ERROR_UNAUTHORIZED, 401, 0,
                                "Your session has expired; sign in again");
      forget_session (self, TRUE);
    }

  self->refreshing = FALSE;
  waiters = g_steal_pointer (&self->refresh_waiters);
  self->refresh_waiters = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < waiters->len; i++)
    {
      GTask *waiter = g_ptr_array_index (waiters, i);

      if (ok)
        g_task_return_boolean (waiter, TRUE);
      else
        g_task_return_error (waiter, g_error_copy (error));
    }
}

static void
ensure_refresh_async (TesseraClient       *self,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  GTask *task;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ensure_refresh_async);
  g_task_set_check_cancellable (task, FALSE);

  if (self->refresh_token == NULL)
    {
      g_task_return_error (task,
                           client_error_new (TESSERA_CLIENT_ERROR_UNAUTHORIZED, 0, 0,
                                             "You are not signed in"));
      g_object_unref (task);
      return;
    }

  g_ptr_array_add (self->refresh_waiters, task);

  if (!self->refreshing)
    {
      g_autoptr(JsonObject) body = json_object_new ();

      self->refreshing = TRUE;
      json_object_set_string_member (body, "refreshToken", self->refresh_token);
      /* Not cancellable by any one waiter: the others still need it. */
      request_async (self, "POST", "/refresh", body, 0, ensure_refresh_async,
                     NULL, refresh_done_cb, NULL);
    }
}

/**
 * tessera_client_refresh_async:
 * @self: a #TesseraClient
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: closure
 *
 * Renews the access token now (POST /refresh). Requests do this by
 * themselves when needed; a failure that means the session is over signs
 * out and emits #TesseraClient::signed-out.
 */
void
tessera_client_refresh_async (TesseraClient       *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (TESSERA_IS_CLIENT (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  ensure_refresh_async (self, cancellable, callback, user_data);
}

gboolean
tessera_client_refresh_finish (TesseraClient  *self,
                               GAsyncResult   *result,
                               GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
sign_out_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  TesseraClient *self = TESSERA_CLIENT (object);
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  ok = request_finish_boolean (result, &error);
  forget_session (self, FALSE);

  /* A session the server no longer knows is signed out all the same. */
  if (!ok && !g_error_matches (error, TESSERA_CLIENT_ERROR, TESSERA_CLIENT_ERROR_UNAUTHORIZED))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

/**
 * tessera_client_sign_out_async:
 * @self: a #TesseraClient
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: closure
 *
 * Revokes the refresh token on the server (POST /signout) and forgets the
 * session locally, even when the server cannot be reached (the error then
 * says so).
 */
void
tessera_client_sign_out_async (TesseraClient       *self,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(JsonObject) body = NULL;
  GTask *task;

  g_return_if_fail (TESSERA_IS_CLIENT (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = route_task (self, tessera_client_sign_out_async, cancellable, callback, user_data);

  if (self->refresh_token == NULL)
    {
      forget_session (self, FALSE);
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }

  body = json_object_new ();
  json_object_set_string_member (body, "refreshToken", self->refresh_token);
  request_async (self, "POST", "/signout", body, REQUEST_AUTH, tessera_client_sign_out_async,
                 cancellable, sign_out_cb, task);
}

gboolean
tessera_client_sign_out_finish (TesseraClient  *self,
                                GAsyncResult   *result,
                                GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Images ------------------------------------------------------------------- */

static char *
image_path (const char *image_id,
            const char *suffix)
{
  g_autofree char *escaped = g_uri_escape_string (image_id, NULL, FALSE);

  return g_strconcat ("/images/", escaped, suffix, NULL);
}

/**
 * tessera_client_create_upload_async:
 * @self: a #TesseraClient
 * @filename: (nullable): the file's name
 * @content_type: (nullable): the file's MIME type
 * @size: the file's size, or -1
 * @sha256: (nullable): the file's sha256, hex
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: closure
 *
 * Asks for an upload form (POST /images).
 */
void
tessera_client_create_upload_async (TesseraClient       *self,
                                    const char          *filename,
                                    const char          *content_type,
                                    goffset              size,
                                    const char          *sha256,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(JsonObject) body = json_object_new ();

  g_return_if_fail (TESSERA_IS_CLIENT (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  if (filename != NULL)
    json_object_set_string_member (body, "filename", filename);
  if (content_type != NULL)
    json_object_set_string_member (body, "contentType", content_type);
  if (size >= 0)
    json_object_set_int_member (body, "size", size);
  if (sha256 != NULL)
    json_object_set_string_member (body, "sha256", sha256);

  request_async (self, "POST", "/images", body, REQUEST_AUTH, tessera_client_create_upload_async,
                 cancellable, callback, user_data);
}

/**
 * tessera_client_create_upload_finish:
 * @self: a #TesseraClient
 * @result: the result
 * @duplicate: (out) (optional): set to %TRUE when the server already has
 *   this file (the answer then holds `duplicateOf` and `image`)
 * @error: return location for an error
 *
 * Returns: (transfer full): the server's answer: `imageId` and
 *   `formConfig`, or `duplicateOf`
 */
JsonObject *
tessera_client_create_upload_finish (TesseraClient  *self,
                                     GAsyncResult   *result,
                                     gboolean       *duplicate,
                                     GError        **error)
{
  g_autoptr(JsonObject) object = NULL;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  if (!(object = request_finish (result, error)))
    return NULL;

  if (duplicate != NULL)
    *duplicate = json_object_has_member (object, "duplicateOf");

  if (!json_object_has_member (object, "duplicateOf") &&
      !json_object_has_member (object, "formConfig"))
    {
      g_set_error_literal (error, TESSERA_CLIENT_ERROR, TESSERA_CLIENT_ERROR_SERVER,
                           "The server sent no upload form");
      return NULL;
    }

  return g_steal_pointer (&object);
}

/* A page of the listing, made in a thread from the answer: at 100 images a
 * page, parsing and building the images is tens of milliseconds, a few
 * frames' worth if the main loop did it. */
typedef struct
{
  GPtrArray *images;
  char      *next_cursor;
} Page;

static void
page_free (Page *page)
{
  g_clear_pointer (&page->images, g_ptr_array_unref);
  g_free (page->next_cursor);
  g_free (page);
}

static gpointer
parse_page (GBytes  *body,
            guint    status,
            GError **error)
{
  g_autoptr(JsonObject) object = parse_object (body, status, error);
  Page *page;
  JsonArray *array;

  if (object == NULL)
    return NULL;

  if (!json_object_has_member (object, "images") ||
      !JSON_NODE_HOLDS_ARRAY (json_object_get_member (object, "images")))
    {
      g_set_error_literal (error, TESSERA_CLIENT_ERROR, TESSERA_CLIENT_ERROR_SERVER,
                           "The server sent an unexpected answer");
      return NULL;
    }

  array = json_object_get_array_member (object, "images");
  page = g_new0 (Page, 1);
  page->images = g_ptr_array_new_full (json_array_get_length (array), g_object_unref);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      TesseraImage *image;

      if (JSON_NODE_HOLDS_OBJECT (element) &&
          (image = tessera_image_new_from_json (json_node_get_object (element))))
        g_ptr_array_add (page->images, image);
    }
  page->next_cursor = g_strdup (json_object_get_string_member_with_default (object, "nextCursor", NULL));

  return page;
}

/**
 * tessera_client_list_images_async:
 * @self: a #TesseraClient
 * @query: (nullable): filters and the page
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: closure
 *
 * Lists one page of images, newest first (GET /images).
 */
void
tessera_client_list_images_async (TesseraClient           *self,
                                  const TesseraImageQuery *query,
                                  GCancellable            *cancellable,
                                  GAsyncReadyCallback      callback,
                                  gpointer                 user_data)
{
  g_autoptr(GString) path = g_string_new ("/images");
  char sep = '?';

  g_return_if_fail (TESSERA_IS_CLIENT (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

#define ADD_PARAM(name, value) \
  G_STMT_START { \
    g_autofree char *escaped = g_uri_escape_string ((value), NULL, FALSE); \
    g_string_append_printf (path, "%c%s=%s", sep, (name), escaped); \
    sep = '&'; \
  } G_STMT_END

  if (query != NULL)
    {
      if (query->tags != NULL && query->tags[0] != NULL)
        {
          g_autofree char *joined = g_strjoinv (",", (char **) query->tags);
          ADD_PARAM ("tags", joined);
          if (query->match_any)
            ADD_PARAM ("match", "any");
        }
      if (query->untagged)
        ADD_PARAM ("untagged", "true");
      if (query->trashed)
        ADD_PARAM ("trashed", "true");
      if (query->limit > 0)
        {
          char limit[16];
          g_snprintf (limit, sizeof limit, "%u", query->limit);
          ADD_PARAM ("limit", limit);
        }
      if (query->cursor != NULL)
        ADD_PARAM ("cursor", query->cursor);
    }

#undef ADD_PARAM

  request_parsed_async (self, "GET", path->str, NULL, REQUEST_AUTH | REQUEST_IDEMPOTENT,
                        parse_page, (GDestroyNotify) page_free, G_PRIORITY_DEFAULT,
                        tessera_client_list_images_async, cancellable, callback, user_data);
}

/**
 * tessera_client_list_images_finish:
 * @self: a #TesseraClient
 * @result: the result
 * @next_cursor: (out) (optional) (nullable) (transfer full): the cursor of
 *   the next page, %NULL on the last page
 * @error: return location for an error
 *
 * Returns: (transfer container) (element-type TesseraImage): the page
 */
GPtrArray *
tessera_client_list_images_finish (TesseraClient  *self,
                                   GAsyncResult   *result,
                                   char          **next_cursor,
                                   GError        **error)
{
  Page *page;
  GPtrArray *images;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  if (next_cursor != NULL)
    *next_cursor = NULL;

  if (!(page = g_task_propagate_pointer (G_TASK (result), error)))
    return NULL;

  images = g_steal_pointer (&page->images);
  if (next_cursor != NULL)
    *next_cursor = g_steal_pointer (&page->next_cursor);
  page_free (page);

  return images;
}

static TesseraImage *
image_finish (GAsyncResult  *result,
              GError       **error)
{
  g_autoptr(JsonObject) object = NULL;
  TesseraImage *image;

  if (!(object = request_finish (result, error)))
    return NULL;

  if (!(image = tessera_image_new_from_json (object)))
    g_set_error_literal (error, TESSERA_CLIENT_ERROR, TESSERA_CLIENT_ERROR_SERVER,
                         "The server sent an image without an id");

  return image;
}

/**
 * tessera_client_get_image_async:
 * @self: a #TesseraClient
 * @image_id: the image
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: closure
 *
 * Fetches one image (GET /images/{id}), with fresh URLs.
 */
void
tessera_client_get_image_async (TesseraClient       *self,
                                const char          *image_id,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autofree char *path = NULL;

  g_return_if_fail (TESSERA_IS_CLIENT (self));
  g_return_if_fail (image_id != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  path = image_path (image_id, NULL);
  request_async (self, "GET", path, NULL, REQUEST_AUTH | REQUEST_IDEMPOTENT,
                 tessera_client_get_image_async, cancellable, callback, user_data);
}

/**
 * tessera_client_get_image_finish:
 *
 * Returns: (transfer full): the image
 */
TesseraImage *
tessera_client_get_image_finish (TesseraClient  *self,
                                 GAsyncResult   *result,
                                 GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return image_finish (result, error);
}

static void
add_strv_member (JsonObject         *object,
                 const char         *member,
                 const char * const *values)
{
  JsonArray *array = json_array_new ();

  for (guint i = 0; values != NULL && values[i] != NULL; i++)
    json_array_add_string_element (array, values[i]);
  json_object_set_array_member (object, member, array);
}

/**
 * tessera_client_update_tags_async:
 * @self: a #TesseraClient
 * @image_id: the image
 * @add_tags: (nullable) (array zero-terminated=1): tags to add
 * @remove_tags: (nullable) (array zero-terminated=1): tags to remove
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: closure
 *
 * Changes an image's tags (PATCH /images/{id}). Safe to retry: adding a
 * tag twice or removing a missing one changes nothing.
 */
void
tessera_client_update_tags_async (TesseraClient       *self,
                                  const char          *image_id,
                                  const char * const  *add_tags,
                                  const char * const  *remove_tags,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(JsonObject) body = json_object_new ();
  g_autofree char *path = NULL;

  g_return_if_fail (TESSERA_IS_CLIENT (self));
  g_return_if_fail (image_id != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  add_strv_member (body, "addTags", add_tags);
  add_strv_member (body, "removeTags", remove_tags);
  path = image_path (image_id, NULL);
  request_async (self, "PATCH", path, body, REQUEST_AUTH | REQUEST_IDEMPOTENT,
                 tessera_client_update_tags_async, cancellable, callback, user_data);
}

/**
 * tessera_client_update_tags_finish:
 *
 * Returns: (transfer full): the image as it is now
 */
TesseraImage *
tessera_client_update_tags_finish (TesseraClient  *self,
                                   GAsyncResult   *result,
                                   GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return image_finish (result, error);
}

/**
 * tessera_client_delete_image_async:
 * @self: a #TesseraClient
 * @image_id: the image
 * @permanent: %FALSE to move it to the trash, %TRUE to delete it for good
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: closure
 *
 * Deletes an image (DELETE /images/{id}).
 */
void
tessera_client_delete_image_async (TesseraClient       *self,
                                   const char          *image_id,
                                   gboolean             permanent,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autofree char *path = NULL;

  g_return_if_fail (TESSERA_IS_CLIENT (self));
  g_return_if_fail (image_id != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  path = image_path (image_id, permanent ? "?permanent=true" : NULL);
  request_async (self, "DELETE", path, NULL, REQUEST_AUTH | REQUEST_IDEMPOTENT,
                 tessera_client_delete_image_async, cancellable, callback, user_data);
}

gboolean
tessera_client_delete_image_finish (TesseraClient  *self,
                                    GAsyncResult   *result,
                                    GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return request_finish_boolean (result, error);
}

/**
 * tessera_client_restore_image_async:
 * @self: a #TesseraClient
 * @image_id: the image, in the trash
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: closure
 *
 * Takes an image out of the trash (POST /images/{id}/restore).
 */
void
tessera_client_restore_image_async (TesseraClient       *self,
                                    const char          *image_id,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autofree char *path = NULL;

  g_return_if_fail (TESSERA_IS_CLIENT (self));
  g_return_if_fail (image_id != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  path = image_path (image_id, "/restore");
  request_async (self, "POST", path, NULL, REQUEST_AUTH | REQUEST_IDEMPOTENT,
                 tessera_client_restore_image_async, cancellable, callback, user_data);
}

/**
 * tessera_client_restore_image_finish:
 *
 * Returns: (transfer full): the restored image
 */
TesseraImage *
tessera_client_restore_image_finish (TesseraClient  *self,
                                     GAsyncResult   *result,
                                     GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return image_finish (result, error);
}

/**
 * tessera_client_list_tags_async:
 * @self: a #TesseraClient
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: closure
 *
 * Lists the user's tags with their counts (GET /tags).
 */
void
tessera_client_list_tags_async (TesseraClient       *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_return_if_fail (TESSERA_IS_CLIENT (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  request_async (self, "GET", "/tags", NULL, REQUEST_AUTH | REQUEST_IDEMPOTENT,
                 tessera_client_list_tags_async, cancellable, callback, user_data);
}

/**
 * tessera_client_list_tags_finish:
 *
 * Returns: (transfer container) (element-type TesseraTagCount): the tags
 */
GPtrArray *
tessera_client_list_tags_finish (TesseraClient  *self,
                                 GAsyncResult   *result,
                                 GError        **error)
{
  g_autoptr(JsonObject) object = NULL;
  GPtrArray *tags;
  JsonArray *array;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  if (!(object = request_finish (result, error)))
    return NULL;

  tags = g_ptr_array_new_with_free_func ((GDestroyNotify) tessera_tag_count_free);
  if (json_object_has_member (object, "tags") &&
      JSON_NODE_HOLDS_ARRAY (json_object_get_member (object, "tags")))
    {
      array = json_object_get_array_member (object, "tags");
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *element = json_array_get_element (array, i);
          TesseraTagCount *tag;
          JsonObject *o;

          if (!JSON_NODE_HOLDS_OBJECT (element))
            continue;
          o = json_node_get_object (element);
          if (json_object_get_string_member_with_default (o, "name", NULL) == NULL)
            continue;
          tag = g_new0 (TesseraTagCount, 1);
          tag->name = g_strdup (json_object_get_string_member (o, "name"));
          tag->count = (guint) MAX (0, json_object_get_int_member_with_default (o, "count", 0));
          g_ptr_array_add (tags, tag);
        }
    }

  return tags;
}

/**
 * tessera_client_fetch_async:
 * @self: a #TesseraClient
 * @url: a pre-signed URL from an image (thumbnail, preview, file)
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: closure
 *
 * Downloads a small object into memory, retrying on connection errors.
 */
void
tessera_client_fetch_async (TesseraClient       *self,
                            const char          *url,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_return_if_fail (TESSERA_IS_CLIENT (self));
  g_return_if_fail (url != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  tessera_client_fetch_full_async (self, url, G_PRIORITY_DEFAULT, cancellable, callback, user_data);
}

/**
 * tessera_client_fetch_full_async:
 * @io_priority: the priority of the download and of its completion, e.g.
 *   %G_PRIORITY_DEFAULT_IDLE for thumbnails, which should wait for the
 *   frame being drawn
 *
 * As tessera_client_fetch_async(), at @io_priority; finish it with
 * tessera_client_fetch_finish().
 */
void
tessera_client_fetch_full_async (TesseraClient       *self,
                                 const char          *url,
                                 int                  io_priority,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_return_if_fail (TESSERA_IS_CLIENT (self));
  g_return_if_fail (url != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  request_parsed_async (self, "GET", url, NULL, REQUEST_ABSOLUTE | REQUEST_IDEMPOTENT | REQUEST_RAW,
                        NULL, NULL, io_priority, tessera_client_fetch_async,
                        cancellable, callback, user_data);
}

/**
 * tessera_client_fetch_finish:
 *
 * Returns: (transfer full): the object's bytes
 */
GBytes *
tessera_client_fetch_finish (TesseraClient  *self,
                             GAsyncResult   *result,
                             GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Download to a file --------------------------------------------------------- */

typedef struct
{
  GFile        *destination;
  SoupMessage  *message;
  GInputStream *input;
  GOutputStream *output;
} Download;

static void
download_free (Download *state)
{
  g_clear_object (&state->destination);
  g_clear_object (&state->message);
  g_clear_object (&state->input);
  g_clear_object (&state->output);
  g_free (state);
}

static void
download_abort (Download *state)
{
  /* Closing a replace stream with a cancelled cancellable drops the
   * temporary file and leaves the destination as it was. */
  if (state->output != NULL)
    {
      g_autoptr(GCancellable) cancelled = g_cancellable_new ();

      g_cancellable_cancel (cancelled);
      g_output_stream_close (state->output, cancelled, NULL);
    }
}

static void
download_return_io_error (GTask        *task,
                          GError       *error)
{
  Download *state = g_task_get_task_data (task);

  download_abort (state);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_task_return_error (task, cancelled_error ());
  else
    g_task_return_error (task, client_error_new (TESSERA_CLIENT_ERROR_LOCAL, 0, 0, "%s", error->message));
  g_error_free (error);
}

static void
download_closed_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!g_output_stream_close_finish (G_OUTPUT_STREAM (object), result, &error))
    download_return_io_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
download_spliced_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Download *state = g_task_get_task_data (task);
  GError *error = NULL;

  if (g_output_stream_splice_finish (G_OUTPUT_STREAM (object), result, &error) < 0)
    {
      download_return_io_error (task, error);
      return;
    }

  g_output_stream_close_async (state->output, G_PRIORITY_DEFAULT, g_task_get_cancellable (task),
                               download_closed_cb, g_object_ref (task));
}

static void
download_replaced_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Download *state = g_task_get_task_data (task);
  GError *error = NULL;

  state->output = G_OUTPUT_STREAM (g_file_replace_finish (G_FILE (object), result, &error));
  if (state->output == NULL)
    {
      download_return_io_error (task, error);
      return;
    }

  g_output_stream_splice_async (state->output, state->input,
                                G_OUTPUT_STREAM_SPLICE_CLOSE_SOURCE,
                                G_PRIORITY_DEFAULT, g_task_get_cancellable (task),
                                download_spliced_cb, g_object_ref (task));
}

static void
download_sent_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TesseraClient *self = g_task_get_source_object (task);
  Download *state = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  guint status;

  state->input = soup_session_send_finish (SOUP_SESSION (object), result, &error);
  if (state->input == NULL)
    {
      g_task_return_error (task, error_from_io (self, error));
      return;
    }

  status = soup_message_get_status (state->message);
  if (status < 200 || status >= 300)
    {
      g_autoptr(GBytes) body = g_input_stream_read_bytes (state->input, 4096, NULL, NULL);
      g_task_return_error (task, error_from_message (state->message, body));
      return;
    }

  g_file_replace_async (state->destination, NULL, FALSE, G_FILE_CREATE_REPLACE_DESTINATION,
                        G_PRIORITY_DEFAULT, g_task_get_cancellable (task),
                        download_replaced_cb, g_object_ref (task));
}

/**
 * tessera_client_download_async:
 * @self: a #TesseraClient
 * @url: a pre-signed URL from an image
 * @destination: where to write it; replaced atomically, and left untouched
 *   on failure
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: closure
 *
 * Streams an object to a file, never holding it whole in memory.
 */
void
tessera_client_download_async (TesseraClient       *self,
                               const char          *url,
                               GFile               *destination,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *absolute = NULL;
  Download *state;

  g_return_if_fail (TESSERA_IS_CLIENT (self));
  g_return_if_fail (url != NULL);
  g_return_if_fail (G_IS_FILE (destination));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = route_task (self, tessera_client_download_async, cancellable, callback, user_data);
  state = g_new0 (Download, 1);
  state->destination = g_object_ref (destination);
  g_task_set_task_data (task, state, (GDestroyNotify) download_free);

  absolute = absolute_url (self, url);
  state->message = new_message ("GET", absolute);
  if (state->message == NULL)
    {
      g_task_return_error (task, client_error_new (TESSERA_CLIENT_ERROR_INVALID, 0, 0,
                                                   "“%s” is not a valid address", url));
      return;
    }

  soup_session_send_async (self->session, state->message, G_PRIORITY_DEFAULT, cancellable,
                           download_sent_cb, g_steal_pointer (&task));
}

gboolean
tessera_client_download_finish (TesseraClient  *self,
                                GAsyncResult   *result,
                                GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Upload a file -------------------------------------------------------------- */

typedef struct
{
  GFile                     *file;
  TesseraUploadProgressFunc  progress;
  gpointer                   progress_data;
  GDestroyNotify             progress_notify;

  char                      *filename;
  char                      *content_type;
  char                      *sha256;
  goffset                    size;

  JsonObject                *answer;
  char                      *image_id;
  SoupMessage               *message;
  goffset                    prefix_length;
  goffset                    sent;
  gboolean                   stale_removed;
  gboolean                   duplicate;
} Upload;

static void
upload_free (Upload *state)
{
  if (state->progress_notify != NULL)
    state->progress_notify (state->progress_data);
  g_clear_object (&state->file);
  g_clear_pointer (&state->filename, g_free);
  g_clear_pointer (&state->content_type, g_free);
  g_clear_pointer (&state->sha256, g_free);
  g_clear_pointer (&state->answer, json_object_unref);
  g_clear_pointer (&state->image_id, g_free);
  g_clear_object (&state->message);
  g_free (state);
}

static void
upload_hash_thread (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  Upload *state = task_data;
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GFileInputStream) input = NULL;
  g_autoptr(GChecksum) checksum = NULL;
  g_autofree guint8 *buffer = NULL;
  g_autoptr(GError) error = NULL;
  const char *type;
  gssize n;

  info = g_file_query_info (state->file,
                            G_FILE_ATTRIBUTE_STANDARD_SIZE ","
                            G_FILE_ATTRIBUTE_STANDARD_TYPE ","
                            G_FILE_ATTRIBUTE_STANDARD_CONTENT_TYPE ","
                            G_FILE_ATTRIBUTE_STANDARD_DISPLAY_NAME,
                            G_FILE_QUERY_INFO_NONE, cancellable, &error);
  if (info == NULL || !(input = g_file_read (state->file, cancellable, &error)))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (g_file_info_get_file_type (info) != G_FILE_TYPE_REGULAR)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE,
                               "Not a regular file");
      return;
    }

  state->size = g_file_info_get_size (info);
  state->filename = g_file_get_basename (state->file);
  type = g_file_info_get_content_type (info);
  state->content_type = type ? g_content_type_get_mime_type (type) : NULL;
  if (state->content_type == NULL)
    state->content_type = g_strdup ("application/octet-stream");

  checksum = g_checksum_new (G_CHECKSUM_SHA256);
  buffer = g_malloc (64 * 1024);
  while ((n = g_input_stream_read (G_INPUT_STREAM (input), buffer, 64 * 1024, cancellable, &error)) > 0)
    g_checksum_update (checksum, buffer, n);
  if (n < 0)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  state->sha256 = g_strdup (g_checksum_get_string (checksum));
  g_task_return_boolean (task, TRUE);
}

static void upload_create (GTask *task);

static void
upload_wrote_body_data_cb (SoupMessage *message,
                           guint        chunk_size,
                           GTask       *task)
{
  Upload *state = g_task_get_task_data (task);
  goffset file_sent;

  state->sent += chunk_size;
  file_sent = CLAMP (state->sent - state->prefix_length, 0, state->size);
  if (state->progress != NULL)
    state->progress (file_sent, state->size, state->progress_data);
}

static void
upload_posted_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TesseraClient *self = g_task_get_source_object (task);
  Upload *state = g_task_get_task_data (task);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  guint status;

  g_signal_handlers_disconnect_by_func (state->message, upload_wrote_body_data_cb, task);

  body = soup_session_send_and_read_finish (SOUP_SESSION (object), result, &error);
  if (body == NULL)
    {
      GError *local = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
          g_cancellable_is_cancelled (g_task_get_cancellable (task)))
        local = cancelled_error ();
      else if (error->domain != G_IO_ERROR && error->domain != G_RESOLVER_ERROR &&
               error->domain != G_TLS_ERROR)
        local = client_error_new (TESSERA_CLIENT_ERROR_LOCAL, 0, 0,
                                  "Could not read “%s”: %s", state->filename, error->message);
      else
        local = error_from_io (self, error);
      g_task_return_error (task, local);
      return;
    }

  status = soup_message_get_status (state->message);
  if (status < 200 || status >= 300)
    {
      g_task_return_error (task, error_from_message (state->message, body));
      return;
    }

  if (state->progress != NULL)
    state->progress (state->size, state->size, state->progress_data);

  g_task_return_pointer (task, g_strdup (state->image_id), g_free);
}

static void
upload_post (GTask *task)
{
  TesseraClient *self = g_task_get_source_object (task);
  Upload *state = g_task_get_task_data (task);
  g_autoptr(GFileInputStream) file_stream = NULL;
  g_autoptr(GInputStream) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *absolute = NULL;
  JsonObject *form, *fields;
  const char *url;

  form = json_object_get_object_member (state->answer, "formConfig");
  url = form ? json_object_get_string_member_with_default (form, "uploadUrl", NULL) : NULL;
  fields = form && json_object_has_member (form, "formFields") &&
           JSON_NODE_HOLDS_OBJECT (json_object_get_member (form, "formFields"))
           ? json_object_get_object_member (form, "formFields") : NULL;
  state->image_id = g_strdup (json_object_get_string_member_with_default (state->answer, "imageId", NULL));

  if (url == NULL || fields == NULL || state->image_id == NULL)
    {
      g_task_return_error (task, client_error_new (TESSERA_CLIENT_ERROR_SERVER, 0, 0,
                                                   "The server sent an incomplete upload form"));
      g_object_unref (task);
      return;
    }

  if (!(file_stream = g_file_read (state->file, g_task_get_cancellable (task), &error)))
    {
      g_task_return_error (task, client_error_new (TESSERA_CLIENT_ERROR_LOCAL, 0, 0,
                                                   "Could not read “%s”: %s",
                                                   state->filename, error->message));
      g_object_unref (task);
      return;
    }

  body = tessera_multipart_stream_new (fields, state->filename, state->content_type,
                                       G_INPUT_STREAM (file_stream), state->size);
  state->prefix_length = tessera_multipart_stream_get_prefix_length (TESSERA_MULTIPART_STREAM (body));
  state->sent = 0;

  absolute = absolute_url (self, url);
  state->message = new_message ("POST", absolute);

  if (state->message == NULL)
    {
      g_task_return_error (task, client_error_new (TESSERA_CLIENT_ERROR_SERVER, 0, 0,
                                                   "The server sent an invalid upload address"));
      g_object_unref (task);
      return;
    }

  soup_message_set_request_body (state->message,
                                 tessera_multipart_stream_get_content_type (TESSERA_MULTIPART_STREAM (body)),
                                 body,
                                 tessera_multipart_stream_get_length (TESSERA_MULTIPART_STREAM (body)));
  g_signal_connect (state->message, "wrote-body-data",
                    G_CALLBACK (upload_wrote_body_data_cb), task);

  soup_session_send_and_read_async (self->session, state->message, G_PRIORITY_DEFAULT,
                                    g_task_get_cancellable (task), upload_posted_cb, task);
}

static void
upload_stale_deleted_cb (GObject      *object,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  TesseraClient *self = TESSERA_CLIENT (object);
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!tessera_client_delete_image_finish (self, result, &error) &&
      !g_error_matches (error, TESSERA_CLIENT_ERROR, TESSERA_CLIENT_ERROR_NOT_FOUND))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  upload_create (g_steal_pointer (&task));
}

static void
upload_created_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  TesseraClient *self = TESSERA_CLIENT (object);
  g_autoptr(GTask) task = user_data;
  Upload *state = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  gboolean duplicate = FALSE;

  state->answer = tessera_client_create_upload_finish (self, result, &duplicate, &error);
  if (state->answer == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (duplicate)
    {
      const char *original = json_object_get_string_member_with_default (state->answer, "duplicateOf", "");
      JsonObject *image = json_object_has_member (state->answer, "image") &&
                          JSON_NODE_HOLDS_OBJECT (json_object_get_member (state->answer, "image"))
                          ? json_object_get_object_member (state->answer, "image") : NULL;
      const char *status = image ? json_object_get_string_member_with_default (image, "status", NULL) : NULL;

      /* An earlier attempt that was interrupted after the form was issued
       * leaves an image whose bytes never arrived. It is not a real
       * duplicate: remove it once and upload afresh. */
      if (g_strcmp0 (status, "uploading") == 0 && !state->stale_removed)
        {
          GCancellable *cancellable = g_task_get_cancellable (task);
          g_autofree char *stale_id = g_strdup (original);

          state->stale_removed = TRUE;
          g_clear_pointer (&state->answer, json_object_unref);
          tessera_client_delete_image_async (self, stale_id, TRUE, cancellable,
                                             upload_stale_deleted_cb, g_steal_pointer (&task));
          return;
        }

      state->duplicate = TRUE;
      g_task_return_pointer (task, g_strdup (original), g_free);
      return;
    }

  upload_post (g_steal_pointer (&task));
}

static void
upload_create (GTask *task)
{
  TesseraClient *self = g_task_get_source_object (task);
  Upload *state = g_task_get_task_data (task);

  tessera_client_create_upload_async (self, state->filename, state->content_type, state->size,
                                      state->sha256, g_task_get_cancellable (task),
                                      upload_created_cb, task);
}

static void
upload_hashed_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Upload *state = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, cancelled_error ());
      else
        {
          g_autofree char *name = g_file_get_parse_name (state->file);
          g_task_return_error (task, client_error_new (TESSERA_CLIENT_ERROR_LOCAL, 0, 0,
                                                       "Could not read “%s”: %s",
                                                       name, error->message));
        }
      return;
    }

  if (state->size <= 0)
    {
      g_task_return_error (task, client_error_new (TESSERA_CLIENT_ERROR_INVALID, 0, 0,
                                                   "“%s” is empty", state->filename));
      return;
    }

  upload_create (g_steal_pointer (&task));
}

/**
 * tessera_client_upload_file_async:
 * @self: a #TesseraClient
 * @file: the file to upload
 * @progress: (nullable) (scope notified): called as the file is sent
 * @progress_data: (closure progress): data for @progress
 * @progress_notify: (destroy progress_data): frees @progress_data
 * @cancellable: (nullable): a #GCancellable, honoured at any moment
 * @callback: called when done
 * @user_data: closure
 *
 * Uploads a file: hashes it while reading it, asks for a form (the server
 * answers with the existing image when it already has these bytes), then
 * posts the form with the file streamed from disk.
 */
void
tessera_client_upload_file_async (TesseraClient             *self,
                                  GFile                     *file,
                                  TesseraUploadProgressFunc  progress,
                                  gpointer                   progress_data,
                                  GDestroyNotify             progress_notify,
                                  GCancellable              *cancellable,
                                  GAsyncReadyCallback        callback,
                                  gpointer                   user_data)
{
  g_autoptr(GTask) hash = NULL;
  GTask *task;
  Upload *state;

  g_return_if_fail (TESSERA_IS_CLIENT (self));
  g_return_if_fail (G_IS_FILE (file));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = route_task (self, tessera_client_upload_file_async, cancellable, callback, user_data);
  state = g_new0 (Upload, 1);
  state->file = g_object_ref (file);
  state->progress = progress;
  state->progress_data = progress_data;
  state->progress_notify = progress_notify;
  g_task_set_task_data (task, state, (GDestroyNotify) upload_free);

  hash = g_task_new (self, cancellable, upload_hashed_cb, task);
  g_task_set_source_tag (hash, upload_hash_thread);
  g_task_set_task_data (hash, state, NULL);
  g_task_run_in_thread (hash, upload_hash_thread);
}

/**
 * tessera_client_upload_file_finish:
 * @self: a #TesseraClient
 * @result: the result
 * @duplicate: (out) (optional): set to %TRUE when the server already had
 *   the file and nothing was sent
 * @error: return location for an error
 *
 * Returns: (transfer full): the id of the new image, or of the image the
 *   file duplicates
 */
char *
tessera_client_upload_file_finish (TesseraClient  *self,
                                   GAsyncResult   *result,
                                   gboolean       *duplicate,
                                   GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  if (duplicate != NULL)
    *duplicate = ((Upload *) g_task_get_task_data (G_TASK (result)))->duplicate;

  return g_task_propagate_pointer (G_TASK (result), error);
}
