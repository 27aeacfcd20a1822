/* test-client-api.c: every route through TesseraClient, and the models
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-client-api"

#include "config.h"

#include <glib/gstdio.h>

#include "client-test-util.h"
#include "tessera-image-list.h"
#include "tessera-thumbnail-loader.h"

#define CONFIG_NO_TAGGER "[tagger]\nname=none\n"

static TesseraTestServer *server;
static char *tmpdir;

static char *
upload (TesseraClient *client,
        const char    *name,
        GBytes        *bytes,
        gboolean      *duplicate)
{
  g_autoptr(GFile) file = client_test_write_file (tmpdir, name, bytes);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  char *id;

  CLIENT_TEST_WAIT (result, tessera_client_upload_file_async, client, file, NULL, NULL, NULL, NULL);
  id = tessera_client_upload_file_finish (client, result, duplicate, &error);
  g_assert_no_error (error);
  g_assert_nonnull (id);

  return id;
}

static TesseraImage *
get_image (TesseraClient  *client,
           const char     *id,
           GError        **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  CLIENT_TEST_WAIT (result, tessera_client_get_image_async, client, id, NULL);
  return tessera_client_get_image_finish (client, result, error);
}

static TesseraImage *
wait_ready (TesseraClient *client,
            const char    *id)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(TesseraImage) image = get_image (client, id, &error);

      g_assert_no_error (error);
      if (g_strcmp0 (tessera_image_get_status (image), "ready") == 0 ||
          g_strcmp0 (tessera_image_get_status (image), "failed") == 0)
        return g_steal_pointer (&image);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (100 * 1000);
    }
}

static GPtrArray *
list (TesseraClient     *client,
      TesseraImageQuery *query,
      char             **next_cursor)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *images;

  CLIENT_TEST_WAIT (result, tessera_client_list_images_async, client, query, NULL);
  images = tessera_client_list_images_finish (client, result, next_cursor, &error);
  g_assert_no_error (error);
  g_assert_nonnull (images);

  return images;
}

static TesseraImage *
update_tags (TesseraClient      *client,
             const char         *id,
             const char * const *add,
             const char * const *remove)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  TesseraImage *image;

  CLIENT_TEST_WAIT (result, tessera_client_update_tags_async, client, id, add, remove, NULL);
  image = tessera_client_update_tags_finish (client, result, &error);
  g_assert_no_error (error);

  return image;
}

static void
test_auth_routes (void)
{
  g_autoptr(TesseraClient) client = tessera_client_new (tessera_test_server_get_url (server));
  g_autoptr(GAsyncResult) r1 = NULL, r2 = NULL, r3 = NULL, r4 = NULL, r5 = NULL, r6 = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *first_refresh = NULL;
  g_autofree char *second_refresh = NULL;
  guint changed = 0, signed_out = 0;

  g_signal_connect_swapped (client, "session-changed", G_CALLBACK (g_atomic_int_inc), &changed);
  g_signal_connect_swapped (client, "signed-out", G_CALLBACK (g_atomic_int_inc), &signed_out);

  /* A route that needs a session, without one: a clear error, no request. */
  CLIENT_TEST_WAIT (r1, tessera_client_list_tags_async, client, NULL);
  g_assert_null (tessera_client_list_tags_finish (client, r1, &error));
  g_assert_error (error, TESSERA_CLIENT_ERROR, TESSERA_CLIENT_ERROR_UNAUTHORIZED);
  g_clear_error (&error);

  CLIENT_TEST_WAIT (r2, tessera_client_sign_up_async, client, "carol", "correct horse 1", NULL);
  g_assert_true (tessera_client_sign_up_finish (client, r2, &error));
  g_assert_no_error (error);
  g_assert_false (tessera_client_get_signed_in (client));

  /* The same name again is a conflict with the server's message. */
  g_clear_object (&r2);
  CLIENT_TEST_WAIT (r2, tessera_client_sign_up_async, client, "carol", "correct horse 1", NULL);
  g_assert_false (tessera_client_sign_up_finish (client, r2, &error));
  g_assert_error (error, TESSERA_CLIENT_ERROR, TESSERA_CLIENT_ERROR_CONFLICT);
  g_assert_cmpuint (tessera_client_error_get_http_status (error), ==, 409);
  g_clear_error (&error);

  CLIENT_TEST_WAIT (r3, tessera_client_sign_in_async, client, "carol", "wrong password", NULL);
  g_assert_false (tessera_client_sign_in_finish (client, r3, &error));
  g_assert_error (error, TESSERA_CLIENT_ERROR, TESSERA_CLIENT_ERROR_UNAUTHORIZED);
  g_assert_cmpstr (error->message, ==, "Wrong user name or password");
  g_clear_error (&error);
  g_assert_false (tessera_client_get_signed_in (client));

  g_clear_object (&r3);
  CLIENT_TEST_WAIT (r3, tessera_client_sign_in_async, client, "carol", "correct horse 1", NULL);
  g_assert_true (tessera_client_sign_in_finish (client, r3, &error));
  g_assert_no_error (error);
  g_assert_true (tessera_client_get_signed_in (client));
  g_assert_cmpstr (tessera_client_get_username (client), ==, "carol");
  g_assert_cmpuint (changed, ==, 1);
  first_refresh = tessera_client_dup_refresh_token (client);
  g_assert_nonnull (first_refresh);

  CLIENT_TEST_WAIT (r4, tessera_client_refresh_async, client, NULL);
  g_assert_true (tessera_client_refresh_finish (client, r4, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (changed, ==, 2);
  second_refresh = tessera_client_dup_refresh_token (client);
  g_assert_nonnull (second_refresh);

  CLIENT_TEST_WAIT (r5, tessera_client_sign_out_async, client, NULL);
  g_assert_true (tessera_client_sign_out_finish (client, r5, &error));
  g_assert_no_error (error);
  g_assert_false (tessera_client_get_signed_in (client));
  g_assert_cmpuint (signed_out, ==, 1);

  /* The revoked token no longer opens a session: the client signs out. */
  tessera_client_set_session (client, "carol", second_refresh);
  CLIENT_TEST_WAIT (r6, tessera_client_list_tags_async, client, NULL);
  g_assert_null (tessera_client_list_tags_finish (client, r6, &error));
  g_assert_error (error, TESSERA_CLIENT_ERROR, TESSERA_CLIENT_ERROR_UNAUTHORIZED);
  g_assert_false (tessera_client_get_signed_in (client));
  g_assert_cmpuint (signed_out, ==, 2);
}

static void
test_image_routes (void)
{
  g_autoptr(TesseraClient) client = client_test_new_user (server, "dave", "dave's password");
  g_autoptr(GBytes) jpeg = tessera_test_make_jpeg (80, 60);
  g_autoptr(GBytes) png = tessera_test_make_png (40, 30);
  g_autoptr(GBytes) other = tessera_test_make_jpeg (50, 50);
  g_autoptr(GError) error = NULL;
  g_autoptr(TesseraImage) image = NULL;
  g_autoptr(TesseraImage) tagged = NULL;
  g_autoptr(GPtrArray) page = NULL;
  g_autoptr(GPtrArray) tags = NULL;
  g_autoptr(GAsyncResult) r1 = NULL, r2 = NULL, r3 = NULL, r4 = NULL, r5 = NULL, r6 = NULL, r7 = NULL;
  g_autofree char *a = NULL, *b = NULL, *c = NULL, *again = NULL;
  g_autofree char *next = NULL;
  g_autofree char *download_path = g_build_filename (tmpdir, "downloaded.jpg", NULL);
  g_autoptr(GFile) download = g_file_new_for_path (download_path);
  g_autoptr(GBytes) fetched = NULL;
  static const char * const add_ab[] = { "Beach", "sunset", NULL };
  static const char * const add_b[] = { "sunset", NULL };
  static const char * const remove_beach[] = { "beach", NULL };
  static const char * const just_beach[] = { "beach", NULL };
  static const char * const beach_or_sunset[] = { "beach", "sunset", NULL };
  TesseraImageQuery query = { 0 };
  gboolean duplicate = TRUE;
  char *contents = NULL;
  gsize length;

  a = upload (client, "a.jpg", jpeg, &duplicate);
  g_assert_false (duplicate);
  b = upload (client, "b.png", png, &duplicate);
  g_assert_false (duplicate);
  c = upload (client, "c.jpg", other, &duplicate);
  g_assert_false (duplicate);

  /* The same bytes again: nothing is sent, the existing image answers. */
  again = upload (client, "a-copy.jpg", jpeg, &duplicate);
  g_assert_true (duplicate);
  g_assert_cmpstr (again, ==, a);

  image = wait_ready (client, a);
  g_assert_cmpstr (tessera_image_get_status (image), ==, "ready");
  g_assert_cmpstr (tessera_image_get_filename (image), ==, "a.jpg");
  g_assert_cmpstr (tessera_image_get_content_type (image), ==, "image/jpeg");
  g_assert_cmpint (tessera_image_get_width (image), ==, 80);
  g_assert_cmpint (tessera_image_get_height (image), ==, 60);
  g_assert_cmpint (tessera_image_get_size (image), ==, g_bytes_get_size (jpeg));
  g_assert_nonnull (tessera_image_get_thumbnail_url (image));
  g_clear_object (&image);
  image = wait_ready (client, b);
  g_clear_object (&image);
  image = wait_ready (client, c);

  /* The file comes back byte for byte, written atomically. */
  CLIENT_TEST_WAIT (r1, tessera_client_download_async, client,
                    tessera_image_get_file_url (image), download, NULL);
  g_assert_true (tessera_client_download_finish (client, r1, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (download_path, &contents, &length, NULL));
  g_assert_cmpmem (contents, length, g_bytes_get_data (other, NULL), g_bytes_get_size (other));
  g_free (contents);

  CLIENT_TEST_WAIT (r2, tessera_client_fetch_async, client, tessera_image_get_thumbnail_url (image), NULL);
  fetched = tessera_client_fetch_finish (client, r2, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (fetched), >, 12);
  g_assert_cmpmem (g_bytes_get_data (fetched, NULL), 4, "RIFF", 4);

  /* Newest first, paginated by cursor. */
  query.limit = 2;
  page = list (client, &query, &next);
  g_assert_cmpuint (page->len, ==, 2);
  g_assert_cmpstr (tessera_image_get_id (g_ptr_array_index (page, 0)), ==, c);
  g_assert_cmpstr (tessera_image_get_id (g_ptr_array_index (page, 1)), ==, b);
  g_assert_nonnull (next);
  g_clear_pointer (&page, g_ptr_array_unref);
  query.cursor = next;
  page = list (client, &query, NULL);
  g_assert_cmpuint (page->len, ==, 1);
  g_assert_cmpstr (tessera_image_get_id (g_ptr_array_index (page, 0)), ==, a);
  g_clear_pointer (&page, g_ptr_array_unref);

  /* Tags: normalised by the server, notified on the object. */
  tagged = update_tags (client, a, add_ab, NULL);
  g_assert_true (tessera_image_has_tag (tagged, "beach"));
  g_assert_true (tessera_image_has_tag (tagged, "sunset"));
  g_clear_object (&tagged);
  tagged = update_tags (client, b, add_b, NULL);
  g_clear_object (&tagged);

  memset (&query, 0, sizeof query);
  query.tags = just_beach;
  page = list (client, &query, NULL);
  g_assert_cmpuint (page->len, ==, 1);
  g_assert_cmpstr (tessera_image_get_id (g_ptr_array_index (page, 0)), ==, a);
  g_clear_pointer (&page, g_ptr_array_unref);

  query.tags = beach_or_sunset;
  page = list (client, &query, NULL);
  g_assert_cmpuint (page->len, ==, 1);
  g_clear_pointer (&page, g_ptr_array_unref);
  query.match_any = TRUE;
  page = list (client, &query, NULL);
  g_assert_cmpuint (page->len, ==, 2);
  g_clear_pointer (&page, g_ptr_array_unref);

  memset (&query, 0, sizeof query);
  query.untagged = TRUE;
  page = list (client, &query, NULL);
  g_assert_cmpuint (page->len, ==, 1);
  g_assert_cmpstr (tessera_image_get_id (g_ptr_array_index (page, 0)), ==, c);
  g_clear_pointer (&page, g_ptr_array_unref);

  CLIENT_TEST_WAIT (r3, tessera_client_list_tags_async, client, NULL);
  tags = tessera_client_list_tags_finish (client, r3, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tags->len, ==, 2);
  for (guint i = 0; i < tags->len; i++)
    {
      TesseraTagCount *tag = g_ptr_array_index (tags, i);

      if (g_str_equal (tag->name, "sunset"))
        g_assert_cmpuint (tag->count, ==, 2);
      else
        {
          g_assert_cmpstr (tag->name, ==, "beach");
          g_assert_cmpuint (tag->count, ==, 1);
        }
    }

  /* Notify on change, only on change. */
  {
    g_autoptr(TesseraImage) fresh = NULL;
    g_autoptr(JsonObject) json = NULL;
    guint notified = 0;

    g_clear_object (&image);
    image = get_image (client, a, &error);
    g_assert_no_error (error);
    g_signal_connect_swapped (image, "notify::tags", G_CALLBACK (g_atomic_int_inc), &notified);
    fresh = update_tags (client, a, NULL, remove_beach);
    json = tessera_image_to_json (fresh);
    tessera_image_update_from_json (image, json);
    g_assert_cmpuint (notified, ==, 1);
    g_assert_false (tessera_image_has_tag (image, "beach"));
    tessera_image_update_from_json (image, json);
    g_assert_cmpuint (notified, ==, 1);
  }

  /* Trash, restore, and delete for good. */
  CLIENT_TEST_WAIT (r4, tessera_client_delete_image_async, client, b, FALSE, NULL);
  g_assert_true (tessera_client_delete_image_finish (client, r4, &error));
  g_assert_no_error (error);

  memset (&query, 0, sizeof query);
  page = list (client, &query, NULL);
  g_assert_cmpuint (page->len, ==, 2);
  g_clear_pointer (&page, g_ptr_array_unref);
  query.trashed = TRUE;
  page = list (client, &query, NULL);
  g_assert_cmpuint (page->len, ==, 1);
  g_assert_cmpstr (tessera_image_get_id (g_ptr_array_index (page, 0)), ==, b);
  g_assert_nonnull (tessera_image_get_trashed_at (g_ptr_array_index (page, 0)));
  g_clear_pointer (&page, g_ptr_array_unref);

  CLIENT_TEST_WAIT (r5, tessera_client_restore_image_async, client, b, NULL);
  g_clear_object (&image);
  image = tessera_client_restore_image_finish (client, r5, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (tessera_image_get_id (image), ==, b);
  g_assert_null (tessera_image_get_trashed_at (image));

  CLIENT_TEST_WAIT (r6, tessera_client_delete_image_async, client, c, TRUE, NULL);
  g_assert_true (tessera_client_delete_image_finish (client, r6, &error));
  g_assert_no_error (error);

  g_clear_object (&image);
  image = get_image (client, c, &error);
  g_assert_null (image);
  g_assert_error (error, TESSERA_CLIENT_ERROR, TESSERA_CLIENT_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* An id that was never there, on a mutating route. */
  CLIENT_TEST_WAIT (r7, tessera_client_update_tags_async, client, "00000000-0000-4000-8000-000000000000",
                    add_b, NULL, NULL);
  g_assert_null (tessera_client_update_tags_finish (client, r7, &error));
  g_assert_error (error, TESSERA_CLIENT_ERROR, TESSERA_CLIENT_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, !=, "");
}

static gboolean
list_idle (gpointer data)
{
  TesseraImageList *list_model = data;

  return !tessera_image_list_get_loading (list_model);
}

typedef struct
{
  GPtrArray *results;
  guint      pending;
} Loads;

static void
thumbnail_loaded_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  Loads *loads = user_data;
  g_autoptr(GError) error = NULL;
  GBytes *bytes;

  bytes = tessera_thumbnail_loader_load_finish (TESSERA_THUMBNAIL_LOADER (object), result, &error);
  g_assert_no_error (error);
  g_ptr_array_add (loads->results, bytes);
  loads->pending--;
}

static gboolean
loads_done (gpointer data)
{
  return ((Loads *) data)->pending == 0;
}

static void
test_models (void)
{
  g_autoptr(TesseraClient) client = client_test_new_user (server, "erin", "erin's password");
  g_autoptr(TesseraImageList) images = NULL;
  g_autoptr(TesseraThumbnailLoader) loader = NULL;
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *cache = g_build_filename (tmpdir, "thumbs", NULL);
  g_autoptr(TesseraImage) kept = NULL;
  g_autoptr(TesseraImage) first = NULL;
  static const char * const red[] = { "red", NULL };
  guint items_changed = 0;
  Loads loads = { 0 };

  for (guint i = 0; i < 5; i++)
    {
      g_autoptr(GBytes) jpeg = tessera_test_make_jpeg (32 + i, 32);
      g_autofree char *name = g_strdup_printf ("m%u.jpg", i);
      g_autoptr(TesseraImage) ready = NULL;

      g_ptr_array_add (ids, upload (client, name, jpeg, NULL));
      ready = wait_ready (client, g_ptr_array_index (ids, i));
      if (i % 2 == 0)
        {
          g_autoptr(TesseraImage) t = update_tags (client, g_ptr_array_index (ids, i), red, NULL);
        }
    }

  images = tessera_image_list_new (client);
  tessera_image_list_set_page_size (images, 2);
  g_signal_connect_swapped (images, "items-changed", G_CALLBACK (g_atomic_int_inc), &items_changed);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (images)), ==, 0);

  tessera_image_list_load_more (images);
  g_assert_true (tessera_image_list_get_loading (images));
  g_assert_true (client_test_run_until (list_idle, images, 30));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (images)), ==, 2);
  g_assert_true (tessera_image_list_get_has_more (images));
  first = g_list_model_get_item (G_LIST_MODEL (images), 0);
  g_assert_cmpstr (tessera_image_get_id (first), ==, g_ptr_array_index (ids, 4));

  /* A view reaching the end loads the next page by itself. */
  {
    g_autoptr(TesseraImage) last = g_list_model_get_item (G_LIST_MODEL (images), 1);
  }
  g_assert_true (client_test_run_until (list_idle, images, 30));
  while (tessera_image_list_get_has_more (images))
    {
      tessera_image_list_load_more (images);
      g_assert_true (client_test_run_until (list_idle, images, 30));
    }
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (images)), ==, 5);
  for (guint i = 0; i < 5; i++)
    {
      g_autoptr(TesseraImage) item = g_list_model_get_item (G_LIST_MODEL (images), i);
      g_assert_cmpstr (tessera_image_get_id (item), ==, g_ptr_array_index (ids, 4 - i));
    }

  /* Refresh keeps the very objects loaded; a filter keeps those that match. */
  kept = g_list_model_get_item (G_LIST_MODEL (images), 4);   /* ids[0], red */
  tessera_image_list_refresh (images);
  g_assert_true (client_test_run_until (list_idle, images, 30));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (images)), ==, 5);
  g_assert_true (tessera_image_list_lookup (images, g_ptr_array_index (ids, 0)) == kept);

  tessera_image_list_set_filter (images, red, FALSE, FALSE);
  /* At once, before the server answers: the unmatched left, the rest stayed. */
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (images)), ==, 3);
  g_assert_true (tessera_image_list_lookup (images, g_ptr_array_index (ids, 0)) == kept);
  g_assert_true (client_test_run_until (list_idle, images, 30));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (images)), ==, 3);
  g_assert_true (tessera_image_list_lookup (images, g_ptr_array_index (ids, 0)) == kept);
  g_assert_null (tessera_image_list_lookup (images, g_ptr_array_index (ids, 1)));

  /* An image deleted elsewhere leaves on the next refresh. */
  {
    g_autoptr(GAsyncResult) r = NULL;
    g_autoptr(GError) error = NULL;

    CLIENT_TEST_WAIT (r, tessera_client_delete_image_async, client, g_ptr_array_index (ids, 2), FALSE, NULL);
    g_assert_true (tessera_client_delete_image_finish (client, r, &error));
    g_assert_no_error (error);
  }
  tessera_image_list_set_page_size (images, 100);
  tessera_image_list_refresh (images);
  g_assert_true (client_test_run_until (list_idle, images, 30));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (images)), ==, 2);
  g_assert_null (tessera_image_list_lookup (images, g_ptr_array_index (ids, 2)));
  g_assert_cmpuint (items_changed, >, 0);

  /* Thumbnails: one download however many ask at once, then memory, then disk. */
  loader = tessera_thumbnail_loader_new (client, cache);
  loads.results = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  loads.pending = 3;
  for (guint i = 0; i < 3; i++)
    tessera_thumbnail_loader_load_async (loader, kept, NULL, thumbnail_loaded_cb, &loads);
  g_assert_true (client_test_run_until (loads_done, &loads, 30));
  g_assert_cmpuint (tessera_thumbnail_loader_get_n_downloads (loader), ==, 1);
  g_assert_true (g_bytes_equal (g_ptr_array_index (loads.results, 0), g_ptr_array_index (loads.results, 2)));

  {
    g_autofree char *name = g_strconcat (tessera_image_get_id (kept), ".webp", NULL);
    g_autofree char *path = g_build_filename (cache, name, NULL);

    /* The disk write happens on a worker; give it a moment. */
    for (guint i = 0; i < 200 && !g_file_test (path, G_FILE_TEST_EXISTS); i++)
      {
        g_main_context_iteration (NULL, FALSE);
        g_usleep (10 * 1000);
      }
    g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
  }

  loads.pending = 1;
  tessera_thumbnail_loader_load_async (loader, kept, NULL, thumbnail_loaded_cb, &loads);
  g_assert_true (client_test_run_until (loads_done, &loads, 30));
  g_assert_cmpuint (tessera_thumbnail_loader_get_n_downloads (loader), ==, 1);

  tessera_thumbnail_loader_clear_memory (loader);
  g_assert_null (tessera_thumbnail_loader_lookup (loader, tessera_image_get_id (kept)));
  loads.pending = 1;
  tessera_thumbnail_loader_load_async (loader, kept, NULL, thumbnail_loaded_cb, &loads);
  g_assert_true (client_test_run_until (loads_done, &loads, 30));
  g_assert_cmpuint (tessera_thumbnail_loader_get_n_downloads (loader), ==, 1);
  g_assert_true (g_bytes_equal (g_ptr_array_index (loads.results, 0), g_ptr_array_index (loads.results, 4)));

  g_ptr_array_unref (loads.results);

  /* A request cancelled while it waits ends at once, with CANCELLED; the
   * shared load still serves the others. */
  {
    g_autoptr(TesseraImage) other = g_list_model_get_item (G_LIST_MODEL (images), 0);
    g_autoptr(GCancellable) cancellable = g_cancellable_new ();
    g_autoptr(GAsyncResult) cancelled = NULL;
    g_autoptr(GAsyncResult) served = NULL;
    g_autoptr(GBytes) bytes = NULL;
    g_autoptr(GError) error = NULL;

    g_assert_true (other != kept);
    tessera_thumbnail_loader_load_async (loader, other, cancellable,
                                         client_test_store_result_cb, &cancelled);
    tessera_thumbnail_loader_load_async (loader, other, NULL, client_test_store_result_cb, &served);
    g_cancellable_cancel (cancellable);
    client_test_wait (&cancelled);
    g_assert_null (served);
    g_assert_null (tessera_thumbnail_loader_load_finish (loader, cancelled, &error));
    g_assert_error (error, TESSERA_CLIENT_ERROR, TESSERA_CLIENT_ERROR_CANCELLED);

    client_test_wait (&served);
    bytes = tessera_thumbnail_loader_load_finish (loader, served, NULL);
    g_assert_nonnull (bytes);
    g_assert_cmpuint (tessera_thumbnail_loader_get_n_downloads (loader), ==, 2);
  }
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);

  server = tessera_test_server_new_started (CONFIG_NO_TAGGER);
  tmpdir = g_dir_make_tmp ("tessera-client-api-XXXXXX", NULL);

  g_test_add_func ("/client/api/auth-routes", test_auth_routes);
  g_test_add_func ("/client/api/image-routes", test_image_routes);
  g_test_add_func ("/client/api/models", test_models);

  status = g_test_run ();

  client_test_rm_rf (tmpdir);
  g_free (tmpdir);
  g_clear_object (&server);

  return status;
}
