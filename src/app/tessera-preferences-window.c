/* tessera-preferences-window.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-preferences-window"

#include "config.h"

#include "tessera-preferences-window.h"

struct _TesseraPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  GSettings            *settings;

  /* Template children */
  GtkSpinButton        *thumbnail_spin;
  GtkSwitch            *match_any_switch;
  GtkSpinButton        *concurrency_spin;
  AdwActionRow         *server_row;
};

G_DEFINE_FINAL_TYPE (TesseraPreferencesWindow, tessera_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

static gboolean
match_to_switch (GValue   *value,
                 GVariant *variant,
                 gpointer  user_data)
{
  g_value_set_boolean (value, g_strcmp0 (g_variant_get_string (variant, NULL), "any") == 0);
  return TRUE;
}

static GVariant *
switch_to_match (const GValue       *value,
                 const GVariantType *expected_type,
                 gpointer            user_data)
{
  return g_variant_new_string (g_value_get_boolean (value) ? "any" : "all");
}

static void
tessera_preferences_window_dispose (GObject *object)
{
  TesseraPreferencesWindow *self = TESSERA_PREFERENCES_WINDOW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), TESSERA_TYPE_PREFERENCES_WINDOW);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (tessera_preferences_window_parent_class)->dispose (object);
}

static void
tessera_preferences_window_class_init (TesseraPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = tessera_preferences_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/tessera/Tessera/tessera-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, TesseraPreferencesWindow, thumbnail_spin);
  gtk_widget_class_bind_template_child (widget_class, TesseraPreferencesWindow, match_any_switch);
  gtk_widget_class_bind_template_child (widget_class, TesseraPreferencesWindow, concurrency_spin);
  gtk_widget_class_bind_template_child (widget_class, TesseraPreferencesWindow, server_row);
}

static void
tessera_preferences_window_init (TesseraPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new (APP_ID);
  g_settings_bind (self->settings, "thumbnail-size", self->thumbnail_spin, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "upload-concurrency", self->concurrency_spin, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind_with_mapping (self->settings, "tag-match", self->match_any_switch, "active",
                                G_SETTINGS_BIND_DEFAULT, match_to_switch, switch_to_match, NULL, NULL);
}

/**
 * tessera_preferences_window_new:
 * @server_description: who the user is signed in as, and where
 */
GtkWidget *
tessera_preferences_window_new (GtkWindow  *parent,
                                const char *server_description)
{
  TesseraPreferencesWindow *self;

  g_return_val_if_fail (!parent || GTK_IS_WINDOW (parent), NULL);

  self = g_object_new (TESSERA_TYPE_PREFERENCES_WINDOW,
                       "transient-for", parent,
                       NULL);
  adw_action_row_set_subtitle (self->server_row, server_description ? server_description : "");

  return GTK_WIDGET (self);
}
