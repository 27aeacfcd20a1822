/* tessera-gateway.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-gateway"

#include "config.h"

#include <errno.h>
#include <gio/gio.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tessera-error.h"
#include "tessera-gateway.h"
#include "tessera-json.h"
#include "tessera-sigv4.h"

/* A stalled client cannot hold a thread of the pool for long. */
#define CONNECTION_TIMEOUT_S 60
/* Per connection: headers plus the read buffer an upload streams through
 * (MHD's default, 32 KiB, means many small calls for a big body). */
#define CONNECTION_MEMORY (256 * 1024)
/* A body this big and 16 times over its limit is not read to be dropped. */
#define FAR_BEYOND_REASON (G_GUINT64_CONSTANT (256) * 1024 * 1024)

struct _TesseraGateway
{
  GObject               parent_instance;

  int                   listen_fd;
  GInetAddress         *address;
  guint16               port;

  struct MHD_Daemon    *daemon;
  TesseraApi           *api;
  TesseraLocalUserPool *user_pool;
  TesseraS3            *s3;
  gsize                 max_body_size;

  /* Requests begun and not yet completed. */
  int                   active;
};

/* One request across the calls of the access handler. */
typedef struct
{
  TesseraGateway   *gateway;
  char             *raw_path;
  char             *raw_query;
  gboolean          started;
  gboolean          is_s3;
  TesseraS3Request *s3;
  GByteArray       *body;
  gboolean          too_large;
  gint64            start_us;
} GatewayRequest;

G_DEFINE_FINAL_TYPE (TesseraGateway, tessera_gateway, G_TYPE_OBJECT)

static void
gateway_request_free (GatewayRequest *request)
{
  g_clear_pointer (&request->s3, tessera_s3_request_free);
  g_clear_pointer (&request->body, g_byte_array_unref);
  g_free (request->raw_path);
  g_free (request->raw_query);
  g_free (request);
}

char *
tessera_gateway_dup_source_ip (struct MHD_Connection *connection)
{
  const union MHD_ConnectionInfo *info;
  const struct sockaddr *addr;
  g_autoptr(GSocketAddress) socket_address = NULL;
  gsize len;

  info = MHD_get_connection_info (connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  if (info == NULL || info->client_addr == NULL)
    return g_strdup ("");

  addr = info->client_addr;
  len = addr->sa_family == AF_INET6 ? sizeof (struct sockaddr_in6) : sizeof (struct sockaddr_in);
  socket_address = g_socket_address_new_from_native ((gpointer) addr, len);
  if (!G_IS_INET_SOCKET_ADDRESS (socket_address))
    return g_strdup ("");

  return g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (socket_address)));
}

/* Responses */

static enum MHD_Result
respond_json (struct MHD_Connection *connection,
              guint                  status,
              const char            *message)
{
  g_autofree char *body = tessera_json_message (message);
  struct MHD_Response *response;
  enum MHD_Result ret;

  response = MHD_create_response_from_buffer (strlen (body), body, MHD_RESPMEM_MUST_COPY);
  MHD_add_response_header (response, "Content-Type", "application/json");
  MHD_add_response_header (response, "Access-Control-Allow-Origin", "*");
  ret = MHD_queue_response (connection, status, response);
  MHD_destroy_response (response);

  return ret;
}

static enum MHD_Result
respond_api (struct MHD_Connection *connection,
             TesseraResponse       *api_response)
{
  struct MHD_Response *response;
  gboolean has_content_type = FALSE;
  gsize len = api_response->body ? strlen (api_response->body) : 0;
  enum MHD_Result ret;

  response = MHD_create_response_from_buffer (len, api_response->body, MHD_RESPMEM_MUST_COPY);
  if (api_response->headers != NULL)
    {
      for (guint i = 0; i + 1 < api_response->headers->len; i += 2)
        {
          const char *name = g_ptr_array_index (api_response->headers, i);
          const char *value = g_ptr_array_index (api_response->headers, i + 1);

          if (g_ascii_strcasecmp (name, "Content-Type") == 0)
            has_content_type = TRUE;
          MHD_add_response_header (response, name, value);
        }
    }
  if (api_response->body != NULL && !has_content_type)
    MHD_add_response_header (response, "Content-Type", "application/json");

  ret = MHD_queue_response (connection, api_response->status, response);
  MHD_destroy_response (response);

  return ret;
}

/* Requests */

static enum MHD_Result
collect_header (void               *cls,
                enum MHD_ValueKind  kind,
                const char         *name,
                const char         *value)
{
  GHashTable *headers = cls;
  g_autofree char *lower = g_ascii_strdown (name, -1);
  const char *previous = g_hash_table_lookup (headers, lower);

  if (value == NULL)
    value = "";

  /* A repeated header is one header whose values are joined, as RFC 9110
   * allows. */
  if (previous != NULL)
    g_hash_table_insert (headers, g_steal_pointer (&lower),
                         g_strconcat (previous, ", ", value, NULL));
  else
    g_hash_table_insert (headers, g_steal_pointer (&lower), g_strdup (value));

  return MHD_YES;
}

static void
authorize (TesseraGateway *self,
           TesseraRequest *request)
{
  g_autoptr(GError) error = NULL;
  const char *header = tessera_request_get_header (request, "authorization");
  g_autofree char *token = NULL;
  char *sub = NULL;
  char *username = NULL;

  if (header == NULL)
    return;

  /* As API Gateway's Cognito authorizer: "Bearer <jwt>" or the bare JWT. */
  token = g_strstrip (g_strdup (header));
  if (g_ascii_strncasecmp (token, "Bearer ", 7) == 0)
    {
      char *rest = g_strdup (g_strchug (token + 7));

      g_free (token);
      token = rest;
    }

  if (*token == '\0')
    {
      request->auth_error = g_strdup ("The Authorization header has no token");
      return;
    }

  if (!tessera_local_user_pool_verify (self->user_pool, token, &sub, &username, &error))
    {
      request->auth_error = g_strdup (error->message);
      return;
    }

  request->sub = sub;
  request->username = username;
}

static enum MHD_Result
finish_api_request (TesseraGateway        *self,
                    struct MHD_Connection *connection,
                    const char            *method,
                    GatewayRequest        *state)
{
  g_autoptr(TesseraRequest) request = NULL;
  g_autoptr(TesseraResponse) response = NULL;
  g_autoptr(GHashTable) params = NULL;
  g_autofree char *path = NULL;
  GHashTableIter iter;
  gpointer key, value;

  if (state->too_large)
    return respond_json (connection, 413, "The request body is too large");

  path = tessera_sigv4_uri_decode (state->raw_path, -1);
  if (!g_utf8_validate (path, -1, NULL))
    return respond_json (connection, 400, "The request path is not UTF-8");

  request = tessera_request_new (method, path);

  if (state->raw_query != NULL && *state->raw_query != '\0')
    {
      g_autoptr(GError) error = NULL;

      params = g_uri_parse_params (state->raw_query, -1, "&", G_URI_PARAMS_WWW_FORM, &error);
      if (params == NULL)
        return respond_json (connection, 400, "The query string is not well-formed");

      g_hash_table_iter_init (&iter, params);
      while (g_hash_table_iter_next (&iter, &key, &value))
        {
          if (!g_utf8_validate (key, -1, NULL) || !g_utf8_validate (value, -1, NULL))
            return respond_json (connection, 400, "The query string is not UTF-8");
          g_hash_table_insert (request->query, g_strdup (key), g_strdup (value));
        }
    }

  MHD_get_connection_values (connection, MHD_HEADER_KIND, collect_header, request->headers);
  if (state->body != NULL && state->body->len > 0)
    request->body = g_bytes_new (state->body->data, state->body->len);
  request->source_ip = tessera_gateway_dup_source_ip (connection);

  authorize (self, request);

  response = tessera_api_handle (self->api, request);
  g_debug ("%s %s -> %u (%.1f ms)", method, path, response->status,
           (g_get_monotonic_time () - state->start_us) / 1000.0);

  return respond_api (connection, response);
}

/**
 * tessera_gateway_refuse_body_early:
 * @limit: the most the request's body may hold, in bytes
 *
 * Whether to answer a too-large request before reading its body. That
 * closes the connection, which a client still sending sees as a broken pipe
 * instead of the answer; so only when the client waits for a go-ahead
 * (`Expect: 100-continue`) or the body is far beyond reason. Otherwise the
 * body is read and dropped, and the answer comes after it.
 */
gboolean
tessera_gateway_refuse_body_early (struct MHD_Connection *connection,
                                   gint64                 limit)
{
  const char *text = MHD_lookup_connection_value (connection, MHD_HEADER_KIND, "Content-Length");
  const char *expect = MHD_lookup_connection_value (connection, MHD_HEADER_KIND, "Expect");
  guint64 length;

  if (text == NULL || !g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT64, &length, NULL) ||
      length <= (guint64) limit)
    return FALSE;

  return (expect != NULL && g_ascii_strcasecmp (expect, "100-continue") == 0) ||
         (length / 16 > (guint64) limit && length > FAR_BEYOND_REASON);
}

static gboolean
path_is_in_bucket (const char *raw_path,
                   const char *bucket)
{
  gsize n = strlen (bucket);

  /* Bucket names are plain ASCII: no decoding needed to compare. */
  return raw_path[0] == '/' &&
         strncmp (raw_path + 1, bucket, n) == 0 &&
         (raw_path[1 + n] == '\0' || raw_path[1 + n] == '/');
}

static enum MHD_Result
access_handler (void                  *cls,
                struct MHD_Connection *connection,
                const char            *url,
                const char            *method,
                const char            *version,
                const char            *upload_data,
                size_t                *upload_data_size,
                void                 **con_cls)
{
  TesseraGateway *self = cls;
  GatewayRequest *state = *con_cls;

  g_assert (TESSERA_IS_GATEWAY (self));
  g_assert (state != NULL);

  if (!state->started)
    {
      /* Counted from here: MHD may drop a request whose headers it refused
       * without ever completing it. */
      state->started = TRUE;
      g_atomic_int_inc (&self->active);
      state->is_s3 = path_is_in_bucket (state->raw_path, tessera_s3_get_bucket (self->s3));
      if (!state->is_s3)
        {
          if (tessera_gateway_refuse_body_early (connection, self->max_body_size))
            return respond_json (connection, 413, "The request body is too large");
          return MHD_YES;
        }
    }

  if (state->is_s3)
    return tessera_s3_handle (self->s3, connection, method, state->raw_path, state->raw_query,
                              upload_data, upload_data_size, &state->s3);

  if (*upload_data_size > 0)
    {
      /* Beyond the limit the rest is dropped: MHD answers only once the body
       * is in. */
      if (!state->too_large)
        {
          gsize have = state->body ? state->body->len : 0;

          if (have + *upload_data_size > self->max_body_size)
            {
              state->too_large = TRUE;
              g_clear_pointer (&state->body, g_byte_array_unref);
            }
          else
            {
              if (state->body == NULL)
                state->body = g_byte_array_new ();
              g_byte_array_append (state->body, (const guint8 *) upload_data, *upload_data_size);
            }
        }
      *upload_data_size = 0;
      return MHD_YES;
    }

  return finish_api_request (self, connection, method, state);
}

static void *
uri_log (void                  *cls,
         const char            *uri,
         struct MHD_Connection *connection)
{
  TesseraGateway *self = cls;
  GatewayRequest *state = g_new0 (GatewayRequest, 1);
  const char *question = strchr (uri, '?');

  /* The URI exactly as sent: SigV4 signs it that way, and MHD's url
   * argument is already decoded. */
  state->gateway = self;
  state->start_us = g_get_monotonic_time ();
  if (question != NULL)
    {
      state->raw_path = g_strndup (uri, question - uri);
      state->raw_query = g_strdup (question + 1);
    }
  else
    state->raw_path = g_strdup (uri);
  if (state->raw_path[0] != '/')
    {
      g_free (state->raw_path);
      state->raw_path = g_strdup ("/");
    }

  return state;
}

static void
request_completed (void                            *cls,
                   struct MHD_Connection           *connection,
                   void                           **con_cls,
                   enum MHD_RequestTerminationCode  toe)
{
  TesseraGateway *self = cls;
  GatewayRequest *state = *con_cls;

  if (state == NULL)
    return;

  if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
    g_debug ("Request %s ended early (%d)", state->raw_path, toe);

  if (state->started)
    g_atomic_int_dec_and_test (&self->active);
  gateway_request_free (state);
  *con_cls = NULL;
}

static void
log_mhd (void       *cls,
         const char *fmt,
         va_list     ap)
{
  g_autofree char *message = g_strdup_vprintf (fmt, ap);

  g_debug ("libmicrohttpd: %s", g_strchomp (message));
}

/* Life cycle */

static gboolean
parse_listen (const char     *text,
              GInetAddress  **address,
              guint16        *port,
              GError        **error)
{
  g_autofree char *host = NULL;
  const char *colon;
  guint64 n;

  if (text[0] == '[')
    {
      const char *end = strchr (text, ']');

      if (end == NULL || end[1] != ':')
        goto invalid;
      host = g_strndup (text + 1, end - text - 1);
      colon = end + 1;
    }
  else
    {
      colon = strrchr (text, ':');
      if (colon == NULL)
        goto invalid;
      host = g_strndup (text, colon - text);
    }

  if (!g_ascii_string_to_unsigned (colon + 1, 10, 0, 65535, &n, NULL))
    goto invalid;
  *port = n;

  if (g_str_equal (host, "localhost"))
    *address = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  else
    *address = g_inet_address_new_from_string (host);
  if (*address == NULL)
    goto invalid;

  return TRUE;

invalid:
  g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
               "Invalid listen address “%s”: expected ADDRESS:PORT, e.g. 127.0.0.1:8080",
               text);
  return FALSE;
}

TesseraGateway *
tessera_gateway_new (const char  *listen_address,
                     GError     **error)
{
  g_autoptr(TesseraGateway) self = NULL;
  g_autoptr(GSocketAddress) socket_address = NULL;
  g_autoptr(GSocketAddress) bound = NULL;
  struct sockaddr_storage native;
  socklen_t native_len;
  guint16 port;
  int one = 1;

  g_return_val_if_fail (listen_address != NULL, NULL);

  self = g_object_new (TESSERA_TYPE_GATEWAY, NULL);
  if (!parse_listen (listen_address, &self->address, &port, error))
    return NULL;

  socket_address = g_inet_socket_address_new (self->address, port);
  native_len = g_socket_address_get_native_size (socket_address);
  if (!g_socket_address_to_native (socket_address, &native, sizeof native, error))
    return NULL;

  self->listen_fd = socket (native.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (self->listen_fd < 0 ||
      setsockopt (self->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      bind (self->listen_fd, (struct sockaddr *) &native, native_len) != 0 ||
      listen (self->listen_fd, 128) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Cannot listen on %s: %s", listen_address, g_strerror (saved_errno));
      return NULL;
    }

  native_len = sizeof native;
  if (getsockname (self->listen_fd, (struct sockaddr *) &native, &native_len) != 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                   "Cannot read the bound address: %s", g_strerror (errno));
      return NULL;
    }
  bound = g_socket_address_new_from_native (&native, native_len);
  self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));

  return g_steal_pointer (&self);
}

guint16
tessera_gateway_get_port (TesseraGateway *self)
{
  g_return_val_if_fail (TESSERA_IS_GATEWAY (self), 0);

  return self->port;
}

char *
tessera_gateway_dup_url (TesseraGateway *self)
{
  g_autofree char *host = NULL;

  g_return_val_if_fail (TESSERA_IS_GATEWAY (self), NULL);

  host = g_inet_address_to_string (self->address);
  if (g_inet_address_get_family (self->address) == G_SOCKET_FAMILY_IPV6)
    return g_strdup_printf ("http://[%s]:%u", host, self->port);
  return g_strdup_printf ("http://%s:%u", host, self->port);
}

gboolean
tessera_gateway_start (TesseraGateway        *self,
                       TesseraApi            *api,
                       TesseraLocalUserPool  *user_pool,
                       TesseraS3             *s3,
                       guint                  n_threads,
                       GError               **error)
{
  g_return_val_if_fail (TESSERA_IS_GATEWAY (self), FALSE);
  g_return_val_if_fail (api != NULL, FALSE);
  g_return_val_if_fail (TESSERA_IS_LOCAL_USER_POOL (user_pool), FALSE);
  g_return_val_if_fail (TESSERA_IS_S3 (s3), FALSE);
  g_return_val_if_fail (self->daemon == NULL, FALSE);
  g_return_val_if_fail (self->listen_fd >= 0, FALSE);

  self->api = api;
  self->user_pool = g_object_ref (user_pool);
  self->s3 = g_object_ref (s3);
  self->max_body_size = api->settings.max_body_size;

  self->daemon = MHD_start_daemon (MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
                                   MHD_USE_ITC | MHD_USE_ERROR_LOG,
                                   0, NULL, NULL,
                                   access_handler, self,
                                   MHD_OPTION_LISTEN_SOCKET, self->listen_fd,
                                   MHD_OPTION_THREAD_POOL_SIZE, (unsigned int) MAX (n_threads, 1),
                                   MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) CONNECTION_TIMEOUT_S,
                                   MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) CONNECTION_MEMORY,
                                   MHD_OPTION_URI_LOG_CALLBACK, uri_log, self,
                                   MHD_OPTION_NOTIFY_COMPLETED, request_completed, self,
                                   MHD_OPTION_EXTERNAL_LOGGER, log_mhd, self,
                                   MHD_OPTION_END);
  if (self->daemon == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                           "Cannot start the HTTP server");
      return FALSE;
    }

  return TRUE;
}

void
tessera_gateway_stop (TesseraGateway *self,
                      guint           timeout_ms)
{
  gint64 deadline;
  int fd;

  g_return_if_fail (TESSERA_IS_GATEWAY (self));

  if (self->daemon == NULL)
    return;

  /* No new connections; the listening socket is ours again. */
  fd = MHD_quiesce_daemon (self->daemon);
  if (fd >= 0)
    close (fd);
  self->listen_fd = -1;

  deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  while (g_atomic_int_get (&self->active) > 0 && g_get_monotonic_time () < deadline)
    g_usleep (10 * 1000);
  if (g_atomic_int_get (&self->active) > 0)
    g_warning ("Stopping with %d requests unfinished", g_atomic_int_get (&self->active));

  MHD_stop_daemon (self->daemon);
  self->daemon = NULL;
}

static void
tessera_gateway_dispose (GObject *object)
{
  TesseraGateway *self = (TesseraGateway *) object;

  tessera_gateway_stop (self, 0);
  g_clear_object (&self->user_pool);
  g_clear_object (&self->s3);

  G_OBJECT_CLASS (tessera_gateway_parent_class)->dispose (object);
}

static void
tessera_gateway_finalize (GObject *object)
{
  TesseraGateway *self = (TesseraGateway *) object;

  if (self->listen_fd >= 0)
    close (self->listen_fd);
  g_clear_object (&self->address);

  G_OBJECT_CLASS (tessera_gateway_parent_class)->finalize (object);
}

static void
tessera_gateway_class_init (TesseraGatewayClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tessera_gateway_dispose;
  object_class->finalize = tessera_gateway_finalize;
}

static void
tessera_gateway_init (TesseraGateway *self)
{
  self->listen_fd = -1;
}
