/* tessera-upload-row.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-upload-row"

#include "config.h"

#include <glib/gi18n.h>

#include "tessera-texture.h"
#include "tessera-upload-row.h"

/* The icon is 32 px; drawn sharp at a scale of 2. */
#define THUMBNAIL_SIZE 64
/* Larger files are not worth decoding for a 32 px square. */
#define MAX_THUMBNAIL_FILE_BYTES (64 * 1024 * 1024)

struct _TesseraUploadRow
{
  GtkListBoxRow       parent_instance;

  TesseraUploadQueue *queue;
  TesseraUploadItem  *item;
  GCancellable       *cancellable;   /* of the thumbnail's load */
  gboolean            has_thumbnail;

  /* Template children */
  GtkImage           *icon;
  GtkLabel           *name_label;
  GtkProgressBar     *progress_bar;
  GtkLabel           *state_label;
  GtkButton          *retry_button;
  GtkButton          *cancel_button;
};

G_DEFINE_FINAL_TYPE (TesseraUploadRow, tessera_upload_row, GTK_TYPE_LIST_BOX_ROW)

static const char *
describe_state (TesseraUploadItem *item)
{
  switch (tessera_upload_item_get_state (item))
    {
    case TESSERA_UPLOAD_STATE_QUEUED:
      return _("Waiting");
    case TESSERA_UPLOAD_STATE_HASHING:
      return _("Reading");
    case TESSERA_UPLOAD_STATE_UPLOADING:
      return _("Uploading");
    case TESSERA_UPLOAD_STATE_PROCESSING:
      return _("Processing");
    case TESSERA_UPLOAD_STATE_DONE:
      return _("Uploaded");
    case TESSERA_UPLOAD_STATE_DUPLICATE:
      return _("Skipped: already in your gallery");
    case TESSERA_UPLOAD_STATE_FAILED:
      return tessera_upload_item_get_error_message (item)
               ? tessera_upload_item_get_error_message (item)
               : _("Failed");
    case TESSERA_UPLOAD_STATE_CANCELLED:
      return _("Cancelled");
    default:
      return "";
    }
}

static void
update (TesseraUploadRow *self)
{
  TesseraUploadState state = tessera_upload_item_get_state (self->item);

  gtk_label_set_label (self->state_label, describe_state (self->item));
  gtk_progress_bar_set_fraction (self->progress_bar, tessera_upload_item_get_progress (self->item));
  gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), !tessera_upload_state_is_finished (state));
  gtk_widget_set_visible (GTK_WIDGET (self->cancel_button), !tessera_upload_state_is_finished (state));
  gtk_widget_set_visible (GTK_WIDGET (self->retry_button),
                          state == TESSERA_UPLOAD_STATE_FAILED || state == TESSERA_UPLOAD_STATE_CANCELLED);

  if (state == TESSERA_UPLOAD_STATE_FAILED)
    gtk_widget_add_css_class (GTK_WIDGET (self->state_label), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->state_label), "error");
}

static void
on_cancel_clicked (TesseraUploadRow *self)
{
  tessera_upload_queue_cancel (self->queue, self->item);
}

static void
on_retry_clicked (TesseraUploadRow *self)
{
  tessera_upload_queue_retry (self->queue, self->item);
}

/* Thumbnail ---------------------------------------------------------- */

/* In a worker thread: the file at THUMBNAIL_SIZE, cropped to a square. */
static void
thumbnail_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  GFile *file = task_data;
  g_autofree char *path = g_file_get_path (file);
  g_autoptr(GdkPixbuf) loaded = NULL;
  g_autoptr(GdkPixbuf) oriented = NULL;
  g_autoptr(GdkPixbuf) square = NULL;
  g_autoptr(GError) error = NULL;
  int width = 0, height = 0, side;

  if (path == NULL || gdk_pixbuf_get_file_info (path, &width, &height) == NULL ||
      width <= 0 || height <= 0)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                               "Not an image GdkPixbuf reads");
      return;
    }

  /* Scaled to cover the square (JPEG decodes at a fraction of its size). */
  if (width < height)
    loaded = gdk_pixbuf_new_from_file_at_scale (path, THUMBNAIL_SIZE, -1, TRUE, &error);
  else
    loaded = gdk_pixbuf_new_from_file_at_scale (path, -1, THUMBNAIL_SIZE, TRUE, &error);
  if (loaded == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  oriented = gdk_pixbuf_apply_embedded_orientation (loaded);
  side = MIN (gdk_pixbuf_get_width (oriented), gdk_pixbuf_get_height (oriented));
  square = gdk_pixbuf_new_subpixbuf (oriented,
                                     (gdk_pixbuf_get_width (oriented) - side) / 2,
                                     (gdk_pixbuf_get_height (oriented) - side) / 2,
                                     side, side);
  g_task_return_pointer (task, gdk_pixbuf_copy (square), g_object_unref);
}

static void
set_thumbnail (TesseraUploadRow *self,
               GdkPaintable     *paintable)
{
  gtk_image_set_from_paintable (self->icon, paintable);
  self->has_thumbnail = TRUE;
}

static void
texture_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(TesseraUploadRow) self = user_data;
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GError) error = NULL;

  texture = tessera_texture_decode_finish (result, &error);
  if (texture == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("No thumbnail for an upload: %s", error->message);
      return;
    }
  set_thumbnail (self, GDK_PAINTABLE (texture));
}

static void
contents_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(TesseraUploadRow) self = user_data;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;

  bytes = g_file_load_bytes_finish (G_FILE (object), result, NULL, &error);
  if (bytes == NULL || g_bytes_get_size (bytes) > MAX_THUMBNAIL_FILE_BYTES)
    return;
  tessera_texture_decode_async (bytes, THUMBNAIL_SIZE, THUMBNAIL_SIZE, self->cancellable,
                                texture_cb, g_object_ref (self));
}

static void
pixbuf_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(TesseraUploadRow) self = user_data;
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  g_autoptr(GdkTexture) texture = NULL;

  pixbuf = g_task_propagate_pointer (G_TASK (result), NULL);
  if (g_cancellable_is_cancelled (self->cancellable))
    return;
  if (pixbuf == NULL)
    {
      /* GdkPixbuf may have no WebP loader: the app's own decoder has. */
      g_file_load_bytes_async (tessera_upload_item_get_file (self->item), self->cancellable,
                               contents_cb, g_object_ref (self));
      return;
    }

  texture = gdk_texture_new_for_pixbuf (pixbuf);
  set_thumbnail (self, GDK_PAINTABLE (texture));
}

/* Once, when the row first shows: a popover closed reads no file. */
static void
on_map (TesseraUploadRow *self)
{
  g_autoptr(GTask) task = NULL;

  if (self->cancellable != NULL)
    return;

  self->cancellable = g_cancellable_new ();
  task = g_task_new (NULL, self->cancellable, pixbuf_cb, g_object_ref (self));
  g_task_set_source_tag (task, on_map);
  g_task_set_task_data (task, g_object_ref (tessera_upload_item_get_file (self->item)), g_object_unref);
  g_task_run_in_thread (task, thumbnail_thread);
}

/**
 * tessera_upload_row_get_has_thumbnail:
 *
 * Returns: whether the row shows a thumbnail of its file (else an icon
 *   for its type)
 */
gboolean
tessera_upload_row_get_has_thumbnail (TesseraUploadRow *self)
{
  g_return_val_if_fail (TESSERA_IS_UPLOAD_ROW (self), FALSE);

  return self->has_thumbnail;
}

/**
 * tessera_upload_row_get_item:
 *
 * Returns: (transfer none): the item
 */
TesseraUploadItem *
tessera_upload_row_get_item (TesseraUploadRow *self)
{
  g_return_val_if_fail (TESSERA_IS_UPLOAD_ROW (self), NULL);

  return self->item;
}

static void
tessera_upload_row_dispose (GObject *object)
{
  TesseraUploadRow *self = TESSERA_UPLOAD_ROW (object);

  if (self->item != NULL)
    g_signal_handlers_disconnect_by_data (self->item, self);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->item);
  g_clear_object (&self->queue);
  gtk_widget_dispose_template (GTK_WIDGET (self), TESSERA_TYPE_UPLOAD_ROW);

  G_OBJECT_CLASS (tessera_upload_row_parent_class)->dispose (object);
}

static void
tessera_upload_row_class_init (TesseraUploadRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = tessera_upload_row_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/tessera/Tessera/tessera-upload-row.ui");
  gtk_widget_class_bind_template_child (widget_class, TesseraUploadRow, icon);
  gtk_widget_class_bind_template_child (widget_class, TesseraUploadRow, name_label);
  gtk_widget_class_bind_template_child (widget_class, TesseraUploadRow, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, TesseraUploadRow, state_label);
  gtk_widget_class_bind_template_child (widget_class, TesseraUploadRow, retry_button);
  gtk_widget_class_bind_template_child (widget_class, TesseraUploadRow, cancel_button);
  gtk_widget_class_bind_template_callback (widget_class, on_cancel_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_retry_clicked);
}

static void
tessera_upload_row_init (TesseraUploadRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
tessera_upload_row_new (TesseraUploadQueue *queue,
                        TesseraUploadItem  *item)
{
  TesseraUploadRow *self;
  GFile *file;
  g_autofree char *name = NULL;
  g_autofree char *content_type = NULL;
  g_autoptr(GIcon) icon = NULL;

  g_return_val_if_fail (TESSERA_IS_UPLOAD_QUEUE (queue), NULL);
  g_return_val_if_fail (TESSERA_IS_UPLOAD_ITEM (item), NULL);

  self = g_object_new (TESSERA_TYPE_UPLOAD_ROW, NULL);
  self->queue = g_object_ref (queue);
  self->item = g_object_ref (item);

  file = tessera_upload_item_get_file (item);
  name = g_file_get_basename (file);
  gtk_label_set_label (self->name_label, name);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->name_label), name);

  /* From the name, until the thumbnail is read (when the row shows). */
  content_type = g_content_type_guess (name, NULL, 0, NULL);
  icon = g_content_type_get_symbolic_icon (content_type);
  gtk_image_set_from_gicon (self->icon, icon);

  g_signal_connect_swapped (item, "notify::state", G_CALLBACK (update), self);
  g_signal_connect_swapped (item, "notify::progress", G_CALLBACK (update), self);
  g_signal_connect_swapped (item, "notify::error-message", G_CALLBACK (update), self);
  update (self);

  g_signal_connect (self, "map", G_CALLBACK (on_map), NULL);

  return GTK_WIDGET (self);
}
