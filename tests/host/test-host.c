/* test-host.c: tessera-server's configuration, object store, S3 events and
 * listening socket, on real files in a temporary directory
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-host"

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "tessera-error.h"
#include "tessera-gateway.h"
#include "tessera-local-object-store.h"
#include "tessera-s3.h"
#include "tessera-server-config.h"
#include "tessera-sigv4.h"
#include "tessera-worker.h"

typedef struct
{
  char *dir;
  char *conf;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("tessera-host-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->conf = g_build_filename (fixture->dir, "tessera-server.conf", NULL);
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    while ((name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *child = g_build_filename (path, name, NULL);
        remove_tree (child);
      }
  g_remove (path);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  user_data)
{
  remove_tree (fixture->dir);
  g_free (fixture->dir);
  g_free (fixture->conf);
}

static void
write_conf (Fixture    *fixture,
            const char *text)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (fixture->conf, text, -1, &error);
  g_assert_no_error (error);
}

static TesseraServerConfig *
load_ok (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;
  TesseraServerConfig *config = tessera_server_config_load (fixture->conf, &error);

  g_assert_no_error (error);
  g_assert_nonnull (config);
  return config;
}

/* Configuration */

static void
test_config_first_start (Fixture       *fixture,
                         gconstpointer  user_data)
{
  g_autoptr(TesseraServerConfig) config = NULL;
  g_autoptr(TesseraServerConfig) again = NULL;
  g_autoptr(GKeyFile) written = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  static const char *expected[][2] = {
    { "server", "public-url" }, { "server", "workers" }, { "server", "http-threads" },
    { "s3", "bucket" }, { "s3", "region" }, { "s3", "access-key-id" },
    { "s3", "secret-access-key" }, { "limits", "max-upload-size" },
    { "limits", "max-pixels" }, { "limits", "max-body-size" }, { "urls", "upload-expires" },
    { "urls", "url-expires" }, { "tokens", "id-token-lifetime" },
    { "tokens", "refresh-token-lifetime" }, { "signin", "max-failures" },
    { "signin", "max-failures-per-address" }, { "signin", "window" },
    { "trash", "retention" }, { "trash", "purge-interval" }, { "jobs", "max-attempts" },
    { "jobs", "retry-base" }, { "jobs", "debug-delay-ms" }, { "tagger", "name" },
    { "tagger", "threshold" },
  };
  struct stat st;

  g_test_summary ("Without a file: every default, and the file written (0600) with every "
                  "key and generated S3 credentials that the next start keeps");

  config = load_ok (fixture);
  g_assert_null (config->public_url);
  g_assert_cmpuint (config->workers, ==, 2);
  g_assert_cmpuint (config->http_threads, ==, 4);
  g_assert_cmpstr (config->bucket, ==, "tessera");
  g_assert_cmpstr (config->region, ==, "us-east-1");
  g_assert_cmpint (config->max_upload_size, ==, 52428800);
  g_assert_cmpint (config->max_pixels, ==, 100000000);
  g_assert_cmpint (config->max_body_size, ==, 65536);
  g_assert_cmpuint (config->upload_expires, ==, 900);
  g_assert_cmpuint (config->url_expires, ==, 3600);
  g_assert_cmpint (config->id_token_lifetime, ==, 3600);
  g_assert_cmpint (config->refresh_token_lifetime, ==, 2592000);
  g_assert_cmpuint (config->signin_max_failures, ==, 5);
  g_assert_cmpuint (config->signin_max_failures_per_address, ==, 20);
  g_assert_cmpuint (config->signin_window, ==, 300);
  g_assert_cmpint (config->trash_retention, ==, 2592000);
  g_assert_cmpuint (config->purge_interval, ==, 3600);
  g_assert_cmpuint (config->job_max_attempts, ==, 5);
  g_assert_cmpuint (config->job_retry_base, ==, 2);
  g_assert_cmpuint (config->job_debug_delay_ms, ==, 0);
  g_assert_cmpstr (config->tagger_name, ==, "local");
  g_assert_cmpfloat (config->tagger_threshold, ==, 0.5);

  /* AWS's shapes: a 20-character upper-case key id, a 40-character secret */
  g_assert_cmpuint (strlen (config->access_key_id), ==, 20);
  g_assert_true (g_str_has_prefix (config->access_key_id, "TESSERA"));
  for (const char *p = config->access_key_id; *p; p++)
    g_assert_true (g_ascii_isupper (*p) || g_ascii_isdigit (*p));
  g_assert_cmpuint (strlen (config->secret_access_key), ==, 40);

  g_assert_cmpint (g_stat (fixture->conf, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  g_key_file_load_from_file (written, fixture->conf, G_KEY_FILE_NONE, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    g_assert_true (g_key_file_has_key (written, expected[i][0], expected[i][1], NULL));

  again = load_ok (fixture);
  g_assert_cmpstr (again->access_key_id, ==, config->access_key_id);
  g_assert_cmpstr (again->secret_access_key, ==, config->secret_access_key);
}

static void
test_config_adds_secret (Fixture       *fixture,
                         gconstpointer  user_data)
{
  g_autoptr(TesseraServerConfig) config = NULL;
  g_autoptr(GKeyFile) written = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *workers = NULL;
  g_autofree char *secret = NULL;
  g_autofree char *text = NULL;

  g_test_summary ("A file without the S3 secret gets one generated and saved; its other "
                  "keys and comments stay as they were, missing keys take their defaults");

  write_conf (fixture, "# mine\n[server]\nworkers=3\npublic-url=https://photos.example/\n"
                       "[limits]\nmax-upload-size=1000\n");
  config = load_ok (fixture);
  g_assert_cmpuint (config->workers, ==, 3);
  g_assert_cmpint (config->max_upload_size, ==, 1000);
  g_assert_cmpuint (config->url_expires, ==, 3600);
  g_assert_cmpstr (config->public_url, ==, "https://photos.example");

  g_key_file_load_from_file (written, fixture->conf, G_KEY_FILE_KEEP_COMMENTS, &error);
  g_assert_no_error (error);
  workers = g_key_file_get_value (written, "server", "workers", NULL);
  g_assert_cmpstr (workers, ==, "3");
  secret = g_key_file_get_value (written, "s3", "secret-access-key", NULL);
  g_assert_cmpstr (secret, ==, config->secret_access_key);
  g_file_get_contents (fixture->conf, &text, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (text, "# mine"));
}

static void
test_config_invalid (Fixture       *fixture,
                     gconstpointer  user_data)
{
  static const struct { const char *text; const char *needle; } cases[] = {
    { "[server]\nworkers=0\n", "workers" },
    { "[server]\nworkers=two\n", "workers" },
    { "[limits]\nmax-upload-size=-1\n", "max-upload-size" },
    { "[limits]\nmax-upload-size=12abc\n", "max-upload-size" },
    { "[urls]\nurl-expires=999999999\n", "url-expires" },
    { "[tagger]\nthreshold=1.5\n", "threshold" },
    { "[tagger]\nthreshold=nan\n", "threshold" },
    { "[s3]\nbucket=No_Such..Bucket\n", "bucket" },
    { "[s3]\naccess-key-id=a/b\n", "access-key-id" },
    { "[server]\npublic-url=ftp://example.com\n", "public-url" },
    { "[server]\npublic-url=not a url\n", "public-url" },
    { "this is not a key file\n", "tessera-server.conf" },
  };

  g_test_summary ("Each value out of range or of the wrong kind, and a file that does not "
                  "parse: TESSERA_ERROR_INVALID naming the key, never a crash");

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(TesseraServerConfig) config = NULL;
      g_autoptr(GError) error = NULL;

      write_conf (fixture, cases[i].text);
      config = tessera_server_config_load (fixture->conf, &error);
      g_test_message ("%s -> %s", cases[i].text, error ? error->message : "(loaded)");
      g_assert_null (config);
      g_assert_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID);
      g_assert_nonnull (strstr (error->message, cases[i].needle));
    }
}

/* Object store */

static TesseraLocalObjectStore *
new_store (Fixture              *fixture,
           TesseraServerConfig **config_out)
{
  g_autoptr(GError) error = NULL;
  TesseraServerConfig *config = load_ok (fixture);
  TesseraLocalObjectStore *store;

  store = tessera_local_object_store_new (fixture->dir, config, "http://127.0.0.1:9", &error);
  g_assert_no_error (error);
  g_assert_nonnull (store);
  *config_out = config;
  return store;
}

static guint
count_files (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;
  guint n = 0;

  if (dir == NULL)
    return g_file_test (path, G_FILE_TEST_IS_REGULAR) ? 1 : 0;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      n += count_files (child);
    }
  return n;
}

static void
test_object_keys (void)
{
  g_autofree char *long_key = g_strnfill (TESSERA_LOCAL_OBJECT_MAX_KEY + 1, 'a');
  g_autofree char *max_key = g_strnfill (TESSERA_LOCAL_OBJECT_MAX_KEY, 'a');
  const char *good[] = { "u/a/b", "u/a/b.thumb.webp", "a b+c ü", "x", "a/.hidden", "a/b..c" };
  const char *bad[] = { "", "/etc/passwd", "../x", "u/../x", "u/./x", "u//x", "u/x/", ".",
                        "..", "u/\nx", "u/\x7fx", "u/\x01x", "\xff\xfe" };

  g_test_summary ("Keys that could leave the bucket's directory, or name one file two "
                  "ways, are refused: '..', '.', empty segments, a leading '/', control "
                  "characters, invalid UTF-8, over 1024 bytes");

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    g_assert_true (tessera_local_object_key_is_valid (good[i]));
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_test_message ("bad key %u", i);
      g_assert_false (tessera_local_object_key_is_valid (bad[i]));
    }
  g_assert_true (tessera_local_object_key_is_valid (max_key));
  g_assert_false (tessera_local_object_key_is_valid (long_key));
  g_assert_false (tessera_local_object_key_is_valid (NULL));
}

static void
test_object_write_read_remove (Fixture       *fixture,
                               gconstpointer  user_data)
{
  g_autoptr(TesseraServerConfig) config = NULL;
  g_autoptr(TesseraLocalObjectStore) store = new_store (fixture, &config);
  g_autoptr(TesseraObjectWriter) writer = NULL;
  g_autoptr(TesseraObjectInfo) info = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *etag = NULL;
  g_autofree char *md5 = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *uploads = g_build_filename (fixture->dir, "uploads", NULL);
  g_autofree char *objects = g_build_filename (fixture->dir, "objects", NULL);
  g_autofree char *expected_path = NULL;
  TesseraObjectStore *port = TESSERA_OBJECT_STORE (store);
  const char *data = "not really a JPEG, but bytes are bytes";
  gsize len;

  g_test_summary ("A written object appears only on commit, at objects/<bucket>/<key>, "
                  "with its Content-Type, md5 ETag and user metadata; fetch gives its path; remove "
                  "deletes it and succeeds again for a missing one");

  writer = tessera_local_object_store_begin_write (store, "u/alice/one", &error);
  g_assert_no_error (error);
  g_assert_true (tessera_object_writer_write (writer, data, 10, &error));
  g_assert_true (tessera_object_writer_write (writer, data + 10, strlen (data) - 10, &error));
  g_assert_no_error (error);
  g_assert_cmpint (tessera_object_writer_get_size (writer), ==, strlen (data));

  /* not visible before the commit */
  g_assert_cmpuint (count_files (objects), ==, 0);
  g_assert_cmpuint (count_files (uploads), ==, 1);
  file = tessera_object_store_fetch (port, "u/alice/one", NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_null (file);
  g_clear_error (&error);

  tessera_object_writer_add_metadata (writer, "X-Amz-Meta-Camera", "Leica M");
  g_assert_true (tessera_object_writer_commit (writer, "image/jpeg", &etag, &error));
  g_assert_no_error (error);
  md5 = g_compute_checksum_for_string (G_CHECKSUM_MD5, data, -1);
  g_assert_cmpstr (etag, ==, md5);
  g_assert_cmpuint (count_files (uploads), ==, 0);
  g_assert_cmpuint (count_files (objects), ==, 1);

  file = tessera_object_store_fetch (port, "u/alice/one", NULL, &error);
  g_assert_no_error (error);
  expected_path = g_build_filename (objects, config->bucket, "u", "alice", "one", NULL);
  {
    g_autofree char *path = g_file_get_path (file);
    g_assert_cmpstr (path, ==, expected_path);
  }
  g_file_get_contents (expected_path, &contents, &len, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (contents, len, data, strlen (data));
  tessera_object_store_release (port, file);

  info = tessera_local_object_store_open (store, "u/alice/one", &error);
  g_assert_no_error (error);
  g_assert_cmpint (info->size, ==, strlen (data));
  g_assert_cmpstr (info->content_type, ==, "image/jpeg");
  g_assert_cmpstr (info->etag, ==, md5);
  g_assert_nonnull (info->metadata);
  g_assert_cmpuint (g_strv_length (info->metadata), ==, 2);
  g_assert_cmpstr (info->metadata[0], ==, "x-amz-meta-camera");
  g_assert_cmpstr (info->metadata[1], ==, "Leica M");
  g_clear_pointer (&info, tessera_object_info_free);

  g_assert_true (tessera_object_store_remove (port, "u/alice/one", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_files (objects), ==, 0);
  info = tessera_local_object_store_open (store, "u/alice/one", &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_true (tessera_object_store_remove (port, "u/alice/one", &error));
  g_assert_no_error (error);

  g_assert_false (tessera_object_store_remove (port, "../escape", &error));
  g_assert_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID);
}

static void
test_object_abort_and_sweep (Fixture       *fixture,
                             gconstpointer  user_data)
{
  g_autoptr(TesseraServerConfig) config = NULL;
  g_autoptr(TesseraLocalObjectStore) store = new_store (fixture, &config);
  g_autoptr(TesseraLocalObjectStore) restarted = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *uploads = g_build_filename (fixture->dir, "uploads", NULL);
  g_autofree char *objects = g_build_filename (fixture->dir, "objects", NULL);
  g_autofree char *leftover = g_build_filename (uploads, "upload-KILLED", NULL);
  TesseraObjectWriter *writer;

  g_test_summary ("An upload dropped before its commit leaves nothing; one a killed server "
                  "left half-written is removed at the next start");

  writer = tessera_local_object_store_begin_write (store, "u/alice/two", &error);
  g_assert_no_error (error);
  g_assert_true (tessera_object_writer_write (writer, "abc", 3, &error));
  tessera_object_writer_free (writer);
  g_assert_cmpuint (count_files (uploads), ==, 0);
  g_assert_cmpuint (count_files (objects), ==, 0);

  g_file_set_contents (leftover, "half", -1, &error);
  g_assert_no_error (error);
  restarted = tessera_local_object_store_new (fixture->dir, config, "http://127.0.0.1:9", &error);
  g_assert_no_error (error);
  g_assert_false (g_file_test (leftover, G_FILE_TEST_EXISTS));

  g_assert_null (tessera_local_object_store_begin_write (store, "u/../../x", &error));
  g_assert_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID);
}

static const char *
lookup_secret (const char *access_key_id,
               gpointer    user_data)
{
  TesseraServerConfig *config = user_data;

  return g_strcmp0 (access_key_id, config->access_key_id) == 0 ? config->secret_access_key : NULL;
}

static void
test_object_presign (Fixture       *fixture,
                     gconstpointer  user_data)
{
  g_autoptr(TesseraServerConfig) config = NULL;
  g_autoptr(TesseraLocalObjectStore) store = new_store (fixture, &config);
  g_autoptr(TesseraPresignedPost) post = NULL;
  g_autoptr(TesseraSigv4PostForm) form = NULL;
  g_autoptr(TesseraSigv4Request) request = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  g_autoptr(GList) members = NULL;
  gint64 min_size, max_size;
  TesseraObjectStore *port = TESSERA_OBJECT_STORE (store);

  g_test_summary ("The pre-signed GET is path-style under the public URL and verifies as "
                  "S3 would; the POST form names the bucket's URL and verifies with its "
                  "size range; a non-image type is refused");

  url = tessera_object_store_presign_get (port, "u/alice/a b.jpg", 60, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (url, "http://127.0.0.1:9/tessera/u/alice/a%20b.jpg?"));
  uri = g_uri_parse (url, G_URI_FLAGS_ENCODED, &error);
  g_assert_no_error (error);
  request = tessera_sigv4_request_new ("GET", g_uri_get_path (uri), g_uri_get_query (uri));
  tessera_sigv4_request_add_header (request, "Host", "127.0.0.1:9");
  g_assert_true (tessera_sigv4_verify_presigned (request, config->region, lookup_secret,
                                                 config, NULL, &error));
  g_assert_no_error (error);

  post = tessera_object_store_presign_post (port, "u/alice/b", "image/png", 1000, 60, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (post->upload_url, ==, "http://127.0.0.1:9/tessera");
  form = tessera_sigv4_post_form_new (config->bucket);
  members = json_object_get_members (post->form_fields);
  for (GList *l = members; l != NULL; l = l->next)
    tessera_sigv4_post_form_add_field (form, l->data,
                                       json_object_get_string_member (post->form_fields, l->data));
  g_assert_true (tessera_sigv4_post_form_verify (form, config->region, lookup_secret, config,
                                                 NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (tessera_sigv4_post_form_get_field (form, "key"), ==, "u/alice/b");
  g_assert_true (tessera_sigv4_post_form_get_length_range (form, &min_size, &max_size));
  g_assert_cmpint (min_size, ==, 1);
  g_assert_cmpint (max_size, ==, 1000);

  g_clear_pointer (&post, tessera_presigned_post_free);
  post = tessera_object_store_presign_post (port, "u/alice/c", "text/html", 1000, 60, &error);
  g_assert_null (post);
  g_assert_error (error, TESSERA_ERROR, TESSERA_ERROR_UNSUPPORTED_MEDIA);
}

/* Events */

static void
test_event (void)
{
  g_autofree char *event = NULL;
  g_autofree char *key = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *record, *s3, *object, *bucket;

  g_test_summary ("The ObjectCreated event is AWS's record format, with the key "
                  "form-encoded (space as '+', '+' as %2B), and the worker reads the key "
                  "back as it was");

  event = tessera_s3_build_event ("eu-west-1", "tessera", "u/a/b c+d ü.jpg", 1234,
                                  "0123abcd", "127.0.0.1", 1764050400123);
  root = json_from_string (event, &error);
  g_assert_no_error (error);

  record = json_array_get_object_element (json_object_get_array_member (json_node_get_object (root),
                                                                        "Records"), 0);
  g_assert_cmpstr (json_object_get_string_member (record, "eventVersion"), ==, "2.1");
  g_assert_cmpstr (json_object_get_string_member (record, "eventSource"), ==, "aws:s3");
  g_assert_cmpstr (json_object_get_string_member (record, "awsRegion"), ==, "eu-west-1");
  g_assert_cmpstr (json_object_get_string_member (record, "eventName"), ==, "ObjectCreated:Post");
  g_assert_cmpstr (json_object_get_string_member (record, "eventTime"), ==,
                   "2025-11-25T06:00:00.123Z");

  s3 = json_object_get_object_member (record, "s3");
  g_assert_cmpstr (json_object_get_string_member (s3, "s3SchemaVersion"), ==, "1.0");
  bucket = json_object_get_object_member (s3, "bucket");
  g_assert_cmpstr (json_object_get_string_member (bucket, "name"), ==, "tessera");
  g_assert_cmpstr (json_object_get_string_member (bucket, "arn"), ==, "arn:aws:s3:::tessera");
  object = json_object_get_object_member (s3, "object");
  g_assert_cmpstr (json_object_get_string_member (object, "key"), ==,
                   "u/a/b+c%2Bd+%C3%BC.jpg");
  g_assert_cmpint (json_object_get_int_member (object, "size"), ==, 1234);
  g_assert_cmpstr (json_object_get_string_member (object, "eTag"), ==, "0123abcd");
  g_assert_nonnull (json_object_get_string_member (object, "sequencer"));

  key = tessera_worker_dup_event_key (event);
  g_assert_cmpstr (key, ==, "u/a/b c+d ü.jpg");

  g_assert_null (tessera_worker_dup_event_key ("{\"Records\":[]}"));
  g_assert_null (tessera_worker_dup_event_key ("not json"));
}

/* Gateway */

static void
test_gateway_listen (void)
{
  g_autoptr(TesseraGateway) gateway = NULL;
  g_autoptr(TesseraGateway) taken = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *same_port = NULL;
  const char *bad[] = { "nonsense", "127.0.0.1", "127.0.0.1:65536", "127.0.0.1:-1",
                        "999.1.1.1:80", "[::1:80", "example.com:80" };

  g_test_summary ("Port 0 binds a free port that the URL names; a malformed address is "
                  "TESSERA_ERROR_INVALID; a taken port is an I/O error");

  gateway = tessera_gateway_new ("127.0.0.1:0", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tessera_gateway_get_port (gateway), >, 0);
  url = tessera_gateway_dup_url (gateway);
  expected = g_strdup_printf ("http://127.0.0.1:%u", tessera_gateway_get_port (gateway));
  g_assert_cmpstr (url, ==, expected);

  same_port = g_strdup_printf ("127.0.0.1:%u", tessera_gateway_get_port (gateway));
  taken = tessera_gateway_new (same_port, &error);
  g_assert_null (taken);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE);
  g_clear_error (&error);

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(TesseraGateway) none = tessera_gateway_new (bad[i], &error);

      g_test_message ("%s -> %s", bad[i], error ? error->message : "(bound)");
      g_assert_null (none);
      g_assert_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID);
      g_clear_error (&error);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/host/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("config/first-start", test_config_first_start);
  ADD ("config/adds-secret", test_config_adds_secret);
  ADD ("config/invalid", test_config_invalid);
  g_test_add_func ("/host/objects/keys", test_object_keys);
  ADD ("objects/write-read-remove", test_object_write_read_remove);
  ADD ("objects/abort-and-sweep", test_object_abort_and_sweep);
  ADD ("objects/presign", test_object_presign);
  g_test_add_func ("/host/s3/event", test_event);
  g_test_add_func ("/host/gateway/listen", test_gateway_listen);

#undef ADD

  return g_test_run ();
}
