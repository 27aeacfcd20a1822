/* test-server-flow.c: the whole life of an image, through the real server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-server-flow"

#include "config.h"

#include <string.h>

#include "tessera-test-server.h"

#define READY_TIMEOUT_S 60

/* Tagging is switched off so that the only tags are the ones a test sets. */
#define CONFIG_NO_TAGGER "[tagger]\nname=none\n"

static char *
upload_ready (TesseraTestServer *server,
              TesseraTestUser   *user,
              const char        *filename,
              GBytes           **data_out)
{
  g_autoptr(GBytes) data = tessera_test_make_jpeg (64, 48);
  g_autoptr(JsonObject) image = NULL;
  g_autofree char *id = NULL;

  id = tessera_test_server_upload (server, user, filename, "image/jpeg", data, NULL);
  image = tessera_test_server_wait_for_status (server, user, id, "ready", READY_TIMEOUT_S);
  g_assert_nonnull (image);
  g_assert_cmpstr (json_object_get_string_member (image, "status"), ==, "ready");

  if (data_out != NULL)
    *data_out = g_steal_pointer (&data);
  return g_steal_pointer (&id);
}

static TesseraTestResponse *
patch_tags (TesseraTestServer *server,
            TesseraTestUser   *user,
            const char        *id,
            const char        *body)
{
  g_autofree char *path = g_strdup_printf ("/images/%s", id);

  return tessera_test_server_call (server, "PATCH", path, user->token, body);
}

static GStrv
image_tags (JsonObject *image)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  JsonArray *tags;

  g_assert_true (json_object_has_member (image, "tags"));
  tags = json_object_get_array_member (image, "tags");
  for (guint i = 0; i < json_array_get_length (tags); i++)
    g_strv_builder_add (builder, json_array_get_string_element (tags, i));
  return g_strv_builder_end (builder);
}

static GStrv
list_ids (TesseraTestServer *server,
          TesseraTestUser   *user,
          const char        *query)
{
  g_autofree char *path = g_strconcat ("/images", query, NULL);
  g_autoptr(TesseraTestResponse) response =
    tessera_test_server_call (server, "GET", path, user->token, NULL);

  g_assert_cmpuint (response->status, ==, 200);
  return tessera_test_listing_ids (response);
}

/* Same members, any order. */
static void
assert_same_set (const char * const *got,
                 const char * const *expected)
{
  g_assert_cmpuint (g_strv_length ((GStrv) got), ==, g_strv_length ((GStrv) expected));
  for (guint i = 0; expected[i] != NULL; i++)
    g_assert_true (g_strv_contains (got, expected[i]));
}

static void
test_upload_to_ready (void)
{
  g_autoptr(TesseraTestServer) server = tessera_test_server_new_started (CONFIG_NO_TAGGER);
  g_autoptr(TesseraTestUser) alice = tessera_test_server_new_user (server, "alice");
  g_autoptr(GBytes) data = tessera_test_make_jpeg (320, 240);
  g_autoptr(JsonObject) created = NULL;
  g_autoptr(JsonObject) image = NULL;
  g_autoptr(GBytes) file = NULL;
  g_autoptr(GBytes) thumbnail = NULL;
  g_autoptr(GPtrArray) stored = NULL;
  g_auto(GStrv) ids = NULL;
  g_autofree char *id = NULL;
  JsonObject *form, *fields;
  int width = 0, height = 0;

  g_test_summary ("Sign up, sign in, ask for an upload, post the form, wait for ready: "
                  "the image has its metadata, its file and thumbnails are served and "
                  "the object is on disk byte for byte");

  id = tessera_test_server_upload (server, alice, "photo.jpg", "image/jpeg", data, &created);

  /* The form binds the exact key u/<sub>/<imageId> */
  form = json_object_get_object_member (created, "formConfig");
  fields = json_object_get_object_member (form, "formFields");
  g_assert_true (g_str_has_prefix (json_object_get_string_member (form, "uploadUrl"),
                                   tessera_test_server_get_url (server)));
  {
    g_autofree char *key = g_strdup_printf ("u/%s/%s", alice->sub, id);
    g_assert_cmpstr (json_object_get_string_member (fields, "key"), ==, key);
  }
  g_assert_true (json_object_has_member (fields, "policy"));

  image = tessera_test_server_wait_for_status (server, alice, id, "ready", READY_TIMEOUT_S);
  g_assert_nonnull (image);
  g_assert_cmpstr (json_object_get_string_member (image, "status"), ==, "ready");
  g_assert_cmpstr (json_object_get_string_member (image, "id"), ==, id);
  g_assert_cmpstr (json_object_get_string_member (image, "filename"), ==, "photo.jpg");
  g_assert_cmpstr (json_object_get_string_member (image, "contentType"), ==, "image/jpeg");
  g_assert_cmpint (json_object_get_int_member (image, "size"), ==, g_bytes_get_size (data));
  g_assert_cmpint (json_object_get_int_member (image, "width"), ==, 320);
  g_assert_cmpint (json_object_get_int_member (image, "height"), ==, 240);
  g_assert_cmpint (tessera_test_parse_time (json_object_get_string_member (image, "createdAt")),
                   >, 0);
  g_assert_true (json_object_has_member (image, "labels"));
  g_assert_nonnull (json_object_get_array_member (image, "labels"));
  g_assert_nonnull (json_object_get_array_member (image, "tags"));

  /* fileUrl serves the very bytes we uploaded */
  file = tessera_test_server_fetch (server, json_object_get_string_member (image, "fileUrl"));
  g_assert_true (g_bytes_equal (file, data));

  /* the thumbnail is a real image of at most 256 px */
  thumbnail = tessera_test_server_fetch (server,
                                         json_object_get_string_member (image, "thumbnailUrl"));
  g_assert_true (tessera_test_image_size (thumbnail, &width, &height));
  g_assert_cmpint (MAX (width, height), <=, 256);
  g_assert_cmpint (MAX (width, height), >, 0);

  if (json_object_has_member (image, "previewUrl"))
    {
      g_autoptr(GBytes) preview =
        tessera_test_server_fetch (server, json_object_get_string_member (image, "previewUrl"));

      g_assert_true (tessera_test_image_size (preview, &width, &height));
      g_assert_cmpint (MAX (width, height), <=, 1024);
    }

  /* the object is on disk, byte for byte */
  stored = tessera_test_server_find_objects (server, NULL, data);
  g_assert_cmpuint (stored->len, >=, 1);

  ids = list_ids (server, alice, "");
  g_assert_cmpuint (g_strv_length (ids), ==, 1);
  g_assert_cmpstr (ids[0], ==, id);

  /* a success is JSON with CORS too */
  {
    g_autoptr(TesseraTestResponse) r = tessera_test_server_call (server, "GET", "/images",
                                                                 alice->token, NULL);
    g_assert_cmpstr (tessera_test_response_get_header (r, "Access-Control-Allow-Origin"), ==,
                     "*");
    g_assert_true (g_str_has_prefix (tessera_test_response_get_header (r, "Content-Type"),
                                     "application/json"));
  }
}

static void
test_duplicate_sha256 (void)
{
  g_autoptr(TesseraTestServer) server = tessera_test_server_new_started (CONFIG_NO_TAGGER);
  g_autoptr(TesseraTestUser) alice = tessera_test_server_new_user (server, "alice");
  g_autoptr(TesseraTestUser) bob = tessera_test_server_new_user (server, "bob");
  g_autoptr(GBytes) data = NULL;
  g_autoptr(TesseraTestResponse) again = NULL;
  g_autoptr(TesseraTestResponse) other = NULL;
  g_autoptr(TesseraTestResponse) bobs = NULL;
  g_autofree char *id = upload_ready (server, alice, "a.jpg", &data);
  g_autofree char *sha = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, data);
  g_autofree char *body = NULL;

  g_test_summary ("POST /images with the sha256 of an image the user already has answers "
                  "200 duplicateOf; another sha256, or another user, gets a new form");

  body = g_strdup_printf ("{\"filename\":\"a.jpg\",\"contentType\":\"image/jpeg\","
                          "\"size\":%" G_GSIZE_FORMAT ",\"sha256\":\"%s\"}",
                          g_bytes_get_size (data), sha);
  again = tessera_test_server_call (server, "POST", "/images", alice->token, body);
  g_assert_cmpuint (again->status, ==, 200);
  g_assert_cmpstr (tessera_test_response_get_string (again, "duplicateOf"), ==, id);

  other = tessera_test_server_call (server, "POST", "/images", alice->token,
                                    "{\"filename\":\"b.jpg\",\"contentType\":\"image/jpeg\","
                                    "\"sha256\":\"0000000000000000000000000000000000000000"
                                    "000000000000000000000000\"}");
  g_assert_cmpuint (other->status, ==, 201);
  g_assert_nonnull (tessera_test_response_get_string (other, "imageId"));

  /* the same bytes are not a duplicate for someone else: that would leak */
  bobs = tessera_test_server_call (server, "POST", "/images", bob->token, body);
  g_assert_cmpuint (bobs->status, ==, 201);
  g_assert_nonnull (tessera_test_response_get_string (bobs, "imageId"));
}

static void
test_filter_by_tags (void)
{
  g_autoptr(TesseraTestServer) server = tessera_test_server_new_started (CONFIG_NO_TAGGER);
  g_autoptr(TesseraTestUser) alice = tessera_test_server_new_user (server, "alice");
  g_autofree char *a = upload_ready (server, alice, "a.jpg", NULL);
  g_autofree char *b = upload_ready (server, alice, "b.jpg", NULL);
  g_autofree char *c = upload_ready (server, alice, "c.jpg", NULL);
  g_autofree char *d = upload_ready (server, alice, "d.jpg", NULL);
  g_autoptr(TesseraTestResponse) tags = NULL;
  JsonArray *tag_list;
  guint seen = 0;

  g_test_summary ("Tags set with PATCH (normalised: trimmed, lower-case, NFC) filter the "
                  "listing: all by default, any with match=any, untagged=true; GET /tags "
                  "counts them");

  {
    g_autoptr(TesseraTestResponse) r1 =
      patch_tags (server, alice, a, "{\"addTags\":[\"  Dog \",\"park\"]}");
    g_autoptr(TesseraTestResponse) r2 = patch_tags (server, alice, b, "{\"addTags\":[\"dog\"]}");
    /* "été" sent decomposed (e + combining acute) must match the composed form */
    g_autoptr(TesseraTestResponse) r3 =
      patch_tags (server, alice, c, "{\"addTags\":[\"CAT\",\"e\\u0301te\\u0301\"]}");
    g_auto(GStrv) a_tags = NULL;

    g_assert_cmpuint (r1->status, ==, 200);
    g_assert_cmpuint (r2->status, ==, 200);
    g_assert_cmpuint (r3->status, ==, 200);
    a_tags = image_tags (tessera_test_response_get_object (r1));
    assert_same_set ((const char * const *) a_tags, (const char *[]) { "dog", "park", NULL });
  }

  {
    g_auto(GStrv) dog = list_ids (server, alice, "?tags=dog");
    g_auto(GStrv) dog_park = list_ids (server, alice, "?tags=dog,park");
    g_auto(GStrv) dog_park_all = list_ids (server, alice, "?tags=park,dog&match=all");
    g_auto(GStrv) dog_cat_all = list_ids (server, alice, "?tags=dog,cat");
    g_auto(GStrv) dog_cat_any = list_ids (server, alice, "?tags=dog,cat&match=any");
    g_auto(GStrv) upper = list_ids (server, alice, "?tags=DOG");
    g_auto(GStrv) ete = list_ids (server, alice, "?tags=%C3%A9t%C3%A9");
    g_auto(GStrv) untagged = list_ids (server, alice, "?untagged=true");
    g_auto(GStrv) none = list_ids (server, alice, "?tags=horse");
    g_auto(GStrv) all = list_ids (server, alice, "");

    assert_same_set ((const char * const *) dog, (const char *[]) { a, b, NULL });
    assert_same_set ((const char * const *) dog_park, (const char *[]) { a, NULL });
    assert_same_set ((const char * const *) dog_park_all, (const char *[]) { a, NULL });
    g_assert_cmpuint (g_strv_length (dog_cat_all), ==, 0);
    assert_same_set ((const char * const *) dog_cat_any, (const char *[]) { a, b, c, NULL });
    assert_same_set ((const char * const *) upper, (const char *[]) { a, b, NULL });
    assert_same_set ((const char * const *) ete, (const char *[]) { c, NULL });
    assert_same_set ((const char * const *) untagged, (const char *[]) { d, NULL });
    g_assert_cmpuint (g_strv_length (none), ==, 0);
    assert_same_set ((const char * const *) all, (const char *[]) { a, b, c, d, NULL });
  }

  tags = tessera_test_server_call (server, "GET", "/tags", alice->token, NULL);
  g_assert_cmpuint (tags->status, ==, 200);
  tag_list = json_object_get_array_member (tessera_test_response_get_object (tags), "tags");
  g_assert_nonnull (tag_list);
  for (guint i = 0; i < json_array_get_length (tag_list); i++)
    {
      JsonObject *tag = json_array_get_object_element (tag_list, i);
      const char *name = json_object_get_string_member (tag, "name");
      gint64 count = json_object_get_int_member (tag, "count");

      if (g_str_equal (name, "dog"))
        g_assert_cmpint (count, ==, 2);
      else if (g_str_equal (name, "park") || g_str_equal (name, "cat") ||
               g_str_equal (name, "\xc3\xa9t\xc3\xa9"))
        g_assert_cmpint (count, ==, 1);
      else
        g_error ("unexpected tag \"%s\"", name);
      seen++;
    }
  g_assert_cmpuint (seen, ==, 4);
}

static void
test_tag_edit (void)
{
  g_autoptr(TesseraTestServer) server = tessera_test_server_new_started (CONFIG_NO_TAGGER);
  g_autoptr(TesseraTestUser) alice = tessera_test_server_new_user (server, "alice");
  g_autofree char *id = upload_ready (server, alice, "a.jpg", NULL);
  g_autofree char *path = g_strdup_printf ("/images/%s", id);

  g_test_summary ("PATCH adds and removes tags; the answer and a later GET agree; adding a "
                  "tag twice keeps one; removing an absent tag is harmless");

  {
    g_autoptr(TesseraTestResponse) r =
      patch_tags (server, alice, id, "{\"addTags\":[\"beach\",\"sunset\",\"Beach\"]}");
    g_auto(GStrv) tags = NULL;

    g_assert_cmpuint (r->status, ==, 200);
    tags = image_tags (tessera_test_response_get_object (r));
    assert_same_set ((const char * const *) tags, (const char *[]) { "beach", "sunset", NULL });
  }
  {
    g_autoptr(TesseraTestResponse) r =
      patch_tags (server, alice, id, "{\"removeTags\":[\"SUNSET\",\"never-there\"],"
                                     "\"addTags\":[\"sea\"]}");
    g_auto(GStrv) tags = NULL;

    g_assert_cmpuint (r->status, ==, 200);
    tags = image_tags (tessera_test_response_get_object (r));
    assert_same_set ((const char * const *) tags, (const char *[]) { "beach", "sea", NULL });
  }
  {
    g_autoptr(TesseraTestResponse) r = tessera_test_server_call (server, "GET", path,
                                                                 alice->token, NULL);
    g_auto(GStrv) tags = NULL;

    g_assert_cmpuint (r->status, ==, 200);
    tags = image_tags (tessera_test_response_get_object (r));
    assert_same_set ((const char * const *) tags, (const char *[]) { "beach", "sea", NULL });
  }
  {
    g_auto(GStrv) sunset = list_ids (server, alice, "?tags=sunset");
    g_auto(GStrv) sea = list_ids (server, alice, "?tags=sea");

    g_assert_cmpuint (g_strv_length (sunset), ==, 0);
    assert_same_set ((const char * const *) sea, (const char *[]) { id, NULL });
  }
}

static void
test_paginate (void)
{
  g_autoptr(TesseraTestServer) server = tessera_test_server_new_started (CONFIG_NO_TAGGER);
  g_autoptr(TesseraTestUser) alice = tessera_test_server_new_user (server, "alice");
  g_autoptr(GPtrArray) created = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) visited = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *cursor = NULL;
  guint pages = 0;
  const guint n_images = 7;
  gint64 last_created = G_MAXINT64;

  g_test_summary ("limit=3 over 7 images: the cursor visits every image exactly once, "
                  "newest first, in 3 pages, and the last page has no nextCursor");

  for (guint i = 0; i < n_images; i++)
    {
      g_autofree char *name = g_strdup_printf ("p%u.jpg", i);

      g_ptr_array_add (created, upload_ready (server, alice, name, NULL));
      /* distinct createdAt, so newest-first has one right answer */
      g_usleep (20 * 1000);
    }

  do
    {
      g_autofree char *path = NULL;
      g_autoptr(TesseraTestResponse) page = NULL;
      g_auto(GStrv) ids = NULL;
      JsonObject *object;
      JsonArray *images;
      JsonNode *next;

      if (cursor == NULL)
        path = g_strdup ("/images?limit=3");
      else
        {
          g_autofree char *escaped = g_uri_escape_string (cursor, NULL, FALSE);
          path = g_strdup_printf ("/images?limit=3&cursor=%s", escaped);
        }

      page = tessera_test_server_call (server, "GET", path, alice->token, NULL);
      g_assert_cmpuint (page->status, ==, 200);
      ids = tessera_test_listing_ids (page);
      g_assert_cmpuint (g_strv_length (ids), <=, 3);
      object = tessera_test_response_get_object (page);
      images = json_object_get_array_member (object, "images");

      for (guint i = 0; ids[i] != NULL; i++)
        {
          JsonObject *image = json_array_get_object_element (images, i);
          gint64 at = tessera_test_parse_time (json_object_get_string_member (image,
                                                                              "createdAt"));

          g_assert_cmpint (at, <=, last_created);
          last_created = at;
          g_ptr_array_add (visited, g_strdup (ids[i]));
        }

      g_clear_pointer (&cursor, g_free);
      next = json_object_get_member (object, "nextCursor");
      if (next != NULL && !JSON_NODE_HOLDS_NULL (next))
        {
          cursor = g_strdup (json_node_get_string (next));
          g_assert_nonnull (cursor);
          g_assert_cmpstr (cursor, !=, "");
        }
      pages++;
      g_assert_cmpuint (pages, <=, n_images);
    }
  while (cursor != NULL);

  g_assert_cmpuint (pages, ==, 3);
  g_assert_cmpuint (visited->len, ==, n_images);
  /* newest first: the reverse of the upload order */
  for (guint i = 0; i < n_images; i++)
    g_assert_cmpstr (g_ptr_array_index (visited, i), ==,
                     g_ptr_array_index (created, n_images - 1 - i));
}

static gboolean
listing_has (TesseraTestServer *server,
             TesseraTestUser   *user,
             const char        *query,
             const char        *id)
{
  g_auto(GStrv) ids = list_ids (server, user, query);

  return g_strv_contains ((const char * const *) ids, id);
}

static void
test_delete_restore (void)
{
  g_autoptr(TesseraTestServer) server = tessera_test_server_new_started (CONFIG_NO_TAGGER);
  g_autoptr(TesseraTestUser) alice = tessera_test_server_new_user (server, "alice");
  g_autoptr(GBytes) data = NULL;
  g_autofree char *id = upload_ready (server, alice, "a.jpg", &data);
  g_autofree char *path = g_strdup_printf ("/images/%s", id);
  g_autofree char *restore = g_strdup_printf ("/images/%s/restore", id);
  g_autoptr(TesseraTestResponse) tagged = patch_tags (server, alice, id,
                                                      "{\"addTags\":[\"kept\"]}");
  g_autoptr(TesseraTestResponse) deleted = NULL;
  g_autoptr(TesseraTestResponse) trash = NULL;
  g_autoptr(TesseraTestResponse) restored = NULL;
  g_autoptr(TesseraTestResponse) again = NULL;
  g_autoptr(GPtrArray) stored = NULL;
  JsonArray *trashed;
  JsonObject *image;
  JsonNode *trashed_at;

  g_test_summary ("DELETE moves the image to the trash (out of the listing, into "
                  "?trashed=true with trashedAt, object kept); restore brings it back "
                  "with its tags");

  g_assert_cmpuint (tagged->status, ==, 200);

  deleted = tessera_test_server_call (server, "DELETE", path, alice->token, NULL);
  g_assert_cmpuint (deleted->status, ==, 200);
  g_assert_nonnull (tessera_test_response_get_string (deleted, "message"));

  g_assert_false (listing_has (server, alice, "", id));
  g_assert_false (listing_has (server, alice, "?tags=kept", id));

  trash = tessera_test_server_call (server, "GET", "/images?trashed=true", alice->token, NULL);
  g_assert_cmpuint (trash->status, ==, 200);
  trashed = json_object_get_array_member (tessera_test_response_get_object (trash), "images");
  g_assert_cmpuint (json_array_get_length (trashed), ==, 1);
  image = json_array_get_object_element (trashed, 0);
  g_assert_cmpstr (json_object_get_string_member (image, "id"), ==, id);
  g_assert_cmpint (tessera_test_parse_time (json_object_get_string_member (image, "trashedAt")),
                   >, 0);

  /* still within the retention: the bytes are kept */
  stored = tessera_test_server_find_objects (server, NULL, data);
  g_assert_cmpuint (stored->len, >=, 1);

  restored = tessera_test_server_call (server, "POST", restore, alice->token, NULL);
  g_assert_cmpuint (restored->status, ==, 200);
  image = tessera_test_response_get_object (restored);
  g_assert_cmpstr (json_object_get_string_member (image, "id"), ==, id);
  trashed_at = json_object_get_member (image, "trashedAt");
  g_assert_true (trashed_at == NULL || JSON_NODE_HOLDS_NULL (trashed_at));

  g_assert_true (listing_has (server, alice, "", id));
  g_assert_true (listing_has (server, alice, "?tags=kept", id));
  g_assert_false (listing_has (server, alice, "?trashed=true", id));

  again = tessera_test_server_call (server, "GET", path, alice->token, NULL);
  g_assert_cmpuint (again->status, ==, 200);
  g_assert_cmpstr (tessera_test_response_get_string (again, "status"), ==, "ready");
}

/* Waits until no file in the data directory (objects, their metadata,
 * thumbnails) has @id in its path or @data as its content. */
static gboolean
wait_objects_gone (TesseraTestServer *server,
                   const char        *id,
                   GBytes            *data,
                   guint              timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + timeout_s * G_USEC_PER_SEC;

  for (;;)
    {
      g_autoptr(GPtrArray) left = tessera_test_server_find_files (server, NULL, id, data);

      if (left->len == 0)
        return TRUE;
      if (g_get_monotonic_time () > deadline)
        {
          for (guint i = 0; i < left->len; i++)
            g_test_message ("still there: %s", (char *) g_ptr_array_index (left, i));
          return FALSE;
        }
      g_usleep (200 * 1000);
    }
}

static void
test_purge (void)
{
  g_autoptr(TesseraTestServer) server =
    tessera_test_server_new_started (CONFIG_NO_TAGGER
                                     "[trash]\nretention=1\npurge-interval=1\n");
  g_autoptr(TesseraTestUser) alice = tessera_test_server_new_user (server, "alice");
  g_autoptr(GBytes) data = NULL;
  g_autofree char *id = upload_ready (server, alice, "a.jpg", &data);
  g_autofree char *keep = upload_ready (server, alice, "keep.jpg", NULL);
  g_autofree char *path = g_strdup_printf ("/images/%s", id);
  g_autoptr(GPtrArray) before = tessera_test_server_find_objects (server, id, data);
  g_autoptr(GPtrArray) kept = NULL;
  g_autoptr(TesseraTestResponse) deleted = NULL;
  gint64 deadline;

  g_test_summary ("With a 1 s retention and a 1 s purge interval a deleted image is purged: "
                  "its object and thumbnails leave DATA_DIR/objects, GET answers 404, the "
                  "trash is empty, and the other image is untouched");

  g_assert_cmpuint (before->len, >=, 1);

  deleted = tessera_test_server_call (server, "DELETE", path, alice->token, NULL);
  g_assert_cmpuint (deleted->status, ==, 200);

  g_assert_true (wait_objects_gone (server, id, data, 20));

  deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  for (;;)
    {
      g_autoptr(TesseraTestResponse) r = tessera_test_server_call (server, "GET", path,
                                                                   alice->token, NULL);
      if (r->status == 404)
        break;
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (200 * 1000);
    }

  g_assert_false (listing_has (server, alice, "?trashed=true", id));
  g_assert_true (listing_has (server, alice, "", keep));
  kept = tessera_test_server_find_objects (server, keep, NULL);
  g_assert_cmpuint (kept->len, >=, 1);
}

static void
test_delete_permanent (void)
{
  g_autoptr(TesseraTestServer) server = tessera_test_server_new_started (CONFIG_NO_TAGGER);
  g_autoptr(TesseraTestUser) alice = tessera_test_server_new_user (server, "alice");
  g_autoptr(GBytes) data = NULL;
  g_autofree char *id = upload_ready (server, alice, "a.jpg", &data);
  g_autofree char *path = g_strdup_printf ("/images/%s", id);
  g_autofree char *permanent = g_strdup_printf ("/images/%s?permanent=true", id);
  g_autofree char *restore = g_strdup_printf ("/images/%s/restore", id);
  g_autoptr(TesseraTestResponse) deleted = NULL;
  g_autoptr(TesseraTestResponse) gone = NULL;
  g_autoptr(TesseraTestResponse) restored = NULL;

  g_test_summary ("DELETE ?permanent=true skips the trash: 404 at once, not in the trash, "
                  "cannot be restored, and the object leaves the disk");

  deleted = tessera_test_server_call (server, "DELETE", permanent, alice->token, NULL);
  g_assert_cmpuint (deleted->status, ==, 200);

  gone = tessera_test_server_call (server, "GET", path, alice->token, NULL);
  g_assert_cmpuint (gone->status, ==, 404);
  g_assert_nonnull (tessera_test_response_get_string (gone, "message"));

  g_assert_false (listing_has (server, alice, "", id));
  g_assert_false (listing_has (server, alice, "?trashed=true", id));

  restored = tessera_test_server_call (server, "POST", restore, alice->token, NULL);
  g_assert_cmpuint (restored->status, ==, 404);

  g_assert_true (wait_objects_gone (server, id, data, 10));
}

static void
test_auto_tagging (void)
{
  g_autoptr(TesseraTestServer) server =
    tessera_test_server_new_started ("[tagger]\nname=local\nthreshold=0.5\n");
  g_autoptr(TesseraTestUser) alice = tessera_test_server_new_user (server, "alice");
  g_autoptr(GBytes) data = tessera_test_make_jpeg (400, 200);
  g_autoptr(JsonObject) image = NULL;
  g_autofree char *id = NULL;
  g_auto(GStrv) tags = NULL;
  JsonArray *labels;
  guint above = 0;

  g_test_summary ("With the local tagger, an upload ends ready with labels (name, "
                  "confidence in [0, 1], source local...); exactly the labels at or above the "
                  "threshold are tags, and the listing filters on them");

  id = tessera_test_server_upload (server, alice, "wide.jpg", "image/jpeg", data, NULL);
  image = tessera_test_server_wait_for_status (server, alice, id, "ready", READY_TIMEOUT_S);
  g_assert_nonnull (image);
  g_assert_cmpstr (json_object_get_string_member (image, "status"), ==, "ready");

  labels = json_object_get_array_member (image, "labels");
  g_assert_nonnull (labels);
  g_assert_cmpuint (json_array_get_length (labels), >, 0);
  tags = image_tags (image);

  for (guint i = 0; i < json_array_get_length (labels); i++)
    {
      JsonObject *label = json_array_get_object_element (labels, i);
      const char *name = json_object_get_string_member (label, "name");
      double confidence = json_object_get_double_member (label, "confidence");

      g_test_message ("label %s %.3f %s", name, confidence,
                      json_object_get_string_member (label, "source"));
      g_assert_nonnull (name);
      g_assert_cmpfloat (confidence, >=, 0.0);
      g_assert_cmpfloat (confidence, <=, 1.0);
      /* "local", or "local/<detector>" */
      g_assert_true (g_str_has_prefix (json_object_get_string_member (label, "source"),
                                       "local"));
      if (confidence >= 0.5)
        {
          g_autofree char *lower = g_utf8_strdown (name, -1);

          g_assert_true (g_strv_contains ((const char * const *) tags, lower));
          above++;
        }
    }
  g_assert_cmpuint (g_strv_length (tags), ==, above);

  for (guint i = 0; tags[i] != NULL; i++)
    {
      g_autofree char *escaped = g_uri_escape_string (tags[i], NULL, FALSE);
      g_autofree char *query = g_strdup_printf ("?tags=%s", escaped);
      g_auto(GStrv) ids = list_ids (server, alice, query);

      assert_same_set ((const char * const *) ids, (const char *[]) { id, NULL });
    }
}

static void
test_form_replay (void)
{
  g_autoptr(TesseraTestServer) server = tessera_test_server_new_started (CONFIG_NO_TAGGER);
  g_autoptr(TesseraTestUser) alice = tessera_test_server_new_user (server, "alice");
  g_autoptr(GBytes) first = tessera_test_make_jpeg (64, 64);
  g_autoptr(GBytes) second = tessera_test_make_jpeg (96, 32);
  g_autoptr(JsonObject) created = NULL;
  g_autoptr(TesseraTestResponse) again = NULL;
  g_autoptr(JsonObject) image = NULL;
  g_autoptr(GBytes) file = NULL;
  g_autofree char *id = NULL;
  g_auto(GStrv) ids = NULL;
  JsonObject *form;
  gint64 deadline;

  g_test_summary ("The same form posted twice (allowed until it expires, as on S3) "
                  "replaces the object; the ObjectCreated handling is idempotent: one image, "
                  "ready, with the second file's size and bytes");

  id = tessera_test_server_upload (server, alice, "a.jpg", "image/jpeg", first, &created);
  image = tessera_test_server_wait_for_status (server, alice, id, "ready", READY_TIMEOUT_S);
  g_assert_nonnull (image);
  g_clear_pointer (&image, json_object_unref);

  form = json_object_get_object_member (created, "formConfig");
  again = tessera_test_server_post_form (server, json_object_get_string_member (form, "uploadUrl"),
                                         json_object_get_object_member (form, "formFields"),
                                         "a.jpg", "image/jpeg", second);
  g_assert_cmpuint (again->status, ==, 204);

  /* the second event is handled: the image takes the new file's size */
  deadline = g_get_monotonic_time () + READY_TIMEOUT_S * G_USEC_PER_SEC;
  for (;;)
    {
      g_clear_pointer (&image, json_object_unref);
      image = tessera_test_server_wait_for_status (server, alice, id, "ready", READY_TIMEOUT_S);
      g_assert_nonnull (image);
      if (g_str_equal (json_object_get_string_member (image, "status"), "ready") &&
          json_object_get_int_member (image, "width") == 96)
        break;
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (100 * 1000);
    }
  g_assert_cmpint (json_object_get_int_member (image, "height"), ==, 32);
  g_assert_cmpint (json_object_get_int_member (image, "size"), ==, g_bytes_get_size (second));
  file = tessera_test_server_fetch (server, json_object_get_string_member (image, "fileUrl"));
  g_assert_true (g_bytes_equal (file, second));

  ids = list_ids (server, alice, "");
  assert_same_set ((const char * const *) ids, (const char *[]) { id, NULL });
}

static void
test_undeclared_size (void)
{
  g_autoptr(TesseraTestServer) server = tessera_test_server_new_started (CONFIG_NO_TAGGER);
  g_autoptr(TesseraTestUser) alice = tessera_test_server_new_user (server, "alice");
  g_autoptr(GBytes) data = tessera_test_make_jpeg (80, 60);
  g_autoptr(TesseraTestResponse) created = NULL;
  g_autoptr(TesseraTestResponse) posted = NULL;
  g_autoptr(JsonObject) image = NULL;
  JsonObject *form;
  const char *id;

  g_test_summary ("An upload declared without a size ends with the stored file's real "
                  "size, not 0");

  created = tessera_test_server_call (server, "POST", "/images", alice->token,
                                      "{\"filename\":\"n.jpg\",\"contentType\":\"image/jpeg\"}");
  g_assert_cmpuint (created->status, ==, 201);
  id = tessera_test_response_get_string (created, "imageId");
  g_assert_nonnull (id);
  form = json_object_get_object_member (tessera_test_response_get_object (created), "formConfig");
  posted = tessera_test_server_post_form (server, json_object_get_string_member (form, "uploadUrl"),
                                          json_object_get_object_member (form, "formFields"),
                                          "n.jpg", "image/jpeg", data);
  g_assert_cmpuint (posted->status, ==, 204);

  image = tessera_test_server_wait_for_status (server, alice, id, "ready", READY_TIMEOUT_S);
  g_assert_nonnull (image);
  g_assert_cmpstr (json_object_get_string_member (image, "status"), ==, "ready");
  g_assert_cmpint (json_object_get_int_member (image, "size"), ==, g_bytes_get_size (data));
}

static void
test_wrong_sha256 (void)
{
  g_autoptr(TesseraTestServer) server = tessera_test_server_new_started (CONFIG_NO_TAGGER);
  g_autoptr(TesseraTestUser) alice = tessera_test_server_new_user (server, "alice");
  g_autoptr(GBytes) data = tessera_test_make_jpeg (80, 60);
  g_autoptr(GBytes) other = tessera_test_make_jpeg (80, 60);
  g_autofree char *real = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, data);
  g_autofree char *claimed = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, other);
  g_autofree char *body = NULL;
  g_autofree char *id = NULL;
  g_autoptr(TesseraTestResponse) created = NULL;
  g_autoptr(TesseraTestResponse) posted = NULL;
  g_autoptr(TesseraTestResponse) same_bytes = NULL;
  g_autoptr(TesseraTestResponse) claimed_again = NULL;
  g_autoptr(JsonObject) image = NULL;
  JsonObject *form;

  g_test_summary ("A declared sha256 that is not the file's is replaced by the real one once "
                  "processed: the real bytes are then a duplicate, the false claim is not");

  body = g_strdup_printf ("{\"filename\":\"w.jpg\",\"contentType\":\"image/jpeg\","
                          "\"size\":%" G_GSIZE_FORMAT ",\"sha256\":\"%s\"}",
                          g_bytes_get_size (data), claimed);
  created = tessera_test_server_call (server, "POST", "/images", alice->token, body);
  g_assert_cmpuint (created->status, ==, 201);
  id = g_strdup (tessera_test_response_get_string (created, "imageId"));
  g_assert_nonnull (id);
  form = json_object_get_object_member (tessera_test_response_get_object (created), "formConfig");
  posted = tessera_test_server_post_form (server, json_object_get_string_member (form, "uploadUrl"),
                                          json_object_get_object_member (form, "formFields"),
                                          "w.jpg", "image/jpeg", data);
  g_assert_cmpuint (posted->status, ==, 204);

  image = tessera_test_server_wait_for_status (server, alice, id, "ready", READY_TIMEOUT_S);
  g_assert_nonnull (image);
  g_assert_cmpstr (json_object_get_string_member (image, "status"), ==, "ready");
  g_assert_cmpstr (json_object_get_string_member (image, "sha256"), ==, real);

  /* the real bytes, declared honestly, are found as the duplicate */
  g_free (body);
  body = g_strdup_printf ("{\"filename\":\"w2.jpg\",\"contentType\":\"image/jpeg\","
                          "\"size\":%" G_GSIZE_FORMAT ",\"sha256\":\"%s\"}",
                          g_bytes_get_size (data), real);
  same_bytes = tessera_test_server_call (server, "POST", "/images", alice->token, body);
  g_assert_cmpuint (same_bytes->status, ==, 200);
  g_assert_cmpstr (tessera_test_response_get_string (same_bytes, "duplicateOf"), ==, id);

  /* the other file, whose checksum was claimed, is not taken for this image */
  g_free (body);
  body = g_strdup_printf ("{\"filename\":\"o.jpg\",\"contentType\":\"image/jpeg\","
                          "\"size\":%" G_GSIZE_FORMAT ",\"sha256\":\"%s\"}",
                          g_bytes_get_size (other), claimed);
  claimed_again = tessera_test_server_call (server, "POST", "/images", alice->token, body);
  g_assert_cmpuint (claimed_again->status, ==, 201);
  g_assert_cmpstr (tessera_test_response_get_string (claimed_again, "imageId"), !=, id);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/server/flow/upload-to-ready", test_upload_to_ready);
  g_test_add_func ("/server/flow/duplicate-sha256", test_duplicate_sha256);
  g_test_add_func ("/server/flow/filter-by-tags", test_filter_by_tags);
  g_test_add_func ("/server/flow/tag-edit", test_tag_edit);
  g_test_add_func ("/server/flow/paginate", test_paginate);
  g_test_add_func ("/server/flow/delete-restore", test_delete_restore);
  g_test_add_func ("/server/flow/purge", test_purge);
  g_test_add_func ("/server/flow/delete-permanent", test_delete_permanent);
  g_test_add_func ("/server/flow/auto-tagging", test_auto_tagging);
  g_test_add_func ("/server/flow/form-replay", test_form_replay);
  g_test_add_func ("/server/flow/undeclared-size", test_undeclared_size);
  g_test_add_func ("/server/flow/wrong-sha256", test_wrong_sha256);

  return g_test_run ();
}
