/* test-ui-app.c: the app as a new user meets it, against a real server
 *
 * One real tessera-server for the whole program and one user story in
 * order: errors in the sign-in dialog, creating an account, a restart that
 * resumes the stored session, uploads by drop, the viewer, the tag filter,
 * delete and undo and the trash, offline and back, paste, sign out, and
 * "This computer". Run by run-ui-test.sh (a private D-Bus session that
 * activates nothing, an unlocked gnome-keyring, a temporary HOME) under
 * xvfb-run. Every step saves a screenshot under G_TEST_BUILDDIR.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <adwaita.h>

#include "tessera-account.h"
#include "tessera-application.h"
#include "tessera-image-tile.h"
#include "tessera-screenshot.h"
#include "tessera-signin-dialog.h"
#include "tessera-upload-row.h"
#include "tessera-test-server.h"
#include "tessera-viewer.h"
#include "tessera-window.h"

#define USERNAME "ada"
#define PASSWORD "correct horse battery"
#define TIMEOUT_S 60

static TesseraTestServer *server;
static TesseraApplication *app;
static char *images_dir;

/* Helpers ------------------------------------------------------------ */

typedef gboolean (*Condition) (gpointer data);

static gboolean
run_until (Condition condition,
           gpointer  data,
           guint     timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_s * G_USEC_PER_SEC;

  while (!condition (data))
    {
      if (g_get_monotonic_time () > deadline)
        return condition (data);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }

  return TRUE;
}

#define WAIT_FOR(expr) \
  G_STMT_START { \
    gint64 _deadline = g_get_monotonic_time () + (gint64) TIMEOUT_S * G_USEC_PER_SEC; \
    while (!(expr)) \
      { \
        if (g_get_monotonic_time () > _deadline) \
          g_error ("Timed out waiting for %s", #expr); \
        g_main_context_iteration (NULL, FALSE); \
        g_usleep (2000); \
      } \
  } G_STMT_END

static void
settle (void)
{
  /* A few frames so that layout and painting catch up. */
  for (guint i = 0; i < 30; i++)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (10000);
    }
}

static void
screenshot (GtkWidget  *widget,
            const char *name)
{
  g_autofree char *file = g_strdup_printf ("screenshot-%s.png", name);
  g_autofree char *path = g_build_filename (g_getenv ("G_TEST_BUILDDIR"), file, NULL);
  g_autoptr(GError) error = NULL;

  /* A frame in flight (a cross-fade, a popover mapping) can leave the
   * widget with nothing drawn for a moment: capture it once it has. */
  for (guint attempt = 0; attempt < 10; attempt++)
    {
      settle ();
      g_clear_error (&error);
      if (tessera_screenshot_save (widget, path, &error))
        break;
      g_test_message ("Screenshot %s not taken yet: %s", name, error->message);
    }
  g_assert_no_error (error);
  g_test_message ("Screenshot: %s", path);
}

static TesseraApplication *
new_app (void)
{
  TesseraApplication *application = tessera_application_new ();
  g_autoptr(GError) error = NULL;

  /* Each test program's app is on its own, whatever else runs. */
  g_application_set_flags (G_APPLICATION (application),
                           G_APPLICATION_HANDLES_OPEN | G_APPLICATION_NON_UNIQUE);
  g_application_register (G_APPLICATION (application), NULL, &error);
  g_assert_no_error (error);

  return application;
}

static TesseraWindow *get_window (void);

static gboolean
weak_gone (gpointer data)
{
  return *(gpointer *) data == NULL;
}

static void
destroy_app (void)
{
  GList *windows;
  gpointer weak_app = app;
  gpointer weak_window = get_window ();

  g_object_add_weak_pointer (G_OBJECT (app), &weak_app);
  g_object_add_weak_pointer (G_OBJECT (weak_window), &weak_window);
  while ((windows = gtk_application_get_windows (GTK_APPLICATION (app))) != NULL)
    gtk_window_destroy (windows->data);
  if (tessera_application_get_signin_dialog (app) != NULL)
    gtk_window_destroy (tessera_application_get_signin_dialog (app));
  settle ();

  /* What g_application_run() does on its way out: GtkApplication holds
   * itself from startup to shutdown. After that, nothing may keep the app
   * or its window alive. */
  g_signal_emit_by_name (app, "shutdown");
  {
    /* GApplication warns that an app registered without
     * g_application_run() did not unregister; its finalization ends the
     * registration all the same. Criticals stay fatal. */
    GLogLevelFlags fatal = g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);

    g_clear_object (&app);
    g_assert_true (run_until (weak_gone, &weak_app, TIMEOUT_S));
    g_log_set_always_fatal (fatal);
  }
  g_assert_true (run_until (weak_gone, &weak_window, TIMEOUT_S));
}

static TesseraWindow *
get_window (void)
{
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (app)); l != NULL; l = l->next)
    if (TESSERA_IS_WINDOW (l->data))
      return l->data;
  g_assert_not_reached ();
}

static TesseraSigninDialog *
get_dialog (void)
{
  GtkWindow *dialog = tessera_application_get_signin_dialog (app);

  return dialog ? TESSERA_SIGNIN_DIALOG (dialog) : NULL;
}

static gboolean
dialog_idle (gpointer data)
{
  return !tessera_signin_dialog_get_busy (data);
}

static gboolean
list_settled (TesseraImageList *list)
{
  return !tessera_image_list_get_loading (list);
}

static guint
n_images (void)
{
  return g_list_model_get_n_items (G_LIST_MODEL (tessera_window_get_image_list (get_window ())));
}

static TesseraImage *
image_at (guint position)
{
  g_autoptr(TesseraImage) image =
    g_list_model_get_item (G_LIST_MODEL (tessera_window_get_image_list (get_window ())), position);

  /* The list keeps it alive. */
  return image;
}

static gboolean
all_ready (gpointer data)
{
  guint n = n_images ();

  for (guint i = 0; i < n; i++)
    if (g_strcmp0 (tessera_image_get_status (image_at (i)), "ready") != 0)
      return FALSE;
  return n > 0;
}

static void
count_tiles (GtkWidget *widget,
             guint     *n_tiles,
             guint     *n_thumbnails)
{
  if (TESSERA_IS_IMAGE_TILE (widget))
    {
      if (tessera_image_tile_get_image (TESSERA_IMAGE_TILE (widget)) != NULL)
        {
          (*n_tiles)++;
          if (tessera_image_tile_get_has_thumbnail (TESSERA_IMAGE_TILE (widget)))
            (*n_thumbnails)++;
        }
      return;
    }

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    count_tiles (child, n_tiles, n_thumbnails);
}

static gboolean
thumbnails_painted (gpointer data)
{
  guint n_tiles = 0, n_thumbnails = 0;

  count_tiles (GTK_WIDGET (get_window ()), &n_tiles, &n_thumbnails);
  return n_tiles == GPOINTER_TO_UINT (data) && n_thumbnails == n_tiles;
}

/* The server as another client sees it: a fresh sign-in, plain HTTP. */
static JsonArray *
server_images (const char *query)
{
  g_autoptr(TesseraTestUser) user = g_new0 (TesseraTestUser, 1);
  g_autoptr(TesseraTestResponse) response = NULL;
  g_autofree char *path = g_strdup_printf ("/images%s", query ? query : "");
  JsonObject *object;

  user->username = g_strdup (USERNAME);
  user->password = g_strdup (PASSWORD);
  g_assert_cmpuint (tessera_test_server_sign_in (server, user), ==, 201);
  response = tessera_test_server_call (server, "GET", path, user->token, NULL);
  g_assert_cmpuint (response->status, ==, 200);
  object = tessera_test_response_get_object (response);
  g_assert_nonnull (object);

  return json_array_ref (json_object_get_array_member (object, "images"));
}

static char *
stored_token (void)
{
  g_autoptr(TesseraAccount) account = tessera_account_new ();
  g_autoptr(GError) error = NULL;
  char *token;

  g_assert_true (tessera_account_load (account, &error));
  g_assert_no_error (error);
  token = tessera_account_lookup_token (account, NULL, &error);
  g_assert_no_error (error);

  return token;
}

static GtkWidget *
find_descendant (GtkWidget *widget,
                 GType      type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    return widget;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_descendant (child, type);
      if (found != NULL)
        return found;
    }

  return NULL;
}

static GtkMenuButton *
find_menu_button (GtkWidget  *widget,
                  const char *tooltip)
{
  if (GTK_IS_MENU_BUTTON (widget) &&
      g_strcmp0 (gtk_widget_get_tooltip_text (widget), tooltip) == 0)
    return GTK_MENU_BUTTON (widget);

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkMenuButton *found = find_menu_button (child, tooltip);
      if (found != NULL)
        return found;
    }

  return NULL;
}

static GtkDropTarget *
find_drop_target (GtkWidget *widget)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (widget);

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GObject) controller = g_list_model_get_item (controllers, i);

      if (GTK_IS_DROP_TARGET (controller))
        return GTK_DROP_TARGET (controller);
    }

  return NULL;
}

/* What a drop from Files does: the window's drop target gets a file list. */
static void
drop_files (GFile **files,
            guint   n_files)
{
  GtkDropTarget *target = find_drop_target (GTK_WIDGET (get_window ()));
  GdkFileList *list;
  GSList *slist = NULL;
  g_auto(GValue) value = G_VALUE_INIT;
  gboolean accepted = FALSE;

  g_assert_nonnull (target);
  for (guint i = n_files; i > 0; i--)
    slist = g_slist_prepend (slist, files[i - 1]);
  list = gdk_file_list_new_from_list (slist);
  g_slist_free (slist);

  g_value_init (&value, GDK_TYPE_FILE_LIST);
  g_value_take_boxed (&value, list);
  g_signal_emit_by_name (target, "drop", &value, 10.0, 10.0, &accepted);
  g_assert_true (accepted);
}

static GFile *
copy_test_image (const char *source_name,
                 const char *dest_dir,
                 const char *dest_name)
{
  g_autofree char *source_path = g_build_filename (g_getenv ("TESSERA_TEST_IMAGES"), source_name, NULL);
  g_autofree char *dest_path = g_build_filename (dest_dir, dest_name, NULL);
  g_autoptr(GFile) dest = g_file_new_for_path (dest_path);
  g_autoptr(GError) error = NULL;

  g_mkdir_with_parents (dest_dir, 0700);
  if (g_file_test (source_path, G_FILE_TEST_EXISTS))
    {
      g_autoptr(GFile) source = g_file_new_for_path (source_path);
      g_file_copy (source, dest, G_FILE_COPY_OVERWRITE, NULL, NULL, NULL, &error);
      g_assert_no_error (error);
    }
  else
    {
      /* No photos extracted: a real JPEG made here, one colour per name. */
      g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 640, 480);
      guint32 colour = g_str_hash (dest_name) << 8;

      gdk_pixbuf_fill (pixbuf, colour | 0xff);
      gdk_pixbuf_save (pixbuf, dest_path, "jpeg", &error, "quality", "90", NULL);
      g_assert_no_error (error);
    }

  return g_steal_pointer (&dest);
}

/* The story ---------------------------------------------------------- */

static void
test_first_run_errors (void)
{
  TesseraSigninDialog *dialog;

  app = new_app ();
  g_application_activate (G_APPLICATION (app));
  WAIT_FOR (get_dialog () != NULL);
  dialog = get_dialog ();
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (dialog)));
  g_assert_null (tessera_application_get_client (app));
  g_assert_null (tessera_window_get_client (get_window ()));

  /* Nothing listens on port 1. */
  tessera_signin_dialog_set_remote (dialog, "http://127.0.0.1:1");
  tessera_signin_dialog_set_username (dialog, USERNAME);
  tessera_signin_dialog_submit (dialog, PASSWORD, FALSE);
  g_assert_true (run_until (dialog_idle, dialog, TIMEOUT_S));
  g_assert_nonnull (tessera_signin_dialog_get_error (dialog));
  g_assert_nonnull (strstr (tessera_signin_dialog_get_error (dialog), "127.0.0.1:1"));
  screenshot (GTK_WIDGET (dialog), "signin-unreachable");

  tessera_signin_dialog_set_remote (dialog, tessera_test_server_get_url (server));
  tessera_signin_dialog_submit (dialog, "short", TRUE);
  g_assert_nonnull (tessera_signin_dialog_get_error (dialog));
  g_assert_nonnull (strstr (tessera_signin_dialog_get_error (dialog), "too short"));
  g_assert_false (tessera_signin_dialog_get_busy (dialog));

  /* No such user yet: the same answer as a wrong password. */
  tessera_signin_dialog_submit (dialog, "wrong password", FALSE);
  g_assert_true (run_until (dialog_idle, dialog, TIMEOUT_S));
  g_assert_cmpstr (tessera_signin_dialog_get_error (dialog), ==, "Wrong username or password");
  screenshot (GTK_WIDGET (dialog), "signin-wrong-password");
  g_assert_null (tessera_application_get_client (app));
}

static void
test_create_account (void)
{
  TesseraSigninDialog *dialog = get_dialog ();
  g_autofree char *token = NULL;

  g_assert_nonnull (dialog);
  tessera_signin_dialog_submit (dialog, PASSWORD, TRUE);
  WAIT_FOR (tessera_application_get_client (app) != NULL);
  g_assert_null (get_dialog ());
  g_assert_true (tessera_window_get_client (get_window ()) == tessera_application_get_client (app));

  WAIT_FOR (list_settled (tessera_window_get_image_list (get_window ())));
  WAIT_FOR (g_strcmp0 (tessera_window_get_page (get_window ()), "empty") == 0);

  /* The refresh token is in the real keyring. */
  WAIT_FOR ((token = stored_token ()) != NULL);
  screenshot (GTK_WIDGET (get_window ()), "empty-gallery");
}

static void
test_restart_resumes_session (void)
{
  destroy_app ();

  app = new_app ();
  g_application_activate (G_APPLICATION (app));
  WAIT_FOR (tessera_application_get_client (app) != NULL || get_dialog () != NULL);
  g_assert_null (get_dialog ());
  g_assert_cmpstr (tessera_client_get_username (tessera_application_get_client (app)), ==, USERNAME);
  WAIT_FOR (g_strcmp0 (tessera_window_get_page (get_window ()), "empty") == 0);
}

static gboolean
upload_rows_have_thumbnails (gpointer data)
{
  for (GtkWidget *row = gtk_widget_get_first_child (data);
       row != NULL;
       row = gtk_widget_get_next_sibling (row))
    if (!TESSERA_IS_UPLOAD_ROW (row) || !tessera_upload_row_get_has_thumbnail (TESSERA_UPLOAD_ROW (row)))
      return FALSE;
  return TRUE;
}

static void
test_upload_by_drop (void)
{
  g_autofree char *folder = g_build_filename (images_dir, "holiday", NULL);
  g_autoptr(GFile) folder_file = g_file_new_for_path (folder);
  g_autoptr(GFile) single = NULL;
  g_autoptr(GFile) first = NULL, second = NULL, third = NULL;
  g_autoptr(JsonArray) on_server = NULL;
  TesseraUploadQueue *queue;
  GFile *dropped[2];

  first = copy_test_image ("darknet/dog.jpg", folder, "dog.jpg");
  second = copy_test_image ("darknet/horses.jpg", folder, "horses.jpg");
  third = copy_test_image ("darknet/kite.jpg", folder, "kite.jpg");
  single = copy_test_image ("darknet/giraffe.jpg", images_dir, "giraffe.jpg");
  /* Not an image: a folder drop skips it. */
  g_assert_true (g_file_set_contents (g_build_filename (folder, "notes.txt", NULL), "hello", -1, NULL));

  dropped[0] = folder_file;
  dropped[1] = single;
  drop_files (dropped, 2);

  /* The folder is walked in the background, not inside the drop. */
  queue = tessera_window_get_upload_queue (get_window ());
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (queue)), <, 4);
  WAIT_FOR (g_list_model_get_n_items (G_LIST_MODEL (queue)) == 4);
  settle ();
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (queue)), ==, 4);

  /* Each appears as soon as it is uploaded, then turns ready. */
  WAIT_FOR (n_images () == 4);
  screenshot (GTK_WIDGET (get_window ()), "uploading");
  g_assert_true (run_until (all_ready, NULL, 120));
  WAIT_FOR (!tessera_upload_queue_get_busy (queue));
  for (guint i = 0; i < 4; i++)
    {
      g_autoptr(TesseraUploadItem) item = g_list_model_get_item (G_LIST_MODEL (queue), i);
      g_assert_cmpint (tessera_upload_item_get_state (item), ==, TESSERA_UPLOAD_STATE_DONE);
    }

  on_server = server_images (NULL);
  g_assert_cmpuint (json_array_get_length (on_server), ==, 4);

  /* The same bytes again are reported as skipped, not stored twice. */
  drop_files (&single, 1);
  WAIT_FOR (g_list_model_get_n_items (G_LIST_MODEL (queue)) == 5);
  {
    g_autoptr(TesseraUploadItem) again = g_list_model_get_item (G_LIST_MODEL (queue), 4);
    WAIT_FOR (tessera_upload_state_is_finished (tessera_upload_item_get_state (again)));
    g_assert_cmpint (tessera_upload_item_get_state (again), ==, TESSERA_UPLOAD_STATE_DUPLICATE);
  }
  g_assert_cmpuint (n_images (), ==, 4);

  g_assert_cmpstr (tessera_window_get_page (get_window ()), ==, "gallery");
  g_assert_true (run_until (thumbnails_painted, GUINT_TO_POINTER (4), TIMEOUT_S));
  screenshot (GTK_WIDGET (get_window ()), "gallery");

  /* The uploads popover lists every file with its state. */
  {
    GtkMenuButton *button = find_menu_button (GTK_WIDGET (get_window ()), "Uploads");
    GtkWidget *popover;
    guint n_rows = 0;

    g_assert_nonnull (button);
    g_assert_true (gtk_widget_get_visible (GTK_WIDGET (button)));
    gtk_menu_button_popup (button);
    popover = GTK_WIDGET (gtk_menu_button_get_popover (button));
    WAIT_FOR (gtk_widget_get_mapped (popover));
    for (GtkWidget *row = gtk_widget_get_first_child (find_descendant (popover, GTK_TYPE_LIST_BOX));
         row != NULL;
         row = gtk_widget_get_next_sibling (row))
      n_rows++;
    g_assert_cmpuint (n_rows, ==, 5);
    /* Each row shows a thumbnail of its file, read off the main thread. */
    g_assert_true (run_until (upload_rows_have_thumbnails,
                              find_descendant (popover, GTK_TYPE_LIST_BOX), TIMEOUT_S));
    screenshot (popover, "uploads-popover");
    gtk_menu_button_popdown (button);
  }
}

static gboolean
image_has_tag (gpointer data)
{
  TesseraViewer *viewer = tessera_window_get_viewer (get_window ());

  return tessera_viewer_get_image (viewer) != NULL &&
         tessera_image_has_tag (tessera_viewer_get_image (viewer), data);
}

static void
test_viewer (void)
{
  TesseraWindow *window = get_window ();
  TesseraViewer *viewer = tessera_window_get_viewer (window);
  TesseraImage *first;
  g_autoptr(JsonArray) tagged = NULL;

  /* Enter (or a double click) on the first tile activates it. */
  g_signal_emit_by_name (find_descendant (GTK_WIDGET (window), GTK_TYPE_GRID_VIEW), "activate", 0);
  g_assert_cmpstr (tessera_window_get_page (window), ==, "viewer");
  first = tessera_viewer_get_image (viewer);
  g_assert_true (first == image_at (0));
  WAIT_FOR (tessera_viewer_get_loaded (viewer) && !tessera_viewer_get_busy (viewer));

  tessera_viewer_add_tag (viewer, "Summer");
  g_assert_true (run_until (image_has_tag, (gpointer) "summer", TIMEOUT_S));
  tessera_viewer_add_tag (viewer, "beach");
  g_assert_true (run_until (image_has_tag, (gpointer) "beach", TIMEOUT_S));
  tessera_viewer_remove_tag (viewer, "beach");
  WAIT_FOR (!tessera_viewer_get_busy (viewer) && !image_has_tag ((gpointer) "beach"));
  screenshot (GTK_WIDGET (window), "viewer");

  /* The server has the edit. */
  tagged = server_images ("?tags=summer");
  g_assert_cmpuint (json_array_get_length (tagged), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (tagged, 0), "id"),
                   ==, tessera_image_get_id (first));

  gtk_widget_activate_action (GTK_WIDGET (window), "win.view-next", NULL);
  g_assert_true (tessera_viewer_get_image (viewer) == image_at (1));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.view-previous", NULL);
  g_assert_true (tessera_viewer_get_image (viewer) == first);

  gtk_widget_activate_action (GTK_WIDGET (window), "win.close-viewer", NULL);
  g_assert_cmpstr (tessera_window_get_page (window), ==, "gallery");

  /* Opened from elsewhere (a search result): the gallery's own object. */
  {
    g_autoptr(JsonObject) json = tessera_image_to_json (image_at (2));
    g_autoptr(TesseraImage) copy = tessera_image_new_from_json (json);

    tessera_window_show_image (window, copy);
    g_assert_cmpstr (tessera_window_get_page (window), ==, "viewer");
    g_assert_true (tessera_viewer_get_image (viewer) == image_at (2));
    WAIT_FOR (tessera_viewer_get_loaded (viewer) && !tessera_viewer_get_busy (viewer));
    gtk_widget_activate_action (GTK_WIDGET (window), "win.escape", NULL);
    g_assert_cmpstr (tessera_window_get_page (window), ==, "gallery");
  }
}

static void
test_tag_filter (void)
{
  TesseraWindow *window = get_window ();
  TesseraImageList *list = tessera_window_get_image_list (window);
  GtkSearchEntry *entry;
  g_auto(GStrv) completions = NULL;
  gboolean offered = FALSE;

  gtk_widget_activate_action (GTK_WIDGET (window), "win.search", NULL);
  entry = GTK_SEARCH_ENTRY (find_descendant (GTK_WIDGET (window), GTK_TYPE_SEARCH_ENTRY));
  g_assert_nonnull (entry);
  WAIT_FOR (gtk_widget_get_mapped (GTK_WIDGET (entry)));

  /* Completion from GET /tags, with counts. */
  for (gint64 deadline = g_get_monotonic_time () + TIMEOUT_S * G_USEC_PER_SEC;
       !offered && g_get_monotonic_time () < deadline; )
    {
      gtk_editable_set_text (GTK_EDITABLE (entry), "sum");
      settle ();
      g_clear_pointer (&completions, g_strfreev);
      completions = tessera_window_dup_completions (window);
      offered = g_strv_contains ((const char * const *) completions, "summer (1)");
      if (!offered)
        gtk_widget_activate_action (GTK_WIDGET (window), "win.reload-tags", NULL);
    }
  g_assert_true (offered);
  screenshot (GTK_WIDGET (window), "tag-search");
  {
    GtkWidget *popover = find_descendant (GTK_WIDGET (entry), GTK_TYPE_POPOVER);

    g_assert_nonnull (popover);
    WAIT_FOR (gtk_widget_get_mapped (popover));
    screenshot (popover, "tag-completion");
  }

  /* Enter takes the first completion as a chip. */
  g_signal_emit_by_name (entry, "activate");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (entry)), ==, "");
  g_assert_cmpstr (tessera_image_list_get_tags (list)[0], ==, "summer");
  WAIT_FOR (list_settled (list) && n_images () == 1);
  g_assert_true (tessera_image_has_tag (image_at (0), "summer"));
  screenshot (GTK_WIDGET (window), "filtered");

  /* A tag nobody has: no match, and the page says so. */
  tessera_window_add_filter_tag (window, "nonexistent");
  WAIT_FOR (list_settled (list) && n_images () == 0);
  WAIT_FOR (g_strcmp0 (tessera_window_get_page (window), "no-match") == 0);
  screenshot (GTK_WIDGET (window), "no-match");

  /* A tag the server refuses (longer than 64 characters): its reason on
   * the page, not "cannot reach the server", and no cached gallery. */
  {
    g_autofree char *too_long = g_strnfill (65, 'x');
    AdwStatusPage *page;

    tessera_window_add_filter_tag (window, too_long);
    WAIT_FOR (tessera_image_list_get_error (list) != NULL && !tessera_image_list_get_loading (list));
    g_assert_error (tessera_image_list_get_error (list), TESSERA_CLIENT_ERROR, TESSERA_CLIENT_ERROR_INVALID);
    WAIT_FOR (tessera_window_get_status_page (window) != NULL &&
              g_strcmp0 (tessera_window_get_page (window), "offline") == 0);
    page = tessera_window_get_status_page (window);
    g_assert_cmpstr (adw_status_page_get_title (page), ==, "Could Not Load Your Images");
    g_assert_nonnull (strstr (adw_status_page_get_description (page), "64"));
    g_assert_cmpuint (n_images (), ==, 0);
    g_assert_false (tessera_image_list_get_showing_cached (list));
    screenshot (GTK_WIDGET (window), "server-error");
    tessera_window_remove_filter_tag (window, too_long);
    WAIT_FOR (list_settled (list) && n_images () == 0 &&
              g_strcmp0 (tessera_window_get_page (window), "no-match") == 0);
  }

  /* Any of them: the summer image again. */
  tessera_window_set_match_any (window, TRUE);
  g_assert_true (tessera_image_list_get_match_any (list));
  WAIT_FOR (list_settled (list) && n_images () == 1);

  tessera_window_remove_filter_tag (window, "nonexistent");
  tessera_window_remove_filter_tag (window, "summer");
  tessera_window_set_match_any (window, FALSE);
  WAIT_FOR (list_settled (list) && n_images () == 4);
  g_assert_cmpstr (tessera_window_get_page (window), ==, "gallery");
  gtk_search_bar_set_search_mode (GTK_SEARCH_BAR (gtk_widget_get_ancestor (GTK_WIDGET (entry), GTK_TYPE_SEARCH_BAR)), FALSE);
}

static void
test_delete_and_undo (void)
{
  TesseraWindow *window = get_window ();
  GtkSelectionModel *selection = tessera_window_get_selection (window);
  g_autofree char *deleted_id = g_strdup (tessera_image_get_id (image_at (1)));
  g_autoptr(JsonArray) remaining = NULL;
  g_autoptr(JsonArray) trashed = NULL;

  gtk_selection_model_select_item (selection, 1, TRUE);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.delete-selected", NULL);

  /* Gone from the grid at once, and from the server's list soon after. */
  g_assert_cmpuint (n_images (), ==, 3);
  g_assert_null (tessera_image_list_lookup (tessera_window_get_image_list (window), deleted_id));
  screenshot (GTK_WIDGET (window), "deleted-toast");
  for (gint64 deadline = g_get_monotonic_time () + TIMEOUT_S * G_USEC_PER_SEC; ; )
    {
      g_clear_pointer (&remaining, json_array_unref);
      remaining = server_images (NULL);
      if (json_array_get_length (remaining) == 3 || g_get_monotonic_time () > deadline)
        break;
      settle ();
    }
  g_assert_cmpuint (json_array_get_length (remaining), ==, 3);

  gtk_widget_activate_action (GTK_WIDGET (window), "win.undo-delete", NULL);
  WAIT_FOR (n_images () == 4);
  for (gint64 deadline = g_get_monotonic_time () + TIMEOUT_S * G_USEC_PER_SEC; ; )
    {
      g_clear_pointer (&remaining, json_array_unref);
      remaining = server_images (NULL);
      if (json_array_get_length (remaining) == 4 || g_get_monotonic_time () > deadline)
        break;
      settle ();
    }
  g_assert_cmpuint (json_array_get_length (remaining), ==, 4);
  g_assert_nonnull (tessera_image_list_lookup (tessera_window_get_image_list (window), deleted_id));

  /* Select all, delete two with the selection bar, then the trash. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.select-all", NULL);
  g_assert_cmpuint (gtk_bitset_get_size (gtk_selection_model_get_selection (selection)), ==, 4);
  gtk_selection_model_unselect_all (selection);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.selection-mode", NULL);
  {
    gboolean selection_mode = FALSE;

    g_object_get (window, "selection-mode", &selection_mode, NULL);
    g_assert_true (selection_mode);
  }
  /* In selection mode, activating a tile picks it. */
  g_signal_emit_by_name (find_descendant (GTK_WIDGET (window), GTK_TYPE_GRID_VIEW), "activate", 2);
  g_signal_emit_by_name (find_descendant (GTK_WIDGET (window), GTK_TYPE_GRID_VIEW), "activate", 3);
  g_assert_cmpuint (gtk_bitset_get_size (gtk_selection_model_get_selection (selection)), ==, 2);
  g_assert_cmpstr (tessera_window_get_page (window), ==, "gallery");
  screenshot (GTK_WIDGET (window), "selection-mode");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.delete-selected", NULL);
  g_assert_cmpuint (n_images (), ==, 2);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.selection-mode", NULL);

  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-trash", NULL);
  WAIT_FOR (list_settled (tessera_window_get_trash_list (window)) &&
            g_list_model_get_n_items (G_LIST_MODEL (tessera_window_get_trash_list (window))) == 2);
  g_assert_cmpstr (tessera_window_get_page (window), ==, "gallery");
  screenshot (GTK_WIDGET (window), "trash");

  /* Restore one from the trash. */
  selection = tessera_window_get_selection (window);
  gtk_selection_model_select_item (selection, 0, TRUE);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.restore-selected", NULL);
  WAIT_FOR (g_list_model_get_n_items (G_LIST_MODEL (tessera_window_get_trash_list (window))) == 1);
  WAIT_FOR (n_images () == 3);

  /* Delete the other permanently, confirmed in the dialog. */
  selection = tessera_window_get_selection (window);
  gtk_selection_model_select_item (selection, 0, TRUE);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.delete-permanently", NULL);
  {
    AdwMessageDialog *confirm = NULL;
    GListModel *toplevels = gtk_window_get_toplevels ();

    for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
      {
        g_autoptr(GObject) toplevel = g_list_model_get_item (toplevels, i);
        if (ADW_IS_MESSAGE_DIALOG (toplevel))
          confirm = ADW_MESSAGE_DIALOG (toplevel);
      }
    g_assert_nonnull (confirm);
    screenshot (GTK_WIDGET (confirm), "delete-permanently");
    adw_message_dialog_response (confirm, "delete");
    gtk_window_destroy (GTK_WINDOW (confirm));
  }
  WAIT_FOR (g_list_model_get_n_items (G_LIST_MODEL (tessera_window_get_trash_list (window))) == 0);
  WAIT_FOR (g_strcmp0 (tessera_window_get_page (window), "trash-empty") == 0);
  for (gint64 deadline = g_get_monotonic_time () + TIMEOUT_S * G_USEC_PER_SEC; ; )
    {
      g_clear_pointer (&trashed, json_array_unref);
      trashed = server_images ("?trashed=true");
      if (json_array_get_length (trashed) == 0 || g_get_monotonic_time () > deadline)
        break;
      settle ();
    }
  g_assert_cmpuint (json_array_get_length (trashed), ==, 0);

  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-trash", NULL);
  g_assert_cmpstr (tessera_window_get_page (window), ==, "gallery");
  g_assert_cmpuint (n_images (), ==, 3);
}

static void
test_offline_banner (void)
{
  TesseraWindow *window = get_window ();
  TesseraImageList *list = tessera_window_get_image_list (window);

  g_assert_false (tessera_window_get_offline (window));
  tessera_test_server_stop (server);

  /* The cached gallery stays, with a banner that offers to retry. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.reload", NULL);
  WAIT_FOR (tessera_window_get_offline (window));
  g_assert_cmpuint (n_images (), ==, 3);
  g_assert_cmpstr (tessera_window_get_page (window), ==, "gallery");
  g_assert_nonnull (tessera_image_list_get_error_message (list));
  screenshot (GTK_WIDGET (window), "offline");

  /* Back on the same address: Retry clears it. */
  tessera_test_server_restart (server, FALSE);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.reload", NULL);
  WAIT_FOR (!tessera_window_get_offline (window) && list_settled (list));
  g_assert_null (tessera_image_list_get_error_message (list));
  g_assert_cmpuint (n_images (), ==, 3);
}

static gboolean
cold_start_offline (gpointer data)
{
  return tessera_window_get_offline (get_window ()) && n_images () == 3;
}

/* Started while the server is down: the last gallery from the cache, with
 * its thumbnails, under the offline banner; the live listing replaces it
 * when the server is back. */
static void
test_offline_cold_start (void)
{
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  TesseraImageList *list;

  for (guint i = 0; i < n_images (); i++)
    g_ptr_array_add (ids, g_strdup (tessera_image_get_id (image_at (i))));
  g_assert_cmpuint (ids->len, ==, 3);

  destroy_app ();
  tessera_test_server_stop (server);

  app = new_app ();
  g_application_activate (G_APPLICATION (app));
  WAIT_FOR (tessera_application_get_client (app) != NULL || get_dialog () != NULL);
  g_assert_null (get_dialog ());
  list = tessera_window_get_image_list (get_window ());
  if (!run_until (cold_start_offline, NULL, TIMEOUT_S))
    g_error ("Not offline with the cached gallery: page %s, %u images, error %s, loading %d",
             tessera_window_get_page (get_window ()), n_images (),
             tessera_image_list_get_error_message (list), tessera_image_list_get_loading (list));
  g_assert_true (tessera_image_list_get_showing_cached (list));
  g_assert_cmpstr (tessera_window_get_page (get_window ()), ==, "gallery");
  g_assert_nonnull (tessera_image_list_get_error_message (list));
  /* Newest first, as the server listed them. */
  for (guint i = 0; i < 3; i++)
    g_assert_cmpstr (tessera_image_get_id (image_at (i)), ==, g_ptr_array_index (ids, i));
  g_assert_true (run_until (thumbnails_painted, GUINT_TO_POINTER (3), TIMEOUT_S));
  screenshot (GTK_WIDGET (get_window ()), "offline-cold-start");

  tessera_test_server_restart (server, FALSE);
  gtk_widget_activate_action (GTK_WIDGET (get_window ()), "win.reload", NULL);
  WAIT_FOR (!tessera_window_get_offline (get_window ()) && list_settled (list));
  g_assert_false (tessera_image_list_get_showing_cached (list));
  g_assert_null (tessera_image_list_get_error_message (list));
  g_assert_cmpuint (n_images (), ==, 3);
  /* The server's objects now, with their dates. */
  for (guint i = 0; i < 3; i++)
    {
      g_assert_cmpstr (tessera_image_get_id (image_at (i)), ==, g_ptr_array_index (ids, i));
      g_assert_nonnull (tessera_image_get_created_at (image_at (i)));
    }
}

static void
test_paste_image (void)
{
  TesseraWindow *window = get_window ();
  g_autoptr(GFile) source = copy_test_image ("darknet/eagle.jpg", images_dir, "eagle.jpg");
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonArray) on_server = NULL;
  gboolean found = FALSE;

  /* An image copied from another app: pixels on the clipboard, no file. */
  texture = gdk_texture_new_from_file (source, &error);
  g_assert_no_error (error);
  gdk_clipboard_set_texture (gtk_widget_get_clipboard (GTK_WIDGET (window)), texture);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.paste", NULL);

  WAIT_FOR (n_images () == 4);
  g_assert_true (run_until (all_ready, NULL, 120));

  on_server = server_images (NULL);
  g_assert_cmpuint (json_array_get_length (on_server), ==, 4);
  for (guint i = 0; i < 4; i++)
    {
      const char *name = json_object_get_string_member (json_array_get_object_element (on_server, i), "filename");
      found |= g_str_has_prefix (name, "Pasted image ") && g_str_has_suffix (name, ".png");
    }
  g_assert_true (found);
}

static void
test_sign_out (void)
{
  g_autofree char *token = NULL;

  gtk_widget_activate_action (GTK_WIDGET (get_window ()), "win.sign-out", NULL);
  g_assert_null (tessera_application_get_client (app));
  g_assert_null (tessera_window_get_client (get_window ()));
  g_assert_nonnull (get_dialog ());
  WAIT_FOR ((token = stored_token ()) == NULL);
  screenshot (GTK_WIDGET (get_dialog ()), "signed-out");

  /* And signing in again shows the same gallery. */
  tessera_signin_dialog_submit (get_dialog (), PASSWORD, FALSE);
  WAIT_FOR (tessera_application_get_client (app) != NULL);
  WAIT_FOR (list_settled (tessera_window_get_image_list (get_window ())) && n_images () == 4);
}

/* "This computer": the app starts the bundled tessera-server itself. */
static void
test_this_computer (void)
{
  TesseraSigninDialog *dialog;
  TesseraClient *client;
  g_autofree char *server_dir = g_build_filename (g_get_user_data_dir (), "tessera", "server", NULL);

  gtk_widget_activate_action (GTK_WIDGET (get_window ()), "win.sign-out", NULL);
  dialog = get_dialog ();
  g_assert_nonnull (dialog);
  tessera_signin_dialog_set_remote (dialog, NULL);
  tessera_signin_dialog_set_username (dialog, "grace");
  tessera_signin_dialog_submit (dialog, "a long enough password", TRUE);
  WAIT_FOR (tessera_application_get_client (app) != NULL ||
            (get_dialog () != NULL && tessera_signin_dialog_get_error (get_dialog ()) != NULL));
  g_assert_null (get_dialog ());

  client = tessera_application_get_client (app);
  g_assert_cmpstr (tessera_client_get_server_url (client), ==,
                   tessera_local_server_get_url (tessera_application_get_local_server (app)));
  g_assert_cmpstr (tessera_client_get_server_url (client), !=, tessera_test_server_get_url (server));
  g_assert_true (g_file_test (server_dir, G_FILE_TEST_IS_DIR));
  WAIT_FOR (list_settled (tessera_window_get_image_list (get_window ())));
  WAIT_FOR (g_strcmp0 (tessera_window_get_page (get_window ()), "empty") == 0);
  screenshot (GTK_WIDGET (get_window ()), "this-computer");

  tessera_local_server_stop (tessera_application_get_local_server (app));
  destroy_app ();
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *tmp = NULL;
  int status;

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  server = tessera_test_server_new_started (NULL);
  tmp = g_dir_make_tmp ("tessera-ui-XXXXXX", NULL);
  images_dir = g_build_filename (tmp, "Pictures", NULL);

  g_test_add_func ("/ui/app/first-run-errors", test_first_run_errors);
  g_test_add_func ("/ui/app/create-account", test_create_account);
  g_test_add_func ("/ui/app/restart-resumes-session", test_restart_resumes_session);
  g_test_add_func ("/ui/app/upload-by-drop", test_upload_by_drop);
  g_test_add_func ("/ui/app/viewer", test_viewer);
  g_test_add_func ("/ui/app/tag-filter", test_tag_filter);
  g_test_add_func ("/ui/app/delete-and-undo", test_delete_and_undo);
  g_test_add_func ("/ui/app/offline-banner", test_offline_banner);
  g_test_add_func ("/ui/app/offline-cold-start", test_offline_cold_start);
  g_test_add_func ("/ui/app/paste-image", test_paste_image);
  g_test_add_func ("/ui/app/sign-out", test_sign_out);
  g_test_add_func ("/ui/app/this-computer", test_this_computer);

  status = g_test_run ();

  tessera_test_server_stop (server);
  g_clear_object (&server);
  g_free (images_dir);

  return status;
}
