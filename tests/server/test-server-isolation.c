/* test-server-isolation.c: an image belongs to its uploader alone
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-server-isolation"

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
  GBytes            *alice_data;
  char              *alice_id;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  g_autoptr(JsonObject) image = NULL;
  g_autoptr(TesseraTestResponse) tagged = NULL;
  g_autofree char *path = NULL;

  fixture->server = tessera_test_server_new_started (CONFIG_NO_TAGGER);
  fixture->alice = tessera_test_server_new_user (fixture->server, "alice");
  fixture->bob = tessera_test_server_new_user (fixture->server, "bob");
  g_assert_cmpstr (fixture->alice->sub, !=, fixture->bob->sub);

  fixture->alice_data = tessera_test_make_jpeg (80, 60);
  fixture->alice_id = tessera_test_server_upload (fixture->server, fixture->alice, "alice.jpg",
                                                  "image/jpeg", fixture->alice_data, NULL);
  image = tessera_test_server_wait_for_status (fixture->server, fixture->alice,
                                               fixture->alice_id, "ready", READY_TIMEOUT_S);
  g_assert_nonnull (image);
  g_assert_cmpstr (json_object_get_string_member (image, "status"), ==, "ready");

  path = g_strdup_printf ("/images/%s", fixture->alice_id);
  tagged = tessera_test_server_call (fixture->server, "PATCH", path, fixture->alice->token,
                                     "{\"addTags\":[\"private\"]}");
  g_assert_cmpuint (tagged->status, ==, 200);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_clear_pointer (&fixture->alice, tessera_test_user_free);
  g_clear_pointer (&fixture->bob, tessera_test_user_free);
  g_clear_pointer (&fixture->alice_data, g_bytes_unref);
  g_clear_pointer (&fixture->alice_id, g_free);
  g_clear_object (&fixture->server);
}

/* Alice's image as she sees it: still there, still tagged, same bytes. */
static void
assert_alice_untouched (Fixture *fixture)
{
  g_autofree char *path = g_strdup_printf ("/images/%s", fixture->alice_id);
  g_autoptr(TesseraTestResponse) r = tessera_test_server_call (fixture->server, "GET", path,
                                                               fixture->alice->token, NULL);
  g_autoptr(GBytes) file = NULL;
  JsonObject *image;
  JsonArray *tags;
  JsonNode *trashed_at;

  g_assert_cmpuint (r->status, ==, 200);
  image = tessera_test_response_get_object (r);
  g_assert_cmpstr (json_object_get_string_member (image, "status"), ==, "ready");
  tags = json_object_get_array_member (image, "tags");
  g_assert_cmpuint (json_array_get_length (tags), ==, 1);
  g_assert_cmpstr (json_array_get_string_element (tags, 0), ==, "private");
  trashed_at = json_object_get_member (image, "trashedAt");
  g_assert_true (trashed_at == NULL || JSON_NODE_HOLDS_NULL (trashed_at));

  file = tessera_test_server_fetch (fixture->server,
                                    json_object_get_string_member (image, "fileUrl"));
  g_assert_true (g_bytes_equal (file, fixture->alice_data));
}

static void
assert_not_found (TesseraTestResponse *r)
{
  g_assert_cmpuint (r->status, ==, 404);
  g_assert_nonnull (tessera_test_response_get_string (r, "message"));
}

static void
test_every_route_404 (Fixture       *fixture,
                      gconstpointer  user_data)
{
  TesseraTestServer *server = fixture->server;
  const char *bob = fixture->bob->token;
  g_autofree char *path = g_strdup_printf ("/images/%s", fixture->alice_id);
  g_autofree char *permanent = g_strdup_printf ("/images/%s?permanent=true", fixture->alice_id);
  g_autofree char *restore = g_strdup_printf ("/images/%s/restore", fixture->alice_id);

  g_test_summary ("Bob asks for, tags, deletes, deletes for good and restores Alice's "
                  "image: every route answers 404 (not 403, which would confirm it exists) "
                  "and Alice's image is untouched");

  {
    g_autoptr(TesseraTestResponse) r = tessera_test_server_call (server, "GET", path, bob, NULL);
    assert_not_found (r);
  }
  {
    g_autoptr(TesseraTestResponse) r =
      tessera_test_server_call (server, "PATCH", path, bob,
                                "{\"addTags\":[\"bob-was-here\"],\"removeTags\":[\"private\"]}");
    assert_not_found (r);
  }
  {
    g_autoptr(TesseraTestResponse) r = tessera_test_server_call (server, "DELETE", path, bob,
                                                                 NULL);
    assert_not_found (r);
  }
  {
    g_autoptr(TesseraTestResponse) r = tessera_test_server_call (server, "DELETE", permanent,
                                                                 bob, NULL);
    assert_not_found (r);
  }
  assert_alice_untouched (fixture);

  /* in Alice's trash, Bob still cannot restore or purge it */
  {
    g_autoptr(TesseraTestResponse) r =
      tessera_test_server_call (server, "DELETE", path, fixture->alice->token, NULL);
    g_assert_cmpuint (r->status, ==, 200);
  }
  {
    g_autoptr(TesseraTestResponse) r = tessera_test_server_call (server, "POST", restore, bob,
                                                                 NULL);
    assert_not_found (r);
  }
  {
    g_autoptr(TesseraTestResponse) r = tessera_test_server_call (server, "DELETE", permanent,
                                                                 bob, NULL);
    assert_not_found (r);
  }
  {
    g_autoptr(TesseraTestResponse) r =
      tessera_test_server_call (server, "POST", restore, fixture->alice->token, NULL);
    g_assert_cmpuint (r->status, ==, 200);
  }
  assert_alice_untouched (fixture);
}

static void
test_listings_private (Fixture       *fixture,
                       gconstpointer  user_data)
{
  TesseraTestServer *server = fixture->server;
  const char *bob = fixture->bob->token;
  g_autofree char *path = g_strdup_printf ("/images/%s", fixture->alice_id);
  g_autoptr(TesseraTestResponse) trash_alice = NULL;

  g_test_summary ("Bob's listings (all, by Alice's tag, untagged, trash) and tag counts "
                  "show nothing of Alice's");

  {
    g_autoptr(TesseraTestResponse) r = tessera_test_server_call (server, "GET", "/images", bob,
                                                                 NULL);
    g_auto(GStrv) ids = NULL;

    g_assert_cmpuint (r->status, ==, 200);
    ids = tessera_test_listing_ids (r);
    g_assert_cmpuint (g_strv_length (ids), ==, 0);
  }
  {
    g_autoptr(TesseraTestResponse) r =
      tessera_test_server_call (server, "GET", "/images?tags=private", bob, NULL);
    g_auto(GStrv) ids = NULL;

    g_assert_cmpuint (r->status, ==, 200);
    ids = tessera_test_listing_ids (r);
    g_assert_cmpuint (g_strv_length (ids), ==, 0);
  }
  {
    g_autoptr(TesseraTestResponse) r = tessera_test_server_call (server, "GET", "/tags", bob,
                                                                 NULL);
    JsonArray *tags;

    g_assert_cmpuint (r->status, ==, 200);
    tags = json_object_get_array_member (tessera_test_response_get_object (r), "tags");
    g_assert_cmpuint (json_array_get_length (tags), ==, 0);
  }

  trash_alice = tessera_test_server_call (server, "DELETE", path, fixture->alice->token, NULL);
  g_assert_cmpuint (trash_alice->status, ==, 200);
  {
    g_autoptr(TesseraTestResponse) r =
      tessera_test_server_call (server, "GET", "/images?trashed=true", bob, NULL);
    g_auto(GStrv) ids = NULL;

    g_assert_cmpuint (r->status, ==, 200);
    ids = tessera_test_listing_ids (r);
    g_assert_cmpuint (g_strv_length (ids), ==, 0);
  }
}

/* Bob asks for an upload of his own, then points his form at @key. */
static void
post_bobs_form_to (Fixture    *fixture,
                   const char *key)
{
  g_autoptr(TesseraTestResponse) created = NULL;
  g_autoptr(TesseraTestResponse) posted = NULL;
  g_autoptr(GBytes) evil = tessera_test_make_jpeg (16, 16);
  g_autoptr(GPtrArray) written = NULL;
  g_autofree char *text = NULL;
  JsonObject *form, *fields;

  created = tessera_test_server_call (fixture->server, "POST", "/images", fixture->bob->token,
                                      "{\"filename\":\"x.jpg\",\"contentType\":\"image/jpeg\"}");
  g_assert_cmpuint (created->status, ==, 201);
  form = json_object_get_object_member (tessera_test_response_get_object (created),
                                        "formConfig");
  fields = json_object_get_object_member (form, "formFields");
  json_object_set_string_member (fields, "key", key);

  posted = tessera_test_server_post_form (fixture->server,
                                          json_object_get_string_member (form, "uploadUrl"),
                                          fields, "x.jpg", "image/jpeg", evil);
  text = tessera_test_response_dup_text (posted);
  g_test_message ("key %s: %u %s", key, posted->status, text);
  g_assert_cmpuint (posted->status, ==, 403);
  g_assert_nonnull (strstr (text, "<Error>"));

  written = tessera_test_server_find_objects (fixture->server, NULL, evil);
  g_assert_cmpuint (written->len, ==, 0);
}

static void
test_form_cannot_cross (Fixture       *fixture,
                        gconstpointer  user_data)
{
  g_autofree char *alice_key = g_strdup_printf ("u/%s/%s", fixture->alice->sub,
                                                fixture->alice_id);
  g_autofree char *alice_new = g_strdup_printf ("u/%s/%s", fixture->alice->sub,
                                                "00000000-0000-4000-8000-000000000000");
  g_autofree char *climb = g_strdup_printf ("u/%s/../%s/%s", fixture->bob->sub,
                                            fixture->alice->sub, fixture->alice_id);

  g_test_summary ("Bob's signed form with the key changed to Alice's object, to a new key "
                  "in Alice's folder, or climbing out of his own folder with ..: 403 S3 XML, "
                  "nothing written, Alice's bytes unchanged");

  post_bobs_form_to (fixture, alice_key);
  post_bobs_form_to (fixture, alice_new);
  post_bobs_form_to (fixture, climb);
  assert_alice_untouched (fixture);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/server/isolation/every-route-404", Fixture, NULL,
              fixture_set_up, test_every_route_404, fixture_tear_down);
  g_test_add ("/server/isolation/listings-private", Fixture, NULL,
              fixture_set_up, test_listings_private, fixture_tear_down);
  g_test_add ("/server/isolation/form-cannot-cross", Fixture, NULL,
              fixture_set_up, test_form_cannot_cross, fixture_tear_down);

  return g_test_run ();
}
