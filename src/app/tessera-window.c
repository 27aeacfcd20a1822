/* tessera-window.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-window"

#include "config.h"

#include <glib/gi18n.h>

#include "tessera-window.h"

struct _TesseraWindow
{
  AdwApplicationWindow  parent_instance;

  GSettings            *settings;

  /* Template children */
  AdwToastOverlay      *toast_overlay;
  GtkRevealer          *drop_revealer;
  AdwWindowTitle       *window_title;
  GtkSearchBar         *search_bar;
  GtkSearchEntry       *search_entry;
  GtkBox               *chips_box;
  GtkRevealer          *offline_revealer;
  GtkStack             *main_stack;
  GtkGridView          *grid_view;
  GtkActionBar         *selection_bar;
  GtkToggleButton      *selection_button;
  GtkToggleButton      *search_button;
};

G_DEFINE_FINAL_TYPE (TesseraWindow, tessera_window, ADW_TYPE_APPLICATION_WINDOW)

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

/**
 * tessera_window_upload_files:
 * @files: (array length=n_files): files or folders
 *
 * Queues @files for upload, as a drop or the file chooser does.
 */
void
tessera_window_upload_files (TesseraWindow  *self,
                             GFile         **files,
                             int             n_files)
{
  g_return_if_fail (TESSERA_IS_WINDOW (self));
  g_return_if_fail (files != NULL || n_files == 0);

  g_debug ("Queueing %d files for upload", n_files);
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
search_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  TesseraWindow *self = TESSERA_WINDOW (widget);

  gtk_toggle_button_set_active (self->search_button, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
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

  gtk_widget_dispose_template (GTK_WIDGET (self), TESSERA_TYPE_WINDOW);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (tessera_window_parent_class)->dispose (object);
}

static void
tessera_window_class_init (TesseraWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->constructed = tessera_window_constructed;
  object_class->dispose = tessera_window_dispose;
  window_class->close_request = tessera_window_close_request;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/tessera/Tessera/tessera-window.ui");
  gtk_widget_class_bind_template_child (widget_class, TesseraWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, TesseraWindow, drop_revealer);
  gtk_widget_class_bind_template_child (widget_class, TesseraWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, TesseraWindow, search_bar);
  gtk_widget_class_bind_template_child (widget_class, TesseraWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, TesseraWindow, chips_box);
  gtk_widget_class_bind_template_child (widget_class, TesseraWindow, offline_revealer);
  gtk_widget_class_bind_template_child (widget_class, TesseraWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, TesseraWindow, grid_view);
  gtk_widget_class_bind_template_child (widget_class, TesseraWindow, selection_bar);
  gtk_widget_class_bind_template_child (widget_class, TesseraWindow, selection_button);
  gtk_widget_class_bind_template_child (widget_class, TesseraWindow, search_button);

  gtk_widget_class_install_action (widget_class, "win.search", NULL, search_action);
}

static void
tessera_window_init (TesseraWindow *self)
{
  GtkDropTarget *drop_target;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new (APP_ID);

  gtk_search_bar_set_key_capture_widget (self->search_bar, GTK_WIDGET (self));

  drop_target = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect (drop_target, "drop", G_CALLBACK (on_drop), self);
  g_signal_connect (drop_target, "enter", G_CALLBACK (on_drop_enter), self);
  g_signal_connect (drop_target, "leave", G_CALLBACK (on_drop_leave), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop_target));

  gtk_stack_set_visible_child_name (self->main_stack, "empty");
}
