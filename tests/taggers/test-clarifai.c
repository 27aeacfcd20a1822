/* test-clarifai.c: the Clarifai tagger against a stand-in that speaks Clarifai's v2 API
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The stand-in is a real HTTP server (SoupServer on loopback, port 0) in
 * its own thread, checking what Clarifai checks: the path, the
 * "Authorization: Key" header, the JSON body with a base64 image that
 * decodes as a small JPEG. What it answers depends on the app id in the
 * path, so each test picks a behaviour.
 */

#define G_LOG_DOMAIN "test-clarifai"

#include "config.h"

#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <vips/vips.h>

#include "tessera-error.h"
#include "tessera-taggers.h"
#include "tessera-taggers-private.h"

#define GOOD_KEY "test-key-0123456789"
#define VERSION  "aa7f35c01e0642fda5cf400f543e7c40"

typedef struct
{
  GThread      *thread;
  GMainContext *context;
  GMainLoop    *loop;
  SoupServer   *server;
  char         *url;
  GMutex        lock;
  GCond         ready;
  gboolean      started;
  /* what the stand-in saw, under lock */
  guint         requests;
  int           last_width;
  char         *last_problem;
} StandIn;

static void
respond (SoupServerMessage *msg,
         guint              status,
         const char        *json)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, json, strlen (json));
}

/* Checks the request as Clarifai would; returns a problem or NULL. */
static char *
check_request (SoupServerMessage *msg,
               int               *width)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(TesseraVipsImage) image = NULL;
  g_autofree guchar *jpeg = NULL;
  JsonNode *node;
  const char *base64;
  gsize length = 0;

  if (g_strcmp0 (soup_server_message_get_method (msg), "POST") != 0)
    return g_strdup ("not a POST");
  if (!g_str_has_prefix (soup_message_headers_get_content_type (headers, NULL) ?: "", "application/json"))
    return g_strdup ("not JSON");
  if (!json_parser_load_from_data (parser, body->data, body->length, NULL))
    return g_strdup ("body is not JSON");

  node = json_parser_get_root (parser);
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return g_strdup ("body is not an object");
  {
    JsonObject *root = json_node_get_object (node);
    JsonArray *inputs;
    JsonObject *image_object;

    if (!json_object_has_member (root, "inputs")
        || json_array_get_length (inputs = json_object_get_array_member (root, "inputs")) != 1)
      return g_strdup ("no inputs[0]");
    image_object = json_object_get_object_member (
        json_object_get_object_member (json_array_get_object_element (inputs, 0), "data"), "image");
    if (image_object == NULL || !json_object_has_member (image_object, "base64"))
      return g_strdup ("no inputs[0].data.image.base64");
    base64 = json_object_get_string_member (image_object, "base64");
  }

  jpeg = g_base64_decode (base64, &length);
  if (length < 3 || jpeg[0] != 0xFF || jpeg[1] != 0xD8)
    return g_strdup ("the image is not a JPEG");
  image = vips_image_new_from_buffer (jpeg, length, "", NULL);
  if (image == NULL)
    {
      vips_error_clear ();
      return g_strdup ("the JPEG does not decode");
    }
  *width = MAX (vips_image_get_width (image), vips_image_get_height (image));

  return NULL;
}

static void
on_outputs (SoupServer        *server,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  StandIn *stand_in = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *auth = soup_message_headers_get_one (headers, "Authorization");
  g_auto(GStrv) parts = g_strsplit (path, "/", -1);
  g_autofree char *problem = NULL;
  const char *app;
  guint n;
  int width = 0;

  /* /v2/users/{user}/apps/{app}/models/general-image-recognition/versions/{v}/outputs */
  if (g_strv_length (parts) != 11
      || g_strcmp0 (parts[1], "v2") != 0 || g_strcmp0 (parts[2], "users") != 0
      || g_strcmp0 (parts[4], "apps") != 0 || g_strcmp0 (parts[6], "models") != 0
      || g_strcmp0 (parts[7], "general-image-recognition") != 0
      || g_strcmp0 (parts[8], "versions") != 0 || g_strcmp0 (parts[10], "outputs") != 0)
    {
      respond (msg, 404, "{\"status\":{\"code\":21200,\"description\":\"Model does not exist\"}}");
      return;
    }
  app = parts[5];

  g_mutex_lock (&stand_in->lock);
  n = ++stand_in->requests;
  g_mutex_unlock (&stand_in->lock);

  if (g_strcmp0 (auth, "Key " GOOD_KEY) != 0)
    {
      respond (msg, 401, "{\"status\":{\"code\":11009,\"description\":\"Invalid API key or Invalid API key/application pair\"}}");
      return;
    }

  problem = check_request (msg, &width);
  g_mutex_lock (&stand_in->lock);
  g_free (stand_in->last_problem);
  stand_in->last_problem = g_steal_pointer (&problem);
  stand_in->last_width = width;
  g_mutex_unlock (&stand_in->lock);

  if (g_str_equal (app, "busy") && n == 1)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After", "0");
      respond (msg, 429, "{\"status\":{\"code\":11005,\"description\":\"Making too many requests\"}}");
      return;
    }
  if (g_str_equal (app, "failing"))
    {
      respond (msg, 200, "{\"status\":{\"code\":10020,\"description\":\"Failure\"},\"outputs\":[]}");
      return;
    }

  respond (msg, 200,
           "{\"status\":{\"code\":10000,\"description\":\"Ok\"},"
           "\"outputs\":[{\"id\":\"x\",\"status\":{\"code\":10000,\"description\":\"Ok\"},"
           "\"data\":{\"concepts\":["
           "{\"id\":\"ai_1\",\"name\":\"dog\",\"value\":0.991,\"app_id\":\"main\"},"
           "{\"id\":\"ai_2\",\"name\":\"Pet\",\"value\":0.95,\"app_id\":\"main\"},"
           "{\"id\":\"ai_3\",\"name\":\"bicycle\",\"value\":0.62,\"app_id\":\"main\"},"
           "{\"id\":\"ai_4\",\"name\":\"no value\"},"
           "{\"id\":\"ai_5\",\"name\":\"cute\",\"value\":0.9,\"app_id\":\"main\"}]}}]}");
}

static gpointer
stand_in_thread (gpointer data)
{
  StandIn *stand_in = data;
  g_autoptr(GError) error = NULL;
  GSList *uris;

  g_main_context_push_thread_default (stand_in->context);
  stand_in->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (stand_in->server, "/v2", on_outputs, stand_in, NULL);
  soup_server_listen_local (stand_in->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (stand_in->server);
  stand_in->url = g_uri_to_string (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  while (g_str_has_suffix (stand_in->url, "/"))
    stand_in->url[strlen (stand_in->url) - 1] = '\0';

  g_mutex_lock (&stand_in->lock);
  stand_in->started = TRUE;
  g_cond_signal (&stand_in->ready);
  g_mutex_unlock (&stand_in->lock);

  g_main_loop_run (stand_in->loop);

  soup_server_disconnect (stand_in->server);
  g_clear_object (&stand_in->server);
  g_main_context_pop_thread_default (stand_in->context);

  return NULL;
}

static StandIn *
stand_in_start (void)
{
  StandIn *stand_in = g_new0 (StandIn, 1);

  g_mutex_init (&stand_in->lock);
  g_cond_init (&stand_in->ready);
  stand_in->context = g_main_context_new ();
  stand_in->loop = g_main_loop_new (stand_in->context, FALSE);
  stand_in->thread = g_thread_new ("clarifai-stand-in", stand_in_thread, stand_in);

  g_mutex_lock (&stand_in->lock);
  while (!stand_in->started)
    g_cond_wait (&stand_in->ready, &stand_in->lock);
  g_mutex_unlock (&stand_in->lock);

  return stand_in;
}

static gboolean
quit_loop (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static void
stand_in_stop (StandIn *stand_in)
{
  g_main_context_invoke (stand_in->context, quit_loop, stand_in->loop);
  g_thread_join (stand_in->thread);
  g_main_loop_unref (stand_in->loop);
  g_main_context_unref (stand_in->context);
  g_free (stand_in->url);
  g_free (stand_in->last_problem);
  g_mutex_clear (&stand_in->lock);
  g_cond_clear (&stand_in->ready);
  g_free (stand_in);
}

static GKeyFile *
make_config (StandIn    *stand_in,
             const char *app)
{
  GKeyFile *config = g_key_file_new ();

  g_key_file_set_string (config, "tagger", "clarifai-url", stand_in->url);
  g_key_file_set_string (config, "tagger", "clarifai-user", "tessera");
  g_key_file_set_string (config, "tagger", "clarifai-app", app);
  g_key_file_set_string (config, "tagger", "clarifai-model-version", VERSION);
  g_key_file_set_integer (config, "tagger", "clarifai-attempts", 3);
  g_key_file_set_integer (config, "tagger", "clarifai-backoff-ms", 20);

  return config;
}

/* A 1600x1200 picture: big enough that sending it whole would show. */
static VipsImage *
make_picture (void)
{
  VipsImage *image = NULL;
  g_autoptr(TesseraVipsImage) noise = NULL;

  g_assert_cmpint (vips_gaussnoise (&noise, 1600, 1200, "mean", 128.0, "sigma", 40.0, NULL), ==, 0);
  g_assert_cmpint (vips_cast_uchar (noise, &image, NULL), ==, 0);

  return image;
}

static gboolean
run_tagger (TesseraTagger       *tagger,
            TesseraImageRecord  *record,
            GError             **error)
{
  g_autoptr(TesseraVipsImage) picture = make_picture ();
  g_autoptr(GFile) original = g_file_new_for_path ("/nonexistent/original.jpg");

  return tessera_tagger_tag (tagger, original, picture, record, NULL, error);
}

static const TesseraLabel *
find_label (TesseraImageRecord *record,
            const char         *name)
{
  for (guint i = 0; i < record->labels->len; i++)
    {
      const TesseraLabel *label = g_ptr_array_index (record->labels, i);

      if (g_str_equal (label->name, name))
        return label;
    }
  return NULL;
}

static void
test_success (void)
{
  StandIn *stand_in = stand_in_start ();
  g_autoptr(GKeyFile) config = make_config (stand_in, "main");
  g_autoptr(GError) error = NULL;
  g_autoptr(TesseraTagger) tagger = NULL;
  g_autoptr(TesseraImageRecord) record = tessera_image_record_new ();
  const TesseraLabel *dog;

  g_setenv ("CLARIFAI_PAT", GOOD_KEY, TRUE);
  tagger = tessera_tagger_new_by_name ("clarifai", config, &error);
  g_assert_no_error (error);

  g_assert_true (run_tagger (tagger, record, &error));
  g_assert_no_error (error);

  /* Only concepts at or above 0.9, names normalised, source "clarifai". */
  g_assert_cmpuint (record->labels->len, ==, 3);
  dog = find_label (record, "dog");
  g_assert_nonnull (dog);
  g_assert_cmpfloat_with_epsilon (dog->confidence, 0.991, 1e-9);
  g_assert_cmpstr (dog->source, ==, "clarifai");
  g_assert_nonnull (find_label (record, "pet"));
  g_assert_nonnull (find_label (record, "cute"));
  g_assert_null (find_label (record, "bicycle"));

  /* One request, well formed, with a downscaled picture. */
  g_assert_cmpuint (stand_in->requests, ==, 1);
  g_assert_cmpstr (stand_in->last_problem, ==, NULL);
  g_assert_cmpint (stand_in->last_width, >, 0);
  g_assert_cmpint (stand_in->last_width, <=, 512);

  g_unsetenv ("CLARIFAI_PAT");
  stand_in_stop (stand_in);
}

static void
test_threshold (void)
{
  StandIn *stand_in = stand_in_start ();
  g_autoptr(GKeyFile) config = make_config (stand_in, "main");
  g_autoptr(GError) error = NULL;
  g_autoptr(TesseraTagger) tagger = NULL;
  g_autoptr(TesseraImageRecord) record = tessera_image_record_new ();

  g_setenv ("CLARIFAI_API_KEY", GOOD_KEY, TRUE);
  g_key_file_set_double (config, "tagger", "threshold", 0.5);
  tagger = tessera_tagger_new_by_name ("clarifai", config, &error);
  g_assert_no_error (error);
  g_assert_true (run_tagger (tagger, record, &error));
  g_assert_cmpuint (record->labels->len, ==, 4);
  g_assert_nonnull (find_label (record, "bicycle"));

  g_unsetenv ("CLARIFAI_API_KEY");
  stand_in_stop (stand_in);
}

static void
test_failure_status (void)
{
  StandIn *stand_in = stand_in_start ();
  g_autoptr(GKeyFile) config = make_config (stand_in, "failing");
  g_autoptr(GError) error = NULL;
  g_autoptr(TesseraTagger) tagger = NULL;
  g_autoptr(TesseraImageRecord) record = tessera_image_record_new ();

  g_setenv ("CLARIFAI_PAT", GOOD_KEY, TRUE);
  tagger = tessera_tagger_new_by_name ("clarifai", config, &error);
  g_assert_no_error (error);

  /* Retried up to the bound, then a clear error naming Clarifai's status. */
  g_assert_false (run_tagger (tagger, record, &error));
  g_assert_error (error, TESSERA_ERROR, TESSERA_ERROR_UNAVAILABLE);
  g_assert_nonnull (strstr (error->message, "10020"));
  g_assert_nonnull (strstr (error->message, "3 attempts"));
  g_assert_cmpuint (stand_in->requests, ==, 3);
  g_assert_cmpuint (record->labels->len, ==, 0);

  g_unsetenv ("CLARIFAI_PAT");
  stand_in_stop (stand_in);
}

static void
test_rate_limited_then_ok (void)
{
  StandIn *stand_in = stand_in_start ();
  g_autoptr(GKeyFile) config = make_config (stand_in, "busy");
  g_autoptr(GError) error = NULL;
  g_autoptr(TesseraTagger) tagger = NULL;
  g_autoptr(TesseraImageRecord) record = tessera_image_record_new ();

  g_setenv ("CLARIFAI_PAT", GOOD_KEY, TRUE);
  tagger = tessera_tagger_new_by_name ("clarifai", config, &error);
  g_assert_no_error (error);

  g_assert_true (run_tagger (tagger, record, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stand_in->requests, ==, 2);
  g_assert_nonnull (find_label (record, "dog"));

  g_unsetenv ("CLARIFAI_PAT");
  stand_in_stop (stand_in);
}

static void
test_bad_key (void)
{
  StandIn *stand_in = stand_in_start ();
  g_autoptr(GKeyFile) config = make_config (stand_in, "main");
  g_autoptr(GError) error = NULL;
  g_autoptr(TesseraTagger) tagger = NULL;
  g_autoptr(TesseraImageRecord) record = tessera_image_record_new ();

  g_setenv ("CLARIFAI_PAT", "wrong-key", TRUE);
  tagger = tessera_tagger_new_by_name ("clarifai", config, &error);
  g_assert_no_error (error);

  /* A refused key is not worth retrying. */
  g_assert_false (run_tagger (tagger, record, &error));
  g_assert_error (error, TESSERA_ERROR, TESSERA_ERROR_UNAUTHORIZED);
  g_assert_nonnull (strstr (error->message, "11009"));
  g_assert_null (strstr (error->message, "wrong-key"));
  g_assert_cmpuint (stand_in->requests, ==, 1);

  g_unsetenv ("CLARIFAI_PAT");
  stand_in_stop (stand_in);
}

static void
test_unreachable (void)
{
  g_autoptr(GKeyFile) config = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(TesseraTagger) tagger = NULL;
  g_autoptr(TesseraImageRecord) record = tessera_image_record_new ();
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autofree char *url = NULL;

  /* A port that was just free and is closed again: connection refused. */
  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_bind (socket, any, FALSE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  url = g_strdup_printf ("http://127.0.0.1:%u",
                         g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  g_socket_close (socket, NULL);

  g_key_file_set_string (config, "tagger", "clarifai-url", url);
  g_key_file_set_integer (config, "tagger", "clarifai-attempts", 2);
  g_key_file_set_integer (config, "tagger", "clarifai-backoff-ms", 10);
  g_setenv ("CLARIFAI_PAT", GOOD_KEY, TRUE);
  tagger = tessera_tagger_new_by_name ("clarifai", config, &error);
  g_assert_no_error (error);

  g_assert_false (run_tagger (tagger, record, &error));
  g_assert_error (error, TESSERA_ERROR, TESSERA_ERROR_UNAVAILABLE);
  g_assert_nonnull (strstr (error->message, "Cannot reach Clarifai"));

  g_unsetenv ("CLARIFAI_PAT");
}

static void
test_key_file (void)
{
  g_autofree char *dir = g_dir_make_tmp ("tessera-clarifai-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "key", NULL);
  g_autoptr(GKeyFile) config = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  TesseraTagger *tagger;

  g_unsetenv ("CLARIFAI_PAT");
  g_unsetenv ("CLARIFAI_API_KEY");

  /* No key at all. */
  tagger = tessera_tagger_new_by_name ("clarifai", config, &error);
  g_assert_null (tagger);
  g_assert_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID);
  g_clear_error (&error);

  g_assert_true (g_file_set_contents (path, GOOD_KEY "\n", -1, NULL));
  g_key_file_set_string (config, "tagger", "clarifai-key-file", path);

  /* Readable by others: refused, and the message says how to fix it. */
  g_assert_cmpint (g_chmod (path, 0644), ==, 0);
  tagger = tessera_tagger_new_by_name ("clarifai", config, &error);
  g_assert_null (tagger);
  g_assert_error (error, TESSERA_ERROR, TESSERA_ERROR_FORBIDDEN);
  g_assert_nonnull (strstr (error->message, "0600"));
  g_assert_null (strstr (error->message, GOOD_KEY));
  g_clear_error (&error);

  g_assert_cmpint (g_chmod (path, 0600), ==, 0);
  tagger = tessera_tagger_new_by_name ("clarifai", config, &error);
  g_assert_no_error (error);
  g_assert_nonnull (tagger);
  g_object_unref (tagger);

  /* A bad threshold is a configuration error. */
  g_key_file_set_string (config, "tagger", "threshold", "2");
  tagger = tessera_tagger_new_by_name ("clarifai", config, &error);
  g_assert_null (tagger);
  g_assert_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID);
  g_clear_error (&error);

  g_unlink (path);
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  if (VIPS_INIT (argv[0]) != 0)
    g_error ("vips: %s", vips_error_buffer ());

  g_test_add_func ("/clarifai/success", test_success);
  g_test_add_func ("/clarifai/threshold", test_threshold);
  g_test_add_func ("/clarifai/failure-status", test_failure_status);
  g_test_add_func ("/clarifai/rate-limited-then-ok", test_rate_limited_then_ok);
  g_test_add_func ("/clarifai/bad-key", test_bad_key);
  g_test_add_func ("/clarifai/unreachable", test_unreachable);
  g_test_add_func ("/clarifai/key-file", test_key_file);

  return g_test_run ();
}
