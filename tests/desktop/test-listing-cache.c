/* test-listing-cache.c: the search provider's listing cache, on real files
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gstdio.h>

#include "tessera-listing-cache.h"

typedef struct
{
  char *dir;
  char *path;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("tessera-listing-XXXXXX", &error);
  g_assert_no_error (error);
  /* A directory the cache must create. */
  fixture->path = g_build_filename (fixture->dir, "sub", "listing.gvariant", NULL);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autofree char *thumbs = g_build_filename (fixture->dir, "thumbs", NULL);
  g_autofree char *thumb = g_build_filename (thumbs, "b.webp", NULL);
  g_autofree char *sub = g_path_get_dirname (fixture->path);

  g_unlink (thumb);
  g_rmdir (thumbs);
  g_unlink (fixture->path);
  g_rmdir (sub);
  g_rmdir (fixture->dir);
  g_free (fixture->path);
  g_free (fixture->dir);
}

static TesseraImage *
make_image (const char *id,
            const char *filename,
            const char *tags_json)
{
  g_autofree char *text = g_strdup_printf ("{\"id\":\"%s\",\"filename\":\"%s\",\"status\":\"ready\",\"tags\":%s}",
                                           id, filename, tags_json);
  g_autoptr(JsonNode) node = json_from_string (text, NULL);

  g_assert_nonnull (node);
  return tessera_image_new_from_json (json_node_get_object (node));
}

static GPtrArray *
make_images (void)
{
  GPtrArray *images = g_ptr_array_new_with_free_func (g_object_unref);

  g_ptr_array_add (images, make_image ("a", "dog-beach.jpg", "[\"dog\",\"beach\",\"blue\"]"));
  g_ptr_array_add (images, make_image ("b", "cat.png", "[\"cat\",\"face\"]"));
  g_ptr_array_add (images, make_image ("c", "dogs.jpg", "[\"dog\",\"face\",\"people\"]"));
  g_ptr_array_add (images, make_image ("d", "empty.jpg", "[]"));

  return images;
}

static void
assert_ids (GStrv       ids,
            const char *expected)
{
  g_autofree char *joined = g_strjoinv (",", ids);

  g_assert_cmpstr (joined, ==, expected);
}

static void
test_save_load_search (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(TesseraListingCache) cache = tessera_listing_cache_new (fixture->path);
  g_autoptr(TesseraListingCache) reread = tessera_listing_cache_new (fixture->path);
  g_autoptr(GPtrArray) images = make_images ();
  g_autoptr(GError) error = NULL;
  const char *filename = NULL;
  const char * const *tags = NULL;
  GStatBuf st;

  /* No file yet is an empty cache. */
  g_assert_true (tessera_listing_cache_load (cache, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (tessera_listing_cache_get_n_images (cache), ==, 0);

  tessera_listing_cache_merge (cache, images, TRUE);
  g_assert_true (tessera_listing_cache_save (cache, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (fixture->path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  /* Saving serialises what a merge built: the entries must still read. */
  {
    const char *face[] = { "face", NULL };
    g_auto(GStrv) faces = tessera_listing_cache_search (cache, face, 0);

    assert_ids (faces, "b,c");
  }

  g_assert_true (tessera_listing_cache_load (reread, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (tessera_listing_cache_get_n_images (reread), ==, 4);

  g_assert_true (tessera_listing_cache_lookup (reread, "c", &filename, &tags));
  g_assert_cmpstr (filename, ==, "dogs.jpg");
  g_assert_cmpuint (g_strv_length ((GStrv) tags), ==, 3);
  g_assert_cmpstr (tags[2], ==, "people");
  g_assert_false (tessera_listing_cache_lookup (reread, "zzz", NULL, NULL));

  {
    const char *dog[] = { "dog", NULL };
    const char *prefix[] = { "Do", NULL };
    const char *two[] = { "d", "fa", NULL };
    const char *none[] = { "horse", NULL };
    const char *blank[] = { "  ", NULL };
    g_auto(GStrv) r1 = tessera_listing_cache_search (reread, dog, 0);
    g_auto(GStrv) r2 = tessera_listing_cache_search (reread, prefix, 0);
    g_auto(GStrv) r3 = tessera_listing_cache_search (reread, two, 0);
    g_auto(GStrv) r4 = tessera_listing_cache_search (reread, none, 0);
    g_auto(GStrv) r5 = tessera_listing_cache_search (reread, blank, 0);
    g_auto(GStrv) r6 = tessera_listing_cache_search (reread, dog, 1);
    const char *narrower[] = { "dog", "peo", NULL };
    g_auto(GStrv) r7 = tessera_listing_cache_filter (reread, (const char * const *) r1, narrower, 0);

    assert_ids (r1, "a,c");
    assert_ids (r2, "a,c");        /* terms are normalised as tags are */
    assert_ids (r3, "c");          /* every term must match */
    assert_ids (r4, "");
    assert_ids (r5, "");           /* no usable term matches nothing, not everything */
    assert_ids (r6, "a");          /* newest first, limited */
    assert_ids (r7, "c");
  }
}

static void
test_partial_merge_and_remove (Fixture       *fixture,
                               gconstpointer  data)
{
  g_autoptr(TesseraListingCache) cache = tessera_listing_cache_new (fixture->path);
  g_autoptr(GPtrArray) images = make_images ();
  g_autoptr(GPtrArray) page = g_ptr_array_new_with_free_func (g_object_unref);
  const char *dog[] = { "dog", NULL };
  const char *cat[] = { "cat", NULL };
  g_auto(GStrv) dogs = NULL;
  g_auto(GStrv) cats = NULL;

  tessera_listing_cache_merge (cache, images, TRUE);

  /* A new image and a retagged one: first, the rest kept after them. */
  g_ptr_array_add (page, make_image ("e", "new.jpg", "[\"dog\"]"));
  g_ptr_array_add (page, make_image ("b", "cat.png", "[\"dog\"]"));
  tessera_listing_cache_merge (cache, page, FALSE);
  g_assert_cmpuint (tessera_listing_cache_get_n_images (cache), ==, 5);

  dogs = tessera_listing_cache_search (cache, dog, 0);
  assert_ids (dogs, "e,b,a,c");
  cats = tessera_listing_cache_search (cache, cat, 0);
  assert_ids (cats, "");

  g_assert_true (tessera_listing_cache_remove (cache, "a"));
  g_assert_false (tessera_listing_cache_remove (cache, "a"));
  g_assert_cmpuint (tessera_listing_cache_get_n_images (cache), ==, 4);

  /* A complete listing replaces everything. */
  tessera_listing_cache_merge (cache, page, TRUE);
  g_assert_cmpuint (tessera_listing_cache_get_n_images (cache), ==, 2);
}

static void
test_bad_file (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(TesseraListingCache) cache = tessera_listing_cache_new (fixture->path);
  g_autoptr(GPtrArray) images = make_images ();
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_path_get_dirname (fixture->path);

  tessera_listing_cache_merge (cache, images, TRUE);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (fixture->path, "not a listing at all", -1, NULL));

  g_assert_false (tessera_listing_cache_load (cache, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_cmpuint (tessera_listing_cache_get_n_images (cache), ==, 0);
}

static void
test_thumbnail_path (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(TesseraListingCache) cache = tessera_listing_cache_new (fixture->path);
  g_autofree char *thumbs = g_build_filename (fixture->dir, "thumbs", NULL);
  g_autofree char *expected = g_build_filename (thumbs, "b.webp", NULL);
  g_autofree char *path_b = NULL;
  g_autofree char *path_a = NULL;
  g_autofree char *escape = NULL;

  tessera_listing_cache_set_thumbnail_dir (cache, thumbs);
  g_assert_cmpint (g_mkdir_with_parents (thumbs, 0700), ==, 0);
  g_assert_true (g_file_set_contents (expected, "RIFF", -1, NULL));

  path_b = tessera_listing_cache_dup_thumbnail_path (cache, "b");
  g_assert_cmpstr (path_b, ==, expected);
  path_a = tessera_listing_cache_dup_thumbnail_path (cache, "a");
  g_assert_null (path_a);
  escape = tessera_listing_cache_dup_thumbnail_path (cache, "../thumbs/b");
  g_assert_null (escape);
}

static void
saved_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  GAsyncResult **out = user_data;

  (void) object;
  *out = g_object_ref (result);
}

static GAsyncResult *
wait_for (GAsyncResult **result)
{
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *result;
}

static TesseraListingSnapshot *
snapshot_of (GPtrArray *images)
{
  TesseraListingSnapshot *snapshot = tessera_listing_snapshot_new ();

  for (guint i = 0; i < images->len; i++)
    tessera_listing_snapshot_add (snapshot, g_ptr_array_index (images, i));
  return snapshot;
}

/* A save in a thread: the same file and the same cache as in the main
 * thread, over more than one chunk of the snapshot, duplicates across
 * chunks keeping the first. */
static void
test_save_in_thread (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(TesseraListingCache) cache = tessera_listing_cache_new (fixture->path);
  g_autoptr(TesseraListingCache) reread = tessera_listing_cache_new (fixture->path);
  g_autoptr(GPtrArray) images = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) page = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) partial = NULL;
  g_autoptr(GError) error = NULL;
  const char * const *tags = NULL;
  const char *filename = NULL;
  const char *dup[] = { "dup", NULL };
  g_auto(GStrv) dups = NULL;
  g_auto(GStrv) ids = NULL;

  for (guint i = 0; i < 2500; i++)
    {
      g_autofree char *id = g_strdup_printf ("id%04u", i);
      g_autofree char *name = g_strdup_printf ("img%u.jpg", i);

      g_ptr_array_add (images, make_image (id, name, i % 2 ? "[\"odd\"]" : "[\"even\",\"x\"]"));
    }
  /* Again, in a later chunk: the first one stays. */
  g_ptr_array_add (images, make_image ("id0003", "again.jpg", "[\"dup\"]"));

  tessera_listing_cache_merge_save_async (cache, snapshot_of (images), TRUE, NULL, saved_cb, &result);
  g_assert_true (tessera_listing_cache_merge_save_finish (cache, wait_for (&result), &error));
  g_assert_no_error (error);

  g_assert_cmpuint (tessera_listing_cache_get_n_images (cache), ==, 2500);
  g_assert_true (tessera_listing_cache_lookup (cache, "id0003", &filename, &tags));
  g_assert_cmpstr (filename, ==, "img3.jpg");
  dups = tessera_listing_cache_search (cache, dup, 0);
  assert_ids (dups, "");
  g_assert_true (tessera_listing_cache_lookup (cache, "id2498", &filename, &tags));
  g_assert_cmpstr (tags[1], ==, "x");

  g_assert_true (tessera_listing_cache_load (reread, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (tessera_listing_cache_get_n_images (reread), ==, 2500);
  ids = tessera_listing_cache_dup_ids (reread, 3);
  assert_ids (ids, "id0000,id0001,id0002");

  /* A partial listing in a thread keeps the rest after it. */
  g_ptr_array_add (page, make_image ("new", "new.jpg", "[\"dup\"]"));
  g_ptr_array_add (page, make_image ("id1000", "renamed.jpg", "[]"));
  tessera_listing_cache_merge_save_async (cache, snapshot_of (page), FALSE, NULL, saved_cb, &partial);
  g_assert_true (tessera_listing_cache_merge_save_finish (cache, wait_for (&partial), &error));
  g_assert_no_error (error);
  g_assert_cmpuint (tessera_listing_cache_get_n_images (cache), ==, 2501);
  g_clear_pointer (&ids, g_strfreev);
  ids = tessera_listing_cache_dup_ids (cache, 3);
  assert_ids (ids, "new,id1000,id0000");
  g_assert_true (tessera_listing_cache_lookup (cache, "id1000", &filename, NULL));
  g_assert_cmpstr (filename, ==, "renamed.jpg");
}

/* A change made while a threaded save runs is newer: it wins in memory and
 * on disk, whichever finishes first. */
static void
test_later_change_wins (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(TesseraListingCache) cache = tessera_listing_cache_new (fixture->path);
  g_autoptr(TesseraListingCache) reread = tessera_listing_cache_new (fixture->path);
  g_autoptr(GPtrArray) images = make_images ();
  g_autoptr(GPtrArray) later = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) ids = NULL;
  g_auto(GStrv) reread_ids = NULL;

  g_ptr_array_add (later, make_image ("z", "z.jpg", "[]"));

  tessera_listing_cache_merge_save_async (cache, snapshot_of (images), TRUE, NULL, saved_cb, &result);
  tessera_listing_cache_merge (cache, later, TRUE);
  g_assert_true (tessera_listing_cache_save (cache, &error));
  g_assert_no_error (error);
  g_assert_true (tessera_listing_cache_merge_save_finish (cache, wait_for (&result), &error));
  g_assert_no_error (error);

  ids = tessera_listing_cache_dup_ids (cache, 0);
  assert_ids (ids, "z");
  g_assert_true (tessera_listing_cache_load (reread, &error));
  reread_ids = tessera_listing_cache_dup_ids (reread, 0);
  assert_ids (reread_ids, "z");
}

/* Where the file cannot be written: an error, and the listing in memory. */
static void
test_save_in_thread_error (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autofree char *blocker = g_build_filename (fixture->dir, "sub", NULL);
  g_autoptr(TesseraListingCache) cache = tessera_listing_cache_new (fixture->path);
  g_autoptr(GPtrArray) images = make_images ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  /* A file where the cache's directory should be. */
  g_assert_true (g_file_set_contents (blocker, "", 0, NULL));

  tessera_listing_cache_merge_save_async (cache, snapshot_of (images), TRUE, NULL, saved_cb, &result);
  g_assert_false (tessera_listing_cache_merge_save_finish (cache, wait_for (&result), &error));
  g_assert_nonnull (error);
  g_assert_cmpuint (tessera_listing_cache_get_n_images (cache), ==, 4);
  g_assert_cmpint (g_unlink (blocker), ==, 0);
}

static void
test_for_account (void)
{
  g_autoptr(TesseraListingCache) a = tessera_listing_cache_new_for_account ("http://a.example", "ann");
  g_autoptr(TesseraListingCache) b = tessera_listing_cache_new_for_account ("http://b.example", "ann");
  g_autoptr(TesseraListingCache) c = tessera_listing_cache_new_for_account ("http://a.example", "bob");
  g_autoptr(TesseraListingCache) bad1 = tessera_listing_cache_new_for_account ("http://a.example", "../x");
  g_autoptr(TesseraListingCache) bad2 = tessera_listing_cache_new_for_account ("http://a.example", "");
  g_autofree char *key = g_compute_checksum_for_string (G_CHECKSUM_SHA256, "http://a.example", -1);
  g_autofree char *expected = NULL;
  g_autofree char *thumbs = NULL;

  key[16] = '\0';
  expected = g_build_filename (g_get_user_cache_dir (), "tessera", "listing", key, "ann.gvariant", NULL);
  thumbs = g_build_filename (g_get_user_cache_dir (), "tessera", "thumbnails", key, "ann", NULL);
  g_assert_cmpstr (tessera_listing_cache_get_path (a), ==, expected);
  g_assert_cmpstr (tessera_listing_cache_get_thumbnail_dir (a), ==, thumbs);
  /* Another server or another user: another file. */
  g_assert_cmpstr (tessera_listing_cache_get_path (a), !=, tessera_listing_cache_get_path (b));
  g_assert_cmpstr (tessera_listing_cache_get_path (a), !=, tessera_listing_cache_get_path (c));
  g_assert_null (bad1);
  g_assert_null (bad2);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/desktop/listing-cache/save-load-search", Fixture, NULL,
              fixture_set_up, test_save_load_search, fixture_tear_down);
  g_test_add ("/desktop/listing-cache/partial-merge-remove", Fixture, NULL,
              fixture_set_up, test_partial_merge_and_remove, fixture_tear_down);
  g_test_add ("/desktop/listing-cache/bad-file", Fixture, NULL,
              fixture_set_up, test_bad_file, fixture_tear_down);
  g_test_add ("/desktop/listing-cache/thumbnail-path", Fixture, NULL,
              fixture_set_up, test_thumbnail_path, fixture_tear_down);
  g_test_add ("/desktop/listing-cache/save-in-thread", Fixture, NULL,
              fixture_set_up, test_save_in_thread, fixture_tear_down);
  g_test_add ("/desktop/listing-cache/later-change-wins", Fixture, NULL,
              fixture_set_up, test_later_change_wins, fixture_tear_down);
  g_test_add ("/desktop/listing-cache/save-in-thread-error", Fixture, NULL,
              fixture_set_up, test_save_in_thread_error, fixture_tear_down);

  g_test_add_func ("/desktop/listing-cache/for-account", test_for_account);

  return g_test_run ();
}
