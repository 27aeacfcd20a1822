/* tessera-window.c
 *
 * The gallery: a grid over the signed-in user's images (or the trash),
 * the tag filter above it, uploads in the header bar, and the viewer on a
 * second page. The window owns the models of one session; set_client()
 * replaces them all at sign-in and sign-out.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-window"

#include "config.h"

#include <glib/gi18n.h>

#include "tessera-bench-probe.h"
#include "tessera-image-tile.h"
#include "tessera-listing-cache.h"
#include "tessera-preferences-window.h"
#include "tessera-thumbnail-loader.h"
#include "tessera-upload-row.h"
#include "tessera-viewer.h"
#include "tessera-window.h"

#define LOAD_AHEAD        40
#define POLL_MIN_SECONDS  1
#define POLL_MAX_SECONDS  30
#define OFFLINE_RETRY_SECONDS 15
#define LISTING_SAVE_SECONDS  2
#define LISTING_SAVE_HEAD     1000
#define LISTING_HEAD_SECONDS  30
/* Images snapshotted per idle: about a millisecond. */
#define LISTING_SAVE_CHUNK    1000
#define MAX_COMPLETIONS   8

typedef struct
{
  TesseraWindow *self;
  GPtrArray     *images;
  guint          n_pending;
  gboolean       undo;
} DeleteBatch;

struct _TesseraWindow
{
  AdwApplicationWindow    parent_instance;

  GSettings              *settings;
  GCancellable           *cancellable;

  TesseraClient          *client;
  TesseraImageList       *image_list;
  TesseraImageList       *trash_list;
  TesseraThumbnailLoader *loader;
  TesseraUploadQueue     *upload_queue;
  GtkMultiSelection      *selection;
  /* The last unfiltered listing, shown when the app starts offline. */
  TesseraListingCache    *listing_cache;
  guint                   listing_save_source;
  gint64                  listing_head_saved_at;
  /* A save being prepared: the images to snapshot, a chunk per idle, then
   * merged and written in a thread (listing_saving). */
  GPtrArray              *listing_pending;
  guint                   listing_next;
  gboolean                listing_complete;
  TesseraListingSnapshot *listing_snapshot;
  guint                   listing_chunk_source;
  gboolean                listing_saving;

  GPtrArray              *filter_tags;
  GPtrArray              *tag_counts;
  GtkPopover             *completion_popover;
  GtkListBox             *completion_list;

  /* Images still uploading or processing, polled until ready or failed. */
  GHashTable             *watched;
  guint                   poll_source;
  guint                   poll_interval;
  guint                   offline_source;

  gboolean                selection_mode;
  gboolean                trash_mode;

  /* The last delete, while its toast offers to undo it. */
  DeleteBatch            *undo_batch;
  AdwToast               *undo_toast;

  /* Template children */
  AdwToastOverlay        *toast_overlay;
  GtkRevealer            *drop_revealer;
  GtkStack               *view_stack;
  AdwWindowTitle         *window_title;
  GtkButton              *trash_back_button;
  GtkButton              *upload_button;
  GtkMenuButton          *uploads_button;
  GtkSpinner             *upload_spinner;
  GtkListBox             *uploads_list;
  GtkSearchBar           *search_bar;
  GtkSearchEntry         *search_entry;
  GtkBox                 *chips_box;
  GtkToggleButton        *match_all_button;
  GtkToggleButton        *match_any_button;
  GtkToggleButton        *untagged_button;
  GtkRevealer            *offline_revealer;
  GtkLabel               *offline_label;
  AdwStatusPage          *offline_page;
  GtkStack               *main_stack;
  GtkScrolledWindow      *gallery_scroller;
  GtkGridView            *grid_view;
  GtkActionBar           *selection_bar;
  GtkLabel               *selection_label;
  GtkButton              *delete_button;
  GtkButton              *restore_button;
  GtkButton              *delete_permanently_button;
  GtkToggleButton        *selection_button;
  GtkToggleButton        *search_button;
  TesseraViewer          *viewer;
};

G_DEFINE_FINAL_TYPE (TesseraWindow, tessera_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_SELECTION_MODE,
  PROP_TRASH_MODE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void update_page        (TesseraWindow *self);
static void update_selection   (TesseraWindow *self);
static void apply_filter       (TesseraWindow *self);
static void watch_image        (TesseraWindow *self,
                                const char    *image_id);

static gboolean
is_cancelled (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
         g_error_matches (error, TESSERA_CLIENT_ERROR, TESSERA_CLIENT_ERROR_CANCELLED);
}

static void
show_error (TesseraWindow *self,
            const GError  *error)
{
  if (is_cancelled (error))
    return;

  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (error->message));
}

static TesseraImageList *
current_list (TesseraWindow *self)
{
  return self->trash_mode ? self->trash_list : self->image_list;
}

TesseraWindow *
tessera_window_new (TesseraApplication *application)
{
  return g_object_new (TESSERA_TYPE_WINDOW,
                       "application", application,
                       NULL);
}

void
tessera_window_add_toast (TesseraWindow *self,
                          AdwToast      *toast)
{
  g_return_if_fail (TESSERA_IS_WINDOW (self));
  g_return_if_fail (ADW_IS_TOAST (toast));

  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

/* Polling ------------------------------------------------------------ */

static gboolean poll_cb (gpointer user_data);

static void
schedule_poll (TesseraWindow *self)
{
  if (self->poll_source != 0 || g_hash_table_size (self->watched) == 0 || self->client == NULL)
    return;

  self->poll_source = g_timeout_add_seconds (self->poll_interval, poll_cb, self);
}

typedef struct
{
  TesseraWindow *self;
  char          *image_id;
} Poll;

static void
poll_free (Poll *poll)
{
  g_object_unref (poll->self);
  g_free (poll->image_id);
  g_free (poll);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Poll, poll_free)

static void
poll_image_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(Poll) poll = user_data;
  TesseraWindow *self = poll->self;
  g_autoptr(TesseraImage) image = NULL;
  g_autoptr(GError) error = NULL;
  const char *status;

  image = tessera_client_get_image_finish (TESSERA_CLIENT (object), result, &error);
  if (image == NULL)
    {
      if (is_cancelled (error))
        return;
      /* Gone (deleted elsewhere): stop asking. Offline: ask again later. */
      if (g_error_matches (error, TESSERA_CLIENT_ERROR, TESSERA_CLIENT_ERROR_NOT_FOUND))
        g_hash_table_remove (self->watched, poll->image_id);
      schedule_poll (self);
      return;
    }

  if (self->image_list != NULL)
    tessera_image_list_upsert (self->image_list, image);

  status = tessera_image_get_status (image);
  if (g_strcmp0 (status, "ready") == 0 || g_strcmp0 (status, "failed") == 0)
    {
      g_hash_table_remove (self->watched, tessera_image_get_id (image));
      /* New tags to complete. */
      if (g_hash_table_size (self->watched) == 0)
        gtk_widget_activate_action (GTK_WIDGET (self), "win.reload-tags", NULL);
    }

  schedule_poll (self);
}

static gboolean
poll_cb (gpointer user_data)
{
  TesseraWindow *self = user_data;
  GHashTableIter iter;
  gpointer key;

  self->poll_source = 0;
  if (self->client == NULL)
    return G_SOURCE_REMOVE;

  g_hash_table_iter_init (&iter, self->watched);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      Poll *poll = g_new0 (Poll, 1);

      poll->self = g_object_ref (self);
      poll->image_id = g_strdup (key);
      tessera_client_get_image_async (self->client, key, self->cancellable,
                                      poll_image_cb, poll);
    }

  /* Back off while the server works; watch_image() resets it. */
  self->poll_interval = MIN (self->poll_interval * 2, POLL_MAX_SECONDS);

  return G_SOURCE_REMOVE;
}

static void
watch_image (TesseraWindow *self,
             const char    *image_id)
{
  if (image_id == NULL || g_hash_table_contains (self->watched, image_id))
    return;

  g_hash_table_add (self->watched, g_strdup (image_id));
  self->poll_interval = POLL_MIN_SECONDS;
  g_clear_handle_id (&self->poll_source, g_source_remove);
  schedule_poll (self);
}

static gboolean
image_is_pending (TesseraImage *image)
{
  const char *status = tessera_image_get_status (image);

  return g_strcmp0 (status, "uploading") == 0 || g_strcmp0 (status, "processing") == 0;
}

/* Uploads ------------------------------------------------------------ */

static void
fetch_uploaded_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(TesseraWindow) self = user_data;
  g_autoptr(TesseraImage) image = NULL;
  g_autoptr(GError) error = NULL;

  image = tessera_client_get_image_finish (TESSERA_CLIENT (object), result, &error);
  if (image == NULL)
    {
      if (!is_cancelled (error))
        g_debug ("Could not fetch an uploaded image: %s", error->message);
      return;
    }

  if (self->image_list == NULL)
    return;

  tessera_image_list_upsert (self->image_list, image);
  if (image_is_pending (image))
    watch_image (self, tessera_image_get_id (image));
  update_page (self);
}

static void
on_upload_item_notify (TesseraWindow     *self,
                       GParamSpec        *pspec,
                       TesseraUploadItem *item)
{
  TesseraUploadState state = tessera_upload_item_get_state (item);
  const char *image_id = tessera_upload_item_get_image_id (item);

  if (image_id == NULL || self->client == NULL)
    return;

  /* Once the bytes are in, show the image at once and follow it. */
  if (state == TESSERA_UPLOAD_STATE_PROCESSING || state == TESSERA_UPLOAD_STATE_DONE)
    {
      if (g_object_get_data (G_OBJECT (item), "tessera-fetched") != NULL)
        return;
      g_object_set_data (G_OBJECT (item), "tessera-fetched", GINT_TO_POINTER (1));
      tessera_client_get_image_async (self->client, image_id, self->cancellable,
                                      fetch_uploaded_cb, g_object_ref (self));
    }
}

static void
update_upload_status (TesseraWindow *self)
{
  GListModel *model;
  guint n, n_finished = 0;
  gboolean busy;

  if (self->upload_queue == NULL)
    {
      gtk_widget_set_visible (GTK_WIDGET (self->uploads_button), FALSE);
      gtk_widget_set_visible (GTK_WIDGET (self->upload_spinner), FALSE);
      adw_window_title_set_subtitle (self->window_title, NULL);
      return;
    }

  model = G_LIST_MODEL (self->upload_queue);
  n = g_list_model_get_n_items (model);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(TesseraUploadItem) item = g_list_model_get_item (model, i);
      if (tessera_upload_state_is_finished (tessera_upload_item_get_state (item)))
        n_finished++;
    }

  busy = tessera_upload_queue_get_busy (self->upload_queue);
  gtk_widget_set_visible (GTK_WIDGET (self->uploads_button), n > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->upload_spinner), busy);
  gtk_spinner_set_spinning (self->upload_spinner, busy);

  if (busy)
    {
      /* TRANSLATORS: overall upload progress in the header bar */
      g_autofree char *subtitle = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                                "Uploading %u of %u image",
                                                                "Uploading %u of %u images",
                                                                n),
                                                   MIN (n_finished + 1, n), n);
      adw_window_title_set_subtitle (self->window_title, subtitle);
    }
  else
    adw_window_title_set_subtitle (self->window_title, NULL);
}

static void
on_upload_items_changed (TesseraWindow *self,
                         guint          position,
                         guint          removed,
                         guint          added,
                         GListModel    *model)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(TesseraUploadItem) item = g_list_model_get_item (model, i);

      g_signal_connect_object (item, "notify::state", G_CALLBACK (on_upload_item_notify),
                               self, G_CONNECT_SWAPPED);
      g_signal_connect_object (item, "notify::image-id", G_CALLBACK (on_upload_item_notify),
                               self, G_CONNECT_SWAPPED);
      g_signal_connect_object (item, "notify::state", G_CALLBACK (update_upload_status),
                               self, G_CONNECT_SWAPPED);
      on_upload_item_notify (self, NULL, item);
    }

  update_upload_status (self);
}

static GtkWidget *
create_upload_row (gpointer item,
                   gpointer user_data)
{
  TesseraWindow *self = user_data;

  return tessera_upload_row_new (self->upload_queue, item);
}

/* Walking dropped folders ------------------------------------------- */

#define WALK_BATCH     64
#define WALK_MAX_DEPTH 32

/* Dropped files and folders, walked with asynchronous enumeration so that
 * a folder of thousands of photos leaves the window responsive: files join
 * the upload queue as each batch is read. */
typedef struct
{
  TesseraWindow   *self;
  GCancellable    *cancellable;  /* the session's: signing out stops it */
  GQueue           pending;      /* of WalkEntry */
  GFileEnumerator *enumerator;
  guint            depth;        /* the enumerated folder's */
  guint            n_added;
  guint            n_roots;
} Walk;

typedef struct
{
  GFile *file;
  guint  depth;
} WalkEntry;

static void walk_next (Walk *walk);

static void
walk_entry_free (WalkEntry *entry)
{
  g_object_unref (entry->file);
  g_free (entry);
}

static void
walk_push (Walk  *walk,
           GFile *file,
           guint  depth)
{
  WalkEntry *entry = g_new0 (WalkEntry, 1);

  entry->file = g_object_ref (file);
  entry->depth = depth;
  g_queue_push_tail (&walk->pending, entry);
}

static void
walk_free (Walk *walk)
{
  g_queue_clear_full (&walk->pending, (GDestroyNotify) walk_entry_free);
  g_clear_object (&walk->enumerator);
  g_clear_object (&walk->cancellable);
  g_clear_object (&walk->self);
  g_free (walk);
}

static void
walk_add (Walk  *walk,
          GFile *file)
{
  tessera_upload_queue_add_file (walk->self->upload_queue, file);
  walk->n_added++;
}

static gboolean
looks_like_image (GFileInfo *info)
{
  g_autofree char *type_guess = g_content_type_guess (g_file_info_get_name (info), NULL, 0, NULL);
  g_autofree char *mime = g_content_type_get_mime_type (type_guess);

  return mime != NULL && g_str_has_prefix (mime, "image/");
}

static void
walk_next_files_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Walk *walk = user_data;
  g_autolist(GFileInfo) infos = NULL;
  g_autoptr(GError) error = NULL;

  infos = g_file_enumerator_next_files_finish (G_FILE_ENUMERATOR (object), result, &error);
  if (g_cancellable_is_cancelled (walk->cancellable))
    {
      walk_free (walk);
      return;
    }
  if (error != NULL)
    g_debug ("Could not read a dropped folder: %s", error->message);

  if (infos == NULL)
    {
      g_clear_object (&walk->enumerator);
      walk_next (walk);
      return;
    }

  for (GList *l = infos; l != NULL; l = l->next)
    {
      GFileInfo *info = l->data;
      g_autoptr(GFile) child = NULL;

      if (g_file_info_get_is_hidden (info))
        continue;
      child = g_file_enumerator_get_child (walk->enumerator, info);
      if (g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY)
        walk_push (walk, child, walk->depth + 1);
      else if (looks_like_image (info))
        walk_add (walk, child);
    }
  update_upload_status (walk->self);

  g_file_enumerator_next_files_async (walk->enumerator, WALK_BATCH, G_PRIORITY_LOW,
                                      walk->cancellable, walk_next_files_cb, walk);
}

static void
walk_enumerate_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Walk *walk = user_data;
  g_autoptr(GError) error = NULL;

  walk->enumerator = g_file_enumerate_children_finish (G_FILE (object), result, &error);
  if (g_cancellable_is_cancelled (walk->cancellable))
    {
      walk_free (walk);
      return;
    }
  if (walk->enumerator == NULL)
    {
      g_debug ("Could not open a dropped folder: %s", error->message);
      walk_next (walk);
      return;
    }

  g_file_enumerator_next_files_async (walk->enumerator, WALK_BATCH, G_PRIORITY_LOW,
                                      walk->cancellable, walk_next_files_cb, walk);
}

static void
walk_enumerate (Walk  *walk,
                GFile *folder,
                guint  depth)
{
  walk->depth = depth;
  g_file_enumerate_children_async (folder,
                                   G_FILE_ATTRIBUTE_STANDARD_NAME ","
                                   G_FILE_ATTRIBUTE_STANDARD_TYPE ","
                                   G_FILE_ATTRIBUTE_STANDARD_IS_HIDDEN,
                                   G_FILE_QUERY_INFO_NONE, G_PRIORITY_LOW,
                                   walk->cancellable, walk_enumerate_cb, walk);
}

typedef struct
{
  Walk  *walk;
  GFile *file;
} WalkRoot;

static void
walk_root_info_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  WalkRoot *root = user_data;
  Walk *walk = root->walk;
  g_autoptr(GFile) file = root->file;
  g_autoptr(GFileInfo) info = NULL;

  g_free (root);
  info = g_file_query_info_finish (G_FILE (object), result, NULL);
  if (g_cancellable_is_cancelled (walk->cancellable))
    {
      walk_free (walk);
      return;
    }

  /* A folder is walked for images; a file dropped on its own is taken
   * whatever it is (the server says what it cannot read). */
  if (info != NULL && g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY)
    {
      walk_enumerate (walk, file, 0);
      return;
    }

  walk_add (walk, file);
  update_upload_status (walk->self);
  walk_next (walk);
}

static void
walk_next (Walk *walk)
{
  WalkEntry *entry = g_queue_pop_head (&walk->pending);

  if (entry == NULL)
    {
      g_debug ("Queued %u files for upload", walk->n_added);
      if (walk->n_added == 0 && walk->n_roots > 0)
        adw_toast_overlay_add_toast (walk->self->toast_overlay,
                                     adw_toast_new (_("No images to upload there")));
      update_upload_status (walk->self);
      walk_free (walk);
      return;
    }

  if (entry->depth == G_MAXUINT)
    {
      WalkRoot *root = g_new0 (WalkRoot, 1);

      root->walk = walk;
      root->file = g_object_ref (entry->file);
      g_file_query_info_async (entry->file, G_FILE_ATTRIBUTE_STANDARD_TYPE,
                               G_FILE_QUERY_INFO_NONE, G_PRIORITY_LOW,
                               walk->cancellable, walk_root_info_cb, root);
    }
  else if (entry->depth <= WALK_MAX_DEPTH)   /* a link loop cannot run forever */
    {
      walk_enumerate (walk, entry->file, entry->depth);
    }
  else
    {
      walk_entry_free (entry);
      walk_next (walk);
      return;
    }

  walk_entry_free (entry);
}

/**
 * tessera_window_upload_files:
 * @files: (array length=n_files): files or folders
 *
 * Queues @files for upload, as a drop or the file chooser does; folders
 * are walked for images in the background, their files joining the queue
 * as they are found.
 */
void
tessera_window_upload_files (TesseraWindow  *self,
                             GFile         **files,
                             int             n_files)
{
  Walk *walk;

  g_return_if_fail (TESSERA_IS_WINDOW (self));
  g_return_if_fail (files != NULL || n_files == 0);

  if (self->upload_queue == NULL)
    {
      adw_toast_overlay_add_toast (self->toast_overlay,
                                   adw_toast_new (_("Sign in to upload images")));
      return;
    }

  walk = g_new0 (Walk, 1);
  walk->self = g_object_ref (self);
  walk->cancellable = g_object_ref (self->cancellable);
  g_queue_init (&walk->pending);
  /* Roots are marked with G_MAXUINT: their type is not known yet. */
  for (int i = 0; i < n_files; i++)
    walk_push (walk, files[i], G_MAXUINT);
  walk->n_roots = n_files;

  walk_next (walk);
}

static gboolean
on_drop (GtkDropTarget *target,
         const GValue  *value,
         double         x,
         double         y,
         TesseraWindow *self)
{
  GdkFileList *file_list;
  g_autoptr(GPtrArray) files = NULL;
  GSList *list;

  g_assert (TESSERA_IS_WINDOW (self));

  gtk_revealer_set_reveal_child (self->drop_revealer, FALSE);

  if (!G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    return FALSE;

  file_list = g_value_get_boxed (value);
  list = gdk_file_list_get_files (file_list);
  files = g_ptr_array_new ();
  for (GSList *l = list; l != NULL; l = l->next)
    g_ptr_array_add (files, l->data);
  g_slist_free (list);

  tessera_window_upload_files (self, (GFile **) files->pdata, files->len);

  return TRUE;
}

static GdkDragAction
on_drop_enter (GtkDropTarget *target,
               double         x,
               double         y,
               TesseraWindow *self)
{
  gtk_revealer_set_reveal_child (self->drop_revealer, TRUE);
  return GDK_ACTION_COPY;
}

static void
on_drop_leave (GtkDropTarget *target,
               TesseraWindow *self)
{
  gtk_revealer_set_reveal_child (self->drop_revealer, FALSE);
}

static void
on_upload_response (GtkNativeDialog *dialog,
                    int              response,
                    TesseraWindow   *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GListModel) files = gtk_file_chooser_get_files (GTK_FILE_CHOOSER (dialog));
      guint n = g_list_model_get_n_items (files);
      g_autoptr(GPtrArray) array = g_ptr_array_new_with_free_func (g_object_unref);

      for (guint i = 0; i < n; i++)
        g_ptr_array_add (array, g_list_model_get_item (files, i));
      tessera_window_upload_files (self, (GFile **) array->pdata, array->len);
    }

  g_object_unref (dialog);
}

static void
upload_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  TesseraWindow *self = TESSERA_WINDOW (widget);
  GtkFileChooserNative *dialog;
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

  dialog = gtk_file_chooser_native_new (_("Upload Images"), GTK_WINDOW (self),
                                        GTK_FILE_CHOOSER_ACTION_OPEN,
                                        _("_Upload"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  gtk_file_chooser_set_select_multiple (GTK_FILE_CHOOSER (dialog), TRUE);
  gtk_file_filter_set_name (filter, _("Images"));
  gtk_file_filter_add_mime_type (filter, "image/*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
  g_signal_connect (dialog, "response", G_CALLBACK (on_upload_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
paste_files_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(TesseraWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  const GValue *value;
  GSList *list;
  g_autoptr(GPtrArray) files = g_ptr_array_new ();

  value = gdk_clipboard_read_value_finish (GDK_CLIPBOARD (object), result, &error);
  if (value == NULL)
    {
      show_error (self, error);
      return;
    }

  list = gdk_file_list_get_files (g_value_get_boxed (value));
  for (GSList *l = list; l != NULL; l = l->next)
    g_ptr_array_add (files, l->data);
  g_slist_free (list);
  tessera_window_upload_files (self, (GFile **) files->pdata, files->len);
}

static void
paste_texture_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(TesseraWindow) self = user_data;
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *dir = NULL;
  g_autofree char *stamp = NULL;
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GFile) file = NULL;

  texture = gdk_clipboard_read_texture_finish (GDK_CLIPBOARD (object), result, &error);
  if (texture == NULL)
    {
      show_error (self, error);
      return;
    }

  /* The queue uploads files, and survives a restart: keep the file. */
  dir = g_build_filename (g_get_user_cache_dir (), "tessera", "pasted", NULL);
  g_mkdir_with_parents (dir, 0700);
  stamp = g_date_time_format (now, "%Y-%m-%d %H-%M-%S");
  /* TRANSLATORS: the file name of a pasted image; %s is the date and time */
  name = g_strdup_printf (_("Pasted image %s.png"), stamp);
  path = g_build_filename (dir, name, NULL);
  if (!gdk_texture_save_to_png (texture, path))
    {
      adw_toast_overlay_add_toast (self->toast_overlay,
                                   adw_toast_new (_("The pasted image could not be saved")));
      return;
    }

  file = g_file_new_for_path (path);
  tessera_window_upload_files (self, &file, 1);
}

static void
paste_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *param)
{
  TesseraWindow *self = TESSERA_WINDOW (widget);
  GdkClipboard *clipboard = gtk_widget_get_clipboard (widget);
  GdkContentFormats *formats = gdk_clipboard_get_formats (clipboard);

  if (gdk_content_formats_contain_gtype (formats, GDK_TYPE_FILE_LIST))
    gdk_clipboard_read_value_async (clipboard, GDK_TYPE_FILE_LIST, G_PRIORITY_DEFAULT,
                                    self->cancellable, paste_files_cb, g_object_ref (self));
  else if (gdk_content_formats_contain_gtype (formats, GDK_TYPE_TEXTURE))
    gdk_clipboard_read_texture_async (clipboard, self->cancellable,
                                      paste_texture_cb, g_object_ref (self));
  else
    adw_toast_overlay_add_toast (self->toast_overlay,
                                 adw_toast_new (_("There is no image to paste")));
}

static void
clear_uploads_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *param)
{
  TesseraWindow *self = TESSERA_WINDOW (widget);

  if (self->upload_queue != NULL)
    tessera_upload_queue_clear_finished (self->upload_queue);
  update_upload_status (self);
}

/* The gallery -------------------------------------------------------- */

static gboolean
is_offline (const GError *error)
{
  return error == NULL || g_error_matches (error, TESSERA_CLIENT_ERROR, TESSERA_CLIENT_ERROR_OFFLINE);
}

/* Offline, or the server answered with an error: each says so, in the
 * banner over a gallery and on the page without one. */
static void
describe_error (TesseraWindow *self,
                const GError  *error)
{
  g_autofree char *banner = NULL;

  if (is_offline (error))
    {
      adw_status_page_set_icon_name (self->offline_page, "network-offline-symbolic");
      adw_status_page_set_title (self->offline_page, _("Cannot Reach the Server"));
      adw_status_page_set_description (self->offline_page, _("Check your connection; Tessera keeps trying"));
      gtk_label_set_label (self->offline_label, _("Offline: showing the images saved on this computer"));
      return;
    }

  adw_status_page_set_icon_name (self->offline_page, "dialog-warning-symbolic");
  adw_status_page_set_title (self->offline_page, _("Could Not Load Your Images"));
  adw_status_page_set_description (self->offline_page, error->message);
  /* Translators: %s is why, as the server said it */
  banner = g_strdup_printf (_("Could not refresh the gallery: %s"), error->message);
  gtk_label_set_label (self->offline_label, banner);
}

static void
update_page (TesseraWindow *self)
{
  TesseraImageList *list = current_list (self);
  const char *page;
  const char *error = NULL;
  guint n_items;

  if (list == NULL)
    {
      gtk_stack_set_visible_child_name (self->main_stack, "loading");
      gtk_revealer_set_reveal_child (self->offline_revealer, FALSE);
      return;
    }

  n_items = g_list_model_get_n_items (G_LIST_MODEL (list));
  error = tessera_image_list_get_error_message (list);

  if (n_items > 0)
    page = "gallery";
  else if (error != NULL)
    page = "offline";
  else if (tessera_image_list_get_loading (list))
    page = "loading";
  else if (self->trash_mode)
    page = "trash-empty";
  else if (self->filter_tags->len > 0 || tessera_image_list_get_untagged (list))
    page = "no-match";
  else
    page = "empty";

  /* Keep the grid while a refresh of a non-empty list is under way. */
  if (g_strcmp0 (page, "loading") == 0 &&
      g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "gallery") == 0)
    page = "gallery";

  gtk_stack_set_visible_child_name (self->main_stack, page);
  gtk_revealer_set_reveal_child (self->offline_revealer, error != NULL && n_items > 0);
  if (error != NULL)
    describe_error (self, tessera_image_list_get_error (list));
}

static gboolean
offline_retry_cb (gpointer user_data)
{
  TesseraWindow *self = user_data;

  self->offline_source = 0;
  if (current_list (self) != NULL &&
      tessera_image_list_get_error_message (current_list (self)) != NULL)
    tessera_image_list_refresh (current_list (self));

  return G_SOURCE_REMOVE;
}

static void
on_list_error_changed (TesseraWindow    *self,
                       GParamSpec       *pspec,
                       TesseraImageList *list)
{
  const GError *error = tessera_image_list_get_error (list);

  update_page (self);

  /* Offline, or a server that failed or asked us to wait: keep the cached
   * gallery and try again on our own. A request it refused stays refused
   * until the person changes it (or presses Retry). */
  if (error != NULL && self->offline_source == 0 &&
      (is_offline (error) ||
       g_error_matches (error, TESSERA_CLIENT_ERROR, TESSERA_CLIENT_ERROR_SERVER) ||
       g_error_matches (error, TESSERA_CLIENT_ERROR, TESSERA_CLIENT_ERROR_RATE_LIMITED)))
    {
      guint delay = MAX (OFFLINE_RETRY_SECONDS, tessera_client_error_get_retry_after (error));

      self->offline_source = g_timeout_add_seconds (delay, offline_retry_cb, self);
    }
}

static void
on_tile_setup (GtkSignalListItemFactory *factory,
               GtkListItem              *list_item,
               TesseraWindow            *self)
{
  GtkWidget *tile = tessera_image_tile_new (self->loader);

  tessera_image_tile_set_size (TESSERA_IMAGE_TILE (tile),
                               g_settings_get_uint (self->settings, "thumbnail-size"));
  g_object_bind_property (self, "selection-mode", tile, "selection-mode", G_BINDING_SYNC_CREATE);
  g_object_bind_property (list_item, "selected", tile, "selected", G_BINDING_SYNC_CREATE);
  gtk_list_item_set_child (list_item, tile);
}

static void
on_tile_bind (GtkSignalListItemFactory *factory,
              GtkListItem              *list_item,
              TesseraWindow            *self)
{
  TesseraImage *image = gtk_list_item_get_item (list_item);
  TesseraImageList *list = current_list (self);
  guint position = gtk_list_item_get_position (list_item);

  tessera_image_tile_set_image (TESSERA_IMAGE_TILE (gtk_list_item_get_child (list_item)), image);

  if (image_is_pending (image) && !self->trash_mode)
    watch_image (self, tessera_image_get_id (image));

  /* Within a page of the end of what is loaded: fetch the next page, so
   * that it has arrived before the view gets there. */
  if (list != NULL &&
      position + MAX (LOAD_AHEAD, tessera_image_list_get_page_size (list)) >= g_list_model_get_n_items (G_LIST_MODEL (list)) &&
      tessera_image_list_get_has_more (list) && !tessera_image_list_get_loading (list))
    tessera_image_list_load_more (list);
}

static void
on_tile_unbind (GtkSignalListItemFactory *factory,
                GtkListItem              *list_item,
                TesseraWindow            *self)
{
  tessera_image_tile_set_image (TESSERA_IMAGE_TILE (gtk_list_item_get_child (list_item)), NULL);
}

static void
on_edge_reached (TesseraWindow     *self,
                 GtkPositionType    position,
                 GtkScrolledWindow *scroller)
{
  TesseraImageList *list = current_list (self);

  if (position == GTK_POS_BOTTOM && list != NULL && tessera_image_list_get_has_more (list))
    tessera_image_list_load_more (list);
}

static void
set_model (TesseraWindow *self)
{
  TesseraImageList *list = current_list (self);
  g_autoptr(GtkListItemFactory) factory = NULL;

  if (self->selection != NULL)
    g_signal_handlers_disconnect_by_data (self->selection, self);
  g_clear_object (&self->selection);

  if (list != NULL)
    {
      self->selection = gtk_multi_selection_new (G_LIST_MODEL (g_object_ref (list)));
      g_signal_connect_swapped (self->selection, "selection-changed",
                                G_CALLBACK (update_selection), self);
      g_signal_connect_swapped (self->selection, "items-changed",
                                G_CALLBACK (update_selection), self);
      factory = gtk_signal_list_item_factory_new ();
      g_signal_connect (factory, "setup", G_CALLBACK (on_tile_setup), self);
      g_signal_connect (factory, "bind", G_CALLBACK (on_tile_bind), self);
      g_signal_connect (factory, "unbind", G_CALLBACK (on_tile_unbind), self);
    }

  gtk_grid_view_set_factory (self->grid_view, factory);
  gtk_grid_view_set_model (self->grid_view, GTK_SELECTION_MODEL (self->selection));
  update_selection (self);
  update_page (self);
}

static GPtrArray *
dup_selected_images (TesseraWindow *self)
{
  GPtrArray *images = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GtkBitset) selected = NULL;
  GtkBitsetIter iter;
  guint position;

  if (self->selection == NULL)
    return images;

  selected = gtk_selection_model_get_selection (GTK_SELECTION_MODEL (self->selection));
  for (gboolean ok = gtk_bitset_iter_init_first (&iter, selected, &position);
       ok;
       ok = gtk_bitset_iter_next (&iter, &position))
    g_ptr_array_add (images, g_list_model_get_item (G_LIST_MODEL (self->selection), position));

  return images;
}

static void
update_selection (TesseraWindow *self)
{
  g_autoptr(GPtrArray) images = dup_selected_images (self);
  g_autofree char *label = NULL;
  gboolean have = images->len > 0;

  if (have)
    label = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u selected", "%u selected", images->len),
                             images->len);
  gtk_label_set_label (self->selection_label, label ? label : "");

  gtk_action_bar_set_revealed (self->selection_bar, self->selection_mode || self->trash_mode || images->len > 1);
  gtk_widget_set_visible (GTK_WIDGET (self->delete_button), !self->trash_mode);
  gtk_widget_set_visible (GTK_WIDGET (self->restore_button), self->trash_mode);
  gtk_widget_set_visible (GTK_WIDGET (self->delete_permanently_button), self->trash_mode);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.delete-selected", have && !self->trash_mode);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.restore-selected", have && self->trash_mode);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.delete-permanently", have && self->trash_mode);
}

static void
select_all_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *param)
{
  TesseraWindow *self = TESSERA_WINDOW (widget);

  if (self->selection != NULL)
    gtk_selection_model_select_all (GTK_SELECTION_MODEL (self->selection));
}

static void
reload_tags_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(TesseraWindow) self = user_data;
  g_autoptr(GPtrArray) tags = NULL;
  g_autoptr(GError) error = NULL;

  tags = tessera_client_list_tags_finish (TESSERA_CLIENT (object), result, &error);
  if (tags == NULL)
    {
      if (!is_cancelled (error))
        g_debug ("Could not list tags: %s", error->message);
      return;
    }

  g_clear_pointer (&self->tag_counts, g_ptr_array_unref);
  self->tag_counts = g_steal_pointer (&tags);
}

static void
reload_tags_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *param)
{
  TesseraWindow *self = TESSERA_WINDOW (widget);

  if (self->client != NULL)
    tessera_client_list_tags_async (self->client, self->cancellable,
                                    reload_tags_cb, g_object_ref (self));
}

static void
reload_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  TesseraWindow *self = TESSERA_WINDOW (widget);

  if (current_list (self) != NULL)
    tessera_image_list_refresh (current_list (self));
  reload_tags_action (widget, NULL, NULL);
}

/* Delete, undo, trash ------------------------------------------------ */

static void
delete_batch_clear (DeleteBatch *batch)
{
  g_clear_object (&batch->self);
  g_clear_pointer (&batch->images, g_ptr_array_unref);
}

static void
delete_batch_unref (DeleteBatch *batch)
{
  g_rc_box_release_full (batch, (GDestroyNotify) delete_batch_clear);
}

static void
restore_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(TesseraWindow) self = user_data;
  g_autoptr(TesseraImage) image = NULL;
  g_autoptr(GError) error = NULL;

  image = tessera_client_restore_image_finish (TESSERA_CLIENT (object), result, &error);
  if (image == NULL)
    {
      show_error (self, error);
      return;
    }

  if (self->trash_list != NULL)
    tessera_image_list_remove (self->trash_list, tessera_image_get_id (image));
  if (self->image_list != NULL)
    tessera_image_list_upsert (self->image_list, image);
  update_page (self);
}

static void
restore_images (TesseraWindow *self,
                GPtrArray     *images)
{
  for (guint i = 0; i < images->len; i++)
    {
      TesseraImage *image = g_ptr_array_index (images, i);

      /* Back in place at once; the server's answer refreshes it. */
      if (self->image_list != NULL && !self->trash_mode)
        tessera_image_list_upsert (self->image_list, image);
      tessera_client_restore_image_async (self->client, tessera_image_get_id (image),
                                          self->cancellable, restore_cb, g_object_ref (self));
    }
  update_page (self);
}

static void
delete_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  DeleteBatch *batch = user_data;
  g_autoptr(GError) error = NULL;

  if (!tessera_client_delete_image_finish (TESSERA_CLIENT (object), result, &error))
    show_error (batch->self, error);

  if (--batch->n_pending > 0)
    return;

  /* Undo pressed before the server had them all: restore now. */
  if (batch->undo && batch->self->client != NULL)
    restore_images (batch->self, batch->images);
  else if (batch->self->trash_list != NULL)
    tessera_image_list_refresh (batch->self->trash_list);
  batch->undo = FALSE;

  /* The reference the deletes held. */
  delete_batch_unref (batch);
}

static void
undo_delete_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *param)
{
  TesseraWindow *self = TESSERA_WINDOW (widget);
  DeleteBatch *batch = g_steal_pointer (&self->undo_batch);

  if (batch == NULL)
    return;

  if (self->undo_toast != NULL)
    adw_toast_dismiss (self->undo_toast);

  if (batch->n_pending > 0)
    batch->undo = TRUE;
  else
    restore_images (batch->self, batch->images);
  delete_batch_unref (batch);
}

static void
on_undo_toast_dismissed (TesseraWindow *self,
                         AdwToast      *toast)
{
  if (self->undo_toast != toast)
    return;

  self->undo_toast = NULL;
  g_clear_pointer (&self->undo_batch, delete_batch_unref);
}

static void
delete_images (TesseraWindow *self,
               GPtrArray     *images)
{
  DeleteBatch *batch;
  AdwToast *toast;
  g_autofree char *title = NULL;

  if (images->len == 0 || self->client == NULL)
    return;

  /* One reference for the deletes, one for the toast's Undo. */
  batch = g_rc_box_new0 (DeleteBatch);
  batch->self = g_object_ref (self);
  batch->images = g_ptr_array_ref (images);
  batch->n_pending = images->len;

  for (guint i = 0; i < images->len; i++)
    {
      TesseraImage *image = g_ptr_array_index (images, i);

      tessera_image_list_remove (self->image_list, tessera_image_get_id (image));
      g_hash_table_remove (self->watched, tessera_image_get_id (image));
      tessera_client_delete_image_async (self->client, tessera_image_get_id (image), FALSE,
                                         self->cancellable, delete_cb, batch);
    }

  if (images->len == 1)
    title = g_strdup_printf (_("“%s” moved to the trash"),
                             tessera_image_get_filename (g_ptr_array_index (images, 0))
                               ? tessera_image_get_filename (g_ptr_array_index (images, 0))
                               : _("Image"));
  else
    title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                          "%u image moved to the trash",
                                          "%u images moved to the trash",
                                          images->len),
                             images->len);

  /* One undo at a time, as in Files: a new delete replaces the offer. */
  if (self->undo_toast != NULL)
    adw_toast_dismiss (self->undo_toast);
  g_clear_pointer (&self->undo_batch, delete_batch_unref);

  toast = adw_toast_new (title);
  adw_toast_set_button_label (toast, _("_Undo"));
  adw_toast_set_action_name (toast, "win.undo-delete");
  adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
  g_signal_connect_object (toast, "dismissed", G_CALLBACK (on_undo_toast_dismissed),
                           self, G_CONNECT_SWAPPED);
  self->undo_batch = g_rc_box_acquire (batch);
  self->undo_toast = toast;
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
  update_page (self);
}

static void
delete_selected_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *param)
{
  TesseraWindow *self = TESSERA_WINDOW (widget);
  g_autoptr(GPtrArray) images = NULL;

  if (self->trash_mode)
    {
      gtk_widget_activate_action (widget, "win.delete-permanently", NULL);
      return;
    }

  images = dup_selected_images (self);
  delete_images (self, images);
}

static void
restore_selected_action (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *param)
{
  TesseraWindow *self = TESSERA_WINDOW (widget);
  g_autoptr(GPtrArray) images = dup_selected_images (self);

  for (guint i = 0; i < images->len; i++)
    tessera_image_list_remove (self->trash_list,
                               tessera_image_get_id (g_ptr_array_index (images, i)));
  restore_images (self, images);
}

static void
delete_permanently_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(TesseraWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!tessera_client_delete_image_finish (TESSERA_CLIENT (object), result, &error))
    {
      show_error (self, error);
      if (self->trash_list != NULL)
        tessera_image_list_refresh (self->trash_list);
    }
}

static void
on_delete_permanently_response (AdwMessageDialog *dialog,
                                const char       *response,
                                TesseraWindow    *self)
{
  GPtrArray *images = g_object_get_data (G_OBJECT (dialog), "images");

  if (g_strcmp0 (response, "delete") != 0 || self->client == NULL)
    return;

  for (guint i = 0; i < images->len; i++)
    {
      TesseraImage *image = g_ptr_array_index (images, i);

      tessera_image_list_remove (self->trash_list, tessera_image_get_id (image));
      tessera_client_delete_image_async (self->client, tessera_image_get_id (image), TRUE,
                                         self->cancellable, delete_permanently_cb,
                                         g_object_ref (self));
    }
  update_page (self);
}

static void
delete_permanently_action (GtkWidget  *widget,
                           const char *action_name,
                           GVariant   *param)
{
  TesseraWindow *self = TESSERA_WINDOW (widget);
  g_autoptr(GPtrArray) images = dup_selected_images (self);
  GtkWidget *dialog;
  g_autofree char *heading = NULL;

  if (images->len == 0)
    return;

  heading = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                          "Delete %u Image Permanently?",
                                          "Delete %u Images Permanently?",
                                          images->len),
                             images->len);
  dialog = adw_message_dialog_new (GTK_WINDOW (self), heading,
                                   _("Permanently deleted images cannot be restored."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "delete", _("_Delete"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "delete",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "images", g_steal_pointer (&images),
                          (GDestroyNotify) g_ptr_array_unref);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_delete_permanently_response),
                           self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* The window's own title follows what it shows, so window lists, the
 * Shell and screen readers name the image being viewed. */
static void
update_window_title (TesseraWindow *self)
{
  TesseraImage *image = tessera_viewer_get_image (self->viewer);

  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->view_stack), "viewer") == 0 &&
      image != NULL && tessera_image_get_filename (image) != NULL)
    gtk_window_set_title (GTK_WINDOW (self), tessera_image_get_filename (image));
  else
    gtk_window_set_title (GTK_WINDOW (self), self->trash_mode ? _("Trash") : _("Tessera"));
}

static void
set_trash_mode (TesseraWindow *self,
                gboolean       trash_mode)
{
  if (self->trash_mode == trash_mode)
    return;

  self->trash_mode = trash_mode;
  gtk_widget_set_visible (GTK_WIDGET (self->trash_back_button), trash_mode);
  gtk_widget_set_visible (GTK_WIDGET (self->upload_button), !trash_mode);
  gtk_widget_set_visible (GTK_WIDGET (self->search_button), !trash_mode);
  gtk_search_bar_set_search_mode (self->search_bar, FALSE);
  adw_window_title_set_title (self->window_title, trash_mode ? _("Trash") : _("Tessera"));
  update_window_title (self);

  if (trash_mode && self->trash_list != NULL)
    tessera_image_list_refresh (self->trash_list);

  set_model (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TRASH_MODE]);
}

/* The tag filter ----------------------------------------------------- */

static void
on_chip_remove_clicked (GtkButton     *button,
                        TesseraWindow *self)
{
  tessera_window_remove_filter_tag (self, g_object_get_data (G_OBJECT (button), "tag"));
}

static void
rebuild_chips (TesseraWindow *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->chips_box))) != NULL)
    gtk_box_remove (self->chips_box, child);

  for (guint i = 0; i < self->filter_tags->len; i++)
    {
      const char *tag = g_ptr_array_index (self->filter_tags, i);
      GtkWidget *chip = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 2);
      GtkWidget *button = gtk_button_new_from_icon_name ("window-close-symbolic");
      g_autofree char *accessible = g_strdup_printf (_("Remove filter %s"), tag);

      gtk_widget_add_css_class (chip, "tag-chip");
      gtk_widget_set_valign (chip, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (button, "flat");
      gtk_widget_add_css_class (button, "circular");
      gtk_widget_set_tooltip_text (button, accessible);
      gtk_accessible_update_property (GTK_ACCESSIBLE (button),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, accessible, -1);
      g_object_set_data_full (G_OBJECT (button), "tag", g_strdup (tag), g_free);
      g_signal_connect (button, "clicked", G_CALLBACK (on_chip_remove_clicked), self);
      gtk_box_append (GTK_BOX (chip), gtk_label_new (tag));
      gtk_box_append (GTK_BOX (chip), button);
      gtk_box_append (self->chips_box, chip);
    }
}

static void
apply_filter (TesseraWindow *self)
{
  gboolean untagged = gtk_toggle_button_get_active (self->untagged_button);

  /* "Untagged" and tags exclude each other; the chips wait meanwhile. */
  gtk_widget_set_sensitive (GTK_WIDGET (self->chips_box), !untagged);
  g_ptr_array_add (self->filter_tags, NULL);
  if (self->image_list != NULL)
    tessera_image_list_set_filter (self->image_list,
                                   untagged ? NULL : (const char * const *) self->filter_tags->pdata,
                                   gtk_toggle_button_get_active (self->match_any_button),
                                   untagged);
  g_ptr_array_remove_index (self->filter_tags, self->filter_tags->len - 1);
  update_page (self);
}

static void
on_filter_changed (TesseraWindow *self)
{
  apply_filter (self);
}

static gboolean
has_filter_tag (TesseraWindow *self,
                const char    *tag)
{
  for (guint i = 0; i < self->filter_tags->len; i++)
    if (g_strcmp0 (g_ptr_array_index (self->filter_tags, i), tag) == 0)
      return TRUE;
  return FALSE;
}

void
tessera_window_add_filter_tag (TesseraWindow *self,
                               const char    *tag)
{
  g_autofree char *normalized = NULL;

  g_return_if_fail (TESSERA_IS_WINDOW (self));
  g_return_if_fail (tag != NULL);

  normalized = g_utf8_strdown (tag, -1);
  g_strstrip (normalized);
  if (*normalized == '\0' || has_filter_tag (self, normalized))
    return;

  g_ptr_array_add (self->filter_tags, g_steal_pointer (&normalized));
  rebuild_chips (self);
  apply_filter (self);
}

void
tessera_window_remove_filter_tag (TesseraWindow *self,
                                  const char    *tag)
{
  g_return_if_fail (TESSERA_IS_WINDOW (self));
  g_return_if_fail (tag != NULL);

  for (guint i = 0; i < self->filter_tags->len; i++)
    if (g_strcmp0 (g_ptr_array_index (self->filter_tags, i), tag) == 0)
      {
        g_ptr_array_remove_index (self->filter_tags, i);
        rebuild_chips (self);
        apply_filter (self);
        return;
      }
}

void
tessera_window_set_match_any (TesseraWindow *self,
                              gboolean       match_any)
{
  g_return_if_fail (TESSERA_IS_WINDOW (self));

  gtk_toggle_button_set_active (match_any ? self->match_any_button : self->match_all_button, TRUE);
}

void
tessera_window_set_untagged (TesseraWindow *self,
                             gboolean       untagged)
{
  g_return_if_fail (TESSERA_IS_WINDOW (self));

  gtk_toggle_button_set_active (self->untagged_button, untagged);
}

static void
on_completion_activated (TesseraWindow *self,
                         GtkListBoxRow *row)
{
  tessera_window_add_filter_tag (self, g_object_get_data (G_OBJECT (row), "tag"));
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
  gtk_popover_popdown (self->completion_popover);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

static void
on_search_changed (TesseraWindow *self)
{
  g_autofree char *prefix = NULL;
  GtkWidget *child;
  guint n = 0;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->completion_list))) != NULL)
    gtk_list_box_remove (self->completion_list, child);

  prefix = g_utf8_strdown (gtk_editable_get_text (GTK_EDITABLE (self->search_entry)), -1);
  g_strstrip (prefix);

  for (guint i = 0; *prefix != '\0' && self->tag_counts != NULL && i < self->tag_counts->len && n < MAX_COMPLETIONS; i++)
    {
      TesseraTagCount *count = g_ptr_array_index (self->tag_counts, i);
      GtkWidget *row, *box, *name, *number;
      g_autofree char *count_text = NULL;

      if (!g_str_has_prefix (count->name, prefix) || has_filter_tag (self, count->name))
        continue;

      row = gtk_list_box_row_new ();
      box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
      name = gtk_label_new (count->name);
      gtk_widget_set_hexpand (name, TRUE);
      gtk_label_set_xalign (GTK_LABEL (name), 0);
      count_text = g_strdup_printf ("%u", count->count);
      number = gtk_label_new (count_text);
      gtk_widget_add_css_class (number, "dim-label");
      gtk_widget_add_css_class (number, "numeric");
      gtk_box_append (GTK_BOX (box), name);
      gtk_box_append (GTK_BOX (box), number);
      gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
      g_object_set_data_full (G_OBJECT (row), "tag", g_strdup (count->name), g_free);
      g_object_set_data_full (G_OBJECT (row), "completion",
                              g_strdup_printf ("%s (%u)", count->name, count->count), g_free);
      gtk_list_box_append (self->completion_list, row);
      n++;
    }

  if (n > 0)
    gtk_popover_popup (self->completion_popover);
  else
    gtk_popover_popdown (self->completion_popover);
}

static void
on_search_activate (TesseraWindow *self)
{
  GtkListBoxRow *first = gtk_list_box_get_row_at_index (self->completion_list, 0);
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));

  if (first != NULL && gtk_widget_get_visible (GTK_WIDGET (self->completion_popover)))
    {
      on_completion_activated (self, first);
      return;
    }

  if (*text != '\0')
    {
      tessera_window_add_filter_tag (self, text);
      gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
    }
}

static void
on_search_stop (TesseraWindow *self)
{
  gtk_popover_popdown (self->completion_popover);
}

/**
 * tessera_window_dup_completions:
 *
 * Returns: (transfer full): the completions offered for the search text,
 *   as "tag (count)"
 */
char **
tessera_window_dup_completions (TesseraWindow *self)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  g_return_val_if_fail (TESSERA_IS_WINDOW (self), NULL);

  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (self->completion_list));
       row != NULL;
       row = gtk_widget_get_next_sibling (row))
    g_strv_builder_add (builder, g_object_get_data (G_OBJECT (row), "completion"));

  return g_strv_builder_end (builder);
}

static void
on_search_mode_changed (TesseraWindow *self)
{
  if (gtk_search_bar_get_search_mode (self->search_bar))
    reload_tags_action (GTK_WIDGET (self), NULL, NULL);
  else
    gtk_popover_popdown (self->completion_popover);
}

static void
search_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  TesseraWindow *self = TESSERA_WINDOW (widget);

  if (self->trash_mode)
    return;
  gtk_search_bar_set_search_mode (self->search_bar, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

/* The viewer --------------------------------------------------------- */

void
tessera_window_open_image (TesseraWindow *self,
                           guint          position)
{
  g_autoptr(TesseraImage) image = NULL;

  g_return_if_fail (TESSERA_IS_WINDOW (self));

  if (self->selection == NULL ||
      (image = g_list_model_get_item (G_LIST_MODEL (self->selection), position)) == NULL)
    return;

  gtk_selection_model_select_item (GTK_SELECTION_MODEL (self->selection), position, TRUE);
  tessera_viewer_set_image (self->viewer, image);
  gtk_stack_set_visible_child_name (self->view_stack, "viewer");
}

/**
 * tessera_window_show_image:
 * @image: an image, in the gallery or not (a search result, a link)
 *
 * Opens @image in the viewer; previous and next follow the gallery when
 * @image is in it.
 */
void
tessera_window_show_image (TesseraWindow *self,
                           TesseraImage  *image)
{
  TesseraImage *shown = image;

  g_return_if_fail (TESSERA_IS_WINDOW (self));
  g_return_if_fail (TESSERA_IS_IMAGE (image));

  /* The gallery's own object, so edits show in the grid too. */
  if (self->image_list != NULL)
    {
      TesseraImage *known = tessera_image_list_lookup (self->image_list, tessera_image_get_id (image));
      if (known != NULL)
        shown = known;
    }

  if (self->trash_mode)
    set_trash_mode (self, FALSE);
  tessera_viewer_set_image (self->viewer, shown);
  gtk_stack_set_visible_child_name (self->view_stack, "viewer");
}

/**
 * tessera_window_search:
 * @terms: what was typed elsewhere (the Shell): tags or tag prefixes
 *
 * Shows the gallery filtered by @terms: each that names a known tag
 * becomes a chip; the rest stay in the search entry to complete.
 */
void
tessera_window_search (TesseraWindow      *self,
                       const char * const *terms)
{
  g_autoptr(GString) rest = g_string_new (NULL);

  g_return_if_fail (TESSERA_IS_WINDOW (self));

  if (self->trash_mode)
    set_trash_mode (self, FALSE);
  gtk_stack_set_visible_child_name (self->view_stack, "browse");
  gtk_search_bar_set_search_mode (self->search_bar, TRUE);

  for (guint i = 0; terms != NULL && terms[i] != NULL; i++)
    {
      g_autofree char *term = g_utf8_strdown (terms[i], -1);
      gboolean known = FALSE;

      for (guint j = 0; self->tag_counts != NULL && j < self->tag_counts->len && !known; j++)
        known = g_strcmp0 (((TesseraTagCount *) g_ptr_array_index (self->tag_counts, j))->name, term) == 0;

      if (known)
        tessera_window_add_filter_tag (self, term);
      else
        g_string_append_printf (rest, "%s%s", rest->len > 0 ? " " : "", term);
    }

  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), rest->str);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

static void
on_grid_activate (TesseraWindow *self,
                  guint          position)
{
  if (self->trash_mode)
    return;

  /* In selection mode, activating picks instead of opening. */
  if (self->selection_mode && self->selection != NULL)
    {
      GtkSelectionModel *model = GTK_SELECTION_MODEL (self->selection);

      if (gtk_selection_model_is_selected (model, position))
        gtk_selection_model_unselect_item (model, position);
      else
        gtk_selection_model_select_item (model, position, FALSE);
      return;
    }

  tessera_window_open_image (self, position);
}

static void
close_viewer_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *param)
{
  TesseraWindow *self = TESSERA_WINDOW (widget);

  gtk_stack_set_visible_child_name (self->view_stack, "browse");
  tessera_viewer_set_image (self->viewer, NULL);
  gtk_widget_grab_focus (GTK_WIDGET (self->grid_view));
}

static gboolean
viewer_position (TesseraWindow *self,
                 guint         *position)
{
  TesseraImage *image = tessera_viewer_get_image (self->viewer);
  GListModel *model = G_LIST_MODEL (self->image_list);
  guint n;

  if (image == NULL || model == NULL)
    return FALSE;

  n = g_list_model_get_n_items (model);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(TesseraImage) item = g_list_model_get_item (model, i);

      if (item == image)
        {
          *position = i;
          return TRUE;
        }
    }

  return FALSE;
}

static void
view_step (TesseraWindow *self,
           int            step)
{
  guint position;
  guint n;

  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->view_stack), "viewer") != 0 ||
      !viewer_position (self, &position))
    return;

  n = g_list_model_get_n_items (G_LIST_MODEL (self->image_list));
  if ((step < 0 && position == 0) || (step > 0 && position + 1 >= n))
    return;

  tessera_window_open_image (self, position + step);
  if (step > 0 && position + 1 + LOAD_AHEAD >= n && tessera_image_list_get_has_more (self->image_list))
    tessera_image_list_load_more (self->image_list);
}

static void
view_previous_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *param)
{
  view_step (TESSERA_WINDOW (widget), -1);
}

static void
view_next_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  view_step (TESSERA_WINDOW (widget), +1);
}

static void
delete_current_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *param)
{
  TesseraWindow *self = TESSERA_WINDOW (widget);
  g_autoptr(GPtrArray) images = g_ptr_array_new_with_free_func (g_object_unref);
  TesseraImage *image = tessera_viewer_get_image (self->viewer);
  guint position = 0;
  gboolean found;

  if (image == NULL)
    return;

  found = viewer_position (self, &position);
  g_ptr_array_add (images, g_object_ref (image));
  delete_images (self, images);

  /* Show the image that took its place, or go back when none did. */
  if (found && position < g_list_model_get_n_items (G_LIST_MODEL (self->image_list)))
    tessera_window_open_image (self, position);
  else if (found && position > 0)
    tessera_window_open_image (self, position - 1);
  else
    close_viewer_action (widget, NULL, NULL);
}

static void
escape_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  TesseraWindow *self = TESSERA_WINDOW (widget);

  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->view_stack), "viewer") == 0)
    close_viewer_action (widget, NULL, NULL);
  else if (self->selection_mode)
    gtk_widget_activate_action (widget, "win.selection-mode", NULL);
  else if (self->selection != NULL)
    gtk_selection_model_unselect_all (GTK_SELECTION_MODEL (self->selection));
}

/* The rest ----------------------------------------------------------- */

static void
preferences_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *param)
{
  TesseraWindow *self = TESSERA_WINDOW (widget);
  GtkWidget *preferences;
  g_autofree char *description = NULL;

  if (self->client != NULL)
    description = g_strdup_printf (_("Signed in as %s at %s"),
                                   tessera_client_get_username (self->client),
                                   tessera_client_get_server_url (self->client));

  preferences = tessera_preferences_window_new (GTK_WINDOW (self), description);
  gtk_window_present (GTK_WINDOW (preferences));
}

static void
sign_out_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *param)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (widget));

  if (TESSERA_IS_APPLICATION (app))
    tessera_application_sign_out (TESSERA_APPLICATION (app));
}

static void
on_thumbnail_size_changed (TesseraWindow *self)
{
  /* New tiles are made at the new size. */
  set_model (self);
}

/* The listing cache -------------------------------------------------- */

static gboolean
is_unfiltered (TesseraImageList *list)
{
  const char * const *tags = tessera_image_list_get_tags (list);

  return (tags == NULL || tags[0] == NULL) &&
         !tessera_image_list_get_untagged (list) &&
         !tessera_image_list_get_trashed (list);
}

/* What to save now, if anything: the first @n images of the list, and
 * whether they are all of it. */
static gboolean
listing_save_range (TesseraWindow *self,
                    guint         *n_out,
                    gboolean      *complete_out)
{
  TesseraImageList *list = self->image_list;
  gboolean complete;
  guint n;

  if (list == NULL || self->listing_cache == NULL ||
      !is_unfiltered (list) || tessera_image_list_get_showing_cached (list) ||
      tessera_image_list_get_error_message (list) != NULL)
    return FALSE;

  /* Asking the model for its last page of rows fetches the next page:
   * with more to come, save all but those (a partial merge keeps the older
   * ones). And only the newest LISTING_SAVE_HEAD of them, at most every
   * LISTING_HEAD_SECONDS once there are that many: a scroll through a long
   * list need not snapshot all of it every few seconds. The whole listing
   * is saved once it is complete. */
  n = g_list_model_get_n_items (G_LIST_MODEL (list));
  complete = !tessera_image_list_get_has_more (list);
  if (!complete)
    {
      guint tail = MAX (tessera_image_list_get_page_size (list), 1) + 1;
      gint64 now = g_get_monotonic_time ();

      n = n > tail ? n - tail : 0;
      if (n >= LISTING_SAVE_HEAD)
        {
          n = LISTING_SAVE_HEAD;
          if (self->listing_head_saved_at != 0 &&
              now - self->listing_head_saved_at < LISTING_HEAD_SECONDS * G_USEC_PER_SEC)
            return FALSE;
          self->listing_head_saved_at = now;
        }
    }

  *n_out = n;
  *complete_out = complete;
  return TRUE;
}

/* The first @n images of the gallery's list, referenced. */
static GPtrArray *
dup_listed_images (TesseraWindow *self,
                   guint          n)
{
  GPtrArray *images = g_ptr_array_new_full (n, g_object_unref);

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (images, g_list_model_get_item (G_LIST_MODEL (self->image_list), i));

  return images;
}

static void
cancel_listing_snapshot (TesseraWindow *self)
{
  g_clear_handle_id (&self->listing_chunk_source, g_source_remove);
  g_clear_pointer (&self->listing_pending, g_ptr_array_unref);
  g_clear_pointer (&self->listing_snapshot, tessera_listing_snapshot_free);
}

static void
listing_saved_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(TesseraWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  self->listing_saving = FALSE;
  if (!tessera_listing_cache_merge_save_finish (TESSERA_LISTING_CACHE (object), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_warning ("Could not save the listing cache: %s", error->message);
}

/* A chunk of the snapshot per idle, between frames; the merge, the
 * serialising and the writing in a thread. At 100 000 images the whole of
 * it on the main thread was a frozen half second. */
static gboolean
listing_chunk_cb (gpointer user_data)
{
  TesseraWindow *self = user_data;
  guint end = MIN (self->listing_next + LISTING_SAVE_CHUNK, self->listing_pending->len);

  for (; self->listing_next < end; self->listing_next++)
    tessera_listing_snapshot_add (self->listing_snapshot,
                                  g_ptr_array_index (self->listing_pending, self->listing_next));

  if (self->listing_next < self->listing_pending->len)
    return G_SOURCE_CONTINUE;

  self->listing_chunk_source = 0;
  g_clear_pointer (&self->listing_pending, g_ptr_array_unref);
  self->listing_saving = TRUE;
  tessera_listing_cache_merge_save_async (self->listing_cache,
                                          g_steal_pointer (&self->listing_snapshot),
                                          self->listing_complete, self->cancellable,
                                          listing_saved_cb, g_object_ref (self));

  return G_SOURCE_REMOVE;
}

static gboolean
save_listing_cb (gpointer user_data)
{
  TesseraWindow *self = user_data;
  gboolean complete;
  guint n;

  self->listing_save_source = 0;

  /* One save at a time; the next one comes after. */
  if (self->listing_chunk_source != 0 || self->listing_saving)
    {
      self->listing_save_source = g_timeout_add_seconds (LISTING_SAVE_SECONDS, save_listing_cb, self);
      return G_SOURCE_REMOVE;
    }

  if (!listing_save_range (self, &n, &complete))
    return G_SOURCE_REMOVE;

  self->listing_pending = dup_listed_images (self, n);
  self->listing_next = 0;
  self->listing_complete = complete;
  self->listing_snapshot = tessera_listing_snapshot_new ();
  self->listing_chunk_source = g_idle_add (listing_chunk_cb, self);

  return G_SOURCE_REMOVE;
}

/* Closing the window: what is waiting to be saved is saved now. */
static void
save_listing_now (TesseraWindow *self)
{
  g_autoptr(GPtrArray) images = NULL;
  g_autoptr(GError) error = NULL;
  gboolean complete;
  guint n;

  cancel_listing_snapshot (self);
  self->listing_head_saved_at = 0;
  if (!listing_save_range (self, &n, &complete))
    return;

  images = dup_listed_images (self, n);
  tessera_listing_cache_merge (self->listing_cache, images, complete);
  if (!tessera_listing_cache_save (self->listing_cache, &error))
    g_warning ("Could not save the listing cache: %s", error->message);
}

/* Starting without the server: the last listing, with the thumbnails on
 * disk, until the server answers (the image list then replaces it). */
static void
show_cached_listing (TesseraWindow *self)
{
  g_auto(GStrv) ids = NULL;
  g_autoptr(GPtrArray) images = NULL;

  ids = tessera_listing_cache_dup_ids (self->listing_cache, 0);
  images = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; ids[i] != NULL; i++)
    {
      g_autoptr(JsonObject) json = json_object_new ();
      g_autofree char *thumbnail = NULL;
      const char * const *tags = NULL;
      const char *filename = NULL;
      JsonArray *array;
      TesseraImage *image;

      if (!tessera_listing_cache_lookup (self->listing_cache, ids[i], &filename, &tags))
        continue;

      array = json_array_new ();
      for (guint t = 0; tags != NULL && tags[t] != NULL; t++)
        json_array_add_string_element (array, tags[t]);
      json_object_set_string_member (json, "id", ids[i]);
      json_object_set_string_member (json, "filename", filename);
      json_object_set_string_member (json, "status", "ready");
      json_object_set_array_member (json, "tags", array);
      /* The thumbnail loader finds it on disk by id; the URL only says
       * there is one. */
      thumbnail = tessera_listing_cache_dup_thumbnail_path (self->listing_cache, ids[i]);
      if (thumbnail != NULL)
        {
          g_autofree char *uri = g_filename_to_uri (thumbnail, NULL, NULL);

          if (uri != NULL)
            json_object_set_string_member (json, "thumbnailUrl", uri);
        }

      image = tessera_image_new_from_json (json);
      if (image != NULL)
        g_ptr_array_add (images, image);
    }

  if (images->len > 0)
    tessera_image_list_show_cached (self->image_list, images);
}

/* A listing that arrived just before closing the window is kept. */
static void
flush_listing_save (TesseraWindow *self)
{
  if (self->listing_save_source != 0 || self->listing_chunk_source != 0)
    {
      g_clear_handle_id (&self->listing_save_source, g_source_remove);
      save_listing_now (self);
    }
}

static void
on_gallery_loading_changed (TesseraWindow    *self,
                            GParamSpec       *pspec,
                            TesseraImageList *list)
{
  if (self->listing_cache == NULL || tessera_image_list_get_loading (list) || !is_unfiltered (list))
    return;

  if (tessera_image_list_get_error_message (list) != NULL)
    {
      /* Only without the server: an error it answered is not a reason to
       * show an older listing as if it were the current one. */
      if (g_list_model_get_n_items (G_LIST_MODEL (list)) == 0 &&
          is_offline (tessera_image_list_get_error (list)))
        show_cached_listing (self);
    }
  else if (self->listing_save_source == 0)
    {
      self->listing_save_source = g_timeout_add_seconds (LISTING_SAVE_SECONDS, save_listing_cb, self);
    }
}

/* Session ------------------------------------------------------------ */

static TesseraImageList *
new_list (TesseraWindow *self,
          gboolean       trashed)
{
  TesseraImageList *list = tessera_image_list_new (self->client);

  tessera_image_list_set_trashed (list, trashed);
  g_signal_connect_object (list, "notify::n-items", G_CALLBACK (update_page), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (list, "notify::loading", G_CALLBACK (update_page), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (list, "notify::error-message", G_CALLBACK (on_list_error_changed),
                           self, G_CONNECT_SWAPPED);

  return list;
}

static void
clear_session (TesseraWindow *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  g_clear_handle_id (&self->poll_source, g_source_remove);
  g_clear_handle_id (&self->offline_source, g_source_remove);
  /* Signing out saves nothing more (closing saves, on unrealize). */
  g_clear_handle_id (&self->listing_save_source, g_source_remove);
  cancel_listing_snapshot (self);
  g_clear_object (&self->listing_cache);
  g_hash_table_remove_all (self->watched);

  gtk_list_box_bind_model (self->uploads_list, NULL, NULL, NULL, NULL);
  if (self->upload_queue != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->upload_queue, self);
      g_settings_unbind (self->upload_queue, "max-jobs");
    }
  g_clear_object (&self->upload_queue);
  if (self->image_list != NULL)
    g_signal_handlers_disconnect_by_data (self->image_list, self);
  if (self->trash_list != NULL)
    g_signal_handlers_disconnect_by_data (self->trash_list, self);
  g_clear_object (&self->image_list);
  g_clear_object (&self->trash_list);
  g_clear_object (&self->loader);
  g_clear_pointer (&self->tag_counts, g_ptr_array_unref);
  g_clear_object (&self->client);
}

/**
 * tessera_window_set_client:
 * @client: (nullable): a signed-in client, or %NULL after signing out
 *
 * Shows @client's gallery: the window makes its image lists, thumbnail
 * loader and upload queue for it.
 */
void
tessera_window_set_client (TesseraWindow *self,
                           TesseraClient *client)
{
  g_return_if_fail (TESSERA_IS_WINDOW (self));
  g_return_if_fail (!client || TESSERA_IS_CLIENT (client));

  if (self->client == client)
    return;

  gtk_stack_set_visible_child_name (self->view_stack, "browse");
  tessera_viewer_set_client (self->viewer, client);
  clear_session (self);
  set_trash_mode (self, FALSE);
  g_ptr_array_set_size (self->filter_tags, 0);
  rebuild_chips (self);

  if (client != NULL)
    {
      g_autofree char *cache_dir = NULL;
      g_autofree char *queue_path = NULL;
      g_autofree char *account_dir = NULL;

      self->client = g_object_ref (client);
      /* Per server and user, so a second account never sees the first's. */
      account_dir = g_compute_checksum_for_string (G_CHECKSUM_SHA256,
                                                   tessera_client_get_server_url (client), -1);
      account_dir[16] = '\0';
      cache_dir = g_build_filename (g_get_user_cache_dir (), "tessera", "thumbnails", account_dir,
                                    tessera_client_get_username (client), NULL);
      queue_path = g_build_filename (g_get_user_data_dir (), "tessera", "uploads", account_dir,
                                     tessera_client_get_username (client), "queue.json", NULL);

      self->loader = tessera_thumbnail_loader_new (client, cache_dir);
      self->image_list = new_list (self, FALSE);
      self->listing_cache = tessera_listing_cache_new_for_account (tessera_client_get_server_url (client),
                                                                   tessera_client_get_username (client));
      if (self->listing_cache != NULL)
        {
          g_autoptr(GError) error = NULL;

          if (!tessera_listing_cache_load (self->listing_cache, &error))
            g_debug ("No cached listing: %s", error->message);
          g_signal_connect_object (self->image_list, "notify::loading",
                                   G_CALLBACK (on_gallery_loading_changed), self, G_CONNECT_SWAPPED);
        }
      self->trash_list = new_list (self, TRUE);
      self->upload_queue = tessera_upload_queue_new (client, queue_path);
      g_settings_bind (self->settings, "upload-concurrency", self->upload_queue, "max-jobs",
                       G_SETTINGS_BIND_GET);
      g_signal_connect_object (self->upload_queue, "items-changed",
                               G_CALLBACK (on_upload_items_changed), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (self->upload_queue, "notify::busy",
                               G_CALLBACK (update_upload_status), self, G_CONNECT_SWAPPED);
      gtk_list_box_bind_model (self->uploads_list, G_LIST_MODEL (self->upload_queue),
                               create_upload_row, self, NULL);
      on_upload_items_changed (self, 0, 0,
                               g_list_model_get_n_items (G_LIST_MODEL (self->upload_queue)),
                               G_LIST_MODEL (self->upload_queue));

      if (g_settings_get_enum (self->settings, "tag-match") == 1)
        gtk_toggle_button_set_active (self->match_any_button, TRUE);
      else
        gtk_toggle_button_set_active (self->match_all_button, TRUE);
      apply_filter (self);
      tessera_image_list_refresh (self->image_list);
      reload_tags_action (GTK_WIDGET (self), NULL, NULL);
    }

  set_model (self);
  update_upload_status (self);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.upload", client != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.paste", client != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.sign-out", client != NULL);
}

/**
 * tessera_window_get_client:
 *
 * Returns: (transfer none) (nullable): the signed-in client
 */
TesseraClient *
tessera_window_get_client (TesseraWindow *self)
{
  g_return_val_if_fail (TESSERA_IS_WINDOW (self), NULL);
  return self->client;
}

/**
 * tessera_window_get_image_list:
 *
 * Returns: (transfer none) (nullable): the gallery's images
 */
TesseraImageList *
tessera_window_get_image_list (TesseraWindow *self)
{
  g_return_val_if_fail (TESSERA_IS_WINDOW (self), NULL);
  return self->image_list;
}

/**
 * tessera_window_get_trash_list:
 *
 * Returns: (transfer none) (nullable): the images in the trash
 */
TesseraImageList *
tessera_window_get_trash_list (TesseraWindow *self)
{
  g_return_val_if_fail (TESSERA_IS_WINDOW (self), NULL);
  return self->trash_list;
}

/**
 * tessera_window_get_upload_queue:
 *
 * Returns: (transfer none) (nullable): the upload queue
 */
TesseraUploadQueue *
tessera_window_get_upload_queue (TesseraWindow *self)
{
  g_return_val_if_fail (TESSERA_IS_WINDOW (self), NULL);
  return self->upload_queue;
}

/**
 * tessera_window_get_selection:
 *
 * Returns: (transfer none) (nullable): the grid's selection model
 */
GtkSelectionModel *
tessera_window_get_selection (TesseraWindow *self)
{
  g_return_val_if_fail (TESSERA_IS_WINDOW (self), NULL);
  return GTK_SELECTION_MODEL (self->selection);
}

/**
 * tessera_window_get_viewer:
 *
 * Returns: (transfer none): the viewer
 */
TesseraViewer *
tessera_window_get_viewer (TesseraWindow *self)
{
  g_return_val_if_fail (TESSERA_IS_WINDOW (self), NULL);
  return self->viewer;
}

/**
 * tessera_window_get_page:
 *
 * Returns: what the window shows: "viewer", or the gallery's page
 *   ("loading", "gallery", "empty", "no-match", "trash-empty", "offline")
 */
const char *
tessera_window_get_page (TesseraWindow *self)
{
  g_return_val_if_fail (TESSERA_IS_WINDOW (self), NULL);

  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->view_stack), "viewer") == 0)
    return "viewer";
  return gtk_stack_get_visible_child_name (self->main_stack);
}

/**
 * tessera_window_get_status_page:
 *
 * Returns: (transfer none) (nullable): the page shown instead of the
 *   gallery (empty, no match, offline or an error), if one is
 */
AdwStatusPage *
tessera_window_get_status_page (TesseraWindow *self)
{
  GtkWidget *child;

  g_return_val_if_fail (TESSERA_IS_WINDOW (self), NULL);

  child = gtk_stack_get_visible_child (self->main_stack);
  return ADW_IS_STATUS_PAGE (child) ? ADW_STATUS_PAGE (child) : NULL;
}

/**
 * tessera_window_get_offline:
 *
 * Returns: whether the offline banner shows over a cached gallery
 */
gboolean
tessera_window_get_offline (TesseraWindow *self)
{
  g_return_val_if_fail (TESSERA_IS_WINDOW (self), FALSE);

  return gtk_revealer_get_reveal_child (self->offline_revealer);
}

static void
tessera_window_save_size (TesseraWindow *self)
{
  int width, height;

  gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);
  g_settings_set_int (self->settings, "window-width", width);
  g_settings_set_int (self->settings, "window-height", height);
  g_settings_set_boolean (self->settings, "window-maximized",
                          gtk_window_is_maximized (GTK_WINDOW (self)));
}

static gboolean
tessera_window_close_request (GtkWindow *window)
{
  tessera_window_save_size (TESSERA_WINDOW (window));

  return GTK_WINDOW_CLASS (tessera_window_parent_class)->close_request (window);
}

static void
tessera_window_constructed (GObject *object)
{
  TesseraWindow *self = TESSERA_WINDOW (object);

  G_OBJECT_CLASS (tessera_window_parent_class)->constructed (object);

  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));
}

static void
tessera_window_dispose (GObject *object)
{
  TesseraWindow *self = TESSERA_WINDOW (object);

  self->undo_toast = NULL;
  g_clear_pointer (&self->undo_batch, delete_batch_unref);
  clear_session (self);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->selection != NULL)
    g_signal_handlers_disconnect_by_data (self->selection, self);
  g_clear_object (&self->selection);
  if (self->completion_popover != NULL)
    {
      gtk_widget_unparent (GTK_WIDGET (self->completion_popover));
      self->completion_popover = NULL;
    }
  gtk_widget_dispose_template (GTK_WIDGET (self), TESSERA_TYPE_WINDOW);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (tessera_window_parent_class)->dispose (object);
}

static void
tessera_window_finalize (GObject *object)
{
  TesseraWindow *self = TESSERA_WINDOW (object);

  g_clear_pointer (&self->filter_tags, g_ptr_array_unref);
  g_clear_pointer (&self->watched, g_hash_table_unref);

  G_OBJECT_CLASS (tessera_window_parent_class)->finalize (object);
}

static void
tessera_window_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  TesseraWindow *self = TESSERA_WINDOW (object);

  switch (prop_id)
    {
    case PROP_SELECTION_MODE:
      g_value_set_boolean (value, self->selection_mode);
      break;
    case PROP_TRASH_MODE:
      g_value_set_boolean (value, self->trash_mode);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_window_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  TesseraWindow *self = TESSERA_WINDOW (object);

  switch (prop_id)
    {
    case PROP_SELECTION_MODE:
      if (self->selection_mode != g_value_get_boolean (value))
        {
          self->selection_mode = g_value_get_boolean (value);
          if (!self->selection_mode && self->selection != NULL)
            gtk_selection_model_unselect_all (GTK_SELECTION_MODEL (self->selection));
          update_selection (self);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_TRASH_MODE:
      set_trash_mode (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_window_class_init (TesseraWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->constructed = tessera_window_constructed;
  object_class->dispose = tessera_window_dispose;
  object_class->finalize = tessera_window_finalize;
  object_class->get_property = tessera_window_get_property;
  object_class->set_property = tessera_window_set_property;
  window_class->close_request = tessera_window_close_request;

  properties[PROP_SELECTION_MODE] =
    g_param_spec_boolean ("selection-mode", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TRASH_MODE] =
    g_param_spec_boolean ("trash-mode", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (TESSERA_TYPE_VIEWER);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/tessera/Tessera/tessera-window.ui");
  gtk_widget_class_bind_template_child (widget_class, TesseraWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, TesseraWindow, drop_revealer);
  gtk_widget_class_bind_template_child (widget_class, TesseraWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, TesseraWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, TesseraWindow, trash_back_button);
  gtk_widget_class_bind_template_child (widget_class, TesseraWindow, upload_button);
  gtk_widget_class_bind_template_child (widget_class, TesseraWindow, uploads_button);
  gtk_widget_class_bind_template_child (widget_class, TesseraWindow, upload_spinner);
  gtk_widget_class_bind_template_child (widget_class, TesseraWindow, uploads_list);
  gtk_widget_class_bind_template_child (widget_class, TesseraWindow, search_bar);
  gtk_widget_class_bind_template_child (widget_class, TesseraWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, TesseraWindow, chips_box);
  gtk_widget_class_bind_template_child (widget_class, TesseraWindow, match_all_button);
  gtk_widget_class_bind_template_child (widget_class, TesseraWindow, match_any_button);
  gtk_widget_class_bind_template_child (widget_class, TesseraWindow, untagged_button);
  gtk_widget_class_bind_template_child (widget_class, TesseraWindow, offline_revealer);
  gtk_widget_class_bind_template_child (widget_class, TesseraWindow, offline_label);
  gtk_widget_class_bind_template_child (widget_class, TesseraWindow, offline_page);
  gtk_widget_class_bind_template_child (widget_class, TesseraWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, TesseraWindow, gallery_scroller);
  gtk_widget_class_bind_template_child (widget_class, TesseraWindow, grid_view);
  gtk_widget_class_bind_template_child (widget_class, TesseraWindow, selection_bar);
  gtk_widget_class_bind_template_child (widget_class, TesseraWindow, selection_label);
  gtk_widget_class_bind_template_child (widget_class, TesseraWindow, delete_button);
  gtk_widget_class_bind_template_child (widget_class, TesseraWindow, restore_button);
  gtk_widget_class_bind_template_child (widget_class, TesseraWindow, delete_permanently_button);
  gtk_widget_class_bind_template_child (widget_class, TesseraWindow, selection_button);
  gtk_widget_class_bind_template_child (widget_class, TesseraWindow, search_button);
  gtk_widget_class_bind_template_child (widget_class, TesseraWindow, viewer);
  gtk_widget_class_bind_template_callback (widget_class, on_filter_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_search_activate);
  gtk_widget_class_bind_template_callback (widget_class, on_search_stop);
  gtk_widget_class_bind_template_callback (widget_class, on_grid_activate);

  gtk_widget_class_install_action (widget_class, "win.search", NULL, search_action);
  gtk_widget_class_install_action (widget_class, "win.upload", NULL, upload_action);
  gtk_widget_class_install_action (widget_class, "win.paste", NULL, paste_action);
  gtk_widget_class_install_action (widget_class, "win.clear-uploads", NULL, clear_uploads_action);
  gtk_widget_class_install_action (widget_class, "win.select-all", NULL, select_all_action);
  gtk_widget_class_install_action (widget_class, "win.delete-selected", NULL, delete_selected_action);
  gtk_widget_class_install_action (widget_class, "win.restore-selected", NULL, restore_selected_action);
  gtk_widget_class_install_action (widget_class, "win.undo-delete", NULL, undo_delete_action);
  gtk_widget_class_install_action (widget_class, "win.delete-permanently", NULL, delete_permanently_action);
  gtk_widget_class_install_action (widget_class, "win.delete-current", NULL, delete_current_action);
  gtk_widget_class_install_action (widget_class, "win.reload", NULL, reload_action);
  gtk_widget_class_install_action (widget_class, "win.reload-tags", NULL, reload_tags_action);
  gtk_widget_class_install_action (widget_class, "win.close-viewer", NULL, close_viewer_action);
  gtk_widget_class_install_action (widget_class, "win.view-previous", NULL, view_previous_action);
  gtk_widget_class_install_action (widget_class, "win.view-next", NULL, view_next_action);
  gtk_widget_class_install_action (widget_class, "win.escape", NULL, escape_action);
  gtk_widget_class_install_action (widget_class, "win.preferences", NULL, preferences_action);
  gtk_widget_class_install_action (widget_class, "win.sign-out", NULL, sign_out_action);
  gtk_widget_class_install_property_action (widget_class, "win.selection-mode", "selection-mode");
  gtk_widget_class_install_property_action (widget_class, "win.show-trash", "trash-mode");

  /* Bubble phase: a focused entry takes these keys first. */
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_v, GDK_CONTROL_MASK, "win.paste", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_a, GDK_CONTROL_MASK, "win.select-all", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Delete, 0, "win.delete-selected", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Delete, 0, "win.delete-selected", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "win.escape", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Left, 0, "win.view-previous", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Right, 0, "win.view-next", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F5, 0, "win.reload", NULL);
}

static void
tessera_window_init (TesseraWindow *self)
{
  GtkDropTarget *drop_target;
  GtkWidget *scroller;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new (APP_ID);
  self->cancellable = g_cancellable_new ();
  self->filter_tags = g_ptr_array_new_with_free_func (g_free);
  self->watched = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->poll_interval = POLL_MIN_SECONDS;

  gtk_search_bar_set_key_capture_widget (self->search_bar, GTK_WIDGET (self));
  g_signal_connect_object (self->search_bar, "notify::search-mode-enabled",
                           G_CALLBACK (on_search_mode_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->view_stack, "notify::visible-child-name",
                           G_CALLBACK (update_window_title), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->viewer, "notify::image",
                           G_CALLBACK (update_window_title), self, G_CONNECT_SWAPPED);

  /* Completions below the entry; it keeps the focus while they show. */
  self->completion_list = GTK_LIST_BOX (gtk_list_box_new ());
  gtk_list_box_set_activate_on_single_click (self->completion_list, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->completion_list), "navigation-sidebar");
  g_signal_connect_object (self->completion_list, "row-activated",
                           G_CALLBACK (on_completion_activated), self, G_CONNECT_SWAPPED);
  scroller = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scroller), TRUE);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (scroller), 320);
  gtk_scrolled_window_set_min_content_width (GTK_SCROLLED_WINDOW (scroller), 220);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), GTK_WIDGET (self->completion_list));
  self->completion_popover = GTK_POPOVER (gtk_popover_new ());
  gtk_popover_set_autohide (self->completion_popover, FALSE);
  gtk_popover_set_has_arrow (self->completion_popover, FALSE);
  gtk_popover_set_position (self->completion_popover, GTK_POS_BOTTOM);
  gtk_popover_set_child (self->completion_popover, scroller);
  gtk_widget_set_halign (GTK_WIDGET (self->completion_popover), GTK_ALIGN_START);
  gtk_widget_set_parent (GTK_WIDGET (self->completion_popover), GTK_WIDGET (self->search_entry));

  g_signal_connect_object (self->gallery_scroller, "edge-reached",
                           G_CALLBACK (on_edge_reached), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->settings, "changed::thumbnail-size",
                           G_CALLBACK (on_thumbnail_size_changed), self, G_CONNECT_SWAPPED);
  /* Closing the window is not the end of the object: save now. */
  g_signal_connect (self, "unrealize", G_CALLBACK (flush_listing_save), NULL);

  drop_target = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect (drop_target, "drop", G_CALLBACK (on_drop), self);
  g_signal_connect (drop_target, "enter", G_CALLBACK (on_drop_enter), self);
  g_signal_connect (drop_target, "leave", G_CALLBACK (on_drop_leave), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop_target));

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.upload", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.paste", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.sign-out", FALSE);
  update_selection (self);
  update_page (self);

  if (g_getenv ("TESSERA_BENCH") != NULL)
    tessera_bench_probe_attach (GTK_WIDGET (self));
}
