/* test-server-s3-forms.c: the S3 emulation's pre-signed POST and GET
 *
 * A form that breaks its policy, or was tampered with, is refused with S3's
 * XML error and writes nothing; a form made by boto3 with the server's keys
 * is accepted, as S3 would.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-server-s3-forms"

#include "config.h"

#include <string.h>

#include "tessera-test-server.h"

#define READY_TIMEOUT_S 60
#define CONFIG_NO_TAGGER "[tagger]\nname=none\n"

typedef struct
{
  TesseraTestServer *server;
  TesseraTestUser   *alice;
  TesseraTestUser   *bob;
  GBytes            *data;
  /* a fresh form of Alice's */
  JsonObject        *created;
  char              *upload_url;
  JsonObject        *fields;
  char              *image_id;
  guint              n_objects;
} Fixture;

static guint
count_objects (TesseraTestServer *server)
{
  g_autoptr(GPtrArray) all = tessera_test_server_find_objects (server, "", NULL);

  return all->len;
}

static void
new_form (Fixture *fixture)
{
  g_autoptr(TesseraTestResponse) r = NULL;
  JsonObject *form;

  g_clear_pointer (&fixture->created, json_object_unref);
  g_clear_pointer (&fixture->upload_url, g_free);
  g_clear_pointer (&fixture->image_id, g_free);

  r = tessera_test_server_call (fixture->server, "POST", "/images", fixture->alice->token,
                                "{\"filename\":\"a.jpg\",\"contentType\":\"image/jpeg\"}");
  g_assert_cmpuint (r->status, ==, 201);
  fixture->created = json_object_ref (tessera_test_response_get_object (r));
  form = json_object_get_object_member (fixture->created, "formConfig");
  fixture->upload_url = g_strdup (json_object_get_string_member (form, "uploadUrl"));
  fixture->fields = json_object_get_object_member (form, "formFields");
  fixture->image_id = g_strdup (json_object_get_string_member (fixture->created, "imageId"));
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  fixture->server = tessera_test_server_new_started (user_data ? user_data : CONFIG_NO_TAGGER);
  fixture->alice = tessera_test_server_new_user (fixture->server, "alice");
  fixture->bob = tessera_test_server_new_user (fixture->server, "bob");
  fixture->data = tessera_test_make_jpeg (64, 48);
  new_form (fixture);
  fixture->n_objects = count_objects (fixture->server);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_clear_pointer (&fixture->alice, tessera_test_user_free);
  g_clear_pointer (&fixture->bob, tessera_test_user_free);
  g_clear_pointer (&fixture->data, g_bytes_unref);
  g_clear_pointer (&fixture->created, json_object_unref);
  g_clear_pointer (&fixture->upload_url, g_free);
  g_clear_pointer (&fixture->image_id, g_free);
  g_clear_object (&fixture->server);
}

static void
assert_s3_error (TesseraTestResponse *r,
                 guint                status,
                 const char          *code)
{
  g_autofree char *text = tessera_test_response_dup_text (r);
  const char *type = tessera_test_response_get_header (r, "Content-Type");

  g_test_message ("%u %s", r->status, text);
  g_assert_cmpuint (r->status, ==, status);
  g_assert_nonnull (type);
  g_assert_nonnull (strstr (type, "xml"));
  g_assert_nonnull (strstr (text, "<Error>"));
  g_assert_nonnull (strstr (text, "<Code>"));
  g_assert_nonnull (strstr (text, "<Message>"));
  if (code != NULL)
    {
      g_autofree char *element = g_strdup_printf ("<Code>%s</Code>", code);
      g_assert_nonnull (strstr (text, element));
    }
}

/* Nothing written: no file anywhere with those bytes, no new object, no
 * temporary file left behind, Alice's image still waits. */
static void
assert_nothing_written (Fixture *fixture,
                        GBytes  *data)
{
  g_autoptr(GPtrArray) same = tessera_test_server_find_files (fixture->server, NULL, NULL, data);
  g_autoptr(GPtrArray) temporary = tessera_test_server_find_files (fixture->server, "uploads",
                                                                   "", NULL);
  g_autofree char *path = g_strdup_printf ("/images/%s", fixture->image_id);
  g_autoptr(TesseraTestResponse) r = NULL;

  g_assert_cmpuint (same->len, ==, 0);
  g_assert_cmpuint (temporary->len, ==, 0);
  g_assert_cmpuint (count_objects (fixture->server), ==, fixture->n_objects);
  g_assert_true (tessera_test_server_is_running (fixture->server));

  r = tessera_test_server_call (fixture->server, "GET", path, fixture->alice->token, NULL);
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_cmpstr (tessera_test_response_get_string (r, "status"), ==, "uploading");
}

/* Posts a copy of the fixture's form with @name set to @value (or removed
 * when @value is NULL), expecting @status and S3 error @code. */
static void
post_changed (Fixture    *fixture,
              const char *name,
              const char *value,
              guint       status,
              const char *code)
{
  /* json_node_copy() would share the object: copy through text */
  g_autoptr(JsonNode) original = json_node_init_object (json_node_alloc (), fixture->fields);
  g_autofree char *text = json_to_string (original, FALSE);
  g_autoptr(JsonNode) copy = json_from_string (text, NULL);
  JsonObject *fields = json_node_get_object (copy);
  g_autoptr(TesseraTestResponse) r = NULL;

  g_test_message ("%s = %s", name, value ? value : "(removed)");
  if (value == NULL)
    json_object_remove_member (fields, name);
  else
    json_object_set_string_member (fields, name, value);

  r = tessera_test_server_post_form (fixture->server, fixture->upload_url, fields, "a.jpg",
                                     "image/jpeg", fixture->data);
  assert_s3_error (r, status, code);
  assert_nothing_written (fixture, fixture->data);
}

static void
assert_form_still_good (Fixture *fixture)
{
  g_autoptr(TesseraTestResponse) r =
    tessera_test_server_post_form (fixture->server, fixture->upload_url, fixture->fields,
                                   "a.jpg", "image/jpeg", fixture->data);
  g_autoptr(JsonObject) image = NULL;

  /* the refusals above did not spoil the real form: it still works */
  g_assert_cmpuint (r->status, ==, 204);
  image = tessera_test_server_wait_for_status (fixture->server, fixture->alice,
                                               fixture->image_id, "ready", READY_TIMEOUT_S);
  g_assert_nonnull (image);
  g_assert_cmpstr (json_object_get_string_member (image, "status"), ==, "ready");
}

static void
test_traversal_keys (Fixture       *fixture,
                     gconstpointer  user_data)
{
  g_autofree char *own = g_strdup_printf ("u/%s/%s", fixture->alice->sub, fixture->image_id);
  g_autofree char *climb = g_strdup_printf ("u/%s/../%s/%s", fixture->alice->sub,
                                            fixture->bob->sub, fixture->image_id);
  g_autofree char *dot = g_strdup_printf ("u/%s/./%s", fixture->alice->sub, fixture->image_id);
  g_autofree char *escape = g_build_filename (tessera_test_server_get_data_dir (fixture->server),
                                              "..", "etc", "x", NULL);
  const char *keys[] = { "../../etc/x", "/etc/x", "u/../../etc/x", "u/%2e%2e/%2e%2e/etc/x", };

  g_test_summary ("Form keys that climb out (../../etc/x, an absolute path, u/<sub>/../"
                  "<other>/..., ./ and encoded dots): 403 S3 XML, nothing written anywhere, "
                  "and the untampered form still works");

  g_assert_cmpstr (json_object_get_string_member (fixture->fields, "key"), ==, own);

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    post_changed (fixture, "key", keys[i], 403, NULL);
  post_changed (fixture, "key", climb, 403, NULL);
  post_changed (fixture, "key", dot, 403, NULL);

  g_assert_false (g_file_test (escape, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test ("/etc/x", G_FILE_TEST_EXISTS));

  assert_form_still_good (fixture);
}

static void
test_policy_violations (Fixture       *fixture,
                        gconstpointer  user_data)
{
  g_autofree char *other_key = g_strdup_printf ("u/%s/%s", fixture->alice->sub,
                                                "00000000-0000-4000-8000-000000000000");

  g_test_summary ("A signed form whose key, Content-Type (changed or missing) or fields "
                  "(an extra one) break the policy: 403 S3 XML, nothing written");

  post_changed (fixture, "key", other_key, 403, "AccessDenied");
  post_changed (fixture, "Content-Type", "text/plain", 403, "AccessDenied");
  post_changed (fixture, "Content-Type", "application/octet-stream", 403, "AccessDenied");
  post_changed (fixture, "Content-Type", NULL, 403, NULL);
  post_changed (fixture, "x-amz-meta-evil", "1", 403, "AccessDenied");

  assert_form_still_good (fixture);
}

static void
test_size_limits (Fixture       *fixture,
                  gconstpointer  user_data)
{
  g_autoptr(GBytes) big = tessera_test_make_jpeg (400, 400);
  g_autoptr(GBytes) empty = g_bytes_new_static ("", 0);
  g_autoptr(TesseraTestResponse) too_big = NULL;
  g_autoptr(TesseraTestResponse) too_small = NULL;
  g_autoptr(TesseraTestResponse) request = NULL;

  g_test_summary ("With max-upload-size=20000 the form's content-length-range refuses a "
                  "bigger file (400 EntityTooLarge) and an empty one (400 EntityTooSmall), "
                  "writing nothing; POST /images refuses a declared size over it (413)");

  g_assert_cmpuint (g_bytes_get_size (big), >, 20000);
  g_assert_cmpuint (g_bytes_get_size (fixture->data), <=, 20000);

  /* the server refuses while the body is still coming; curl and S3 SDKs send
   * Expect: 100-continue for that (a plain client is tested in bad-input) */
  tessera_test_server_set_expect_continue (fixture->server, TRUE);

  too_big = tessera_test_server_post_form (fixture->server, fixture->upload_url, fixture->fields,
                                           "a.jpg", "image/jpeg", big);
  assert_s3_error (too_big, 400, "EntityTooLarge");
  assert_nothing_written (fixture, big);

  too_small = tessera_test_server_post_form (fixture->server, fixture->upload_url,
                                             fixture->fields, "a.jpg", "image/jpeg", empty);
  assert_s3_error (too_small, 400, "EntityTooSmall");
  assert_nothing_written (fixture, big);

  tessera_test_server_set_expect_continue (fixture->server, FALSE);
  request = tessera_test_server_call (fixture->server, "POST", "/images", fixture->alice->token,
                                      "{\"contentType\":\"image/jpeg\",\"size\":20001}");
  g_assert_cmpuint (request->status, ==, 413);

  assert_form_still_good (fixture);
}

static void
test_expired (Fixture       *fixture,
              gconstpointer  user_data)
{
  g_autoptr(TesseraTestResponse) r = NULL;

  g_test_summary ("With upload-expires=1 a form posted 2.5 s later is refused: 403 "
                  "AccessDenied, nothing written");

  g_usleep (2500 * 1000);
  r = tessera_test_server_post_form (fixture->server, fixture->upload_url, fixture->fields,
                                     "a.jpg", "image/jpeg", fixture->data);
  assert_s3_error (r, 403, "AccessDenied");
  assert_nothing_written (fixture, fixture->data);
}

/* The policy with its content-length-range widened to a terabyte: what an
 * attacker would want, re-encoded without re-signing. */
static char *
tamper_policy (const char *policy_b64)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree guchar *policy = NULL;
  g_autofree char *text = NULL;
  JsonArray *conditions;
  gsize length = 0;
  gboolean widened = FALSE;

  policy = g_base64_decode (policy_b64, &length);
  g_assert_true (json_parser_load_from_data (parser, (const char *) policy, length, NULL));
  conditions = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                             "conditions");
  g_assert_nonnull (conditions);
  for (guint i = 0; i < json_array_get_length (conditions); i++)
    {
      JsonNode *node = json_array_get_element (conditions, i);
      JsonArray *condition;

      if (!JSON_NODE_HOLDS_ARRAY (node))
        continue;
      condition = json_node_get_array (node);
      if (g_strcmp0 (json_array_get_string_element (condition, 0), "content-length-range") != 0)
        continue;
      json_array_remove_element (condition, 2);
      json_array_add_int_element (condition, G_GINT64_CONSTANT (1000000000000));
      widened = TRUE;
    }
  g_assert_true (widened);

  text = json_to_string (json_parser_get_root (parser), FALSE);
  return g_base64_encode ((const guchar *) text, strlen (text));
}

static void
test_tampered (Fixture       *fixture,
               gconstpointer  user_data)
{
  const char *signature = json_object_get_string_member (fixture->fields, "x-amz-signature");
  const char *credential = json_object_get_string_member (fixture->fields, "x-amz-credential");
  g_autofree char *bad_signature = g_strdup (signature);
  g_autofree char *bad_policy = tamper_policy (json_object_get_string_member (fixture->fields,
                                                                              "policy"));
  g_autofree char *bad_credential = NULL;
  const char *slash = strchr (credential, '/');

  g_test_summary ("A tampered policy (re-encoded), a changed signature, an unknown access "
                  "key (403), a changed x-amz-date or algorithm, or a missing signature or "
                  "policy (400): nothing written");

  bad_signature[0] = bad_signature[0] == '0' ? '1' : '0';
  g_assert_nonnull (slash);
  bad_credential = g_strconcat ("AKIAUNKNOWNKEY000000", slash, NULL);

  post_changed (fixture, "policy", bad_policy, 403, "SignatureDoesNotMatch");
  post_changed (fixture, "x-amz-signature", bad_signature, 403, "SignatureDoesNotMatch");
  post_changed (fixture, "x-amz-credential", bad_credential, 403, "InvalidAccessKeyId");
  post_changed (fixture, "x-amz-date", "20200101T000000Z", 400, "InvalidArgument");
  post_changed (fixture, "x-amz-algorithm", "AWS4-HMAC-SHA1", 400, NULL);
  post_changed (fixture, "x-amz-signature", NULL, 400, NULL);
  post_changed (fixture, "policy", NULL, 400, NULL);

  assert_form_still_good (fixture);
}

/* boto3 */

static JsonObject *
boto3_form (Fixture    *fixture,
            const char *key,
            const char *max_size)
{
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "server", "boto3-form.py", NULL);
  g_autofree char *access = tessera_test_server_dup_config (fixture->server, "s3",
                                                            "access-key-id");
  g_autofree char *secret = tessera_test_server_dup_config (fixture->server, "s3",
                                                            "secret-access-key");
  g_autofree char *bucket = tessera_test_server_dup_config (fixture->server, "s3", "bucket");
  g_autofree char *region = tessera_test_server_dup_config (fixture->server, "s3", "region");
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (
    G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;

  g_assert_nonnull (access);
  g_assert_nonnull (secret);

  /* the secret goes through the environment, not the command line */
  g_subprocess_launcher_setenv (launcher, "AWS_ACCESS_KEY_ID", access, TRUE);
  g_subprocess_launcher_setenv (launcher, "AWS_SECRET_ACCESS_KEY", secret, TRUE);
  g_subprocess_launcher_unsetenv (launcher, "AWS_SESSION_TOKEN");
  g_subprocess_launcher_unsetenv (launcher, "AWS_PROFILE");
  g_subprocess_launcher_setenv (launcher, "AWS_CONFIG_FILE", "/dev/null", TRUE);
  g_subprocess_launcher_setenv (launcher, "AWS_SHARED_CREDENTIALS_FILE", "/dev/null", TRUE);

  process = g_subprocess_launcher_spawn (launcher, &error, "python3", script,
                                         tessera_test_server_get_url (fixture->server),
                                         bucket ? bucket : "tessera", key,
                                         region ? region : "us-east-1", max_size, "600", NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);

  g_assert_true (json_parser_load_from_data (parser, out, -1, NULL));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static void
test_boto3 (Fixture       *fixture,
            gconstpointer  user_data)
{
  const char *key = json_object_get_string_member (fixture->fields, "key");
  g_autoptr(JsonObject) form = boto3_form (fixture, key, "52428800");
  g_autoptr(JsonObject) other = NULL;
  g_autoptr(JsonObject) image = NULL;
  g_autoptr(TesseraTestResponse) tampered = NULL;
  g_autoptr(TesseraTestResponse) posted = NULL;
  g_autoptr(GBytes) file = NULL;
  g_autofree char *other_key = g_strdup_printf ("u/%s/%s", fixture->bob->sub,
                                                "00000000-0000-4000-8000-000000000000");
  JsonObject *fields = json_object_get_object_member (form, "fields");
  JsonObject *other_fields;

  g_test_summary ("A form made by boto3's generate_presigned_post with the server's keys "
                  "(read from its configuration) is accepted and the image ends ready; the "
                  "same form with its key changed is refused");

  g_assert_nonnull (fields);
  g_test_message ("boto3 url: %s", json_object_get_string_member (form, "url"));

  /* tampered first: the key moved into Bob's folder */
  other = boto3_form (fixture, key, "52428800");
  other_fields = json_object_get_object_member (other, "fields");
  json_object_set_string_member (other_fields, "key", other_key);
  tampered = tessera_test_server_post_form (fixture->server,
                                            json_object_get_string_member (other, "url"),
                                            other_fields, "a.jpg", "image/jpeg", fixture->data);
  assert_s3_error (tampered, 403, NULL);
  assert_nothing_written (fixture, fixture->data);

  posted = tessera_test_server_post_form (fixture->server,
                                          json_object_get_string_member (form, "url"),
                                          fields, "a.jpg", "image/jpeg", fixture->data);
  if (posted->status != 204)
    {
      g_autofree char *text = tessera_test_response_dup_text (posted);
      g_test_message ("boto3 form answered %u: %s", posted->status, text);
    }
  g_assert_cmpuint (posted->status, ==, 204);

  image = tessera_test_server_wait_for_status (fixture->server, fixture->alice,
                                               fixture->image_id, "ready", READY_TIMEOUT_S);
  g_assert_nonnull (image);
  g_assert_cmpstr (json_object_get_string_member (image, "status"), ==, "ready");
  file = tessera_test_server_fetch (fixture->server,
                                    json_object_get_string_member (image, "fileUrl"));
  g_assert_true (g_bytes_equal (file, fixture->data));
}

/* Pre-signed GETs */

static void
test_presigned_get (Fixture       *fixture,
                    gconstpointer  user_data)
{
  g_autoptr(TesseraTestResponse) posted = NULL;
  g_autoptr(JsonObject) image = NULL;
  g_autoptr(GBytes) file = NULL;
  g_autofree char *url = NULL;
  g_autofree char *bad = NULL;
  g_autofree char *bucket = tessera_test_server_dup_config (fixture->server, "s3", "bucket");
  g_autofree char *bare = NULL;
  char *signature;

  g_test_summary ("fileUrl is a working pre-signed GET; with its signature changed, without "
                  "its query, or after url-expires=3 has passed it answers 403 S3 XML");

  posted = tessera_test_server_post_form (fixture->server, fixture->upload_url, fixture->fields,
                                          "a.jpg", "image/jpeg", fixture->data);
  g_assert_cmpuint (posted->status, ==, 204);
  image = tessera_test_server_wait_for_status (fixture->server, fixture->alice,
                                               fixture->image_id, "ready", READY_TIMEOUT_S);
  g_assert_nonnull (image);
  g_assert_cmpstr (json_object_get_string_member (image, "status"), ==, "ready");

  url = g_strdup (json_object_get_string_member (image, "fileUrl"));
  file = tessera_test_server_fetch (fixture->server, url);
  g_assert_true (g_bytes_equal (file, fixture->data));

  bad = g_strdup (url);
  signature = strstr (bad, "X-Amz-Signature=");
  g_assert_nonnull (signature);
  signature += strlen ("X-Amz-Signature=");
  signature[0] = signature[0] == '0' ? '1' : '0';
  {
    g_autoptr(TesseraTestResponse) r = tessera_test_server_request_raw (fixture->server, "GET",
                                                                        bad, NULL, NULL, NULL);
    assert_s3_error (r, 403, "SignatureDoesNotMatch");
  }

  bare = g_strdup_printf ("/%s/u/%s/%s", bucket ? bucket : "tessera", fixture->alice->sub,
                          fixture->image_id);
  {
    g_autoptr(TesseraTestResponse) r = tessera_test_server_request_raw (fixture->server, "GET",
                                                                        bare, NULL, NULL, NULL);
    assert_s3_error (r, 403, NULL);
  }

  g_usleep (4000 * 1000);
  {
    g_autoptr(TesseraTestResponse) r = tessera_test_server_request_raw (fixture->server, "GET",
                                                                        url, NULL, NULL, NULL);
    assert_s3_error (r, 403, "AccessDenied");
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, config, func) \
  g_test_add ("/server/s3/" path, Fixture, config, fixture_set_up, func, fixture_tear_down)

  ADD ("traversal-keys", NULL, test_traversal_keys);
  ADD ("policy-violations", NULL, test_policy_violations);
  ADD ("size-limits", CONFIG_NO_TAGGER "[limits]\nmax-upload-size=20000\n", test_size_limits);
  ADD ("expired", CONFIG_NO_TAGGER "[urls]\nupload-expires=1\n", test_expired);
  ADD ("tampered", NULL, test_tampered);
  ADD ("boto3", NULL, test_boto3);
  ADD ("presigned-get", CONFIG_NO_TAGGER "[urls]\nurl-expires=3\n", test_presigned_get);

#undef ADD

  return g_test_run ();
}
