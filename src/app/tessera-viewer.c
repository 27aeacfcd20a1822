/* tessera-viewer.c
 *
 * Shows the 1024 px preview at once and fetches the original only when
 * the person asks for the original size, so opening an image costs one
 * small download. Tag edits go to the server (PATCH) and the answer
 * updates the very image object the gallery shows.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-viewer"

#include "config.h"

#include <glib/gi18n.h>

#include "tessera-texture.h"
#include "tessera-viewer.h"
#include "tessera-window.h"

struct _TesseraViewer
{
  AdwBin          parent_instance;

  TesseraClient  *client;
  TesseraImage   *image;
  GCancellable   *cancellable;
  gulong          notify_handler;
  guint           n_pending;
  gboolean        showing_original;

  /* Template children */
  AdwWindowTitle *title;
  GtkToggleButton *zoom_button;
  GtkScrolledWindow *scroller;
  GtkPicture     *picture;
  GtkSpinner     *spinner;
  GtkFlowBox     *tags_box;
  GtkEntry       *tag_entry;
  GtkListBox     *labels_list;
  GtkListBox     *details_list;
};

G_DEFINE_FINAL_TYPE (TesseraViewer, tessera_viewer, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_IMAGE,
  PROP_BUSY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void load_picture (TesseraViewer *self,
                          gboolean       original);

static void
toast (TesseraViewer *self,
       const char    *message)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (TESSERA_IS_WINDOW (root))
    tessera_window_add_toast (TESSERA_WINDOW (root), adw_toast_new (message));
  else
    g_message ("%s", message);
}

static void
set_pending (TesseraViewer *self,
             int            delta)
{
  gboolean was_busy = self->n_pending > 0;

  g_assert (delta > 0 || self->n_pending > 0);
  self->n_pending += delta;
  gtk_spinner_set_spinning (self->spinner, self->n_pending > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), self->n_pending > 0);
  if (was_busy != (self->n_pending > 0))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

static void
clear_list (GtkWidget *list)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (list)) != NULL)
    {
      if (GTK_IS_LIST_BOX (list))
        gtk_list_box_remove (GTK_LIST_BOX (list), child);
      else
        gtk_flow_box_remove (GTK_FLOW_BOX (list), child);
    }
}

static void
on_remove_tag_clicked (GtkButton     *button,
                       TesseraViewer *self)
{
  tessera_viewer_remove_tag (self, g_object_get_data (G_OBJECT (button), "tag"));
}

static GtkWidget *
make_tag_chip (TesseraViewer *self,
               const char    *tag)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 2);
  GtkWidget *label = gtk_label_new (tag);
  GtkWidget *button = gtk_button_new_from_icon_name ("window-close-symbolic");
  g_autofree char *accessible = g_strdup_printf (_("Remove tag %s"), tag);

  gtk_widget_add_css_class (box, "tag-chip");
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_add_css_class (button, "circular");
  gtk_widget_set_tooltip_text (button, accessible);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, accessible, -1);
  g_object_set_data_full (G_OBJECT (button), "tag", g_strdup (tag), g_free);
  g_signal_connect (button, "clicked", G_CALLBACK (on_remove_tag_clicked), self);
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (GTK_BOX (box), button);

  return box;
}

static void
add_row (GtkListBox *list,
         const char *title,
         const char *value)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), value);
  gtk_widget_add_css_class (row, "property");
  gtk_list_box_append (list, row);
}

static const char *
exif_string (JsonObject *metadata,
             const char *member)
{
  JsonObject *exif;

  if (metadata == NULL || !json_object_has_member (metadata, "exif"))
    return NULL;
  exif = json_object_get_object_member (metadata, "exif");
  if (exif == NULL || !json_object_has_member (exif, member))
    return NULL;

  return json_object_get_string_member_with_default (exif, member, NULL);
}

static void
update_details (TesseraViewer *self)
{
  const char * const *tags;
  JsonArray *labels;
  JsonObject *metadata;
  g_autofree char *size = NULL;
  g_autofree char *dimensions = NULL;
  g_autofree char *camera = NULL;
  g_autoptr(GDateTime) created = NULL;
  const char *make, *model, *taken;

  clear_list (GTK_WIDGET (self->tags_box));
  clear_list (GTK_WIDGET (self->labels_list));
  clear_list (GTK_WIDGET (self->details_list));

  /* A listed image has no link to the original until the viewer has asked
   * for the whole image: the actions that need it wait for it. */
  {
    gboolean has_file = self->image != NULL && tessera_image_get_file_url (self->image) != NULL;

    gtk_widget_action_set_enabled (GTK_WIDGET (self), "viewer.save-as", has_file);
    gtk_widget_action_set_enabled (GTK_WIDGET (self), "viewer.open-with", has_file);
    gtk_widget_action_set_enabled (GTK_WIDGET (self), "viewer.copy-link", has_file);
  }

  if (self->image == NULL)
    {
      adw_window_title_set_title (self->title, "");
      return;
    }

  adw_window_title_set_title (self->title, tessera_image_get_filename (self->image)
                                             ? tessera_image_get_filename (self->image)
                                             : _("Image"));
  adw_window_title_set_subtitle (self->title, g_strcmp0 (tessera_image_get_status (self->image), "ready") == 0
                                                ? NULL : tessera_image_get_status (self->image));

  tags = tessera_image_get_tags (self->image);
  for (guint i = 0; tags != NULL && tags[i] != NULL; i++)
    gtk_flow_box_append (self->tags_box, make_tag_chip (self, tags[i]));

  labels = tessera_image_get_labels (self->image);
  for (guint i = 0; labels != NULL && i < json_array_get_length (labels); i++)
    {
      JsonObject *label = json_array_get_object_element (labels, i);
      g_autofree char *value = NULL;

      if (label == NULL)
        continue;
      /* TRANSLATORS: a label's confidence in percent, then which tagger found it */
      value = g_strdup_printf (_("%.0f%% · %s"),
                               json_object_get_double_member_with_default (label, "confidence", 0) * 100,
                               json_object_get_string_member_with_default (label, "source", ""));
      add_row (self->labels_list,
               json_object_get_string_member_with_default (label, "name", ""),
               value);
    }
  if (labels == NULL || json_array_get_length (labels) == 0)
    add_row (self->labels_list, _("Nothing yet"),
             g_strcmp0 (tessera_image_get_status (self->image), "ready") == 0
               ? _("The tagger found no labels") : _("The image is still being processed"));

  size = g_format_size (tessera_image_get_size (self->image));
  add_row (self->details_list, _("Size"), size);
  if (tessera_image_get_width (self->image) > 0)
    {
      /* TRANSLATORS: width × height in pixels */
      dimensions = g_strdup_printf (_("%d × %d pixels"),
                                    tessera_image_get_width (self->image),
                                    tessera_image_get_height (self->image));
      add_row (self->details_list, _("Dimensions"), dimensions);
    }
  created = g_date_time_new_from_iso8601 (tessera_image_get_created_at (self->image), NULL);
  if (created != NULL)
    {
      g_autoptr(GDateTime) local = g_date_time_to_local (created);
      /* Translators: when the image was uploaded, as g_date_time_format()
       * takes it: "25 November 2026, 07:56" */
      g_autofree char *text = g_date_time_format (local, _("%-d %B %Y, %H:%M"));
      add_row (self->details_list, _("Uploaded"), text);
    }

  metadata = tessera_image_get_metadata (self->image);
  taken = exif_string (metadata, "dateTaken");
  if (taken == NULL)
    taken = exif_string (metadata, "dateTime");
  if (taken != NULL)
    add_row (self->details_list, _("Taken"), taken);
  make = exif_string (metadata, "make");
  model = exif_string (metadata, "model");
  if (make != NULL || model != NULL)
    {
      camera = g_strjoin (" ", make ? make : "", model ? model : "", NULL);
      add_row (self->details_list, _("Camera"), g_strstrip (camera));
    }
  if (tessera_image_get_failure_reason (self->image) != NULL)
    add_row (self->details_list, _("Failed"), tessera_image_get_failure_reason (self->image));
}

static void
decode_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(TesseraViewer) self = user_data;
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GError) error = NULL;

  paintable = tessera_texture_decode_paintable_finish (result, &error);
  set_pending (self, -1);
  if (paintable == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        toast (self, error->message);
      return;
    }

  gtk_picture_set_paintable (self->picture, paintable);
}

static void
fetch_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(TesseraViewer) self = user_data;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;

  bytes = tessera_client_fetch_finish (TESSERA_CLIENT (object), result, &error);
  if (bytes == NULL)
    {
      set_pending (self, -1);
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
          !g_error_matches (error, TESSERA_CLIENT_ERROR, TESSERA_CLIENT_ERROR_CANCELLED))
        toast (self, error->message);
      return;
    }

  tessera_texture_decode_paintable_async (bytes, 0, 0, GTK_WIDGET (self), self->cancellable,
                                          decode_cb, g_object_ref (self));
}

static void load_picture (TesseraViewer *self,
                          gboolean       original);

static gboolean
has_picture_url (TesseraImage *image)
{
  return tessera_image_get_preview_url (image) != NULL ||
         tessera_image_get_file_url (image) != NULL;
}

/* A listed image carries only its thumbnail's URL: the whole image, with
 * fresh pre-signed URLs, is asked for when it is shown. */
static void
get_image_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(TesseraViewer) self = user_data;
  g_autoptr(TesseraImage) full = NULL;
  g_autoptr(GError) error = NULL;

  full = tessera_client_get_image_finish (TESSERA_CLIENT (object), result, &error);
  set_pending (self, -1);
  if (full == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
          !g_error_matches (error, TESSERA_CLIENT_ERROR, TESSERA_CLIENT_ERROR_CANCELLED))
        toast (self, error->message);
      return;
    }

  if (self->image == NULL ||
      g_strcmp0 (tessera_image_get_id (self->image), tessera_image_get_id (full)) != 0)
    return;

  if (full != self->image)
    {
      g_autoptr(JsonObject) json = tessera_image_to_json (full);

      tessera_image_update_from_json (self->image, json);
    }

  if (has_picture_url (self->image) && gtk_picture_get_paintable (self->picture) == NULL &&
      self->n_pending == 0)
    load_picture (self, self->showing_original);
}

static void
load_picture (TesseraViewer *self,
              gboolean       original)
{
  const char *url;

  if (self->image == NULL || self->client == NULL)
    return;

  url = original ? tessera_image_get_file_url (self->image)
                 : tessera_image_get_preview_url (self->image);
  if (url == NULL)
    url = tessera_image_get_file_url (self->image);
  if (url == NULL)
    {
      self->showing_original = original;
      set_pending (self, +1);
      tessera_client_get_image_async (self->client, tessera_image_get_id (self->image),
                                      self->cancellable, get_image_cb, g_object_ref (self));
      return;
    }

  self->showing_original = original;
  set_pending (self, +1);
  tessera_client_fetch_async (self->client, url, self->cancellable, fetch_cb, g_object_ref (self));
}

static void
on_zoom_toggled (TesseraViewer *self)
{
  gboolean original = gtk_toggle_button_get_active (self->zoom_button);

  /* At original size the picture is as large as its pixels and scrolls. */
  gtk_picture_set_can_shrink (self->picture, !original);
  if (original && !self->showing_original)
    load_picture (self, TRUE);
}

static void
on_image_notify (TesseraViewer *self,
                 GParamSpec    *pspec,
                 TesseraImage  *image)
{
  update_details (self);

  /* Processing finished while open: the preview now exists. */
  if (g_strcmp0 (pspec->name, "preview-url") == 0 &&
      gtk_picture_get_paintable (self->picture) == NULL && self->n_pending == 0)
    load_picture (self, FALSE);
}

void
tessera_viewer_set_image (TesseraViewer *self,
                          TesseraImage  *image)
{
  g_return_if_fail (TESSERA_IS_VIEWER (self));
  g_return_if_fail (!image || TESSERA_IS_IMAGE (image));

  if (self->image == image)
    return;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  if (self->image != NULL)
    g_clear_signal_handler (&self->notify_handler, self->image);
  g_set_object (&self->image, image);

  gtk_picture_set_paintable (self->picture, NULL);
  gtk_toggle_button_set_active (self->zoom_button, FALSE);
  gtk_editable_set_text (GTK_EDITABLE (self->tag_entry), "");
  self->showing_original = FALSE;

  if (image != NULL)
    {
      self->notify_handler = g_signal_connect_object (image, "notify",
                                                      G_CALLBACK (on_image_notify),
                                                      self, G_CONNECT_SWAPPED);
      load_picture (self, FALSE);
    }

  update_details (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IMAGE]);
}

/**
 * tessera_viewer_get_image:
 *
 * Returns: (transfer none) (nullable): the image shown
 */
TesseraImage *
tessera_viewer_get_image (TesseraViewer *self)
{
  g_return_val_if_fail (TESSERA_IS_VIEWER (self), NULL);

  return self->image;
}

/**
 * tessera_viewer_get_client:
 *
 * Returns: (transfer none) (nullable): the client
 */
TesseraClient *
tessera_viewer_get_client (TesseraViewer *self)
{
  g_return_val_if_fail (TESSERA_IS_VIEWER (self), NULL);

  return self->client;
}

void
tessera_viewer_set_client (TesseraViewer *self,
                           TesseraClient *client)
{
  g_return_if_fail (TESSERA_IS_VIEWER (self));
  g_return_if_fail (!client || TESSERA_IS_CLIENT (client));

  if (self->client == client)
    return;

  tessera_viewer_set_image (self, NULL);
  g_set_object (&self->client, client);
}

/**
 * tessera_viewer_get_loaded:
 *
 * Returns: whether a picture of the image is shown
 */
gboolean
tessera_viewer_get_loaded (TesseraViewer *self)
{
  g_return_val_if_fail (TESSERA_IS_VIEWER (self), FALSE);

  return gtk_picture_get_paintable (self->picture) != NULL;
}

gboolean
tessera_viewer_get_busy (TesseraViewer *self)
{
  g_return_val_if_fail (TESSERA_IS_VIEWER (self), FALSE);

  return self->n_pending > 0;
}

static void
update_tags_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(TesseraViewer) self = user_data;
  g_autoptr(TesseraImage) updated = NULL;
  g_autoptr(GError) error = NULL;

  updated = tessera_client_update_tags_finish (TESSERA_CLIENT (object), result, &error);
  set_pending (self, -1);
  if (updated == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
          !g_error_matches (error, TESSERA_CLIENT_ERROR, TESSERA_CLIENT_ERROR_CANCELLED))
        toast (self, error->message);
      return;
    }

  if (self->image != NULL && g_strcmp0 (tessera_image_get_id (self->image),
                                        tessera_image_get_id (updated)) == 0)
    {
      g_autoptr(JsonObject) json = tessera_image_to_json (updated);
      tessera_image_update_from_json (self->image, json);
    }
}

static void
update_tags (TesseraViewer *self,
             const char    *add,
             const char    *remove)
{
  const char *add_tags[] = { add, NULL };
  const char *remove_tags[] = { remove, NULL };

  if (self->image == NULL || self->client == NULL)
    return;

  set_pending (self, +1);
  tessera_client_update_tags_async (self->client,
                                    tessera_image_get_id (self->image),
                                    add ? add_tags : NULL,
                                    remove ? remove_tags : NULL,
                                    self->cancellable,
                                    update_tags_cb,
                                    g_object_ref (self));
}

void
tessera_viewer_add_tag (TesseraViewer *self,
                        const char    *tag)
{
  g_autofree char *stripped = NULL;

  g_return_if_fail (TESSERA_IS_VIEWER (self));
  g_return_if_fail (tag != NULL);

  stripped = g_strstrip (g_strdup (tag));
  if (*stripped == '\0')
    return;

  update_tags (self, stripped, NULL);
}

void
tessera_viewer_remove_tag (TesseraViewer *self,
                           const char    *tag)
{
  g_return_if_fail (TESSERA_IS_VIEWER (self));
  g_return_if_fail (tag != NULL);

  update_tags (self, NULL, tag);
}

static void
on_tag_entry_activate (TesseraViewer *self)
{
  tessera_viewer_add_tag (self, gtk_editable_get_text (GTK_EDITABLE (self->tag_entry)));
  gtk_editable_set_text (GTK_EDITABLE (self->tag_entry), "");
}

static void
download_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TesseraViewer *self = g_task_get_source_object (task);
  GFile *destination = g_task_get_task_data (task);
  gboolean open = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (task), "open"));
  g_autoptr(GError) error = NULL;

  set_pending (self, -1);
  if (!tessera_client_download_finish (TESSERA_CLIENT (object), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
          !g_error_matches (error, TESSERA_CLIENT_ERROR, TESSERA_CLIENT_ERROR_CANCELLED))
        toast (self, error->message);
      return;
    }

  if (open)
    {
      g_autofree char *uri = g_file_get_uri (destination);
      gtk_show_uri (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))), uri, GDK_CURRENT_TIME);
    }
  else
    toast (self, _("Image saved"));
}

static void
download_to (TesseraViewer *self,
             GFile         *destination,
             gboolean       open)
{
  g_autoptr(GTask) task = NULL;

  if (self->image == NULL || tessera_image_get_file_url (self->image) == NULL)
    return;

  /* The task only carries the state of this download to its callback. */
  task = g_task_new (self, NULL, NULL, NULL);
  g_task_set_task_data (task, g_object_ref (destination), g_object_unref);
  g_object_set_data (G_OBJECT (task), "open", GINT_TO_POINTER (open));
  set_pending (self, +1);
  tessera_client_download_async (self->client, tessera_image_get_file_url (self->image),
                                 destination, self->cancellable, download_cb,
                                 g_steal_pointer (&task));
}

static void
on_save_response (GtkNativeDialog *dialog,
                  int              response,
                  TesseraViewer   *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      download_to (self, file, FALSE);
    }
  g_object_unref (dialog);
}

static void
save_as_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *param)
{
  TesseraViewer *self = TESSERA_VIEWER (widget);
  GtkFileChooserNative *dialog;
  const char *name;

  if (self->image == NULL)
    return;

  dialog = gtk_file_chooser_native_new (_("Save Image"),
                                        GTK_WINDOW (gtk_widget_get_root (widget)),
                                        GTK_FILE_CHOOSER_ACTION_SAVE,
                                        _("_Save"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  name = tessera_image_get_filename (self->image);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), name ? name : "image");
  g_signal_connect (dialog, "response", G_CALLBACK (on_save_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
open_with_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  TesseraViewer *self = TESSERA_VIEWER (widget);
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *name = NULL;
  g_autoptr(GFile) file = NULL;

  if (self->image == NULL)
    return;

  dir = g_build_filename (g_get_user_cache_dir (), "tessera", "open", NULL);
  g_mkdir_with_parents (dir, 0700);
  name = g_path_get_basename (tessera_image_get_filename (self->image)
                                ? tessera_image_get_filename (self->image)
                                : tessera_image_get_id (self->image));
  path = g_build_filename (dir, name, NULL);
  file = g_file_new_for_path (path);
  download_to (self, file, TRUE);
}

static void
copy_link_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  TesseraViewer *self = TESSERA_VIEWER (widget);
  const char *url;

  if (self->image == NULL || (url = tessera_image_get_file_url (self->image)) == NULL)
    return;

  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), url);
  toast (self, _("Link copied. It works for an hour."));
}

static void
tessera_viewer_dispose (GObject *object)
{
  TesseraViewer *self = TESSERA_VIEWER (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->image != NULL)
    g_clear_signal_handler (&self->notify_handler, self->image);
  g_clear_object (&self->image);
  g_clear_object (&self->client);
  gtk_widget_dispose_template (GTK_WIDGET (self), TESSERA_TYPE_VIEWER);

  G_OBJECT_CLASS (tessera_viewer_parent_class)->dispose (object);
}

static void
tessera_viewer_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  TesseraViewer *self = TESSERA_VIEWER (object);

  switch (prop_id)
    {
    case PROP_IMAGE:
      g_value_set_object (value, self->image);
      break;
    case PROP_BUSY:
      g_value_set_boolean (value, self->n_pending > 0);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_viewer_class_init (TesseraViewerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = tessera_viewer_dispose;
  object_class->get_property = tessera_viewer_get_property;

  properties[PROP_IMAGE] =
    g_param_spec_object ("image", NULL, NULL, TESSERA_TYPE_IMAGE,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/tessera/Tessera/tessera-viewer.ui");
  gtk_widget_class_bind_template_child (widget_class, TesseraViewer, title);
  gtk_widget_class_bind_template_child (widget_class, TesseraViewer, zoom_button);
  gtk_widget_class_bind_template_child (widget_class, TesseraViewer, scroller);
  gtk_widget_class_bind_template_child (widget_class, TesseraViewer, picture);
  gtk_widget_class_bind_template_child (widget_class, TesseraViewer, spinner);
  gtk_widget_class_bind_template_child (widget_class, TesseraViewer, tags_box);
  gtk_widget_class_bind_template_child (widget_class, TesseraViewer, tag_entry);
  gtk_widget_class_bind_template_child (widget_class, TesseraViewer, labels_list);
  gtk_widget_class_bind_template_child (widget_class, TesseraViewer, details_list);
  gtk_widget_class_bind_template_callback (widget_class, on_zoom_toggled);
  gtk_widget_class_bind_template_callback (widget_class, on_tag_entry_activate);

  gtk_widget_class_install_action (widget_class, "viewer.save-as", NULL, save_as_action);
  gtk_widget_class_install_action (widget_class, "viewer.open-with", NULL, open_with_action);
  gtk_widget_class_install_action (widget_class, "viewer.copy-link", NULL, copy_link_action);
}

static void
tessera_viewer_init (TesseraViewer *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
}
