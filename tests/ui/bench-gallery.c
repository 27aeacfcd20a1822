/* bench-gallery.c: the gallery over a large library, measured
 *
 * Signs in to $TESSERA_BENCH_URL as $TESSERA_BENCH_USER, then measures:
 * the time from creating the window with the session to the first screen
 * of thumbnails painted; the worst interval between frames while the grid
 * scrolls from top to bottom (pages load as it goes); and the peak
 * resident memory after that. bench/app-gallery.sh seeds the server and
 * runs it under Xvfb.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include <adwaita.h>

#include "tessera-application.h"
#include "tessera-image-tile.h"
#include "tessera-window.h"

/* A fast fling: 48 000 px/s at 60 frames a second. */
#define SCROLL_STEP_PX (g_getenv ("TESSERA_BENCH_STEP") ? g_ascii_strtod (g_getenv ("TESSERA_BENCH_STEP"), NULL) : 800.0)

typedef struct
{
  GtkAdjustment    *adjustment;
  TesseraImageList *list;
  gint64            last_frame_us;
  gint64            worst_frame_us;
  guint             n_frames;
  guint             n_slow_frames;
  gboolean          done;
} Scroll;

static void
count_tiles (GtkWidget *widget,
             guint     *n_tiles,
             guint     *n_thumbnails)
{
  if (TESSERA_IS_IMAGE_TILE (widget))
    {
      if (gtk_widget_get_mapped (widget) && tessera_image_tile_get_image (TESSERA_IMAGE_TILE (widget)) != NULL)
        {
          (*n_tiles)++;
          if (tessera_image_tile_get_has_thumbnail (TESSERA_IMAGE_TILE (widget)))
            (*n_thumbnails)++;
        }
      return;
    }

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    count_tiles (child, n_tiles, n_thumbnails);
}

static GtkWidget *
find_descendant (GtkWidget *widget,
                 GType      type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    return widget;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_descendant (child, type);
      if (found != NULL)
        return found;
    }

  return NULL;
}

static gint64
peak_rss_kb (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL) ||
      (line = strstr (status, "VmHWM:")) == NULL)
    return -1;

  return g_ascii_strtoll (line + strlen ("VmHWM:"), NULL, 10);
}

static void
sign_in_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  GError **error = user_data;

  if (!tessera_client_sign_in_finish (TESSERA_CLIENT (object), result, error) && *error == NULL)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "sign-in failed");
  if (*error == NULL)
    *error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_EXISTS, "ok");
}

static gboolean
scroll_tick (GtkWidget     *widget,
             GdkFrameClock *clock,
             gpointer       user_data)
{
  Scroll *scroll = user_data;
  gint64 now = g_get_monotonic_time ();
  double value = gtk_adjustment_get_value (scroll->adjustment);
  double bottom = gtk_adjustment_get_upper (scroll->adjustment) -
                  gtk_adjustment_get_page_size (scroll->adjustment);

  if (scroll->last_frame_us != 0)
    {
      gint64 interval = now - scroll->last_frame_us;

      scroll->worst_frame_us = MAX (scroll->worst_frame_us, interval);
      if (interval > 50000)
        scroll->n_slow_frames++;
    }
  scroll->last_frame_us = now;
  scroll->n_frames++;

  if (value >= bottom - 1 && !tessera_image_list_get_has_more (scroll->list) &&
      !tessera_image_list_get_loading (scroll->list))
    {
      scroll->done = TRUE;
      return G_SOURCE_REMOVE;
    }

  gtk_adjustment_set_value (scroll->adjustment, MIN (value + SCROLL_STEP_PX, bottom));

  return G_SOURCE_CONTINUE;
}

int
main (int   argc,
      char *argv[])
{
  const char *url = g_getenv ("TESSERA_BENCH_URL");
  const char *user = g_getenv ("TESSERA_BENCH_USER");
  const char *password = g_getenv ("TESSERA_BENCH_PASSWORD");
  g_autoptr(TesseraApplication) app = NULL;
  g_autoptr(TesseraClient) client = NULL;
  g_autoptr(GError) error = NULL;
  TesseraWindow *window;
  GtkScrolledWindow *scroller;
  Scroll scroll = { 0 };
  gint64 start_us, first_us, scroll_start_us;
  guint n_tiles = 0, n_thumbnails = 0;

  if (url == NULL || user == NULL || password == NULL)
    {
      g_printerr ("Set TESSERA_BENCH_URL, TESSERA_BENCH_USER and TESSERA_BENCH_PASSWORD\n");
      return 2;
    }

  gtk_init ();
  adw_init ();

  app = tessera_application_new ();
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);

  client = tessera_client_new (url);
  tessera_client_sign_in_async (client, user, password, NULL, sign_in_cb, &error);
  while (error == NULL)
    g_main_context_iteration (NULL, TRUE);
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_EXISTS))
    {
      g_printerr ("Sign-in failed: %s\n", error->message);
      return 1;
    }
  g_clear_error (&error);

  /* From here on is what a launch with a stored session does. */
  start_us = g_get_monotonic_time ();
  window = tessera_window_new (app);
  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 900);
  gtk_window_present (GTK_WINDOW (window));
  tessera_window_set_client (window, client);

  for (;;)
    {
      g_main_context_iteration (NULL, TRUE);
      n_tiles = n_thumbnails = 0;
      count_tiles (GTK_WIDGET (window), &n_tiles, &n_thumbnails);
      if (n_tiles > 0 && n_thumbnails == n_tiles)
        break;
      if (g_get_monotonic_time () - start_us > 60 * G_USEC_PER_SEC)
        {
          g_printerr ("No thumbnails after 60 s (%u of %u)\n", n_thumbnails, n_tiles);
          return 1;
        }
    }
  /* The frame that shows them. */
  {
    GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (window));
    gint64 counter = gdk_frame_clock_get_frame_counter (clock);

    while (gdk_frame_clock_get_frame_counter (clock) == counter)
      g_main_context_iteration (NULL, TRUE);
  }
  first_us = g_get_monotonic_time ();

  scroller = GTK_SCROLLED_WINDOW (gtk_widget_get_ancestor (find_descendant (GTK_WIDGET (window), GTK_TYPE_GRID_VIEW),
                                                           GTK_TYPE_SCROLLED_WINDOW));
  scroll.adjustment = gtk_scrolled_window_get_vadjustment (scroller);
  scroll.list = tessera_window_get_image_list (window);
  scroll_start_us = g_get_monotonic_time ();
  gtk_widget_add_tick_callback (GTK_WIDGET (scroller), scroll_tick, &scroll, NULL);
  while (!scroll.done)
    g_main_context_iteration (NULL, TRUE);

  printf ("images            %u\n", g_list_model_get_n_items (G_LIST_MODEL (scroll.list)));
  printf ("first_thumbnails  %.0f ms (%u tiles)\n", (first_us - start_us) / 1000.0, n_tiles);
  printf ("scroll            %.1f s, %u frames\n", (g_get_monotonic_time () - scroll_start_us) / 1e6, scroll.n_frames);
  printf ("worst_frame       %.1f ms (%u frames over 50 ms)\n", scroll.worst_frame_us / 1000.0, scroll.n_slow_frames);
  printf ("peak_rss          %" G_GINT64_FORMAT " MB\n", peak_rss_kb () / 1024);

  gtk_window_destroy (GTK_WINDOW (window));

  return 0;
}
