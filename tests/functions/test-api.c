/* test-api.c: the API's functions, driven through tessera_api_handle() with
 * the real local adapters (SQLite index, local user pool, local object
 * store) in a temporary directory
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-api"

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <vips/vips.h>

#include "tessera-api.h"
#include "tessera-local-db.h"
#include "tessera-local-index.h"
#include "tessera-local-object-store.h"
#include "tessera-local-user-pool.h"
#include "tessera-server-config.h"
#include "tessera-taggers.h"
#include "tessera-util.h"

typedef struct
{
  char                    *dir;
  TesseraServerConfig     *config;
  TesseraLocalDb          *db;
  TesseraLocalIndex       *index;
  TesseraLocalUserPool    *pool;
  TesseraLocalObjectStore *objects;
  TesseraApi               api;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *config_path = NULL;
  g_autofree char *db_path = NULL;
  g_autofree char *key_path = NULL;
  TesseraLocalUserPoolSettings settings;

  f->dir = g_dir_make_tmp ("tessera-functions-XXXXXX", &error);
  g_assert_no_error (error);

  config_path = g_build_filename (f->dir, "tessera-server.conf", NULL);
  f->config = tessera_server_config_load (config_path, &error);
  g_assert_no_error (error);

  db_path = g_build_filename (f->dir, "tessera.db", NULL);
  f->db = tessera_local_db_open (db_path, &error);
  g_assert_no_error (error);
  f->index = tessera_local_index_new (f->db);

  tessera_local_user_pool_settings_init_defaults (&settings);
  g_free (settings.issuer);
  settings.issuer = g_strdup ("http://127.0.0.1:9");
  key_path = g_build_filename (f->dir, "jwt-signing-key.pem", NULL);
  f->pool = tessera_local_user_pool_new (f->db, key_path, &settings, &error);
  tessera_local_user_pool_settings_clear (&settings);
  g_assert_no_error (error);

  f->objects = tessera_local_object_store_new (f->dir, f->config, "http://127.0.0.1:9", &error);
  g_assert_no_error (error);

  f->api.user_pool = TESSERA_USER_POOL (f->pool);
  f->api.index = TESSERA_IMAGE_INDEX (f->index);
  f->api.objects = TESSERA_OBJECT_STORE (f->objects);
  f->api.tagger = NULL;
  tessera_api_settings_init_defaults (&f->api.settings);
}

static void
remove_tree (const char *path)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          remove_tree (child);
        }
      g_assert_cmpint (g_rmdir (path), ==, 0);
    }
  else
    g_assert_cmpint (g_unlink (path), ==, 0);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_object (&f->objects);
  g_clear_object (&f->pool);
  g_clear_object (&f->index);
  g_clear_object (&f->db);
  g_clear_pointer (&f->config, tessera_server_config_free);

  remove_tree (f->dir);
  g_free (f->dir);
}

/* Requests */

static TesseraResponse *
call (Fixture    *f,
      const char *method,
      const char *path,
      const char *query,
      const char *body,
      const char *sub)
{
  g_autoptr(TesseraRequest) request = tessera_request_new (method, path);
  TesseraResponse *response;

  if (query != NULL)
    {
      g_auto(GStrv) pairs = g_strsplit (query, "&", -1);

      for (guint i = 0; pairs[i] != NULL; i++)
        {
          g_auto(GStrv) kv = g_strsplit (pairs[i], "=", 2);
          g_hash_table_insert (request->query,
                               g_uri_unescape_string (kv[0], NULL),
                               g_uri_unescape_string (kv[1] ? kv[1] : "", NULL));
        }
    }

  if (body != NULL)
    {
      request->body = g_bytes_new (body, strlen (body));
      g_hash_table_insert (request->headers, g_strdup ("content-type"),
                           g_strdup ("application/json"));
    }
  request->source_ip = g_strdup ("127.0.0.1");
  request->sub = g_strdup (sub);

  response = tessera_api_handle (&f->api, request);
  g_assert_nonnull (response);
  return response;
}

static const char *
header (TesseraResponse *response,
        const char      *name)
{
  const char *found = NULL;

  for (guint i = 0; i + 1 < response->headers->len; i += 2)
    if (g_ascii_strcasecmp (g_ptr_array_index (response->headers, i), name) == 0)
      {
        g_assert_null (found); /* never twice */
        found = g_ptr_array_index (response->headers, i + 1);
      }

  return found;
}

/* Every response, whatever its status, is JSON with CORS. */
static void
assert_cors (TesseraResponse *response)
{
  g_assert_cmpstr (header (response, "Access-Control-Allow-Origin"), ==, "*");
  g_assert_nonnull (strstr (header (response, "Access-Control-Allow-Headers"), "Authorization"));
  g_assert_nonnull (strstr (header (response, "Access-Control-Allow-Headers"), "Content-Type"));
  g_assert_nonnull (strstr (header (response, "Access-Control-Allow-Methods"), "PATCH"));
  g_assert_cmpstr (header (response, "Content-Type"), ==, "application/json");
  g_assert_nonnull (strstr (header (response, "Access-Control-Expose-Headers"), "Retry-After"));
}

static JsonObject *
body_object (TesseraResponse *response)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (response->body);
  json_parser_load_from_data (parser, response->body, -1, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

/* Asserts @response is the error @status with a non-empty message. */
static void
assert_error (TesseraResponse *response,
              guint            status)
{
  g_autoptr(JsonObject) object = NULL;

  if (response->status != status)
    g_test_message ("unexpected answer: %u %s", response->status, response->body);
  g_assert_cmpuint (response->status, ==, status);
  assert_cors (response);
  object = body_object (response);
  g_assert_true (json_object_has_member (object, "message"));
  g_assert_cmpuint (strlen (json_object_get_string_member (object, "message")), >, 0);
  g_assert_cmpuint (json_object_get_size (object), ==, 1);
}

#define CALL_EXPECT(f, status, method, path, query, body, sub) \
  G_STMT_START { \
    g_autoptr(TesseraResponse) r_ = call (f, method, path, query, body, sub); \
    assert_error (r_, status); \
  } G_STMT_END

static char *
new_user (Fixture    *f,
          const char *username)
{
  g_autoptr(TesseraResponse) signup = NULL;
  g_autoptr(TesseraResponse) signin = NULL;
  g_autoptr(JsonObject) tokens = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *body = NULL;
  char *sub = NULL;
  char *name = NULL;

  body = g_strdup_printf ("{\"username\":\"%s\",\"password\":\"correct horse battery\"}", username);
  signup = call (f, "POST", "/signup", NULL, body, NULL);
  g_assert_cmpuint (signup->status, ==, 201);
  signin = call (f, "POST", "/signin", NULL, body, NULL);
  g_assert_cmpuint (signin->status, ==, 201);
  tokens = body_object (signin);

  /* The host's authorizer, for real. */
  tessera_local_user_pool_verify (f->pool, json_object_get_string_member (tokens, "token"),
                                  &sub, &name, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (name, ==, username);
  g_free (name);

  return sub;
}

static char *
create_image (Fixture    *f,
              const char *sub,
              const char *body)
{
  g_autoptr(TesseraResponse) response = call (f, "POST", "/images", NULL, body, sub);
  g_autoptr(JsonObject) object = NULL;

  if (response->status != 201)
    g_test_message ("POST /images: %u %s", response->status, response->body);
  g_assert_cmpuint (response->status, ==, 201);
  object = body_object (response);
  return g_strdup (json_object_get_string_member (object, "imageId"));
}

static JsonObject *
get_image (Fixture    *f,
           const char *sub,
           const char *id)
{
  g_autofree char *path = g_strdup_printf ("/images/%s", id);
  g_autoptr(TesseraResponse) response = call (f, "GET", path, NULL, NULL, sub);

  g_assert_cmpuint (response->status, ==, 200);
  return body_object (response);
}

static guint
count_images (Fixture    *f,
              const char *sub,
              const char *query)
{
  g_autoptr(TesseraResponse) response = call (f, "GET", "/images", query, NULL, sub);
  g_autoptr(JsonObject) object = NULL;

  g_assert_cmpuint (response->status, ==, 200);
  object = body_object (response);
  return json_array_get_length (json_object_get_array_member (object, "images"));
}

/* Routing */

static void
test_routing_unknown (Fixture       *f,
                      gconstpointer  data)
{
  const char *paths[] = { "/", "/nope", "/images/x/y/z", "/imagesx", "/images/", "/../etc/passwd" };

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr(TesseraResponse) response = call (f, "GET", paths[i], NULL, NULL, "someone");
      g_autoptr(JsonObject) object = NULL;

      assert_error (response, 404);
      object = body_object (response);
      g_assert_cmpstr (json_object_get_string_member (object, "message"), ==, "Not found");
    }
}

static void
test_routing_method (Fixture       *f,
                     gconstpointer  data)
{
  struct { const char *method, *path, *allow; } cases[] = {
    { "GET", "/signup", "POST, OPTIONS" },
    { "DELETE", "/images", "GET, POST, OPTIONS" },
    { "PUT", "/images/3f1e0a52-8c5e-4a53-9b7f-6f0d0c2f6a10", "GET, PATCH, DELETE, OPTIONS" },
    { "GET", "/images/3f1e0a52-8c5e-4a53-9b7f-6f0d0c2f6a10/restore", "POST, OPTIONS" },
    { "POST", "/.well-known/jwks.json", "GET, OPTIONS" },
    { "HEAD", "/tags", "GET, OPTIONS" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      /* 405 comes before authentication: no token needed to learn it. */
      g_autoptr(TesseraResponse) response = call (f, cases[i].method, cases[i].path, NULL, NULL, NULL);

      assert_error (response, 405);
      g_assert_cmpstr (header (response, "Allow"), ==, cases[i].allow);
    }
}

static void
test_routing_options (Fixture       *f,
                      gconstpointer  data)
{
  const char *paths[] = { "/images", "/images/whatever", "/tags", "/signin", "/nowhere" };

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr(TesseraResponse) response = call (f, "OPTIONS", paths[i], NULL, NULL, NULL);

      g_assert_cmpuint (response->status, ==, 204);
      g_assert_null (response->body);
      assert_cors (response);
      g_assert_null (header (response, "WWW-Authenticate"));
    }
}

static void
test_routing_unauthorized (Fixture       *f,
                           gconstpointer  data)
{
  struct { const char *method, *path; } cases[] = {
    { "GET", "/images" },
    { "POST", "/images" },
    { "GET", "/images/3f1e0a52-8c5e-4a53-9b7f-6f0d0c2f6a10" },
    { "PATCH", "/images/3f1e0a52-8c5e-4a53-9b7f-6f0d0c2f6a10" },
    { "DELETE", "/images/3f1e0a52-8c5e-4a53-9b7f-6f0d0c2f6a10" },
    { "POST", "/images/3f1e0a52-8c5e-4a53-9b7f-6f0d0c2f6a10/restore" },
    { "GET", "/tags" },
    { "POST", "/signout" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(TesseraResponse) missing = call (f, cases[i].method, cases[i].path, NULL, "{}", NULL);
      g_autoptr(TesseraRequest) request = tessera_request_new (cases[i].method, cases[i].path);
      g_autoptr(TesseraResponse) invalid = NULL;
      g_autoptr(JsonObject) object = NULL;

      assert_error (missing, 401);
      object = body_object (missing);
      g_assert_cmpstr (json_object_get_string_member (object, "message"), ==, "Missing token");
      g_assert_cmpstr (header (missing, "WWW-Authenticate"), ==, "Bearer realm=\"tessera\"");

      request->auth_error = g_strdup ("The token has expired");
      invalid = tessera_api_handle (&f->api, request);
      assert_error (invalid, 401);
      g_clear_pointer (&object, json_object_unref);
      object = body_object (invalid);
      g_assert_cmpstr (json_object_get_string_member (object, "message"), ==, "The token has expired");
      g_assert_cmpstr (header (invalid, "WWW-Authenticate"), ==,
                       "Bearer realm=\"tessera\", error=\"invalid_token\"");
    }
}

/* Bodies */

static void
test_body_validation (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *huge = NULL;
  g_autofree char *huge_body = NULL;
  const char *bad[] = {
    NULL,                                   /* no body */
    "",
    "{",
    "not json",
    "[\"username\",\"password\"]",
    "\"a string\"",
    "42",
    "null",
    "{\"username\":5,\"password\":\"correct horse\"}",
    "{\"username\":\"ann\",\"password\":[1]}",
    "{\"username\":\"ann\"}",
    "{\"password\":\"correct horse\"}",
    "{\"username\":null,\"password\":\"correct horse\"}",
    "{\"username\":\"ann\",\"password\":{\"a\":1}}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      CALL_EXPECT (f, 400, "POST", "/signup", NULL, bad[i], NULL);
      CALL_EXPECT (f, 400, "POST", "/signin", NULL, bad[i], NULL);
    }
  CALL_EXPECT (f, 400, "POST", "/refresh", NULL, "{\"refreshToken\":1}", NULL);
  CALL_EXPECT (f, 400, "POST", "/refresh", NULL, "{}", NULL);

  /* Deep nesting within the size limit: refused before json-glib's
   * recursive parser could run out of stack. */
  {
    g_autofree char *open = g_strnfill (f->api.settings.max_body_size / 2 - 64, '[');
    g_autofree char *deep = g_strdup_printf ("{\"username\":\"ann\",\"password\":%s}", open);

    g_autoptr(TesseraResponse) r = call (f, "POST", "/signup", NULL, deep, NULL);
    g_autoptr(JsonObject) o = body_object (r);

    assert_error (r, 400);
    g_assert_nonnull (strstr (json_object_get_string_member (o, "message"), "nests deeper"));
    CALL_EXPECT (f, 400, "PATCH", "/images/3f1e0a52-8c5e-4a53-9b7f-6f0d0c2f6a10", NULL, deep, "someone");
  }
  /* Brackets inside strings are text, not nesting. */
  {
    g_autofree char *brackets = g_strnfill (200, '[');
    g_autofree char *text = g_strdup_printf ("{\"username\":\"ann\\\"%s\",\"password\":1}", brackets);
    g_autoptr(TesseraResponse) r = call (f, "POST", "/signup", NULL, text, NULL);
    g_autoptr(JsonObject) o = body_object (r);

    assert_error (r, 400);
    g_assert_cmpstr (json_object_get_string_member (o, "message"), ==, "Field “password” must be a string");
  }

  /* Over max_body_size: 413 before any parsing. */
  huge = g_strnfill (f->api.settings.max_body_size, 'a');
  huge_body = g_strdup_printf ("{\"username\":\"ann\",\"password\":\"%s\"}", huge);
  CALL_EXPECT (f, 413, "POST", "/signup", NULL, huge_body, NULL);

  /* Nothing was created along the way: ann cannot sign in, and can still
   * sign up. */
  CALL_EXPECT (f, 401, "POST", "/signin", NULL,
               "{\"username\":\"ann\",\"password\":\"correct horse\"}", NULL);
  {
    g_autoptr(TesseraResponse) r = call (f, "POST", "/signup", NULL,
                                         "{\"username\":\"ann\",\"password\":\"correct horse\"}", NULL);
    g_assert_cmpuint (r->status, ==, 201);
  }
}

/* Accounts */

static void
test_auth_flow (Fixture       *f,
                gconstpointer  data)
{
  const char *credentials = "{\"username\":\"bob\",\"password\":\"correct horse battery\"}";
  g_autoptr(TesseraResponse) signup = NULL;
  g_autoptr(TesseraResponse) again = NULL;
  g_autoptr(TesseraResponse) signin = NULL;
  g_autoptr(TesseraResponse) refresh = NULL;
  g_autoptr(TesseraResponse) signout = NULL;
  g_autoptr(TesseraResponse) jwks = NULL;
  g_autoptr(JsonObject) tokens = NULL;
  g_autoptr(JsonObject) rotated = NULL;
  g_autoptr(JsonObject) keys = NULL;
  g_autoptr(JsonObject) message = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *body = NULL;
  g_autofree char *sub = NULL;
  g_autofree char *username = NULL;

  signup = call (f, "POST", "/signup", NULL, credentials, NULL);
  g_assert_cmpuint (signup->status, ==, 201);
  assert_cors (signup);
  message = body_object (signup);
  g_assert_cmpstr (json_object_get_string_member (message, "message"), ==, "User created");

  again = call (f, "POST", "/signup", NULL, credentials, NULL);
  assert_error (again, 409);

  CALL_EXPECT (f, 401, "POST", "/signin", NULL,
               "{\"username\":\"bob\",\"password\":\"wrong horse battery\"}", NULL);
  CALL_EXPECT (f, 401, "POST", "/signin", NULL,
               "{\"username\":\"nobody\",\"password\":\"correct horse battery\"}", NULL);

  signin = call (f, "POST", "/signin", NULL, credentials, NULL);
  g_assert_cmpuint (signin->status, ==, 201);
  g_assert_cmpstr (header (signin, "Cache-Control"), ==, "no-store");
  tokens = body_object (signin);
  g_assert_cmpuint (json_object_get_size (tokens), ==, 3);
  g_assert_cmpint (json_object_get_int_member (tokens, "expiresIn"), >, 0);
  tessera_local_user_pool_verify (f->pool, json_object_get_string_member (tokens, "token"),
                                  &sub, &username, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (username, ==, "bob");

  body = g_strdup_printf ("{\"refreshToken\":\"%s\"}",
                          json_object_get_string_member (tokens, "refreshToken"));
  refresh = call (f, "POST", "/refresh", NULL, body, NULL);
  g_assert_cmpuint (refresh->status, ==, 201);
  rotated = body_object (refresh);
  g_assert_cmpstr (json_object_get_string_member (rotated, "refreshToken"), !=,
                   json_object_get_string_member (tokens, "refreshToken"));
  /* The old one stopped working. */
  CALL_EXPECT (f, 401, "POST", "/refresh", NULL, body, NULL);

  g_free (body);
  body = g_strdup_printf ("{\"refreshToken\":\"%s\"}",
                          json_object_get_string_member (rotated, "refreshToken"));
  signout = call (f, "POST", "/signout", NULL, body, sub);
  g_assert_cmpuint (signout->status, ==, 200);
  CALL_EXPECT (f, 401, "POST", "/refresh", NULL, body, NULL);

  jwks = call (f, "GET", "/.well-known/jwks.json", NULL, NULL, NULL);
  g_assert_cmpuint (jwks->status, ==, 200);
  assert_cors (jwks);
  keys = body_object (jwks);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (keys, "keys")), >=, 1);
}

static void
test_auth_rate_limit (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *sub = new_user (f, "carol");
  gboolean limited = FALSE;

  for (guint i = 0; i < 30 && !limited; i++)
    {
      g_autoptr(TesseraResponse) r = call (f, "POST", "/signin", NULL,
                                           "{\"username\":\"carol\",\"password\":\"guess guess guess\"}",
                                           NULL);
      if (r->status == 429)
        {
          const char *retry_after = header (r, "Retry-After");
          guint64 seconds = 0;

          assert_error (r, 429);
          g_assert_nonnull (retry_after);
          g_assert_true (g_ascii_string_to_unsigned (retry_after, 10, 1, 24 * 3600, &seconds, NULL));
          limited = TRUE;
        }
      else
        assert_error (r, 401);
    }

  g_assert_true (limited);
}

/* Objects and events */

static gboolean
object_exists (Fixture    *f,
               const char *key)
{
  g_autofree char *path = g_build_filename (f->dir, "objects", f->config->bucket, key, NULL);

  return g_file_test (path, G_FILE_TEST_EXISTS);
}

static void
put_object (Fixture    *f,
            const char *key,
            const char *local_path)
{
  g_autoptr(GFile) file = g_file_new_for_path (local_path);
  g_autoptr(GError) error = NULL;

  tessera_object_store_put_file (f->api.objects, key, file, "image/jpeg", NULL, &error);
  g_assert_no_error (error);
  g_assert_true (object_exists (f, key));
}

static char *
event_for_key (const char *key)
{
  g_autofree char *escaped = g_uri_escape_string (key, "/", FALSE);

  return g_strdup_printf ("{\"Records\":[{\"eventVersion\":\"2.1\",\"eventSource\":\"aws:s3\","
                          "\"eventName\":\"ObjectCreated:Post\",\"s3\":{\"bucket\":{\"name\":\"tessera\"},"
                          "\"object\":{\"key\":\"%s\",\"size\":1}}}]}", escaped);
}

static void
write_jpeg (const char *path,
            int         width,
            int         height)
{
  VipsImage *noise = NULL;
  VipsImage *image = NULL;

  g_assert_cmpint (vips_gaussnoise (&noise, width, height, "mean", 128.0, "sigma", 40.0, NULL), ==, 0);
  g_assert_cmpint (vips_bandjoin_const1 (noise, &image, 0.0, NULL), ==, 0);
  g_object_unref (noise);
  noise = image;
  g_assert_cmpint (vips_bandjoin_const1 (noise, &image, 64.0, NULL), ==, 0);
  g_object_unref (noise);
  g_assert_cmpint (vips_image_write_to_file (image, path, "Q", 90, NULL), ==, 0);
  g_object_unref (image);
}

static guint32
crc32_of (const guint8 *data,
          gsize         length)
{
  guint32 crc = 0xffffffff;

  for (gsize i = 0; i < length; i++)
    {
      crc ^= data[i];
      for (int k = 0; k < 8; k++)
        crc = (crc >> 1) ^ (0xedb88320 & -(crc & 1));
    }

  return crc ^ 0xffffffff;
}

static void
append_chunk (GByteArray   *png,
              const char   *type,
              const guint8 *data,
              guint32       length)
{
  g_autoptr(GByteArray) typed = g_byte_array_new ();
  guint32 be = GUINT32_TO_BE (length);
  guint32 crc;

  g_byte_array_append (typed, (const guint8 *) type, 4);
  if (length > 0)
    g_byte_array_append (typed, data, length);
  crc = GUINT32_TO_BE (crc32_of (typed->data, typed->len));

  g_byte_array_append (png, (const guint8 *) &be, 4);
  g_byte_array_append (png, typed->data, typed->len);
  g_byte_array_append (png, (const guint8 *) &crc, 4);
}

/* A PNG that declares @width x @height, with a tiny IDAT: a decompression
 * bomb's header. */
static void
write_png_header_only (const char *path,
                       guint32     width,
                       guint32     height)
{
  static const guint8 signature[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  static const guint8 idat[] = { 0x78, 0x9c, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01 };
  g_autoptr(GByteArray) png = g_byte_array_new ();
  guint8 ihdr[13] = { 0 };
  guint32 w = GUINT32_TO_BE (width);
  guint32 h = GUINT32_TO_BE (height);

  memcpy (ihdr, &w, 4);
  memcpy (ihdr + 4, &h, 4);
  ihdr[8] = 8;   /* bit depth */
  ihdr[9] = 2;   /* RGB */

  g_byte_array_append (png, signature, sizeof signature);
  append_chunk (png, "IHDR", ihdr, sizeof ihdr);
  append_chunk (png, "IDAT", idat, sizeof idat);
  append_chunk (png, "IEND", NULL, 0);

  g_assert_true (g_file_set_contents (path, (const char *) png->data, png->len, NULL));
}

static JsonObject *
process (Fixture    *f,
         const char *sub,
         const char *id,
         const char *local_path)
{
  g_autofree char *key = g_strdup_printf ("u/%s/%s", sub, id);
  g_autofree char *event = event_for_key (key);
  g_autoptr(GError) error = NULL;

  put_object (f, key, local_path);
  g_assert_true (tessera_api_on_object_created (&f->api, event, NULL, &error));
  g_assert_no_error (error);

  return get_image (f, sub, id);
}

/* Images */

static void
test_images_create_validation (Fixture       *f,
                               gconstpointer  data)
{
  g_autofree char *sub = new_user (f, "dave");
  g_autofree char *long_name = g_strnfill (256, 'x');
  g_autofree char *long_body = g_strdup_printf ("{\"filename\":\"%s.jpg\"}", long_name);
  struct { guint status; const char *body; } cases[] = {
    { 400, "[]" },
    { 400, "{\"filename\":7}" },
    { 400, "{\"filename\":\"a\\u0001b.jpg\"}" },
    { 400, "{\"filename\":\"a\\nb.jpg\"}" },
    { 400, "{\"filename\":\"dir/\"}" },
    { 400, "{\"filename\":\"..\"}" },
    { 400, "{\"filename\":\"\"}" },
    { 415, "{\"contentType\":\"text/html\"}" },
    { 415, "{\"contentType\":\"application/octet-stream\"}" },
    { 415, "{\"contentType\":\"image/\"}" },
    { 415, "{\"contentType\":\"image/png\\r\\nX-Evil: 1\"}" },
    { 415, "{\"contentType\":\"image/png; charset=x\"}" },
    { 415, "{\"contentType\":\"image/svg+xml\"}" },
    { 415, "{\"contentType\":\"image/bmp\"}" },
    { 400, "{\"contentType\":3}" },
    { 400, "{\"size\":0}" },
    { 400, "{\"size\":-5}" },
    { 400, "{\"size\":1.5}" },
    { 400, "{\"size\":\"12\"}" },
    { 413, "{\"size\":52428801}" },
    { 413, "{\"size\":9223372036854775807}" },
    { 400, "{\"sha256\":\"abc\"}" },
    { 400, "{\"sha256\":\"zz3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85\"}" },
    { 400, "{\"sha256\":[]}" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(TesseraResponse) r = call (f, "POST", "/images", NULL, cases[i].body, sub);

      g_test_message ("POST /images %s", cases[i].body);
      assert_error (r, cases[i].status);
    }
  CALL_EXPECT (f, 400, "POST", "/images", NULL, long_body, sub);

  /* None of these left a record behind. */
  g_assert_cmpuint (count_images (f, sub, NULL), ==, 0);
}

static void
test_images_create (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *sub = new_user (f, "erin");
  g_autoptr(TesseraResponse) r = NULL;
  g_autoptr(TesseraResponse) dup = NULL;
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(JsonObject) image = NULL;
  g_autoptr(JsonObject) dup_answer = NULL;
  g_autofree char *key = NULL;
  g_autofree char *bare_id = NULL;
  JsonObject *form;
  JsonObject *fields;
  const char *id;

  r = call (f, "POST", "/images", NULL,
            "{\"filename\":\"../../etc/Holiday Photo.PNG\",\"size\":1234,"
            "\"sha256\":\"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855\"}",
            sub);
  g_assert_cmpuint (r->status, ==, 201);
  assert_cors (r);
  answer = body_object (r);
  id = json_object_get_string_member (answer, "imageId");
  g_assert_true (tessera_id_is_valid (id));
  form = json_object_get_object_member (answer, "formConfig");
  g_assert_true (g_str_has_prefix (json_object_get_string_member (form, "uploadUrl"), "http://127.0.0.1:9/"));
  fields = json_object_get_object_member (form, "formFields");
  key = g_strdup_printf ("u/%s/%s", sub, id);
  g_assert_cmpstr (json_object_get_string_member (fields, "key"), ==, key);
  g_assert_cmpstr (json_object_get_string_member (fields, "Content-Type"), ==, "image/png");
  g_assert_true (json_object_has_member (fields, "policy"));

  image = get_image (f, sub, id);
  g_assert_cmpstr (json_object_get_string_member (image, "id"), ==, id);
  g_assert_cmpstr (json_object_get_string_member (image, "filename"), ==, "Holiday Photo.PNG");
  g_assert_cmpstr (json_object_get_string_member (image, "contentType"), ==, "image/png");
  g_assert_cmpstr (json_object_get_string_member (image, "status"), ==, "uploading");
  g_assert_cmpint (json_object_get_int_member (image, "size"), ==, 1234);
  g_assert_cmpstr (json_object_get_string_member (image, "sha256"), ==,
                   "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  g_assert_true (tessera_time_from_iso8601 (json_object_get_string_member (image, "createdAt")) > 0);
  g_assert_true (json_object_get_null_member (image, "thumbnailUrl"));
  g_assert_true (json_object_get_null_member (image, "previewUrl"));
  g_assert_true (g_str_has_prefix (json_object_get_string_member (image, "fileUrl"), "http://127.0.0.1:9/"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (image, "tags")), ==, 0);
  g_assert_false (json_object_has_member (image, "trashedAt"));
  g_assert_false (json_object_has_member (image, "failureReason"));

  /* The same checksum while the first upload never arrived: a fresh form
   * for the same image, not a second record. */
  {
    g_autoptr(TesseraResponse) retry = NULL;
    g_autoptr(JsonObject) retry_answer = NULL;

    retry = call (f, "POST", "/images", NULL,
                  "{\"sha256\":\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"}", sub);
    g_assert_cmpuint (retry->status, ==, 201);
    retry_answer = body_object (retry);
    g_assert_cmpstr (json_object_get_string_member (retry_answer, "imageId"), ==, id);
    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (json_object_get_object_member (retry_answer, "formConfig"), "formFields"), "key"), ==, key);
    g_assert_cmpuint (count_images (f, sub, NULL), ==, 1);
  }

  /* Once it arrived and was processed, the image has the checksum of the
   * bytes stored (not the declared one, which was not theirs), and that
   * checksum is a duplicate. */
  {
    g_autofree char *jpeg = g_build_filename (f->dir, "holiday.jpg", NULL);
    g_autoptr(JsonObject) ready = NULL;
    g_autofree char *contents = NULL;
    g_autofree char *real_sha256 = NULL;
    g_autofree char *dup_body = NULL;
    gsize length;

    write_jpeg (jpeg, 64, 48);
    g_assert_true (g_file_get_contents (jpeg, &contents, &length, NULL));
    real_sha256 = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) contents, length);
    ready = process (f, sub, id, jpeg);
    g_assert_cmpstr (json_object_get_string_member (ready, "status"), ==, "ready");
    g_assert_cmpstr (json_object_get_string_member (ready, "sha256"), ==, real_sha256);
    g_assert_cmpint (json_object_get_int_member (ready, "size"), ==, length);

    dup_body = g_strdup_printf ("{\"sha256\":\"%s\"}", real_sha256);
    dup = call (f, "POST", "/images", NULL, dup_body, sub);
  }
  g_assert_cmpuint (dup->status, ==, 200);
  dup_answer = body_object (dup);
  g_assert_cmpstr (json_object_get_string_member (dup_answer, "duplicateOf"), ==, id);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (dup_answer, "image"), "id"), ==, id);
  g_assert_cmpuint (count_images (f, sub, NULL), ==, 1);

  /* Clients' aliases become the canonical name; a name guessed from the
   * file name when none is given. */
  {
    struct { const char *body, *type; } types[] = {
      { "{\"contentType\":\"IMAGE/JPG\"}", "image/jpeg" },
      { "{\"contentType\":\"image/x-png\"}", "image/png" },
      { "{\"filename\":\"a.webp\"}", "image/webp" },
      { "{\"filename\":\"drawing.svg\"}", "image/jpeg" },
      { "{\"filename\":\"no-extension\"}", "image/jpeg" },
    };

    for (guint i = 0; i < G_N_ELEMENTS (types); i++)
      {
        g_autofree char *typed = create_image (f, sub, types[i].body);
        g_autoptr(JsonObject) o = get_image (f, sub, typed);

        g_assert_cmpstr (json_object_get_string_member (o, "contentType"), ==, types[i].type);
      }
  }

  /* No body is not an object; an empty object is fine: every field is
   * optional. */
  CALL_EXPECT (f, 400, "POST", "/images", NULL, NULL, sub);
  bare_id = create_image (f, sub, "{}");
  {
    g_autoptr(JsonObject) bare = get_image (f, sub, bare_id);
    g_assert_cmpstr (json_object_get_string_member (bare, "contentType"), ==, "image/jpeg");
  }
}

static void
test_images_isolation (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *owner = new_user (f, "frank");
  g_autofree char *other = new_user (f, "grace");
  g_autofree char *id = create_image (f, owner, "{\"filename\":\"a.jpg\"}");
  g_autofree char *path = g_strdup_printf ("/images/%s", id);
  g_autofree char *restore = g_strdup_printf ("/images/%s/restore", id);

  CALL_EXPECT (f, 404, "GET", path, NULL, NULL, other);
  CALL_EXPECT (f, 404, "PATCH", path, NULL, "{\"addTags\":[\"mine\"]}", other);
  CALL_EXPECT (f, 404, "DELETE", path, NULL, NULL, other);
  CALL_EXPECT (f, 404, "DELETE", path, "permanent=true", NULL, other);
  CALL_EXPECT (f, 404, "POST", restore, NULL, NULL, other);
  g_assert_cmpuint (count_images (f, other, NULL), ==, 0);

  /* Bad id formats are 404 too, not 400: ids reveal nothing. */
  CALL_EXPECT (f, 404, "GET", "/images/not-an-id", NULL, NULL, owner);
  CALL_EXPECT (f, 404, "PATCH", "/images/..", NULL, "{}", owner);

  /* Still there, untouched, for its owner. */
  {
    g_autoptr(JsonObject) image = get_image (f, owner, id);
    g_assert_false (json_object_has_member (image, "trashedAt"));
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (image, "tags")), ==, 0);
  }
}

static void
test_images_list_validation (Fixture       *f,
                             gconstpointer  data)
{
  g_autofree char *sub = new_user (f, "heidi");
  g_autofree char *long_tag = g_strnfill (65, 't');
  g_autofree char *long_query = g_strdup_printf ("tags=%s", long_tag);
  g_autoptr(GString) many = g_string_new ("tags=");
  const char *bad[] = {
    "limit=0", "limit=101", "limit=abc", "limit=-1", "limit=10x", "limit=",
    "match=some", "match=ALL",
    "tags=a,,b", "tags=a,", "tags=,", "tags=%20",
    "untagged=yes", "trashed=1",
    "cursor=garbage!", "cursor=Zm9v", "cursor=MTIzOm5vdC1hbi1pZA",
    "untagged=true&tags=a",
  };

  for (guint i = 0; i < 21; i++)
    g_string_append_printf (many, "%st%u", i ? "," : "", i);

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_test_message ("GET /images?%s", bad[i]);
      CALL_EXPECT (f, 400, "GET", "/images", bad[i], NULL, sub);
    }
  CALL_EXPECT (f, 400, "GET", "/images", long_query, NULL, sub);
  CALL_EXPECT (f, 400, "GET", "/images", many->str, NULL, sub);
}

static void
test_images_pagination (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *sub = new_user (f, "ivan");
  g_autoptr(GPtrArray) created = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *cursor = NULL;
  gint64 previous = G_MAXINT64;
  guint pages = 0;

  for (guint i = 0; i < 7; i++)
    g_ptr_array_add (created, create_image (f, sub, "{}"));

  do
    {
      g_autofree char *query = cursor ? g_strdup_printf ("limit=3&cursor=%s", cursor)
                                      : g_strdup ("limit=3");
      g_autoptr(TesseraResponse) r = call (f, "GET", "/images", query, NULL, sub);
      g_autoptr(JsonObject) page = NULL;
      JsonArray *images;

      g_assert_cmpuint (r->status, ==, 200);
      page = body_object (r);
      images = json_object_get_array_member (page, "images");
      g_assert_cmpuint (json_array_get_length (images), <=, 3);
      for (guint i = 0; i < json_array_get_length (images); i++)
        {
          JsonObject *image = json_array_get_object_element (images, i);
          gint64 at = tessera_time_from_iso8601 (json_object_get_string_member (image, "createdAt"));

          g_assert_cmpint (at, <=, previous);
          previous = at;
          g_assert_true (g_hash_table_add (seen, g_strdup (json_object_get_string_member (image, "id"))));
        }

      g_clear_pointer (&cursor, g_free);
      if (!json_object_get_null_member (page, "nextCursor"))
        cursor = g_strdup (json_object_get_string_member (page, "nextCursor"));
      pages++;
    }
  while (cursor != NULL && pages < 10);

  g_assert_cmpuint (pages, ==, 3);
  g_assert_cmpuint (g_hash_table_size (seen), ==, created->len);
  for (guint i = 0; i < created->len; i++)
    g_assert_true (g_hash_table_contains (seen, g_ptr_array_index (created, i)));
}

static void
test_images_tags (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *sub = new_user (f, "judy");
  g_autofree char *a = create_image (f, sub, "{}");
  g_autofree char *b = create_image (f, sub, "{}");
  g_autofree char *untagged = create_image (f, sub, "{}");
  g_autofree char *path_a = g_strdup_printf ("/images/%s", a);
  g_autofree char *path_b = g_strdup_printf ("/images/%s", b);
  g_autofree char *long_tag = g_strnfill (65, 't');
  g_autofree char *long_body = g_strdup_printf ("{\"addTags\":[\"%s\"]}", long_tag);
  g_autofree char *huge_tag = g_strnfill (10000, 'h');
  g_autofree char *huge_body = g_strdup_printf ("{\"addTags\":[\"%s\"]}", huge_tag);
  g_autoptr(GString) many = g_string_new ("{\"addTags\":[");
  g_autoptr(TesseraResponse) patched = NULL;
  g_autoptr(TesseraResponse) tags = NULL;
  g_autoptr(JsonObject) image = NULL;
  g_autoptr(JsonObject) counts = NULL;
  JsonArray *array;

  for (guint i = 0; i < 51; i++)
    g_string_append_printf (many, "%s\"t%u\"", i ? "," : "", i);
  g_string_append (many, "]}");

  CALL_EXPECT (f, 400, "PATCH", path_a, NULL, "{\"addTags\":[\"\"]}", sub);
  CALL_EXPECT (f, 400, "PATCH", path_a, NULL, "{\"addTags\":[\"   \"]}", sub);
  CALL_EXPECT (f, 400, "PATCH", path_a, NULL, "{\"addTags\":[\"a,b\"]}", sub);
  CALL_EXPECT (f, 400, "PATCH", path_a, NULL, "{\"addTags\":\"dog\"}", sub);
  CALL_EXPECT (f, 400, "PATCH", path_a, NULL, "{\"addTags\":[1]}", sub);
  CALL_EXPECT (f, 400, "PATCH", path_a, NULL, "{\"removeTags\":[null]}", sub);
  CALL_EXPECT (f, 400, "PATCH", path_a, NULL, long_body, sub);
  CALL_EXPECT (f, 400, "PATCH", path_a, NULL, huge_body, sub);
  CALL_EXPECT (f, 400, "PATCH", path_a, NULL, many->str, sub);
  CALL_EXPECT (f, 400, "PATCH", path_a, NULL, "[]", sub);

  /* The refused patches changed nothing. */
  image = get_image (f, sub, a);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (image, "tags")), ==, 0);
  g_clear_pointer (&image, json_object_unref);

  patched = call (f, "PATCH", path_a, NULL, "{\"addTags\":[\"  Dog \",\"CAT\",\"dog\",\"Cafe\\u0301\"]}", sub);
  g_assert_cmpuint (patched->status, ==, 200);
  image = body_object (patched);
  array = json_object_get_array_member (image, "tags");
  g_assert_cmpuint (json_array_get_length (array), ==, 3);
  g_assert_cmpstr (json_array_get_string_element (array, 0), ==, "café");
  g_assert_cmpstr (json_array_get_string_element (array, 1), ==, "cat");
  g_assert_cmpstr (json_array_get_string_element (array, 2), ==, "dog");

  {
    g_autoptr(TesseraResponse) r = call (f, "PATCH", path_b, NULL, "{\"addTags\":[\"dog\",\"park\"]}", sub);
    g_assert_cmpuint (r->status, ==, 200);
  }
  {
    g_autoptr(TesseraResponse) r = call (f, "PATCH", path_a, NULL, "{\"removeTags\":[\"CAT\"]}", sub);
    g_autoptr(JsonObject) o = body_object (r);
    g_assert_cmpuint (r->status, ==, 200);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "tags")), ==, 2);
  }

  g_assert_cmpuint (count_images (f, sub, "tags=dog"), ==, 2);
  g_assert_cmpuint (count_images (f, sub, "tags=DOG,%20park"), ==, 1);
  g_assert_cmpuint (count_images (f, sub, "tags=caf%C3%A9,park&match=any"), ==, 2);
  g_assert_cmpuint (count_images (f, sub, "tags=cat"), ==, 0);
  g_assert_cmpuint (count_images (f, sub, "untagged=true"), ==, 1);
  {
    g_autoptr(TesseraResponse) r = call (f, "GET", "/images", "untagged=true", NULL, sub);
    g_autoptr(JsonObject) o = body_object (r);
    JsonArray *images = json_object_get_array_member (o, "images");

    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (images, 0), "id"), ==, untagged);
  }
  g_assert_cmpuint (count_images (f, sub, "tags="), ==, 3);

  tags = call (f, "GET", "/tags", NULL, NULL, sub);
  g_assert_cmpuint (tags->status, ==, 200);
  counts = body_object (tags);
  array = json_object_get_array_member (counts, "tags");
  g_assert_cmpuint (json_array_get_length (array), ==, 3);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *item = json_array_get_object_element (array, i);
      const char *name = json_object_get_string_member (item, "name");
      gint64 expected = g_str_equal (name, "dog") ? 2 : 1;

      g_assert_cmpint (json_object_get_int_member (item, "count"), ==, expected);
    }

}

static void
test_images_trash (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *sub = new_user (f, "kim");
  g_autofree char *id = create_image (f, sub, "{}");
  g_autofree char *other = create_image (f, sub, "{}");
  g_autofree char *path = g_strdup_printf ("/images/%s", id);
  g_autofree char *other_path = g_strdup_printf ("/images/%s", other);
  g_autofree char *restore = g_strdup_printf ("/images/%s/restore", id);
  g_autofree char *key = g_strdup_printf ("u/%s/%s", sub, other);
  g_autofree char *file = g_build_filename (f->dir, "bytes", NULL);
  g_autoptr(JsonObject) image = NULL;

  CALL_EXPECT (f, 400, "DELETE", path, "permanent=sure", NULL, sub);

  {
    g_autoptr(TesseraResponse) r = call (f, "DELETE", path, NULL, NULL, sub);
    g_autoptr(JsonObject) o = body_object (r);
    g_assert_cmpuint (r->status, ==, 200);
    g_assert_true (json_object_has_member (o, "message"));
  }
  /* Still visible by id, with trashedAt; not in the gallery; in the trash. */
  image = get_image (f, sub, id);
  g_assert_true (tessera_time_from_iso8601 (json_object_get_string_member (image, "trashedAt")) > 0);
  g_assert_cmpuint (count_images (f, sub, NULL), ==, 1);
  g_assert_cmpuint (count_images (f, sub, "trashed=true"), ==, 1);
  CALL_EXPECT (f, 404, "PATCH", path, NULL, "{\"addTags\":[\"x\"]}", sub);

  {
    g_autoptr(TesseraResponse) r = call (f, "POST", restore, NULL, NULL, sub);
    g_autoptr(JsonObject) o = body_object (r);
    g_assert_cmpuint (r->status, ==, 200);
    g_assert_false (json_object_has_member (o, "trashedAt"));
  }
  g_assert_cmpuint (count_images (f, sub, NULL), ==, 2);
  g_assert_cmpuint (count_images (f, sub, "trashed=true"), ==, 0);

  /* Permanent: the object goes, then the record. */
  g_assert_true (g_file_set_contents (file, "bytes", -1, NULL));
  put_object (f, key, file);
  {
    g_autoptr(TesseraResponse) r = call (f, "DELETE", other_path, "permanent=true", NULL, sub);
    g_assert_cmpuint (r->status, ==, 200);
  }
  g_assert_false (object_exists (f, key));
  CALL_EXPECT (f, 404, "GET", other_path, NULL, NULL, sub);
  g_assert_cmpuint (count_images (f, sub, NULL), ==, 1);
}

static void
test_purge_trash (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *sub = new_user (f, "leo");
  g_autofree char *id = create_image (f, sub, "{}");
  g_autofree char *kept = create_image (f, sub, "{}");
  g_autoptr(JsonObject) kept_image = NULL;
  g_autofree char *path = g_strdup_printf ("/images/%s", id);
  g_autofree char *key = g_strdup_printf ("u/%s/%s", sub, id);
  g_autofree char *file = g_build_filename (f->dir, "bytes", NULL);
  gint64 now = tessera_now_ms ();

  g_assert_true (g_file_set_contents (file, "bytes", -1, NULL));
  put_object (f, key, file);
  {
    g_autoptr(TesseraResponse) r = call (f, "DELETE", path, NULL, NULL, sub);
    g_assert_cmpuint (r->status, ==, 200);
  }

  /* Not yet expired. */
  g_assert_cmpuint (tessera_api_purge_trash (&f->api, now), ==, 0);
  g_assert_true (object_exists (f, key));
  g_assert_cmpuint (count_images (f, sub, "trashed=true"), ==, 1);

  g_assert_cmpuint (tessera_api_purge_trash (&f->api, now + f->api.settings.trash_retention_ms + 60000), ==, 1);
  g_assert_false (object_exists (f, key));
  CALL_EXPECT (f, 404, "GET", path, NULL, NULL, sub);
  g_assert_cmpuint (count_images (f, sub, "trashed=true"), ==, 0);

  /* The image outside the trash was not touched. */
  kept_image = get_image (f, sub, kept);
  g_assert_cmpstr (json_object_get_string_member (kept_image, "id"), ==, kept);
  g_assert_cmpuint (count_images (f, sub, NULL), ==, 1);
}

/* ObjectCreated */

static void
test_object_created_ready (Fixture       *f,
                           gconstpointer  data)
{
  g_autofree char *sub = new_user (f, "mia");
  g_autofree char *id = create_image (f, sub, "{\"filename\":\"shot.png\",\"contentType\":\"image/png\"}");
  g_autofree char *jpeg = g_build_filename (f->dir, "shot.jpg", NULL);
  g_autofree char *thumb_key = NULL;
  g_autofree char *preview_key = NULL;
  g_autoptr(JsonObject) image = NULL;
  g_autoptr(JsonObject) again = NULL;
  g_autoptr(GError) error = NULL;

  write_jpeg (jpeg, 640, 480);
  image = process (f, sub, id, jpeg);
  g_assert_cmpstr (json_object_get_string_member (image, "status"), ==, "ready");
  /* The bytes decide, not what the client declared. */
  g_assert_cmpstr (json_object_get_string_member (image, "contentType"), ==, "image/jpeg");
  g_assert_cmpint (json_object_get_int_member (image, "width"), ==, 640);
  g_assert_cmpint (json_object_get_int_member (image, "height"), ==, 480);
  g_assert_false (json_object_has_member (image, "failureReason"));
  g_assert_false (json_object_get_null_member (image, "thumbnailUrl"));
  g_assert_false (json_object_get_null_member (image, "previewUrl"));

  thumb_key = g_strdup_printf ("u/%s/%s.thumb.webp", sub, id);
  preview_key = g_strdup_printf ("u/%s/%s.preview.webp", sub, id);
  g_assert_true (object_exists (f, thumb_key));
  g_assert_true (object_exists (f, preview_key));
  {
    g_autofree char *path = g_build_filename (f->dir, "objects", f->config->bucket, thumb_key, NULL);
    VipsImage *thumb = vips_image_new_from_file (path, NULL);

    g_assert_nonnull (thumb);
    g_assert_cmpint (vips_image_get_width (thumb), ==, 256);
    g_assert_cmpint (vips_image_get_height (thumb), ==, 192);
    g_object_unref (thumb);
  }

  /* Another kind of event is not acted on, even for a key with no record
   * (an ObjectCreated would remove that object). */
  {
    g_autofree char *key = g_strdup_printf ("u/%s/5c4b3a29-1807-4f6e-9d5c-4b3a29180746", sub);
    g_autofree char *created = event_for_key (key);
    g_autofree char *removed = NULL;
    GString *s = g_string_new (created);

    g_string_replace (s, "ObjectCreated:Post", "ObjectRemoved:Delete", 1);
    removed = g_string_free (s, FALSE);
    put_object (f, key, jpeg);
    g_assert_true (tessera_api_on_object_created (&f->api, removed, NULL, &error));
    g_assert_no_error (error);
    g_assert_true (object_exists (f, key));
  }

  /* Idempotent: once more gives the same record. */
  {
    g_autofree char *key = g_strdup_printf ("u/%s/%s", sub, id);
    g_autofree char *event = event_for_key (key);

    g_assert_true (tessera_api_on_object_created (&f->api, event, NULL, &error));
    g_assert_no_error (error);
  }
  again = get_image (f, sub, id);
  g_assert_cmpstr (json_object_get_string_member (again, "status"), ==, "ready");
  g_assert_cmpint (json_object_get_int_member (again, "width"), ==, 640);
  g_assert_cmpstr (json_object_get_string_member (again, "contentType"), ==, "image/jpeg");

  /* An upload that arrives after its image was deleted for good is removed:
   * nothing else would ever find it. */
  {
    g_autofree char *late = g_strdup_printf ("u/%s/0d6f7c5e-2b1a-4c8e-9f3d-5a4b3c2d1e0f", sub);
    g_autofree char *late_event = event_for_key (late);

    put_object (f, late, jpeg);
    g_assert_true (tessera_api_on_object_created (&f->api, late_event, NULL, &error));
    g_assert_no_error (error);
    g_assert_false (object_exists (f, late));
  }

  /* Events for thumbnails, foreign keys, missing records, junk: nothing to
   * do and nothing to retry. */
  {
    struct { const char *json; guint warnings; } events[] = {
      { "not json", 1 }, { "{}", 1 }, { "{\"Records\":7}", 1 }, { "{\"Records\":[1,{\"s3\":{}}]}", 2 },
    };
    g_autofree char *thumb_event = event_for_key (thumb_key);
    g_autofree char *missing_key = g_strdup_printf ("u/%s/3f1e0a52-8c5e-4a53-9b7f-6f0d0c2f6a10", sub);
    g_autofree char *missing_event = event_for_key (missing_key);
    g_autofree char *outside_event = event_for_key ("../../etc/passwd");

    for (guint i = 0; i < G_N_ELEMENTS (events); i++)
      {
        for (guint w = 0; w < events[i].warnings; w++)
          g_test_expect_message ("tessera-api", G_LOG_LEVEL_WARNING, "Ignoring*");
        g_assert_true (tessera_api_on_object_created (&f->api, events[i].json, NULL, &error));
        g_assert_no_error (error);
        g_test_assert_expected_messages ();
      }
    g_assert_true (tessera_api_on_object_created (&f->api, thumb_event, NULL, &error));
    g_assert_no_error (error);
    g_assert_true (tessera_api_on_object_created (&f->api, missing_event, NULL, &error));
    g_assert_no_error (error);
    g_assert_true (tessera_api_on_object_created (&f->api, outside_event, NULL, &error));
    g_assert_no_error (error);
  }
}

static void
test_object_created_bad_bytes (Fixture       *f,
                               gconstpointer  data)
{
  g_autofree char *sub = new_user (f, "nina");
  g_autofree char *text_id = create_image (f, sub, "{\"filename\":\"notes.jpg\"}");
  g_autofree char *cut_id = create_image (f, sub, "{\"filename\":\"cut.jpg\"}");
  g_autofree char *bomb_id = create_image (f, sub, "{\"filename\":\"bomb.png\"}");
  g_autofree char *text = g_build_filename (f->dir, "notes.jpg", NULL);
  g_autofree char *jpeg = g_build_filename (f->dir, "whole.jpg", NULL);
  g_autofree char *cut = g_build_filename (f->dir, "cut.jpg", NULL);
  g_autofree char *bomb = g_build_filename (f->dir, "bomb.png", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(JsonObject) image = NULL;
  gsize length;
  gint64 start;

  g_assert_true (g_file_set_contents (text, "This is a shopping list, not a photograph.\n", -1, NULL));
  image = process (f, sub, text_id, text);
  g_assert_cmpstr (json_object_get_string_member (image, "status"), ==, "failed");
  g_assert_cmpstr (json_object_get_string_member (image, "failureReason"), ==, "Not an image");
  g_clear_pointer (&image, json_object_unref);

  write_jpeg (jpeg, 800, 600);
  g_assert_true (g_file_get_contents (jpeg, &contents, &length, NULL));
  g_assert_true (g_file_set_contents (cut, contents, length / 2, NULL));
  image = process (f, sub, cut_id, cut);
  g_assert_cmpstr (json_object_get_string_member (image, "status"), ==, "failed");
  g_assert_cmpstr (json_object_get_string_member (image, "failureReason"), ==,
                   "The image is truncated or corrupt");
  g_clear_pointer (&image, json_object_unref);

  write_png_header_only (bomb, 50000, 50000);
  start = g_get_monotonic_time ();
  image = process (f, sub, bomb_id, bomb);
  g_assert_cmpstr (json_object_get_string_member (image, "status"), ==, "failed");
  g_assert_cmpstr (json_object_get_string_member (image, "failureReason"), ==,
                   "Image is too large: 50000 x 50000 pixels (limit 100 megapixels)");
  /* Refused from the header: no 7.5 GB of pixels were ever decoded. */
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);

  /* A failed image is no duplicate target, and is listed with its status. */
  g_assert_cmpuint (count_images (f, sub, NULL), ==, 3);
}

/* The real local tagger, wired through on-object-created: confident labels
 * become tags, the others stay labels, a person's own tags survive, and a
 * second run changes nothing. */
static void
test_object_created_tagging (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TesseraTagger) tagger = tessera_tagger_new_by_name ("local", NULL, &error);
  g_autofree char *sub = NULL;
  g_autofree char *id = NULL;
  g_autofree char *path = NULL;
  g_autofree char *jpeg = NULL;
  g_autoptr(JsonObject) image = NULL;
  g_autoptr(JsonObject) again = NULL;
  g_autoptr(GHashTable) tags = g_hash_table_new (g_str_hash, g_str_equal);
  JsonArray *labels;
  JsonArray *tag_array;

  g_assert_no_error (error);
  if (tagger == NULL)
    {
      g_test_skip ("The local tagger is not built yet");
      return;
    }
  f->api.tagger = tagger;

  sub = new_user (f, "pia");
  id = create_image (f, sub, "{\"filename\":\"noise.jpg\"}");
  path = g_strdup_printf ("/images/%s", id);
  {
    g_autoptr(TesseraResponse) r = call (f, "PATCH", path, NULL, "{\"addTags\":[\"mine\"]}", sub);
    g_assert_cmpuint (r->status, ==, 200);
  }

  jpeg = g_build_filename (f->dir, "noise.jpg", NULL);
  write_jpeg (jpeg, 900, 300);
  image = process (f, sub, id, jpeg);
  g_assert_cmpstr (json_object_get_string_member (image, "status"), ==, "ready");

  tag_array = json_object_get_array_member (image, "tags");
  for (guint i = 0; i < json_array_get_length (tag_array); i++)
    g_hash_table_add (tags, (gpointer) json_array_get_string_element (tag_array, i));
  g_assert_true (g_hash_table_contains (tags, "mine"));

  labels = json_object_get_array_member (image, "labels");
  g_assert_cmpuint (json_array_get_length (labels), >, 0);
  for (guint i = 0; i < json_array_get_length (labels); i++)
    {
      JsonObject *label = json_array_get_object_element (labels, i);
      g_autofree char *name = tessera_tag_normalize (json_object_get_string_member (label, "name"), NULL);
      double confidence = json_object_get_double_member (label, "confidence");

      g_assert_nonnull (json_object_get_string_member (label, "source"));
      g_assert_cmpfloat (confidence, >=, 0.0);
      g_assert_cmpfloat (confidence, <=, 1.0);
      if (name != NULL && confidence >= f->api.settings.tag_threshold)
        g_assert_true (g_hash_table_contains (tags, name));
    }

  {
    g_autofree char *key = g_strdup_printf ("u/%s/%s", sub, id);
    g_autofree char *event = event_for_key (key);

    g_assert_true (tessera_api_on_object_created (&f->api, event, NULL, &error));
    g_assert_no_error (error);
  }
  again = get_image (f, sub, id);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (again, "tags")), ==,
                    json_array_get_length (tag_array));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (again, "labels")), ==,
                    json_array_get_length (labels));

  f->api.tagger = NULL;
}

typedef struct
{
  Fixture      *f;
  char         *event;
  GCancellable *cancellable;
  GError       *error;
} Interrupted;

static gpointer
run_event_thread (gpointer data)
{
  Interrupted *run = data;

  return GINT_TO_POINTER (tessera_api_on_object_created (&run->f->api, run->event,
                                                         run->cancellable, &run->error));
}

static void
test_object_created_interrupted (Fixture       *f,
                                 gconstpointer  data)
{
  g_autofree char *sub = new_user (f, "olga");
  g_autofree char *id = create_image (f, sub, "{\"filename\":\"slow.jpg\"}");
  g_autofree char *key = g_strdup_printf ("u/%s/%s", sub, id);
  g_autofree char *jpeg = g_build_filename (f->dir, "slow.jpg", NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GThread) thread = NULL;
  g_autoptr(JsonObject) image = NULL;
  g_autoptr(GError) error = NULL;
  Interrupted run = { f, event_for_key (key), cancellable, NULL };
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  write_jpeg (jpeg, 320, 240);
  put_object (f, key, jpeg);

  /* The job is in hand and the image `processing` for the whole delay. */
  f->api.settings.debug_delay_ms = 20000;
  thread = g_thread_new ("job", run_event_thread, &run);
  for (;;)
    {
      g_autoptr(JsonObject) now = get_image (f, sub, id);

      if (g_str_equal (json_object_get_string_member (now, "status"), "processing"))
        break;
      g_assert_cmpstr (json_object_get_string_member (now, "status"), ==, "uploading");
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (20 * 1000);
    }

  /* A host shutting down: the job stops, to be retried, nothing is lost. */
  g_cancellable_cancel (cancellable);
  g_assert_false (GPOINTER_TO_INT (g_thread_join (g_steal_pointer (&thread))));
  g_assert_error (run.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&run.error);
  g_assert_cmpint (g_get_monotonic_time (), <, deadline);
  image = get_image (f, sub, id);
  g_assert_cmpstr (json_object_get_string_member (image, "status"), ==, "processing");
  g_clear_pointer (&image, json_object_unref);

  /* Had the host given up on the job, the image would say so; here a
   * later retry still finishes it. */
  g_assert_true (tessera_api_on_object_created_gave_up (&f->api, run.event, &error));
  g_assert_no_error (error);
  image = get_image (f, sub, id);
  g_assert_cmpstr (json_object_get_string_member (image, "status"), ==, "failed");
  g_assert_nonnull (json_object_get_string_member (image, "failureReason"));
  g_clear_pointer (&image, json_object_unref);

  /* The retry finishes it. */
  f->api.settings.debug_delay_ms = 0;
  g_assert_true (tessera_api_on_object_created (&f->api, run.event, NULL, &error));
  g_assert_no_error (error);
  image = get_image (f, sub, id);
  g_assert_cmpstr (json_object_get_string_member (image, "status"), ==, "ready");
  g_assert_cmpint (json_object_get_int_member (image, "width"), ==, 320);

  g_free (run.event);
}

int
main (int   argc,
      char *argv[])
{
  if (VIPS_INIT (argv[0]) != 0)
    g_error ("Cannot start libvips");
  vips_cache_set_max (0);

  g_test_init (&argc, &argv, NULL);
  /* libvips warns ("error in tile") from its worker threads as it refuses
   * a truncated file, which is the behaviour under test; criticals stay
   * fatal, and the warnings we mean are asserted with expect_message. */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);

#define ADD(name, func) \
  g_test_add (name, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("/functions/routing/unknown", test_routing_unknown);
  ADD ("/functions/routing/method", test_routing_method);
  ADD ("/functions/routing/options", test_routing_options);
  ADD ("/functions/routing/unauthorized", test_routing_unauthorized);
  ADD ("/functions/body/validation", test_body_validation);
  ADD ("/functions/auth/flow", test_auth_flow);
  ADD ("/functions/auth/rate-limit", test_auth_rate_limit);
  ADD ("/functions/images/create-validation", test_images_create_validation);
  ADD ("/functions/images/create", test_images_create);
  ADD ("/functions/images/isolation", test_images_isolation);
  ADD ("/functions/images/list-validation", test_images_list_validation);
  ADD ("/functions/images/pagination", test_images_pagination);
  ADD ("/functions/images/tags", test_images_tags);
  ADD ("/functions/images/trash", test_images_trash);
  ADD ("/functions/images/purge", test_purge_trash);
  ADD ("/functions/object-created/ready", test_object_created_ready);
  ADD ("/functions/object-created/bad-bytes", test_object_created_bad_bytes);
  ADD ("/functions/object-created/interrupted", test_object_created_interrupted);
  ADD ("/functions/object-created/tagging", test_object_created_tagging);

#undef ADD

  return g_test_run ();
}
