/* test-ui-window.c: the main window as a new user first sees it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <adwaita.h>

#include "tessera-application.h"
#include "tessera-screenshot.h"
#include "tessera-window.h"

static void
wait_until_drawn (GtkWidget *widget)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  while (!gtk_widget_get_mapped (widget) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  /* A few more frames so the layout settles. */
  for (guint i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
  g_usleep (100000);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
test_window_empty_state (void)
{
  g_autoptr(TesseraApplication) app = tessera_application_new ();
  g_autofree char *path = g_build_filename (g_getenv ("G_TEST_BUILDDIR"), "screenshot-empty.png", NULL);
  g_autoptr(GError) error = NULL;
  TesseraWindow *window;
  GtkWidget *stack;

  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);
  /* startup runs on register */
  window = tessera_window_new (app);
  gtk_window_present (GTK_WINDOW (window));
  wait_until_drawn (GTK_WIDGET (window));

  stack = gtk_widget_get_first_child (GTK_WIDGET (window));
  g_assert_nonnull (stack);

  g_assert_true (tessera_screenshot_save (GTK_WIDGET (window), path, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));

  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add_func ("/ui/window/empty-state", test_window_empty_state);

  return g_test_run ();
}
