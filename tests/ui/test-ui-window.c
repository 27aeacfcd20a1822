/* test-ui-window.c: the main window before anyone signs in, and the
 * windows of "the rest of a real app" (shortcuts, preferences, about)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <adwaita.h>

#include "tessera-application.h"
#include "tessera-screenshot.h"
#include "tessera-window.h"

static void
settle (void)
{
  for (guint i = 0; i < 30; i++)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (10000);
    }
}

static void
wait_until_mapped (GtkWidget *widget)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (!gtk_widget_get_mapped (widget) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE);
  g_assert_true (gtk_widget_get_mapped (widget));
  settle ();
}

static void
screenshot (GtkWidget  *widget,
            const char *name)
{
  g_autofree char *file = g_strdup_printf ("screenshot-%s.png", name);
  g_autofree char *path = g_build_filename (g_getenv ("G_TEST_BUILDDIR"), file, NULL);
  g_autoptr(GError) error = NULL;

  tessera_screenshot_save (widget, path, &error);
  g_assert_no_error (error);
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
}

static GtkWindow *
find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) toplevel = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (toplevel, type))
        return GTK_WINDOW (toplevel);
    }

  return NULL;
}

static TesseraApplication *
new_app (void)
{
  TesseraApplication *app = tessera_application_new ();
  g_autoptr(GError) error = NULL;

  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_HANDLES_OPEN | G_APPLICATION_NON_UNIQUE);
  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);

  return app;
}

static gboolean
weak_gone (gpointer data)
{
  return *(gpointer *) data == NULL;
}

/* Shut down as g_application_run() does on its way out (GtkApplication
 * holds itself until then), and nothing may keep the app alive after. */
static void
free_app (TesseraApplication *app)
{
  gpointer weak = app;
  GLogLevelFlags fatal;
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  g_object_add_weak_pointer (G_OBJECT (app), &weak);
  g_signal_emit_by_name (app, "shutdown");
  /* GApplication warns that an app registered without g_application_run()
   * did not unregister; finalizing it ends the registration all the same. */
  fatal = g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  g_object_unref (app);
  while (!weak_gone (&weak) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE);
  g_log_set_always_fatal (fatal);
  g_assert_null (weak);
}

static void
test_window_signed_out (void)
{
  TesseraApplication *app = new_app ();
  TesseraWindow *window;

  window = tessera_window_new (app);
  gtk_window_present (GTK_WINDOW (window));
  wait_until_mapped (GTK_WIDGET (window));

  /* Nobody signed in: no models, nothing to upload to. */
  g_assert_null (tessera_window_get_client (window));
  g_assert_null (tessera_window_get_image_list (window));
  g_assert_null (tessera_window_get_upload_queue (window));
  g_assert_cmpstr (tessera_window_get_page (window), ==, "loading");
  screenshot (GTK_WIDGET (window), "signed-out-window");

  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &window);
  gtk_window_destroy (GTK_WINDOW (window));
  settle ();
  /* Nothing the window started keeps it alive. */
  g_assert_null (window);
  free_app (app);
}

static void
test_window_secondary_windows (void)
{
  TesseraApplication *app = new_app ();
  TesseraWindow *window;
  GtkWindow *other;

  window = tessera_window_new (app);
  gtk_window_present (GTK_WINDOW (window));
  wait_until_mapped (GTK_WIDGET (window));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-help-overlay", NULL));
  other = find_toplevel (GTK_TYPE_SHORTCUTS_WINDOW);
  g_assert_nonnull (other);
  wait_until_mapped (GTK_WIDGET (other));
  screenshot (GTK_WIDGET (other), "shortcuts");
  gtk_widget_set_visible (GTK_WIDGET (other), FALSE);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.preferences", NULL));
  other = find_toplevel (ADW_TYPE_PREFERENCES_WINDOW);
  g_assert_nonnull (other);
  wait_until_mapped (GTK_WIDGET (other));
  screenshot (GTK_WIDGET (other), "preferences");
  gtk_window_destroy (other);

  g_action_group_activate_action (G_ACTION_GROUP (app), "about", NULL);
  other = find_toplevel (ADW_TYPE_ABOUT_WINDOW);
  g_assert_nonnull (other);
  wait_until_mapped (GTK_WIDGET (other));
  screenshot (GTK_WIDGET (other), "about");
  gtk_window_destroy (other);

  gtk_window_destroy (GTK_WINDOW (window));
  settle ();
  free_app (app);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add_func ("/ui/window/signed-out", test_window_signed_out);
  g_test_add_func ("/ui/window/secondary-windows", test_window_secondary_windows);

  return g_test_run ();
}
