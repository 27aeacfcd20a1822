/* test-server-bad-input.c: bad input gets a clear 4xx and loses nothing
 *
 * Every case checks the status and the JSON message, then that nothing was
 * stored (the user's listing, trash and tags are unchanged) and that the
 * server is still up and answering.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-server-bad-input"

#include "config.h"

#include <string.h>
#include <zlib.h>

#include "tessera-test-server.h"

#define READY_TIMEOUT_S 60
#define CONFIG_NO_TAGGER "[tagger]\nname=none\n"

typedef struct
{
  TesseraTestServer *server;
  TesseraTestUser   *alice;
  char              *image_id;
  char              *image_path;
  char              *snapshot;
} Fixture;

static char *
snapshot (Fixture *fixture)
{
  g_autoptr(GString) out = g_string_new (NULL);
  const char *queries[] = { "/images", "/images?trashed=true", "/tags", NULL };

  for (guint q = 0; queries[q] != NULL; q++)
    {
      g_autoptr(TesseraTestResponse) r =
        tessera_test_server_call (fixture->server, "GET", queries[q], fixture->alice->token,
                                  NULL);
      JsonObject *object;

      g_assert_cmpuint (r->status, ==, 200);
      object = tessera_test_response_get_object (r);
      g_assert_nonnull (object);
      g_string_append_printf (out, "%s:", queries[q]);
      if (json_object_has_member (object, "images"))
        {
          JsonArray *images = json_object_get_array_member (object, "images");

          for (guint i = 0; i < json_array_get_length (images); i++)
            {
              JsonObject *image = json_array_get_object_element (images, i);
              g_autoptr(JsonNode) tags = json_node_copy (json_object_get_member (image, "tags"));
              g_autofree char *tags_text = json_to_string (tags, FALSE);

              g_string_append_printf (out, " %s/%s/%s",
                                      json_object_get_string_member (image, "id"),
                                      json_object_get_string_member (image, "status"),
                                      tags_text);
            }
        }
      else
        {
          g_autofree char *text = tessera_test_response_dup_text (r);
          g_string_append (out, text);
        }
      g_string_append (out, "\n");
    }

  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  g_autoptr(GBytes) data = tessera_test_make_jpeg (64, 64);
  g_autoptr(JsonObject) image = NULL;
  g_autoptr(TesseraTestResponse) tagged = NULL;

  fixture->server = tessera_test_server_new_started (user_data ? user_data : CONFIG_NO_TAGGER);
  fixture->alice = tessera_test_server_new_user (fixture->server, "alice");
  fixture->image_id = tessera_test_server_upload (fixture->server, fixture->alice, "a.jpg",
                                                  "image/jpeg", data, NULL);
  image = tessera_test_server_wait_for_status (fixture->server, fixture->alice,
                                               fixture->image_id, "ready", READY_TIMEOUT_S);
  g_assert_nonnull (image);
  g_assert_cmpstr (json_object_get_string_member (image, "status"), ==, "ready");

  fixture->image_path = g_strdup_printf ("/images/%s", fixture->image_id);
  tagged = tessera_test_server_call (fixture->server, "PATCH", fixture->image_path,
                                     fixture->alice->token, "{\"addTags\":[\"keep\"]}");
  g_assert_cmpuint (tagged->status, ==, 200);

  fixture->snapshot = snapshot (fixture);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_clear_pointer (&fixture->alice, tessera_test_user_free);
  g_clear_pointer (&fixture->image_id, g_free);
  g_clear_pointer (&fixture->image_path, g_free);
  g_clear_pointer (&fixture->snapshot, g_free);
  g_clear_object (&fixture->server);
}

/* Nothing stored, nothing lost, still serving. */
static void
assert_unchanged (Fixture *fixture)
{
  g_autofree char *now = NULL;

  g_assert_true (tessera_test_server_is_running (fixture->server));
  now = snapshot (fixture);
  g_assert_cmpstr (now, ==, fixture->snapshot);
}

static void
assert_error (TesseraTestResponse *r,
              guint                status)
{
  if (r->status != status)
    {
      g_autofree char *text = tessera_test_response_dup_text (r);
      g_test_message ("expected %u, got %u: %s", status, r->status, text);
    }
  g_assert_cmpuint (r->status, ==, status);
  g_assert_nonnull (tessera_test_response_get_string (r, "message"));
  g_assert_cmpstr (tessera_test_response_get_string (r, "message"), !=, "");
  g_assert_cmpstr (tessera_test_response_get_header (r, "Access-Control-Allow-Origin"), ==,
                   "*");
  g_assert_true (g_str_has_prefix (tessera_test_response_get_header (r, "Content-Type"),
                                   "application/json"));
}

/* @body to @method @path as Alice (or anonymous for the auth routes), expecting @status */
static void
expect (Fixture    *fixture,
        const char *method,
        const char *path,
        const char *body,
        guint       status)
{
  gboolean anonymous = g_str_equal (path, "/signup") || g_str_equal (path, "/signin") ||
                       g_str_equal (path, "/refresh");
  g_autoptr(TesseraTestResponse) r =
    tessera_test_server_call (fixture->server, method, path,
                              anonymous ? NULL : fixture->alice->token, body);

  /* Escaped: a TAP comment must be valid UTF-8, and some bodies are not. */
  g_autofree char *shown = g_strescape (body ? body : "", NULL);

  g_test_message ("%s %s %.60s -> %u", method, path, shown, r->status);
  assert_error (r, status);
}

static void
test_malformed_json (Fixture       *fixture,
                     gconstpointer  user_data)
{
  const char *bodies[] = {
    "{", "not json", "", "[]", "\"a string\"", "null", "42",
    "{\"username\":\"a\",}", "{\"username\":\"a\" \"password\":\"b\"}",
    "{\"username\":\"\xff\xfe\",\"password\":\"abcdefgh\"}",
  };
  const char *paths[] = { "/signup", "/signin", "/refresh", "/images", NULL };

  g_test_summary ("Malformed JSON (truncated, not JSON, empty, not an object, trailing comma, "
                  "invalid UTF-8) to /signup, /signin, /refresh, POST /images and PATCH: 400 "
                  "with a message, nothing stored");

  for (guint p = 0; paths[p] != NULL; p++)
    for (guint b = 0; b < G_N_ELEMENTS (bodies); b++)
      expect (fixture, "POST", paths[p], bodies[b], 400);

  for (guint b = 0; b < G_N_ELEMENTS (bodies); b++)
    expect (fixture, "PATCH", fixture->image_path, bodies[b], 400);

  assert_unchanged (fixture);
}

static void
test_oversized_json (Fixture       *fixture,
                     gconstpointer  user_data)
{
  g_autoptr(GString) big = g_string_new ("{\"username\":\"bigbody\",\"password\":\"");
  g_autoptr(GString) tags = g_string_new ("{\"addTags\":[");
  g_autoptr(TesseraTestResponse) signin = NULL;

  g_test_summary ("A JSON body over max-body-size (64 KiB; also 2 MiB), sent with "
                  "Expect: 100-continue, answers 413: the user is not created, no tag is "
                  "added");

  tessera_test_server_set_expect_continue (fixture->server, TRUE);

  for (guint i = 0; i < 70 * 1024; i++)
    g_string_append_c (big, 'a');
  g_string_append (big, "\"}");
  for (guint i = 0; i < 12000; i++)
    g_string_append_printf (tags, "%s\"t%u\"", i ? "," : "", i);
  g_string_append (tags, "]}");

  expect (fixture, "POST", "/signup", big->str, 413);
  expect (fixture, "PATCH", fixture->image_path, tags->str, 413);
  expect (fixture, "POST", "/images", tags->str, 413);

  for (guint i = 0; i < 2 * 1024 * 1024; i++)
    g_string_append_c (big, ' ');
  expect (fixture, "POST", "/signin", big->str, 413);

  tessera_test_server_set_expect_continue (fixture->server, FALSE);
  signin = tessera_test_server_request (fixture->server, "POST", "/signin", NULL,
                                        "{\"username\":\"bigbody\",\"password\":\"aaaa\"}");
  g_assert_cmpuint (signin->status, ==, 401);

  assert_unchanged (fixture);
}

static void
test_oversized_json_plain (Fixture       *fixture,
                           gconstpointer  user_data)
{
  g_autoptr(GString) big = g_string_new ("{\"username\":\"bigbody\",\"password\":\"");

  g_test_summary ("A plain client (no Expect: 100-continue) that sends a 2 MiB JSON body "
                  "must still read the 413: the server may stop reading, but must not reset "
                  "the connection under the client before it has the answer");

  for (guint i = 0; i < 2 * 1024 * 1024; i++)
    g_string_append_c (big, 'a');
  g_string_append (big, "\"}");

  expect (fixture, "POST", "/signup", big->str, 413);
  assert_unchanged (fixture);
}

static void
test_wrong_types (Fixture       *fixture,
                  gconstpointer  user_data)
{
  g_test_summary ("Members of the wrong type (numbers, arrays, objects, null where strings "
                  "or string arrays belong; negative or string sizes): 400, nothing stored");

  expect (fixture, "POST", "/signup", "{\"username\":5,\"password\":\"abcdefghij\"}", 400);
  expect (fixture, "POST", "/signup", "{\"username\":\"typed\",\"password\":[\"a\"]}", 400);
  expect (fixture, "POST", "/signup", "{\"username\":null,\"password\":\"abcdefghij\"}", 400);
  expect (fixture, "POST", "/signin", "{\"username\":{},\"password\":\"abcdefghij\"}", 400);
  expect (fixture, "POST", "/refresh", "{\"refreshToken\":123}", 400);
  expect (fixture, "POST", "/images", "{\"size\":\"big\"}", 400);
  expect (fixture, "POST", "/images", "{\"size\":-1}", 400);
  expect (fixture, "POST", "/images", "{\"filename\":7}", 400);
  expect (fixture, "POST", "/images", "{\"contentType\":[\"image/jpeg\"]}", 400);
  expect (fixture, "POST", "/images", "{\"sha256\":true}", 400);
  expect (fixture, "PATCH", fixture->image_path, "{\"addTags\":\"dog\"}", 400);
  expect (fixture, "PATCH", fixture->image_path, "{\"addTags\":[1,2]}", 400);
  expect (fixture, "PATCH", fixture->image_path, "{\"addTags\":[null]}", 400);
  expect (fixture, "PATCH", fixture->image_path, "{\"removeTags\":{\"keep\":true}}", 400);
  expect (fixture, "PATCH", fixture->image_path, "{\"addTags\":[\"ok\",[\"nested\"]]}", 400);

  {
    g_autoptr(TesseraTestResponse) r =
      tessera_test_server_request (fixture->server, "POST", "/signin", NULL,
                                   "{\"username\":\"typed\",\"password\":\"abcdefghij\"}");
    g_assert_cmpuint (r->status, ==, 401);
  }
  assert_unchanged (fixture);
}

static void
test_missing_fields (Fixture       *fixture,
                     gconstpointer  user_data)
{
  g_test_summary ("Missing or empty required members (username, password, refreshToken): "
                  "400, nothing stored");

  expect (fixture, "POST", "/signup", "{}", 400);
  expect (fixture, "POST", "/signup", "{\"username\":\"lonely\"}", 400);
  expect (fixture, "POST", "/signup", "{\"password\":\"abcdefghij\"}", 400);
  expect (fixture, "POST", "/signup", "{\"username\":\"\",\"password\":\"abcdefghij\"}", 400);
  expect (fixture, "POST", "/signup", "{\"username\":\"lonely\",\"password\":\"\"}", 400);
  expect (fixture, "POST", "/signin", "{}", 400);
  expect (fixture, "POST", "/signin", "{\"username\":\"alice\"}", 400);
  expect (fixture, "POST", "/refresh", "{}", 400);
  expect (fixture, "POST", "/signout", "{}", 400);

  {
    g_autoptr(TesseraTestResponse) r =
      tessera_test_server_request (fixture->server, "POST", "/signin", NULL,
                                   "{\"username\":\"lonely\",\"password\":\"abcdefghij\"}");
    g_assert_cmpuint (r->status, ==, 401);
  }
  assert_unchanged (fixture);
}

static void
test_bad_tags (Fixture       *fixture,
               gconstpointer  user_data)
{
  g_autoptr(GString) long_tag = g_string_new ("{\"addTags\":[\"");
  g_autofree char *at_limit = NULL;
  g_autofree char *over_limit = NULL;

  g_test_summary ("Empty, blank and too long tags (65 and 10 000 characters) answer 400 and "
                  "the image's tags are unchanged, even when a good tag came with them; a "
                  "64-character tag is fine");

  for (guint i = 0; i < 10000; i++)
    g_string_append_c (long_tag, 'x');
  g_string_append (long_tag, "\"]}");
  over_limit = g_strdup_printf ("{\"addTags\":[\"%s\"]}", "0123456789012345678901234567890123456789"
                                "0123456789012345678901234");
  at_limit = g_strdup_printf ("{\"addTags\":[\"%s\"]}", "0123456789012345678901234567890123456789"
                              "012345678901234567890123");

  expect (fixture, "PATCH", fixture->image_path, "{\"addTags\":[\"\"]}", 400);
  expect (fixture, "PATCH", fixture->image_path, "{\"addTags\":[\"   \"]}", 400);
  expect (fixture, "PATCH", fixture->image_path, "{\"addTags\":[\"fine\",\"\"]}", 400);
  expect (fixture, "PATCH", fixture->image_path, long_tag->str, 400);
  expect (fixture, "PATCH", fixture->image_path, over_limit, 400);
  expect (fixture, "PATCH", fixture->image_path, "{\"removeTags\":[\"\"]}", 400);
  assert_unchanged (fixture);

  {
    g_autoptr(TesseraTestResponse) r =
      tessera_test_server_call (fixture->server, "PATCH", fixture->image_path,
                                fixture->alice->token, at_limit);
    g_assert_cmpuint (r->status, ==, 200);
  }
}

static void
test_bad_upload_requests (Fixture       *fixture,
                          gconstpointer  user_data)
{
  g_autoptr(TesseraTestResponse) sneaky = NULL;
  JsonObject *fields;
  g_autofree char *key = NULL;

  g_test_summary ("POST /images for a non-image type (415), over the size limit (413), "
                  "zero bytes or a bad sha256 (400); a filename with ../ does not leak into "
                  "the key");

  expect (fixture, "POST", "/images", "{\"contentType\":\"text/plain\"}", 415);
  expect (fixture, "POST", "/images", "{\"contentType\":\"application/x-sh\"}", 415);
  expect (fixture, "POST", "/images", "{\"contentType\":\"image/jpeg\",\"size\":52428801}", 413);
  expect (fixture, "POST", "/images", "{\"contentType\":\"image/jpeg\",\"size\":0}", 400);
  expect (fixture, "POST", "/images", "{\"sha256\":\"not-a-hash\"}", 400);
  assert_unchanged (fixture);

  sneaky = tessera_test_server_call (fixture->server, "POST", "/images", fixture->alice->token,
                                     "{\"filename\":\"../../etc/passwd\","
                                     "\"contentType\":\"image/jpeg\"}");
  g_assert_cmpuint (sneaky->status, ==, 201);
  fields = json_object_get_object_member (
    json_object_get_object_member (tessera_test_response_get_object (sneaky), "formConfig"),
    "formFields");
  key = g_strdup_printf ("u/%s/%s", fixture->alice->sub,
                         tessera_test_response_get_string (sneaky, "imageId"));
  g_assert_cmpstr (json_object_get_string_member (fields, "key"), ==, key);
}

static void
test_bad_queries (Fixture       *fixture,
                  gconstpointer  user_data)
{
  g_test_summary ("Bad ids (not a UUID, encoded traversal) answer 404; bad limit, cursor "
                  "and match answer 400");

  expect (fixture, "GET", "/images/not-a-uuid", NULL, 404);
  expect (fixture, "GET", "/images/..%2F..%2Fetc%2Fpasswd", NULL, 404);
  expect (fixture, "DELETE", "/images/not-a-uuid", NULL, 404);
  expect (fixture, "PATCH", "/images/00000000-0000-4000-8000-000000000000",
          "{\"addTags\":[\"x\"]}", 404);
  expect (fixture, "GET", "/images?limit=0", NULL, 400);
  expect (fixture, "GET", "/images?limit=-5", NULL, 400);
  expect (fixture, "GET", "/images?limit=abc", NULL, 400);
  expect (fixture, "GET", "/images?cursor=%21%21garbage%21%21", NULL, 400);
  expect (fixture, "GET", "/images?tags=a&match=maybe", NULL, 400);
  assert_unchanged (fixture);
}

static void
test_unknown_routes (Fixture       *fixture,
                     gconstpointer  user_data)
{
  g_test_summary ("Unknown routes answer 404 and known routes with the wrong method 405, "
                  "both as JSON with CORS");

  expect (fixture, "GET", "/nope", NULL, 404);
  expect (fixture, "GET", "/images/a/b/c", NULL, 404);
  expect (fixture, "POST", "/imagesx", "{}", 404);
  expect (fixture, "PUT", "/images", "{}", 405);
  expect (fixture, "DELETE", "/signup", NULL, 405);
  expect (fixture, "GET", "/signin", NULL, 405);
  expect (fixture, "POST", "/.well-known/jwks.json", "{}", 405);
  expect (fixture, "PUT", fixture->image_path, "{}", 405);
  assert_unchanged (fixture);
}

static void
test_options (Fixture       *fixture,
              gconstpointer  user_data)
{
  const char *paths[] = { "/images", "/signin", "/tags", fixture->image_path };

  g_test_summary ("OPTIONS preflight answers 204 without a token, with CORS headers that "
                  "allow the Authorization header");

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      const char *headers[] = {
        "Origin", "http://example.org",
        "Access-Control-Request-Method", "PATCH",
        "Access-Control-Request-Headers", "authorization,content-type",
        NULL
      };
      g_autoptr(TesseraTestResponse) r =
        tessera_test_server_request_raw (fixture->server, "OPTIONS", paths[i], headers,
                                         NULL, NULL);
      const char *methods, *allowed;
      g_autofree char *allowed_lower = NULL;

      g_assert_cmpuint (r->status, ==, 204);
      g_assert_cmpuint (g_bytes_get_size (r->body), ==, 0);
      g_assert_cmpstr (tessera_test_response_get_header (r, "Access-Control-Allow-Origin"), ==,
                       "*");
      methods = tessera_test_response_get_header (r, "Access-Control-Allow-Methods");
      g_assert_nonnull (methods);
      g_assert_nonnull (strstr (methods, "GET"));
      g_assert_nonnull (strstr (methods, "PATCH"));
      allowed = tessera_test_response_get_header (r, "Access-Control-Allow-Headers");
      g_assert_nonnull (allowed);
      allowed_lower = g_ascii_strdown (allowed, -1);
      g_assert_nonnull (strstr (allowed_lower, "authorization"));
    }
  assert_unchanged (fixture);
}

/* Bad files: uploaded through a valid form, they must end failed. */

static JsonObject *
upload_and_wait (Fixture    *fixture,
                 const char *filename,
                 GBytes     *data,
                 guint       timeout_s)
{
  g_autofree char *id = tessera_test_server_upload (fixture->server, fixture->alice, filename,
                                                    "image/jpeg", data, NULL);

  return tessera_test_server_wait_for_status (fixture->server, fixture->alice, id, "failed",
                                              timeout_s);
}

static void
assert_failed_with_reason (JsonObject *image)
{
  const char *reason;

  g_assert_nonnull (image);
  g_assert_cmpstr (json_object_get_string_member (image, "status"), ==, "failed");
  reason = json_object_get_string_member_with_default (image, "failureReason", NULL);
  g_assert_nonnull (reason);
  g_assert_cmpstr (reason, !=, "");
  g_test_message ("failureReason: %s", reason);
}

static void
assert_still_serving (Fixture *fixture)
{
  g_autoptr(TesseraTestResponse) r = NULL;

  g_assert_true (tessera_test_server_is_running (fixture->server));
  r = tessera_test_server_call (fixture->server, "GET", fixture->image_path,
                                fixture->alice->token, NULL);
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_cmpstr (tessera_test_response_get_string (r, "status"), ==, "ready");
}

static void
test_not_an_image (Fixture       *fixture,
                   gconstpointer  user_data)
{
  const char *text = "#!/bin/sh\necho this is not a picture\n";
  g_autoptr(GBytes) data = g_bytes_new_static (text, strlen (text));
  g_autoptr(JsonObject) image = NULL;

  g_test_summary ("A shell script named photo.jpg, sent as image/jpeg, passes the form "
                  "(S3 cannot know) but ends failed with a reason");

  image = upload_and_wait (fixture, "photo.jpg", data, READY_TIMEOUT_S);
  assert_failed_with_reason (image);
  assert_still_serving (fixture);
}

static void
test_truncated_jpeg (Fixture       *fixture,
                     gconstpointer  user_data)
{
  g_autoptr(GBytes) whole = tessera_test_make_jpeg (400, 300);
  g_autoptr(GBytes) truncated = g_bytes_new_from_bytes (whole, 0, g_bytes_get_size (whole) / 3);
  g_autoptr(JsonObject) image = NULL;

  g_test_summary ("A JPEG cut to its first third ends failed with a reason, not ready with "
                  "grey pixels");

  image = upload_and_wait (fixture, "cut.jpg", truncated, READY_TIMEOUT_S);
  assert_failed_with_reason (image);
  assert_still_serving (fixture);
}

static void
append_chunk (GByteArray   *png,
              const char   *type,
              const guint8 *data,
              guint32       length)
{
  guint32 be_length = GUINT32_TO_BE (length);
  guint32 crc;

  g_byte_array_append (png, (const guint8 *) &be_length, 4);
  g_byte_array_append (png, (const guint8 *) type, 4);
  if (length > 0)
    g_byte_array_append (png, data, length);
  crc = crc32 (0, (const Bytef *) type, 4);
  if (length > 0)
    crc = crc32 (crc, data, length);
  crc = GUINT32_TO_BE (crc);
  g_byte_array_append (png, (const guint8 *) &crc, 4);
}

/* A valid PNG header that declares @width x @height RGB pixels, with a tiny
 * IDAT: a decompression bomb's shape, without the bomb. */
static GBytes *
make_huge_png (guint32 width,
               guint32 height)
{
  static const guint8 signature[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  g_autoptr(GByteArray) png = g_byte_array_new ();
  guint8 ihdr[13];
  guint32 be;
  guint8 raw[1 + 3 * 16] = { 0, };
  guint8 compressed[128];
  uLongf compressed_len = sizeof compressed;

  g_byte_array_append (png, signature, sizeof signature);

  be = GUINT32_TO_BE (width);
  memcpy (ihdr, &be, 4);
  be = GUINT32_TO_BE (height);
  memcpy (ihdr + 4, &be, 4);
  ihdr[8] = 8;    /* bit depth */
  ihdr[9] = 2;    /* RGB */
  ihdr[10] = 0;   /* deflate */
  ihdr[11] = 0;   /* adaptive filtering */
  ihdr[12] = 0;   /* no interlace */
  append_chunk (png, "IHDR", ihdr, sizeof ihdr);

  g_assert_cmpint (compress (compressed, &compressed_len, raw, sizeof raw), ==, Z_OK);
  append_chunk (png, "IDAT", compressed, compressed_len);
  append_chunk (png, "IEND", NULL, 0);

  return g_byte_array_free_to_bytes (g_steal_pointer (&png));
}

static void
test_png_bomb (Fixture       *fixture,
               gconstpointer  user_data)
{
  g_autoptr(GBytes) bomb = make_huge_png (50000, 50000);
  g_autoptr(JsonObject) image = NULL;
  gint64 started = g_get_monotonic_time ();
  gint64 peak_kb;
  int width = 0, height = 0;

  g_test_summary ("A valid PNG header declaring 50 000 x 50 000 pixels (2.5 gigapixels, "
                  "over max-pixels) with a tiny IDAT ends failed quickly, and the server's "
                  "peak memory stays far below what decoding it would take");

  /* the header really reads as that size: the test file is what it claims */
  g_assert_true (tessera_test_image_size (bomb, &width, &height));
  g_assert_cmpint (width, ==, 50000);
  g_assert_cmpint (height, ==, 50000);
  g_assert_cmpuint (g_bytes_get_size (bomb), <, 200);

  image = upload_and_wait (fixture, "bomb.png", bomb, 20);
  assert_failed_with_reason (image);
  g_assert_cmpint (g_get_monotonic_time () - started, <, 20 * G_USEC_PER_SEC);

  peak_kb = tessera_test_server_get_peak_rss_kb (fixture->server);
  g_test_message ("server peak RSS: %" G_GINT64_FORMAT " KiB", peak_kb);
  g_assert_cmpint (peak_kb, >, 0);
  /* 2.5 gigapixels of RGB is 7.5 GB; the server (with ASan) stays far below */
  g_assert_cmpint (peak_kb, <, 512 * 1024);
  assert_still_serving (fixture);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/server/bad-input/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("malformed-json", test_malformed_json);
  ADD ("oversized-json", test_oversized_json);
  ADD ("oversized-json-plain-client", test_oversized_json_plain);
  ADD ("wrong-types", test_wrong_types);
  ADD ("missing-fields", test_missing_fields);
  ADD ("bad-tags", test_bad_tags);
  ADD ("bad-upload-requests", test_bad_upload_requests);
  ADD ("bad-queries", test_bad_queries);
  ADD ("unknown-routes", test_unknown_routes);
  ADD ("options", test_options);
  ADD ("not-an-image", test_not_an_image);
  ADD ("truncated-jpeg", test_truncated_jpeg);
  ADD ("png-bomb", test_png_bomb);

#undef ADD

  return g_test_run ();
}
