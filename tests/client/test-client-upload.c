/* test-client-upload.c: streamed uploads, cancel, and the queue across
 * server and client restarts
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-client-upload"

#include "config.h"

#include <glib/gstdio.h>

#include "client-test-util.h"
#include "tessera-upload-queue.h"

#define CONFIG_NO_TAGGER "[tagger]\nname=none\n"

static TesseraTestServer *server;
static char *tmpdir;

static GPtrArray *
list_all (TesseraClient *client,
          gboolean       trashed)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  TesseraImageQuery query = { 0 };
  GPtrArray *images;

  query.trashed = trashed;
  query.limit = 100;
  CLIENT_TEST_WAIT (result, tessera_client_list_images_async, client, &query, NULL);
  images = tessera_client_list_images_finish (client, result, NULL, &error);
  g_assert_no_error (error);

  return images;
}

static char *
file_sha256 (GFile *file)
{
  g_autofree char *contents = NULL;
  gsize length;

  g_assert_true (g_file_load_contents (file, NULL, &contents, &length, NULL, NULL));
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) contents, length);
}

/* Cancel in the middle of a 50 MB upload ----------------------------------- */

typedef struct
{
  GCancellable *cancellable;
  goffset       last_sent;
  goffset       total;
  gint64        cancelled_at;
  guint         calls;
} Progress;

static void
cancel_at_quarter_cb (goffset  sent,
                      goffset  total,
                      gpointer user_data)
{
  Progress *progress = user_data;

  g_assert_cmpint (sent, >=, progress->last_sent);
  g_assert_cmpint (sent, <=, total);
  progress->last_sent = sent;
  progress->total = total;
  progress->calls++;

  if (sent > total / 4 && progress->cancelled_at == 0)
    {
      progress->cancelled_at = g_get_monotonic_time ();
      g_cancellable_cancel (progress->cancellable);
    }
}

static void
test_cancel_large (void)
{
  g_autoptr(TesseraClient) client = client_test_new_user (server, "ulla", "ulla's password");
  g_autoptr(GFile) file = client_test_write_big_file (tmpdir, "big.jpg", 50 * 1000 * 1000);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) images = NULL;
  g_autofree char *id = NULL;
  Progress progress = { .cancellable = cancellable };

  CLIENT_TEST_WAIT (result, tessera_client_upload_file_async, client, file,
                    cancel_at_quarter_cb, &progress, NULL, cancellable);
  id = tessera_client_upload_file_finish (client, result, NULL, &error);
  g_assert_null (id);
  g_assert_error (error, TESSERA_CLIENT_ERROR, TESSERA_CLIENT_ERROR_CANCELLED);

  /* It stopped promptly, part of the way in, having reported progress. */
  g_assert_cmpint (progress.cancelled_at, >, 0);
  g_assert_cmpint (g_get_monotonic_time () - progress.cancelled_at, <, 2 * G_USEC_PER_SEC);
  g_assert_cmpint (progress.total, ==, 50 * 1000 * 1000);
  g_assert_cmpint (progress.last_sent, <, progress.total);
  g_assert_cmpuint (progress.calls, >, 1);

  /* The server stored nothing: no image of this user got its bytes. */
  images = list_all (client, FALSE);
  for (guint i = 0; i < images->len; i++)
    g_assert_cmpstr (tessera_image_get_status (g_ptr_array_index (images, i)), ==, "uploading");
}

/* The queue ----------------------------------------------------------------- */

typedef struct
{
  TesseraUploadQueue *queue;
  gboolean            restarted;
  guint               idle;
  guint               finished;
} Watch;

static gboolean
restart_server_cb (gpointer user_data)
{
  Watch *watch = user_data;

  watch->idle = 0;
  /* A crash, as far as the data directory can tell. */
  tessera_test_server_restart (server, TRUE);
  watch->restarted = TRUE;

  return G_SOURCE_REMOVE;
}

static void
item_progress_cb (TesseraUploadItem *item,
                  GParamSpec        *pspec,
                  Watch             *watch)
{
  if (!watch->restarted && watch->idle == 0 &&
      tessera_upload_item_get_state (item) == TESSERA_UPLOAD_STATE_UPLOADING &&
      tessera_upload_item_get_progress (item) > 0.2)
    watch->idle = g_idle_add (restart_server_cb, watch);
}

static gboolean
queue_idle (gpointer data)
{
  return !tessera_upload_queue_get_busy (data);
}

/* The bytes arrived: the image leaves `uploading` once the worker has it.
 * Returns the final status. */
static const char *
wait_processed (TesseraClient *client,
                const char    *id)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  for (;;)
    {
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(TesseraImage) image = NULL;
      const char *status;

      CLIENT_TEST_WAIT (result, tessera_client_get_image_async, client, id, NULL);
      image = tessera_client_get_image_finish (client, result, &error);
      g_assert_no_error (error);
      status = g_intern_string (tessera_image_get_status (image));
      if (status == g_intern_static_string ("ready") || status == g_intern_static_string ("failed"))
        return status;
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (100 * 1000);
    }
}

static void
assert_exactly_once (TesseraClient *client,
                     GPtrArray     *files,
                     GListModel    *items)
{
  g_autoptr(GPtrArray) images = list_all (client, FALSE);
  g_autoptr(GPtrArray) trashed = list_all (client, TRUE);
  g_autoptr(GHashTable) ids = g_hash_table_new (g_str_hash, g_str_equal);

  g_assert_cmpuint (g_list_model_get_n_items (items), ==, files->len);
  for (guint i = 0; i < g_list_model_get_n_items (items); i++)
    {
      g_autoptr(TesseraUploadItem) item = g_list_model_get_item (items, i);

      g_assert_cmpstr (tessera_upload_state_to_string (tessera_upload_item_get_state (item)), ==, "done");
      g_assert_nonnull (tessera_upload_item_get_image_id (item));
      g_assert_false (g_hash_table_contains (ids, tessera_upload_item_get_image_id (item)));
      g_hash_table_add (ids, (gpointer) tessera_upload_item_get_image_id (item));
      g_assert_cmpfloat (tessera_upload_item_get_progress (item), ==, 1.);
    }

  /* The server holds one image per file, with the file's bytes, and no
   * leftovers from the interrupted attempts. */
  g_assert_cmpuint (images->len, ==, files->len);
  g_assert_cmpuint (trashed->len, ==, 0);
  for (guint i = 0; i < files->len; i++)
    {
      g_autofree char *sha = file_sha256 (g_ptr_array_index (files, i));
      guint matches = 0;

      for (guint j = 0; j < images->len; j++)
        {
          TesseraImage *image = g_ptr_array_index (images, j);

          if (g_strcmp0 (tessera_image_get_sha256 (image), sha) == 0)
            {
              matches++;
              g_assert_true (g_hash_table_contains (ids, tessera_image_get_id (image)));
              g_autoptr(GPtrArray) objects = NULL;

              /* Real images: a failed one would not count as a duplicate
               * on the server, and could hide a second upload. */
              g_assert_cmpstr (wait_processed (client, tessera_image_get_id (image)), ==, "ready");
              objects = tessera_test_server_find_objects (server, tessera_image_get_id (image), NULL);
              g_assert_cmpuint (objects->len, >=, 1);
            }
        }
      g_assert_cmpuint (matches, ==, 1);
    }
}

static void
test_queue_survives_server_crash (void)
{
  g_autoptr(TesseraClient) client = client_test_new_user (server, "victor", "victor's password");
  g_autofree char *dir = g_build_filename (tmpdir, "crash", NULL);
  g_autofree char *state = g_build_filename (tmpdir, "crash-queue.json", NULL);
  g_autoptr(TesseraUploadQueue) queue = tessera_upload_queue_new (client, state);
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_object_unref);
  Watch watch = { .queue = queue };

  tessera_upload_queue_set_max_jobs (queue, 2);
  for (guint i = 0; i < 4; i++)
    {
      g_autofree char *name = g_strdup_printf ("crash-%u.jpg", i);
      g_autoptr(GBytes) jpeg = tessera_test_make_jpeg (2400, 1800);
      GFile *file = client_test_write_file (dir, name, jpeg);
      TesseraUploadItem *item;

      g_ptr_array_add (files, file);
      item = tessera_upload_queue_add_file (queue, file);
      g_signal_connect (item, "notify::progress", G_CALLBACK (item_progress_cb), &watch);
    }
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (queue)), ==, 4);
  g_assert_true (tessera_upload_queue_get_busy (queue));

  g_assert_true (client_test_run_until (queue_idle, queue, 180));
  g_assert_true (watch.restarted);

  assert_exactly_once (client, files, G_LIST_MODEL (queue));
}

static void
count_finished_cb (TesseraUploadQueue *queue,
                   TesseraUploadItem  *item,
                   Watch              *watch)
{
  watch->finished++;
}

static gboolean
first_finished (gpointer data)
{
  return ((Watch *) data)->finished > 0;
}

static void
test_queue_resumes_after_client_restart (void)
{
  g_autoptr(TesseraClient) client = client_test_new_user (server, "wendy", "wendy's password");
  g_autofree char *dir = g_build_filename (tmpdir, "resume", NULL);
  g_autofree char *state = g_build_filename (tmpdir, "resume-queue.json", NULL);
  g_autoptr(TesseraUploadQueue) second = NULL;
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  TesseraUploadQueue *first;
  JsonArray *saved;
  guint done_before = 0;
  Watch watch = { 0 };

  first = tessera_upload_queue_new (client, state);
  tessera_upload_queue_set_max_jobs (first, 1);
  g_signal_connect (first, "item-finished", G_CALLBACK (count_finished_cb), &watch);
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *name = g_strdup_printf ("resume-%u.jpg", i);
      g_autoptr(GBytes) jpeg = tessera_test_make_jpeg (1200, 900);
      GFile *file = client_test_write_file (dir, name, jpeg);

      g_ptr_array_add (files, file);
      tessera_upload_queue_add_file (first, file);
    }

  /* The app quits after the first file, with the second under way. */
  g_assert_true (client_test_run_until (first_finished, &watch, 60));
  g_object_unref (first);

  g_assert_true (json_parser_load_from_file (parser, state, &error));
  g_assert_no_error (error);
  saved = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "items");
  g_assert_cmpuint (json_array_get_length (saved), ==, 5);
  for (guint i = 0; i < 5; i++)
    if (g_str_equal (json_object_get_string_member (json_array_get_object_element (saved, i), "state"), "done"))
      done_before++;
  g_assert_cmpuint (done_before, >=, 1);
  g_assert_cmpuint (done_before, <, 5);

  /* The next start picks the batch up by itself. */
  second = tessera_upload_queue_new (client, state);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (second)), ==, 5);
  g_assert_true (tessera_upload_queue_get_busy (second));
  g_assert_true (client_test_run_until (queue_idle, second, 120));

  assert_exactly_once (client, files, G_LIST_MODEL (second));

  /* A file whose bytes are already there: a duplicate, nothing sent. */
  {
    g_autoptr(GBytes) jpeg = tessera_test_make_jpeg (64, 64);
    g_autoptr(GFile) real = client_test_write_file (dir, "real.jpg", jpeg);
    g_autoptr(GFile) copy = client_test_write_file (dir, "real-copy.jpg", jpeg);
    TesseraUploadItem *original, *item;

    original = tessera_upload_queue_add_file (second, real);
    g_assert_true (client_test_run_until (queue_idle, second, 60));
    g_assert_cmpint (tessera_upload_item_get_state (original), ==, TESSERA_UPLOAD_STATE_DONE);
    g_assert_cmpstr (wait_processed (client, tessera_upload_item_get_image_id (original)), ==, "ready");

    item = tessera_upload_queue_add_file (second, copy);
    g_assert_true (client_test_run_until (queue_idle, second, 60));
    g_assert_cmpint (tessera_upload_item_get_state (item), ==, TESSERA_UPLOAD_STATE_DUPLICATE);
    g_assert_cmpstr (tessera_upload_item_get_image_id (item), ==,
                     tessera_upload_item_get_image_id (original));
  }

  tessera_upload_queue_clear_finished (second);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (second)), ==, 0);
}

static void
test_queue_cancel_and_retry (void)
{
  g_autoptr(TesseraClient) client = client_test_new_user (server, "xena", "xena's password");
  g_autofree char *dir = g_build_filename (tmpdir, "cancel", NULL);
  g_autofree char *state = g_build_filename (tmpdir, "cancel-queue.json", NULL);
  g_autoptr(TesseraUploadQueue) queue = tessera_upload_queue_new (client, state);
  g_autoptr(GFile) file = client_test_write_big_file (dir, "c.jpg", 20 * 1000 * 1000);
  g_autoptr(GFile) empty = NULL;
  g_autoptr(GBytes) nothing = g_bytes_new_static ("", 0);
  TesseraUploadItem *item, *bad;

  item = tessera_upload_queue_add_file (queue, file);
  tessera_upload_queue_cancel (queue, item);
  g_assert_cmpint (tessera_upload_item_get_state (item), ==, TESSERA_UPLOAD_STATE_CANCELLED);
  g_assert_true (client_test_run_until (queue_idle, queue, 30));
  g_assert_cmpint (tessera_upload_item_get_state (item), ==, TESSERA_UPLOAD_STATE_CANCELLED);

  tessera_upload_queue_retry (queue, item);
  g_assert_cmpint (tessera_upload_item_get_state (item), ==, TESSERA_UPLOAD_STATE_QUEUED);
  g_assert_true (client_test_run_until (queue_idle, queue, 60));
  g_assert_cmpint (tessera_upload_item_get_state (item), ==, TESSERA_UPLOAD_STATE_DONE);

  /* An empty file fails for good, with a message, and is not retried. */
  empty = client_test_write_file (dir, "empty.jpg", nothing);
  bad = tessera_upload_queue_add_file (queue, empty);
  g_assert_true (client_test_run_until (queue_idle, queue, 30));
  g_assert_cmpint (tessera_upload_item_get_state (bad), ==, TESSERA_UPLOAD_STATE_FAILED);
  g_assert_nonnull (tessera_upload_item_get_error_message (bad));
}

static void
record_state_cb (TesseraUploadItem *item,
                 GParamSpec        *pspec,
                 GString           *states)
{
  g_string_append_printf (states, "%s ", tessera_upload_state_to_string (tessera_upload_item_get_state (item)));
}

static void
test_queue_waits_for_processing (void)
{
  g_autoptr(TesseraClient) client = client_test_new_user (server, "yara", "yara's password");
  g_autofree char *dir = g_build_filename (tmpdir, "processing", NULL);
  g_autofree char *state = g_build_filename (tmpdir, "processing-queue.json", NULL);
  g_autoptr(TesseraUploadQueue) queue = tessera_upload_queue_new (client, state);
  g_autoptr(GBytes) jpeg = tessera_test_make_jpeg (300, 200);
  g_autoptr(GFile) good = client_test_write_file (dir, "good.jpg", jpeg);
  g_autoptr(GFile) bad = client_test_write_big_file (dir, "bad.jpg", 100 * 1000);
  g_autoptr(GString) states = g_string_new (NULL);
  TesseraUploadItem *good_item, *bad_item;
  guint finished = 0;

  tessera_upload_queue_set_wait_for_processing (queue, TRUE);
  g_signal_connect_swapped (queue, "item-finished", G_CALLBACK (g_atomic_int_inc), &finished);

  good_item = tessera_upload_queue_add_file (queue, good);
  g_signal_connect (good_item, "notify::state", G_CALLBACK (record_state_cb), states);
  bad_item = tessera_upload_queue_add_file (queue, bad);
  g_assert_true (client_test_run_until (queue_idle, queue, 120));

  /* Through processing to done, with the thumbnails made. */
  g_assert_nonnull (strstr (states->str, "processing done"));
  g_assert_cmpint (tessera_upload_item_get_state (good_item), ==, TESSERA_UPLOAD_STATE_DONE);
  g_assert_cmpstr (wait_processed (client, tessera_upload_item_get_image_id (good_item)), ==, "ready");

  /* Bytes that are no image: failed, with the server's reason. */
  g_assert_cmpint (tessera_upload_item_get_state (bad_item), ==, TESSERA_UPLOAD_STATE_FAILED);
  g_assert_nonnull (tessera_upload_item_get_error_message (bad_item));
  g_assert_cmpuint (finished, ==, 2);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);

  server = tessera_test_server_new_started (CONFIG_NO_TAGGER);
  tmpdir = g_dir_make_tmp ("tessera-client-upload-XXXXXX", NULL);

  g_test_add_func ("/client/upload/cancel-50mb", test_cancel_large);
  g_test_add_func ("/client/upload/queue-survives-server-crash", test_queue_survives_server_crash);
  g_test_add_func ("/client/upload/queue-resumes-after-client-restart", test_queue_resumes_after_client_restart);
  g_test_add_func ("/client/upload/queue-cancel-and-retry", test_queue_cancel_and_retry);
  g_test_add_func ("/client/upload/queue-waits-for-processing", test_queue_waits_for_processing);

  status = g_test_run ();

  client_test_rm_rf (tmpdir);
  g_free (tmpdir);
  g_clear_object (&server);

  return status;
}
