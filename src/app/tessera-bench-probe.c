/* tessera-bench-probe.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-bench-probe"

#include "config.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tessera-bench-probe.h"
#include "tessera-image-list.h"
#include "tessera-image-tile.h"
#include "tessera-screenshot.h"
#include "tessera-window.h"

/* When $TESSERA_BENCH names a file, the window measures itself and quits:
 *
 *  1. the time from the process's start to the first painted frame in
 *     which the gallery shows at least $TESSERA_BENCH_TILES tiles (12 by
 *     default) in its viewport, every one of them with its thumbnail,
 *     and no stack above the grid still cross-fading to it (the frame
 *     where the thumbnails first show mid-fade is recorded as well);
 *  2. then it scrolls the gallery from top to bottom at a steady
 *     $TESSERA_BENCH_SPEED pixels a second (20 000 by default), driven by
 *     a tick callback, waiting at the bottom while pages load, and records
 *     every frame: the frame clock's frame time deltas, the wall-clock time
 *     between paints, and the time each frame's phases took;
 *  3. the peak resident memory (VmHWM) once at the bottom.
 *
 * It writes the figures as JSON and quits the application. Nothing here
 * runs unless the variable is set. bench/run-app.sh drives it. */

#define DEFAULT_MIN_TILES   12
#define DEFAULT_SPEED_PX_S  20000.0
#define DEFAULT_TIMEOUT_S   1200
#define SLOW_FRAME_US       50000

typedef enum {
  PHASE_WAITING,
  PHASE_SETTLING,
  PHASE_SCROLLING,
  PHASE_DONE,
} Phase;

typedef struct
{
  GtkWidget         *window;
  char              *path;
  char              *screenshot_path;
  Phase              phase;
  guint              min_tiles;
  double             speed;

  gint64             start_us;      /* CLOCK_BOOTTIME of the process start */
  gboolean           start_known;
  gint64             attach_us;     /* CLOCK_BOOTTIME when the window was made */

  GdkFrameClock     *clock;
  gulong             before_paint_id;
  gulong             after_paint_id;
  guint              tick_id;
  guint              timeout_id;
  GtkWidget         *grid;
  GtkScrolledWindow *scroller;

  /* First screen */
  gint64             first_screen_us;
  gint64             thumbnails_us;
  guint              first_screen_tiles;
  gint64             first_screen_hwm_kb;
  guint              frames_before_first;

  /* Scroll */
  gint64             settle_until;
  gint64             scroll_start_us;
  gint64             scroll_end_us;
  gint64             last_frame_time;
  gint64             last_paint_us;
  gint64             paint_begin_us;
  gint64             bottom_wait_us;
  gint64             last_tick_frame_time;
  double             position;
  guint              frames_at_end;
  guint              frames_missing_thumbnails;
  GArray            *frame_clock_us;  /* gint64: frame time deltas */
  GArray            *paint_us;        /* gint64: monotonic time between paints */
  GArray            *work_us;         /* gint64: before-paint .. after-paint */
  GArray            *cpu_us;          /* gint64: main thread on a CPU, per paint interval */
  GArray            *wait_us;         /* gint64: main thread runnable but waiting */
  GArray            *new_items;       /* gint64: images the list gained, per paint interval */
  guint              last_n_items;
  gint64             last_cpu_ns;
  gint64             last_wait_ns;
  gint64             first_cpu_ns;
  gint64             first_wait_ns;
  gint64             first_process_cpu_us;
  gint64             first_heap_bytes;
} Probe;

static gint64
boottime_us (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_BOOTTIME, &ts);
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

/* The process's start, from /proc/self/stat (field 22, clock ticks since
 * boot): the time a person waits includes the loader and GTK's start. */
static gboolean
process_start_us (gint64 *start_us)
{
  g_autofree char *stat = NULL;
  g_auto(GStrv) fields = NULL;
  const char *after;
  long ticks_per_s = sysconf (_SC_CLK_TCK);
  guint64 ticks;

  if (!g_file_get_contents ("/proc/self/stat", &stat, NULL, NULL) || ticks_per_s <= 0)
    return FALSE;
  after = strrchr (stat, ')');
  if (after == NULL || after[1] == '\0')
    return FALSE;
  fields = g_strsplit (after + 2, " ", -1);
  /* After "pid (comm) ": state is field 3, so starttime is index 19. */
  if (g_strv_length (fields) < 20)
    return FALSE;
  ticks = g_ascii_strtoull (fields[19], NULL, 10);
  *start_us = (gint64) (ticks * G_USEC_PER_SEC / (guint64) ticks_per_s);
  return TRUE;
}

static gint64
status_kb (const char *key)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  line = strstr (status, key);
  if (line == NULL)
    return -1;
  return g_ascii_strtoll (line + strlen (key), NULL, 10);
}

/* The calling thread's time on a CPU and its time runnable but waiting
 * for one (the scheduler's run queue), in ns, from /proc/thread-self/schedstat:
 * tells a slow frame of the app's own from one the machine's load made. */
static gboolean
thread_schedstat (gint64 *cpu_ns,
                  gint64 *wait_ns)
{
  g_autofree char *text = NULL;
  char *end;

  if (!g_file_get_contents ("/proc/thread-self/schedstat", &text, NULL, NULL))
    return FALSE;
  *cpu_ns = g_ascii_strtoll (text, &end, 10);
  *wait_ns = g_ascii_strtoll (end, NULL, 10);
  return TRUE;
}

static gint64
process_cpu_us (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static gint64
since_start_us (Probe  *probe,
                gint64  now)
{
  return now - (probe->start_known ? probe->start_us : probe->attach_us);
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

/* Whether a stack above the grid is still fading between its pages: the
 * first screen counts once the grid shows on its own. */
static gboolean
in_transition (Probe *probe)
{
  for (GtkWidget *w = gtk_widget_get_parent (probe->grid); w != NULL; w = gtk_widget_get_parent (w))
    if (GTK_IS_STACK (w) && gtk_stack_get_transition_running (GTK_STACK (w)))
      return TRUE;

  return FALSE;
}

/* Tiles with an image whose bounds meet the scroller's viewport. */
static void
count_visible (Probe *probe,
               guint *n_visible,
               guint *n_with_thumbnail)
{
  graphene_rect_t viewport;

  *n_visible = 0;
  *n_with_thumbnail = 0;
  if (probe->grid == NULL || probe->scroller == NULL ||
      !gtk_widget_get_mapped (probe->grid))
    return;

  graphene_rect_init (&viewport, 0, 0,
                      gtk_widget_get_width (GTK_WIDGET (probe->scroller)),
                      gtk_widget_get_height (GTK_WIDGET (probe->scroller)));

  for (GtkWidget *child = gtk_widget_get_first_child (probe->grid);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *tile = find_descendant (child, TESSERA_TYPE_IMAGE_TILE);
      graphene_rect_t bounds;

      if (tile == NULL || !gtk_widget_get_mapped (tile) ||
          tessera_image_tile_get_image (TESSERA_IMAGE_TILE (tile)) == NULL)
        continue;
      if (!gtk_widget_compute_bounds (tile, GTK_WIDGET (probe->scroller), &bounds) ||
          bounds.size.width <= 0 || bounds.size.height <= 0 ||
          !graphene_rect_intersection (&bounds, &viewport, NULL))
        continue;

      (*n_visible)++;
      if (tessera_image_tile_get_has_thumbnail (TESSERA_IMAGE_TILE (tile)))
        (*n_with_thumbnail)++;
    }
}

static int
compare_gint64 (gconstpointer a,
                gconstpointer b)
{
  gint64 x = *(const gint64 *) a;
  gint64 y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static void
append_stats (GString    *json,
              const char *name,
              GArray     *values)
{
  g_autoptr(GArray) sorted = NULL;
  guint n = values->len;
  guint slow = 0;
  gint64 total = 0;

  sorted = g_array_copy (values);
  g_array_sort (sorted, compare_gint64);
  for (guint i = 0; i < n; i++)
    {
      gint64 v = g_array_index (sorted, gint64, i);

      total += v;
      if (v > SLOW_FRAME_US)
        slow++;
    }

#define AT(q) (n == 0 ? 0.0 : g_array_index (sorted, gint64, MIN (n - 1, (guint) ((q) * n))) / 1000.0)
  g_string_append_printf (json,
                          "  \"%s\": {\"count\": %u, \"mean_ms\": %.2f, \"median_ms\": %.2f, "
                          "\"p95_ms\": %.2f, \"p99_ms\": %.2f, \"max_ms\": %.2f, "
                          "\"over_50ms\": %u, \"values_ms\": [",
                          name, n, n == 0 ? 0.0 : total / 1000.0 / n,
                          AT (0.5), AT (0.95), AT (0.99),
                          n == 0 ? 0.0 : g_array_index (sorted, gint64, n - 1) / 1000.0,
                          slow);
#undef AT
  for (guint i = 0; i < n; i++)
    g_string_append_printf (json, "%s%.1f", i == 0 ? "" : ",",
                            g_array_index (values, gint64, i) / 1000.0);
  g_string_append (json, "]},\n");
}

static void
finish (Probe      *probe,
        const char *error_message)
{
  g_autoptr(GString) json = g_string_new ("{\n");
  g_autoptr(GError) error = NULL;
  TesseraImageList *list = tessera_window_get_image_list (TESSERA_WINDOW (probe->window));
  GtkApplication *app;

  if (probe->phase == PHASE_DONE)
    return;
  probe->phase = PHASE_DONE;

  if (error_message != NULL)
    {
      g_autofree char *escaped = g_strescape (error_message, NULL);
      g_string_append_printf (json, "  \"error\": \"%s\",\n", escaped);
    }
  g_string_append_printf (json, "  \"process_start_known\": %s,\n",
                          probe->start_known ? "true" : "false");
  g_string_append_printf (json, "  \"window_init_ms\": %.1f,\n",
                          (probe->attach_us - (probe->start_known ? probe->start_us : probe->attach_us)) / 1000.0);
  g_string_append_printf (json, "  \"first_screen_ms\": %.1f,\n",
                          probe->first_screen_us > 0 ? probe->first_screen_us / 1000.0 : -1.0);
  g_string_append_printf (json, "  \"thumbnails_in_transition_ms\": %.1f,\n",
                          probe->thumbnails_us > 0 ? probe->thumbnails_us / 1000.0 : -1.0);
  g_string_append_printf (json, "  \"first_screen_tiles\": %u,\n", probe->first_screen_tiles);
  g_string_append_printf (json, "  \"frames_before_first_screen\": %u,\n", probe->frames_before_first);
  g_string_append_printf (json, "  \"first_screen_vm_hwm_kb\": %" G_GINT64_FORMAT ",\n",
                          probe->first_screen_hwm_kb);
  g_string_append_printf (json, "  \"scroll_speed_px_s\": %.0f,\n", probe->speed);
  g_string_append_printf (json, "  \"scroll_s\": %.2f,\n",
                          probe->scroll_end_us > probe->scroll_start_us
                          ? (probe->scroll_end_us - probe->scroll_start_us) / 1e6 : 0.0);
  g_string_append_printf (json, "  \"bottom_wait_s\": %.2f,\n", probe->bottom_wait_us / 1e6);
  g_string_append_printf (json, "  \"scroll_px\": %.0f,\n", probe->position);
  g_string_append_printf (json, "  \"frames_missing_thumbnails\": %u,\n",
                          probe->frames_missing_thumbnails);
  g_string_append_printf (json, "  \"n_items\": %u,\n",
                          list != NULL ? g_list_model_get_n_items (G_LIST_MODEL (list)) : 0);
  g_string_append_printf (json, "  \"has_more\": %s,\n",
                          list != NULL && tessera_image_list_get_has_more (list) ? "true" : "false");
  append_stats (json, "frame_clock_interval", probe->frame_clock_us);
  append_stats (json, "paint_interval", probe->paint_us);
  append_stats (json, "frame_work", probe->work_us);
  append_stats (json, "interval_main_thread_cpu", probe->cpu_us);
  append_stats (json, "interval_main_thread_runqueue_wait", probe->wait_us);
  g_string_append (json, "  \"interval_new_items\": [");
  for (guint i = 0; i < probe->new_items->len; i++)
    g_string_append_printf (json, "%s%" G_GINT64_FORMAT, i == 0 ? "" : ",",
                            g_array_index (probe->new_items, gint64, i));
  g_string_append (json, "],\n");
  {
    guint worst = 0;

    for (guint i = 1; i < probe->paint_us->len; i++)
      if (g_array_index (probe->paint_us, gint64, i) > g_array_index (probe->paint_us, gint64, worst))
        worst = i;
    if (probe->paint_us->len > 0 && probe->cpu_us->len == probe->paint_us->len)
      g_string_append_printf (json,
                              "  \"worst_paint_interval\": {\"wall_ms\": %.1f, \"main_thread_cpu_ms\": %.1f, "
                              "\"main_thread_runqueue_wait_ms\": %.1f},\n",
                              g_array_index (probe->paint_us, gint64, worst) / 1000.0,
                              g_array_index (probe->cpu_us, gint64, worst) / 1000.0,
                              g_array_index (probe->wait_us, gint64, worst) / 1000.0);
  }
  g_string_append_printf (json, "  \"first_screen_main_thread_cpu_ms\": %.1f,\n", probe->first_cpu_ns / 1e6);
  g_string_append_printf (json, "  \"first_screen_main_thread_runqueue_wait_ms\": %.1f,\n", probe->first_wait_ns / 1e6);
  g_string_append_printf (json, "  \"first_screen_process_cpu_ms\": %.1f,\n", probe->first_process_cpu_us / 1e3);
  g_string_append_printf (json, "  \"process_cpu_s\": %.2f,\n", process_cpu_us () / 1e6);
  g_string_append_printf (json, "  \"vm_rss_kb\": %" G_GINT64_FORMAT ",\n", status_kb ("VmRSS:"));
  g_string_append_printf (json, "  \"vm_hwm_kb\": %" G_GINT64_FORMAT ",\n", status_kb ("VmHWM:"));
  {
    /* Live heap (every arena) against what malloc keeps but no longer
     * uses: whether the peak is data or freed memory held back. */
    struct mallinfo2 info = mallinfo2 ();
    guint n_items = list != NULL ? g_list_model_get_n_items (G_LIST_MODEL (list)) : 0;

    g_string_append_printf (json, "  \"first_screen_heap_in_use_kb\": %" G_GINT64_FORMAT ",\n",
                            probe->first_heap_bytes / 1024);
    g_string_append_printf (json, "  \"heap_in_use_kb\": %zu,\n", info.uordblks / 1024);
    g_string_append_printf (json, "  \"heap_free_kept_kb\": %zu,\n", info.fordblks / 1024);
    g_string_append_printf (json, "  \"heap_mmapped_kb\": %zu,\n", info.hblkhd / 1024);
    g_string_append_printf (json, "  \"heap_in_use_per_image_bytes\": %.0f,\n",
                            n_items > 0 ? ((double) info.uordblks - probe->first_heap_bytes) / n_items : 0.0);
    malloc_trim (0);
    g_string_append_printf (json, "  \"vm_rss_after_malloc_trim_kb\": %" G_GINT64_FORMAT "\n}\n",
                            status_kb ("VmRSS:"));
  }

  if (!g_file_set_contents (probe->path, json->str, json->len, &error))
    g_warning ("Could not write the bench results: %s", error->message);

  if (probe->tick_id != 0)
    {
      gtk_widget_remove_tick_callback (probe->window, probe->tick_id);
      probe->tick_id = 0;
    }
  g_clear_handle_id (&probe->timeout_id, g_source_remove);
  if (probe->clock != NULL)
    {
      g_clear_signal_handler (&probe->before_paint_id, probe->clock);
      g_clear_signal_handler (&probe->after_paint_id, probe->clock);
    }

  app = gtk_window_get_application (GTK_WINDOW (probe->window));
  if (app != NULL)
    g_application_quit (G_APPLICATION (app));
}

static gboolean
on_timeout (gpointer user_data)
{
  Probe *probe = user_data;

  probe->timeout_id = 0;
  finish (probe, probe->phase == PHASE_WAITING
                 ? "timed out before the first screen of thumbnails"
                 : "timed out while scrolling");
  return G_SOURCE_REMOVE;
}

static gboolean
scroll_finished (Probe         *probe,
                 GtkAdjustment *adjustment)
{
  TesseraImageList *list = tessera_window_get_image_list (TESSERA_WINDOW (probe->window));
  double end = gtk_adjustment_get_upper (adjustment) - gtk_adjustment_get_page_size (adjustment);

  return list != NULL &&
         !tessera_image_list_get_has_more (list) &&
         !tessera_image_list_get_loading (list) &&
         gtk_adjustment_get_value (adjustment) >= end - 0.5;
}

static gboolean
tick_cb (GtkWidget     *widget,
         GdkFrameClock *frame_clock,
         gpointer       user_data)
{
  Probe *probe = user_data;
  gint64 frame_time = gdk_frame_clock_get_frame_time (frame_clock);
  GtkAdjustment *adjustment;
  double end;

  if (probe->phase == PHASE_SETTLING && frame_time >= probe->settle_until)
    {
      probe->phase = PHASE_SCROLLING;
      probe->scroll_start_us = g_get_monotonic_time ();
      probe->last_frame_time = 0;
      probe->last_paint_us = 0;
      probe->last_tick_frame_time = frame_time;
    }

  if (probe->phase != PHASE_SCROLLING)
    return G_SOURCE_CONTINUE;

  adjustment = gtk_scrolled_window_get_vadjustment (probe->scroller);
  end = gtk_adjustment_get_upper (adjustment) - gtk_adjustment_get_page_size (adjustment);

  if (scroll_finished (probe, adjustment))
    {
      /* A few frames at the bottom so its last pages paint, then stop. */
      if (++probe->frames_at_end >= 10)
        {
          probe->scroll_end_us = g_get_monotonic_time ();
          finish (probe, NULL);
          return G_SOURCE_REMOVE;
        }
      return G_SOURCE_CONTINUE;
    }

  probe->position += probe->speed * (frame_time - probe->last_tick_frame_time) / G_USEC_PER_SEC;
  if (probe->position >= end)
    {
      /* Waiting at the bottom for the next page. */
      probe->bottom_wait_us += frame_time - probe->last_tick_frame_time;
      probe->position = MAX (end, 0);
    }
  probe->last_tick_frame_time = frame_time;
  gtk_adjustment_set_value (adjustment, probe->position);

  return G_SOURCE_CONTINUE;
}

static void
on_before_paint (GdkFrameClock *frame_clock,
                 Probe         *probe)
{
  probe->paint_begin_us = g_get_monotonic_time ();
}

static void
on_after_paint (GdkFrameClock *frame_clock,
                Probe         *probe)
{
  gint64 now = g_get_monotonic_time ();
  guint n_visible, n_with_thumbnail;

  if (probe->phase == PHASE_WAITING)
    {
      probe->frames_before_first++;
      count_visible (probe, &n_visible, &n_with_thumbnail);
      if (n_visible >= probe->min_tiles && n_with_thumbnail == n_visible &&
          probe->thumbnails_us == 0)
        probe->thumbnails_us = since_start_us (probe, boottime_us ());
      if (n_visible >= probe->min_tiles && n_with_thumbnail == n_visible &&
          !in_transition (probe))
        {
          probe->first_screen_us = since_start_us (probe, boottime_us ());
          probe->first_screen_tiles = n_visible;
          probe->first_screen_hwm_kb = status_kb ("VmHWM:");
          probe->first_process_cpu_us = process_cpu_us ();
          probe->first_heap_bytes = (gint64) mallinfo2 ().uordblks;
          thread_schedstat (&probe->first_cpu_ns, &probe->first_wait_ns);
          if (probe->screenshot_path != NULL)
            {
              g_autoptr(GError) error = NULL;

              if (!tessera_screenshot_save (probe->window, probe->screenshot_path, &error))
                g_warning ("Bench screenshot: %s", error->message);
            }
          /* Half a second for the first screen's stragglers to settle. */
          probe->phase = PHASE_SETTLING;
          probe->settle_until = gdk_frame_clock_get_frame_time (frame_clock) + G_USEC_PER_SEC / 2;
        }
      return;
    }

  if (probe->phase != PHASE_SCROLLING)
    return;

  {
    gint64 frame_time = gdk_frame_clock_get_frame_time (frame_clock);

    if (probe->last_frame_time != 0)
      {
        gint64 delta = frame_time - probe->last_frame_time;
        g_array_append_val (probe->frame_clock_us, delta);
      }
    probe->last_frame_time = frame_time;
  }

  {
    gint64 cpu_ns = 0, wait_ns = 0;

    thread_schedstat (&cpu_ns, &wait_ns);
    if (probe->last_paint_us != 0)
      {
        TesseraImageList *list = tessera_window_get_image_list (TESSERA_WINDOW (probe->window));
        guint n_items = list != NULL ? g_list_model_get_n_items (G_LIST_MODEL (list)) : 0;
        gint64 delta = now - probe->last_paint_us;
        gint64 cpu = (cpu_ns - probe->last_cpu_ns) / 1000;
        gint64 wait = (wait_ns - probe->last_wait_ns) / 1000;
        gint64 gained = (gint64) n_items - probe->last_n_items;

        g_array_append_val (probe->paint_us, delta);
        g_array_append_val (probe->cpu_us, cpu);
        g_array_append_val (probe->wait_us, wait);
        g_array_append_val (probe->new_items, gained);
        probe->last_n_items = n_items;
      }
    else
      {
        TesseraImageList *list = tessera_window_get_image_list (TESSERA_WINDOW (probe->window));

        probe->last_n_items = list != NULL ? g_list_model_get_n_items (G_LIST_MODEL (list)) : 0;
      }
    probe->last_paint_us = now;
    probe->last_cpu_ns = cpu_ns;
    probe->last_wait_ns = wait_ns;
  }

  if (probe->paint_begin_us != 0)
    {
      gint64 work = now - probe->paint_begin_us;
      g_array_append_val (probe->work_us, work);
    }

  count_visible (probe, &n_visible, &n_with_thumbnail);
  if (n_with_thumbnail < n_visible)
    probe->frames_missing_thumbnails++;
}

static void
on_realize (GtkWidget *window,
            Probe     *probe)
{
  if (probe->clock != NULL)
    return;

  probe->clock = g_object_ref (gtk_widget_get_frame_clock (window));
  probe->before_paint_id = g_signal_connect (probe->clock, "before-paint",
                                             G_CALLBACK (on_before_paint), probe);
  probe->after_paint_id = g_signal_connect (probe->clock, "after-paint",
                                            G_CALLBACK (on_after_paint), probe);
}

static guint
env_uint (const char *name,
          guint       fallback)
{
  const char *value = g_getenv (name);
  guint64 parsed;

  if (value == NULL || !g_ascii_string_to_unsigned (value, 10, 1, G_MAXUINT, &parsed, NULL))
    return fallback;
  return (guint) parsed;
}

/**
 * tessera_bench_probe_attach:
 * @window: the #TesseraWindow, from its init
 *
 * Does nothing unless $TESSERA_BENCH names an output file; then measures
 * the gallery as described at the top of this file, writes JSON there and
 * quits the application. One window per process.
 */
void
tessera_bench_probe_attach (GtkWidget *window)
{
  static Probe *probe;
  const char *path = g_getenv ("TESSERA_BENCH");
  const char *speed = g_getenv ("TESSERA_BENCH_SPEED");

  g_return_if_fail (TESSERA_IS_WINDOW (window));

  if (path == NULL || path[0] == '\0' || probe != NULL)
    return;

  probe = g_new0 (Probe, 1);
  probe->window = window;
  probe->path = g_strdup (path);
  probe->screenshot_path = g_strdup (g_getenv ("TESSERA_BENCH_SCREENSHOT"));
  probe->min_tiles = env_uint ("TESSERA_BENCH_TILES", DEFAULT_MIN_TILES);
  probe->speed = speed != NULL ? g_ascii_strtod (speed, NULL) : DEFAULT_SPEED_PX_S;
  if (probe->speed <= 0)
    probe->speed = DEFAULT_SPEED_PX_S;
  probe->attach_us = boottime_us ();
  probe->start_known = process_start_us (&probe->start_us) &&
                       probe->start_us <= probe->attach_us &&
                       probe->attach_us - probe->start_us < 60 * G_USEC_PER_SEC;
  probe->frame_clock_us = g_array_new (FALSE, FALSE, sizeof (gint64));
  probe->paint_us = g_array_new (FALSE, FALSE, sizeof (gint64));
  probe->work_us = g_array_new (FALSE, FALSE, sizeof (gint64));
  probe->cpu_us = g_array_new (FALSE, FALSE, sizeof (gint64));
  probe->wait_us = g_array_new (FALSE, FALSE, sizeof (gint64));
  probe->new_items = g_array_new (FALSE, FALSE, sizeof (gint64));

  probe->grid = find_descendant (window, GTK_TYPE_GRID_VIEW);
  if (probe->grid != NULL)
    probe->scroller = GTK_SCROLLED_WINDOW (gtk_widget_get_ancestor (probe->grid, GTK_TYPE_SCROLLED_WINDOW));
  if (probe->scroller == NULL)
    {
      g_warning ("Bench probe: no gallery grid in the window");
      return;
    }

  /* The probe lives as long as the process: the window quits it. */
  g_signal_connect_after (window, "realize", G_CALLBACK (on_realize), probe);
  probe->tick_id = gtk_widget_add_tick_callback (window, tick_cb, probe, NULL);
  probe->timeout_id = g_timeout_add_seconds (env_uint ("TESSERA_BENCH_TIMEOUT", DEFAULT_TIMEOUT_S),
                                             on_timeout, probe);
}
