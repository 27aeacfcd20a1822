/* tessera-upload-row.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-upload-row"

#include "config.h"

#include <glib/gi18n.h>

#include "tessera-upload-row.h"

struct _TesseraUploadRow
{
  GtkListBoxRow       parent_instance;

  TesseraUploadQueue *queue;
  TesseraUploadItem  *item;

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

  /* From the name only: a real thumbnail would read every queued file. */
  content_type = g_content_type_guess (name, NULL, 0, NULL);
  icon = g_content_type_get_symbolic_icon (content_type);
  gtk_image_set_from_gicon (self->icon, icon);

  g_signal_connect_swapped (item, "notify::state", G_CALLBACK (update), self);
  g_signal_connect_swapped (item, "notify::progress", G_CALLBACK (update), self);
  g_signal_connect_swapped (item, "notify::error-message", G_CALLBACK (update), self);
  update (self);

  return GTK_WIDGET (self);
}
