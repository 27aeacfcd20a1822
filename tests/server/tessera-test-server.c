/* tessera-test-server.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-test-server"

#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <gio/gunixinputstream.h>
#include <glib/gstdio.h>
#include <vips/vips.h>

#include "tessera-test-server.h"

#define START_TIMEOUT_S 60
#define STOP_TIMEOUT_S  30
#define TEST_PASSWORD   "correct horse battery staple 1"

struct _TesseraTestServer
{
  GObject      parent_instance;

  char        *data_dir;
  char        *url;
  guint        port;          /* kept across restarts, 0 before the first */
  gboolean     expect_continue;
  GSubprocess *process;
  SoupSession *session;
};

G_DEFINE_FINAL_TYPE (TesseraTestServer, tessera_test_server, G_TYPE_OBJECT)

const char *
tessera_test_server_binary (void)
{
  const char *path = g_getenv ("TESSERA_SERVER");

  if (path != NULL && *path != '\0')
    return path;
  return TESSERA_SERVER_PATH;
}

static gboolean
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR) || g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    return g_unlink (path) == 0;

  dir = g_dir_open (path, 0, NULL);
  if (dir == NULL)
    return FALSE;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      remove_tree (child);
    }
  return g_rmdir (path) == 0;
}

static void
tessera_test_server_dispose (GObject *object)
{
  TesseraTestServer *self = (TesseraTestServer *)object;

  /* A test that did not stop its server does not care how it ends. */
  if (self->process != NULL && tessera_test_server_is_running (self))
    tessera_test_server_kill (self);
  g_clear_object (&self->process);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (tessera_test_server_parent_class)->dispose (object);
}

static void
tessera_test_server_finalize (GObject *object)
{
  TesseraTestServer *self = (TesseraTestServer *)object;

  if (self->data_dir != NULL && g_getenv ("TESSERA_TEST_KEEP_DATA") == NULL)
    remove_tree (self->data_dir);
  else if (self->data_dir != NULL)
    g_test_message ("data dir kept: %s", self->data_dir);

  g_clear_pointer (&self->data_dir, g_free);
  g_clear_pointer (&self->url, g_free);

  G_OBJECT_CLASS (tessera_test_server_parent_class)->finalize (object);
}

static void
tessera_test_server_class_init (TesseraTestServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tessera_test_server_dispose;
  object_class->finalize = tessera_test_server_finalize;
}

static void
tessera_test_server_init (TesseraTestServer *self)
{
  self->session = soup_session_new_with_options ("timeout", 120,
                                                 "idle-timeout", 5,
                                                 NULL);
}

TesseraTestServer *
tessera_test_server_new (const char *config)
{
  g_autoptr(TesseraTestServer) self = g_object_new (TESSERA_TYPE_TEST_SERVER, NULL);
  g_autoptr(GError) error = NULL;

  self->data_dir = g_dir_make_tmp ("tessera-test-XXXXXX", &error);
  g_assert_no_error (error);

  if (config != NULL)
    {
      g_autofree char *path = tessera_test_server_dup_config_path (self);

      g_file_set_contents (path, config, -1, &error);
      g_assert_no_error (error);
    }

  return g_steal_pointer (&self);
}

TesseraTestServer *
tessera_test_server_new_started (const char *config)
{
  g_autoptr(TesseraTestServer) self = tessera_test_server_new (config);
  g_autoptr(GError) error = NULL;

  tessera_test_server_start (self, &error);
  g_assert_no_error (error);

  return g_steal_pointer (&self);
}

static void
child_setup (gpointer user_data)
{
  /* A test that aborts must not leave its server running. */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

/* Reads one line from @fd, giving up at @deadline (monotonic µs). */
static char *
read_line_until (int     fd,
                 gint64  deadline,
                 GError **error)
{
  g_autoptr(GString) line = g_string_new (NULL);

  for (;;)
    {
      struct pollfd pfd = { .fd = fd, .events = POLLIN };
      gint64 left_ms = (deadline - g_get_monotonic_time ()) / 1000;
      char c;
      ssize_t n;
      int r;

      if (left_ms <= 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                       "tessera-server printed no URL within %d s", START_TIMEOUT_S);
          return NULL;
        }

      r = poll (&pfd, 1, (int) MIN (left_ms, 1000));
      if (r < 0 && errno == EINTR)
        continue;
      if (r == 0)
        continue;

      n = read (fd, &c, 1);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED,
                       "tessera-server exited before printing its URL (got \"%s\")", line->str);
          return NULL;
        }
      if (c == '\n')
        return g_string_free (g_steal_pointer (&line), FALSE);
      g_string_append_c (line, c);
    }
}

gboolean
tessera_test_server_start (TesseraTestServer  *self,
                           GError            **error)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autofree char *line = NULL;
  g_autofree char *listen = NULL;
  GInputStream *out;

  g_return_val_if_fail (TESSERA_IS_TEST_SERVER (self), FALSE);
  g_return_val_if_fail (self->process == NULL || !tessera_test_server_is_running (self), FALSE);

  g_clear_object (&self->process);
  g_clear_pointer (&self->url, g_free);

  /* Port 0 the first time; a restart comes back on the same address, as a
   * server with a fixed --listen does (the form URLs name it);
   * tessera_test_server_restart_on_new_port() tries the other case. */
  listen = g_strdup_printf ("127.0.0.1:%u", self->port);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  process = g_subprocess_launcher_spawn (launcher, error,
                                         tessera_test_server_binary (),
                                         "--data-dir", self->data_dir,
                                         "--listen", listen,
                                         NULL);
  if (process == NULL)
    return FALSE;

  out = g_subprocess_get_stdout_pipe (process);
  line = read_line_until (g_unix_input_stream_get_fd (G_UNIX_INPUT_STREAM (out)),
                          g_get_monotonic_time () + START_TIMEOUT_S * G_USEC_PER_SEC,
                          error);
  if (line == NULL)
    {
      g_subprocess_force_exit (process);
      g_subprocess_wait (process, NULL, NULL);
      return FALSE;
    }

  g_strstrip (line);
  if (!g_str_has_prefix (line, "http://127.0.0.1:"))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "tessera-server's first line is not its URL: \"%s\"", line);
      g_subprocess_force_exit (process);
      g_subprocess_wait (process, NULL, NULL);
      return FALSE;
    }

  /* No trailing slash, so that url + "/images" is the route. */
  while (g_str_has_suffix (line, "/"))
    line[strlen (line) - 1] = '\0';

  self->url = g_steal_pointer (&line);
  self->port = (guint) g_ascii_strtoull (self->url + strlen ("http://127.0.0.1:"), NULL, 10);
  self->process = g_steal_pointer (&process);
  g_test_message ("tessera-server %s started at %s",
                  g_subprocess_get_identifier (self->process), self->url);
  return TRUE;
}

/* GSubprocess reaps its child in GLib's worker thread; wait for that. */
static gboolean
wait_exit (TesseraTestServer *self,
           guint              timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + timeout_s * G_USEC_PER_SEC;

  while (g_subprocess_get_identifier (self->process) != NULL)
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      g_usleep (10 * 1000);
    }
  g_subprocess_wait (self->process, NULL, NULL);
  return TRUE;
}

void
tessera_test_server_stop (TesseraTestServer *self)
{
  g_return_if_fail (TESSERA_IS_TEST_SERVER (self));
  g_return_if_fail (self->process != NULL);

  g_subprocess_send_signal (self->process, SIGTERM);
  if (!wait_exit (self, STOP_TIMEOUT_S))
    {
      g_subprocess_force_exit (self->process);
      wait_exit (self, STOP_TIMEOUT_S);
      g_error ("tessera-server did not stop within %d s of SIGTERM", STOP_TIMEOUT_S);
    }

  /* A graceful shutdown exits 0, not by the signal. */
  g_assert_true (g_subprocess_get_if_exited (self->process));
  g_assert_cmpint (g_subprocess_get_exit_status (self->process), ==, 0);
}

void
tessera_test_server_kill (TesseraTestServer *self)
{
  g_return_if_fail (TESSERA_IS_TEST_SERVER (self));
  g_return_if_fail (self->process != NULL);

  g_subprocess_force_exit (self->process);
  g_assert_true (wait_exit (self, STOP_TIMEOUT_S));
}

void
tessera_test_server_restart (TesseraTestServer *self,
                             gboolean           hard)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (TESSERA_IS_TEST_SERVER (self));

  if (hard)
    tessera_test_server_kill (self);
  else
    tessera_test_server_stop (self);

  tessera_test_server_start (self, &error);
  g_assert_no_error (error);
}

void
tessera_test_server_restart_on_new_port (TesseraTestServer *self)
{
  g_autoptr(GSocket) hold = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GError) error = NULL;
  guint old_port;

  g_return_if_fail (TESSERA_IS_TEST_SERVER (self));

  tessera_test_server_stop (self);
  old_port = self->port;

  /* Keep the old port taken, so port 0 cannot hand it out again. */
  hold = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  address = g_inet_socket_address_new_from_string ("127.0.0.1", old_port);
  g_socket_bind (hold, address, TRUE, &error);
  g_assert_no_error (error);

  self->port = 0;
  tessera_test_server_start (self, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (self->port, !=, old_port);
  g_socket_close (hold, NULL);
}

gboolean
tessera_test_server_is_running (TesseraTestServer *self)
{
  g_return_val_if_fail (TESSERA_IS_TEST_SERVER (self), FALSE);

  return self->process != NULL && g_subprocess_get_identifier (self->process) != NULL;
}

GPid
tessera_test_server_get_pid (TesseraTestServer *self)
{
  const char *id;

  g_return_val_if_fail (TESSERA_IS_TEST_SERVER (self), 0);

  if (self->process == NULL || (id = g_subprocess_get_identifier (self->process)) == NULL)
    return 0;
  return (GPid) g_ascii_strtoll (id, NULL, 10);
}

gint64
tessera_test_server_get_peak_rss_kb (TesseraTestServer *self)
{
  g_autofree char *path = NULL;
  g_autofree char *status = NULL;
  const char *line;
  GPid pid;

  g_return_val_if_fail (TESSERA_IS_TEST_SERVER (self), -1);

  if ((pid = tessera_test_server_get_pid (self)) == 0)
    return -1;

  path = g_strdup_printf ("/proc/%d/status", (int) pid);
  if (!g_file_get_contents (path, &status, NULL, NULL))
    return -1;
  if ((line = strstr (status, "VmHWM:")) == NULL)
    return -1;
  return g_ascii_strtoll (line + strlen ("VmHWM:"), NULL, 10);
}

const char *
tessera_test_server_get_url (TesseraTestServer *self)
{
  g_return_val_if_fail (TESSERA_IS_TEST_SERVER (self), NULL);

  return self->url;
}

const char *
tessera_test_server_get_data_dir (TesseraTestServer *self)
{
  g_return_val_if_fail (TESSERA_IS_TEST_SERVER (self), NULL);

  return self->data_dir;
}

char *
tessera_test_server_dup_config_path (TesseraTestServer *self)
{
  g_return_val_if_fail (TESSERA_IS_TEST_SERVER (self), NULL);

  return g_build_filename (self->data_dir, "tessera-server.conf", NULL);
}

char *
tessera_test_server_dup_config (TesseraTestServer *self,
                                const char        *group,
                                const char        *key)
{
  g_autoptr(GKeyFile) keyfile = g_key_file_new ();
  g_autofree char *path = NULL;

  g_return_val_if_fail (TESSERA_IS_TEST_SERVER (self), NULL);

  path = tessera_test_server_dup_config_path (self);
  if (!g_key_file_load_from_file (keyfile, path, G_KEY_FILE_KEEP_COMMENTS, NULL))
    return NULL;
  return g_key_file_get_string (keyfile, group, key, NULL);
}

void
tessera_test_server_set_config (TesseraTestServer *self,
                                const char        *group,
                                const char        *key,
                                const char        *value)
{
  g_autoptr(GKeyFile) keyfile = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  g_return_if_fail (TESSERA_IS_TEST_SERVER (self));

  path = tessera_test_server_dup_config_path (self);
  if (g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_key_file_load_from_file (keyfile, path, G_KEY_FILE_KEEP_COMMENTS, &error);
      g_assert_no_error (error);
    }
  g_key_file_set_string (keyfile, group, key, value);
  g_key_file_save_to_file (keyfile, path, &error);
  g_assert_no_error (error);
}

/* Responses */

void
tessera_test_response_free (TesseraTestResponse *response)
{
  if (response == NULL)
    return;
  g_clear_pointer (&response->headers, soup_message_headers_unref);
  g_clear_pointer (&response->body, g_bytes_unref);
  g_clear_pointer (&response->json, json_node_unref);
  g_free (response);
}

const char *
tessera_test_response_get_header (TesseraTestResponse *response,
                                  const char          *name)
{
  g_return_val_if_fail (response != NULL, NULL);

  return soup_message_headers_get_one (response->headers, name);
}

JsonObject *
tessera_test_response_get_object (TesseraTestResponse *response)
{
  g_return_val_if_fail (response != NULL, NULL);

  if (response->json == NULL || !JSON_NODE_HOLDS_OBJECT (response->json))
    return NULL;
  return json_node_get_object (response->json);
}

const char *
tessera_test_response_get_string (TesseraTestResponse *response,
                                  const char          *member)
{
  JsonObject *object = tessera_test_response_get_object (response);
  JsonNode *node;

  if (object == NULL || (node = json_object_get_member (object, member)) == NULL)
    return NULL;
  if (json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

char *
tessera_test_response_dup_text (TesseraTestResponse *response)
{
  gsize size = 0;
  const char *data;

  g_return_val_if_fail (response != NULL, NULL);

  data = g_bytes_get_data (response->body, &size);
  return g_strndup (data ? data : "", size);
}

static char *
resolve_url (TesseraTestServer *self,
             const char        *path_or_url)
{
  if (g_str_has_prefix (path_or_url, "http://") || g_str_has_prefix (path_or_url, "https://"))
    return g_strdup (path_or_url);
  g_assert_nonnull (self->url);
  return g_strconcat (self->url, path_or_url, NULL);
}

void
tessera_test_server_set_expect_continue (TesseraTestServer *self,
                                         gboolean           expect)
{
  g_return_if_fail (TESSERA_IS_TEST_SERVER (self));

  self->expect_continue = !!expect;
}

static TesseraTestResponse *
send_message (TesseraTestServer *self,
              SoupMessage       *msg)
{
  g_autoptr(GError) error = NULL;
  TesseraTestResponse *response;
  gsize size = 0;
  const char *data;

  if (self->expect_continue)
    soup_message_headers_set_expectations (soup_message_get_request_headers (msg),
                                           SOUP_EXPECTATION_CONTINUE);

  response = g_new0 (TesseraTestResponse, 1);
  response->body = soup_session_send_and_read (self->session, msg, NULL, &error);
  g_assert_no_error (error);
  response->status = soup_message_get_status (msg);
  response->headers = soup_message_headers_ref (soup_message_get_response_headers (msg));

  data = g_bytes_get_data (response->body, &size);
  if (size > 0)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();

      if (json_parser_load_from_data (parser, data, size, NULL))
        response->json = json_parser_steal_root (parser);
    }

  return response;
}

TesseraTestResponse *
tessera_test_server_request_raw (TesseraTestServer  *self,
                                 const char         *method,
                                 const char         *path_or_url,
                                 const char * const *headers,
                                 const char         *content_type,
                                 GBytes             *body)
{
  g_autoptr(SoupMessage) msg = NULL;
  g_autofree char *url = NULL;
  SoupMessageHeaders *request_headers;

  g_return_val_if_fail (TESSERA_IS_TEST_SERVER (self), NULL);
  g_return_val_if_fail (method != NULL, NULL);
  g_return_val_if_fail (path_or_url != NULL, NULL);

  url = resolve_url (self, path_or_url);
  msg = soup_message_new (method, url);
  g_assert_nonnull (msg);

  request_headers = soup_message_get_request_headers (msg);
  for (guint i = 0; headers != NULL && headers[i] != NULL && headers[i + 1] != NULL; i += 2)
    soup_message_headers_replace (request_headers, headers[i], headers[i + 1]);
  if (body != NULL)
    soup_message_set_request_body_from_bytes (msg, content_type, body);

  return send_message (self, msg);
}

TesseraTestResponse *
tessera_test_server_request (TesseraTestServer *self,
                             const char        *method,
                             const char        *path_or_url,
                             const char        *authorization,
                             const char        *json_body)
{
  g_autoptr(GBytes) body = NULL;
  const char *headers[] = { "Accept", "application/json", NULL, NULL, NULL };

  if (authorization != NULL)
    {
      headers[2] = "Authorization";
      headers[3] = authorization;
    }
  if (json_body != NULL)
    body = g_bytes_new (json_body, strlen (json_body));

  return tessera_test_server_request_raw (self, method, path_or_url, headers,
                                          json_body ? "application/json" : NULL, body);
}

TesseraTestResponse *
tessera_test_server_call (TesseraTestServer *self,
                          const char        *method,
                          const char        *path_or_url,
                          const char        *token,
                          const char        *json_body)
{
  g_autofree char *authorization = token ? g_strconcat ("Bearer ", token, NULL) : NULL;

  return tessera_test_server_request (self, method, path_or_url, authorization, json_body);
}

/* Users */

void
tessera_test_user_free (TesseraTestUser *user)
{
  if (user == NULL)
    return;
  g_free (user->username);
  g_free (user->password);
  g_free (user->sub);
  g_free (user->token);
  g_free (user->refresh_token);
  g_free (user);
}

static char *
credentials_json (const char *username,
                  const char *password)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "username");
  json_builder_add_string_value (builder, username);
  json_builder_set_member_name (builder, "password");
  json_builder_add_string_value (builder, password);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

guint
tessera_test_server_sign_in (TesseraTestServer *self,
                             TesseraTestUser   *user)
{
  g_autoptr(TesseraTestResponse) response = NULL;
  g_autoptr(JsonObject) claims = NULL;
  g_autofree char *body = NULL;

  g_return_val_if_fail (TESSERA_IS_TEST_SERVER (self), 0);
  g_return_val_if_fail (user != NULL, 0);

  body = credentials_json (user->username, user->password);
  response = tessera_test_server_request (self, "POST", "/signin", NULL, body);
  if (response->status != 201)
    return response->status;

  g_assert_nonnull (tessera_test_response_get_string (response, "token"));
  g_assert_nonnull (tessera_test_response_get_string (response, "refreshToken"));
  g_free (user->token);
  user->token = g_strdup (tessera_test_response_get_string (response, "token"));
  g_free (user->refresh_token);
  user->refresh_token = g_strdup (tessera_test_response_get_string (response, "refreshToken"));

  claims = tessera_test_jwt_dup_payload (user->token);
  g_assert_nonnull (claims);
  g_assert_true (json_object_has_member (claims, "sub"));
  g_free (user->sub);
  user->sub = g_strdup (json_object_get_string_member (claims, "sub"));

  return response->status;
}

TesseraTestUser *
tessera_test_server_new_user (TesseraTestServer *self,
                              const char        *username)
{
  g_autoptr(TesseraTestUser) user = g_new0 (TesseraTestUser, 1);
  g_autoptr(TesseraTestResponse) response = NULL;
  g_autofree char *body = NULL;

  g_return_val_if_fail (TESSERA_IS_TEST_SERVER (self), NULL);
  g_return_val_if_fail (username != NULL, NULL);

  user->username = g_strdup (username);
  user->password = g_strdup (TEST_PASSWORD);

  body = credentials_json (user->username, user->password);
  response = tessera_test_server_request (self, "POST", "/signup", NULL, body);
  g_assert_cmpuint (response->status, ==, 201);

  g_assert_cmpuint (tessera_test_server_sign_in (self, user), ==, 201);

  return g_steal_pointer (&user);
}

/* Uploads */

TesseraTestResponse *
tessera_test_server_post_form (TesseraTestServer *self,
                               const char        *upload_url,
                               JsonObject        *form_fields,
                               const char        *filename,
                               const char        *content_type,
                               GBytes            *data)
{
  g_autoptr(SoupMultipart) multipart = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GList) members = NULL;

  g_return_val_if_fail (TESSERA_IS_TEST_SERVER (self), NULL);
  g_return_val_if_fail (upload_url != NULL, NULL);
  g_return_val_if_fail (form_fields != NULL, NULL);
  g_return_val_if_fail (data != NULL, NULL);

  multipart = soup_multipart_new (SOUP_FORM_MIME_TYPE_MULTIPART);
  members = json_object_get_members (form_fields);
  for (const GList *l = members; l != NULL; l = l->next)
    {
      JsonNode *node = json_object_get_member (form_fields, l->data);
      g_autofree char *text = NULL;

      if (json_node_get_value_type (node) == G_TYPE_STRING)
        text = g_strdup (json_node_get_string (node));
      else
        text = json_to_string (node, FALSE);
      soup_multipart_append_form_string (multipart, l->data, text);
    }
  soup_multipart_append_form_file (multipart, "file", filename, content_type, data);

  msg = soup_message_new_from_multipart (upload_url, multipart);
  g_assert_nonnull (msg);

  return send_message (self, msg);
}

char *
tessera_test_server_upload (TesseraTestServer *self,
                            TesseraTestUser   *user,
                            const char        *filename,
                            const char        *content_type,
                            GBytes            *data,
                            JsonObject       **form_out)
{
  g_autoptr(TesseraTestResponse) created = NULL;
  g_autoptr(TesseraTestResponse) posted = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *body = NULL;
  g_autofree char *sha256 = NULL;
  JsonObject *object, *form;

  g_return_val_if_fail (TESSERA_IS_TEST_SERVER (self), NULL);
  g_return_val_if_fail (user != NULL, NULL);
  g_return_val_if_fail (data != NULL, NULL);

  sha256 = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, data);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "filename");
  json_builder_add_string_value (builder, filename);
  json_builder_set_member_name (builder, "contentType");
  json_builder_add_string_value (builder, content_type);
  json_builder_set_member_name (builder, "size");
  json_builder_add_int_value (builder, g_bytes_get_size (data));
  /* as real clients do, so that duplicates can be recognised */
  json_builder_set_member_name (builder, "sha256");
  json_builder_add_string_value (builder, sha256);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  body = json_to_string (root, FALSE);

  created = tessera_test_server_call (self, "POST", "/images", user->token, body);
  g_assert_cmpuint (created->status, ==, 201);
  object = tessera_test_response_get_object (created);
  g_assert_nonnull (object);
  g_assert_true (json_object_has_member (object, "imageId"));
  g_assert_true (json_object_has_member (object, "formConfig"));
  form = json_object_get_object_member (object, "formConfig");
  g_assert_nonnull (form);

  posted = tessera_test_server_post_form (self,
                                          json_object_get_string_member (form, "uploadUrl"),
                                          json_object_get_object_member (form, "formFields"),
                                          filename, content_type, data);
  if (posted->status != 204)
    {
      g_autofree char *text = tessera_test_response_dup_text (posted);
      g_test_message ("form post answered %u: %s", posted->status, text);
    }
  g_assert_cmpuint (posted->status, ==, 204);

  if (form_out != NULL)
    *form_out = json_object_ref (object);

  return g_strdup (json_object_get_string_member (object, "imageId"));
}

JsonObject *
tessera_test_server_wait_for_status (TesseraTestServer *self,
                                     TesseraTestUser   *user,
                                     const char        *image_id,
                                     const char        *status,
                                     guint              timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + timeout_s * G_USEC_PER_SEC;
  g_autoptr(JsonObject) last = NULL;
  g_autofree char *path = g_strdup_printf ("/images/%s", image_id);

  g_return_val_if_fail (TESSERA_IS_TEST_SERVER (self), NULL);

  for (;;)
    {
      g_autoptr(TesseraTestResponse) response =
        tessera_test_server_call (self, "GET", path, user->token, NULL);
      const char *now;

      if (response->status == 200 && tessera_test_response_get_object (response) != NULL)
        {
          g_clear_pointer (&last, json_object_unref);
          last = json_object_ref (tessera_test_response_get_object (response));
          now = json_object_get_string_member_with_default (last, "status", "");
          if (g_strcmp0 (now, status) == 0 ||
              g_strcmp0 (now, "ready") == 0 ||
              g_strcmp0 (now, "failed") == 0)
            break;
        }

      if (g_get_monotonic_time () > deadline)
        break;
      g_usleep (100 * 1000);
    }

  return g_steal_pointer (&last);
}

static void
find_objects_in (const char *dir_path,
                 const char *needle,
                 GBytes     *content,
                 GPtrArray  *found)
{
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char *name;

  if (dir == NULL)
    return;

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir_path, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        {
          find_objects_in (path, needle, content, found);
          continue;
        }

      if (needle != NULL && strstr (path, needle) != NULL)
        {
          g_ptr_array_add (found, g_steal_pointer (&path));
          continue;
        }

      if (content != NULL)
        {
          g_autofree char *data = NULL;
          gsize size = 0;

          if (g_file_get_contents (path, &data, &size, NULL) &&
              size == g_bytes_get_size (content) &&
              memcmp (data, g_bytes_get_data (content, NULL), size) == 0)
            g_ptr_array_add (found, g_steal_pointer (&path));
        }
    }
}

GPtrArray *
tessera_test_server_find_files (TesseraTestServer *self,
                                const char        *subdir,
                                const char        *needle,
                                GBytes            *content)
{
  g_autofree char *dir = NULL;
  GPtrArray *found = g_ptr_array_new_with_free_func (g_free);

  g_return_val_if_fail (TESSERA_IS_TEST_SERVER (self), found);

  dir = g_build_filename (self->data_dir, subdir, NULL);
  find_objects_in (dir, needle, content, found);
  return found;
}

GPtrArray *
tessera_test_server_find_objects (TesseraTestServer *self,
                                  const char        *needle,
                                  GBytes            *content)
{
  return tessera_test_server_find_files (self, "objects", needle, content);
}

GBytes *
tessera_test_server_fetch (TesseraTestServer *self,
                           const char        *url)
{
  g_autoptr(TesseraTestResponse) response = NULL;

  g_return_val_if_fail (TESSERA_IS_TEST_SERVER (self), NULL);
  g_return_val_if_fail (url != NULL, NULL);

  response = tessera_test_server_request_raw (self, "GET", url, NULL, NULL, NULL);
  g_assert_cmpuint (response->status, ==, 200);
  return g_bytes_ref (response->body);
}

/* Images */

static void
ensure_vips (void)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      if (vips_init ("tessera-test") != 0)
        g_error ("vips_init failed: %s", vips_error_buffer ());
      g_once_init_leave (&initialized, 1);
    }
}

static VipsImage *
make_noise (int width,
            int height)
{
  VipsImage *bands[3] = { NULL, };
  VipsImage *joined = NULL;
  VipsImage *out = NULL;

  ensure_vips ();

  for (guint i = 0; i < G_N_ELEMENTS (bands); i++)
    {
      VipsImage *noise = NULL;

      if (vips_gaussnoise (&noise, width, height,
                           "mean", 128.0, "sigma", 40.0,
                           "seed", g_random_int_range (0, G_MAXINT),
                           NULL) != 0)
        g_error ("vips_gaussnoise: %s", vips_error_buffer ());
      if (vips_cast_uchar (noise, &bands[i], NULL) != 0)
        g_error ("vips_cast_uchar: %s", vips_error_buffer ());
      g_object_unref (noise);
    }

  if (vips_bandjoin (bands, &joined, G_N_ELEMENTS (bands), NULL) != 0)
    g_error ("vips_bandjoin: %s", vips_error_buffer ());
  for (guint i = 0; i < G_N_ELEMENTS (bands); i++)
    g_object_unref (bands[i]);

  if (vips_copy (joined, &out, "interpretation", VIPS_INTERPRETATION_sRGB, NULL) != 0)
    g_error ("vips_copy: %s", vips_error_buffer ());
  g_object_unref (joined);

  return out;
}

GBytes *
tessera_test_make_jpeg (int width,
                        int height)
{
  VipsImage *image = make_noise (width, height);
  void *buffer = NULL;
  size_t size = 0;
  GBytes *bytes;

  if (vips_jpegsave_buffer (image, &buffer, &size, "Q", 85, NULL) != 0)
    g_error ("vips_jpegsave_buffer: %s", vips_error_buffer ());
  g_object_unref (image);

  bytes = g_bytes_new (buffer, size);
  g_free (buffer);
  return bytes;
}

GBytes *
tessera_test_make_png (int width,
                       int height)
{
  VipsImage *image = make_noise (width, height);
  void *buffer = NULL;
  size_t size = 0;
  GBytes *bytes;

  if (vips_pngsave_buffer (image, &buffer, &size, NULL) != 0)
    g_error ("vips_pngsave_buffer: %s", vips_error_buffer ());
  g_object_unref (image);

  bytes = g_bytes_new (buffer, size);
  g_free (buffer);
  return bytes;
}

gboolean
tessera_test_image_size (GBytes *data,
                         int    *width,
                         int    *height)
{
  VipsImage *image;
  gsize size = 0;
  gconstpointer bytes = g_bytes_get_data (data, &size);

  ensure_vips ();

  image = vips_image_new_from_buffer (bytes, size, "", "fail", TRUE, NULL);
  if (image == NULL)
    {
      vips_error_clear ();
      return FALSE;
    }
  if (width != NULL)
    *width = vips_image_get_width (image);
  if (height != NULL)
    *height = vips_image_get_height (image);
  g_object_unref (image);
  return TRUE;
}

/* Tokens and listings */

gint64
tessera_test_parse_time (const char *text)
{
  g_autoptr(GDateTime) dt = NULL;

  if (text == NULL || (dt = g_date_time_new_from_iso8601 (text, NULL)) == NULL)
    return -1;
  return g_date_time_to_unix (dt) * G_USEC_PER_SEC + g_date_time_get_microsecond (dt);
}

JsonObject *
tessera_test_jwt_dup_payload (const char *token)
{
  g_auto(GStrv) parts = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree guchar *payload = NULL;
  g_autofree char *b64 = NULL;
  gsize length = 0;
  JsonNode *root;

  if (token == NULL)
    return NULL;
  parts = g_strsplit (token, ".", -1);
  if (g_strv_length (parts) != 3)
    return NULL;

  /* base64url to base64, padded */
  b64 = g_strdup (parts[1]);
  g_strdelimit (b64, "-", '+');
  g_strdelimit (b64, "_", '/');
  while (strlen (b64) % 4 != 0)
    {
      char *padded = g_strconcat (b64, "=", NULL);
      g_free (b64);
      b64 = padded;
    }
  payload = g_base64_decode (b64, &length);
  if (!json_parser_load_from_data (parser, (const char *)payload, length, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (!JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  return json_object_ref (json_node_get_object (root));
}

GStrv
tessera_test_listing_ids (TesseraTestResponse *response)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  JsonObject *object = tessera_test_response_get_object (response);
  JsonArray *images;

  g_assert_nonnull (object);
  g_assert_true (json_object_has_member (object, "images"));
  images = json_object_get_array_member (object, "images");
  g_assert_nonnull (images);

  for (guint i = 0; i < json_array_get_length (images); i++)
    {
      JsonObject *image = json_array_get_object_element (images, i);

      g_assert_nonnull (image);
      g_strv_builder_add (builder, json_object_get_string_member (image, "id"));
    }

  return g_strv_builder_end (builder);
}
