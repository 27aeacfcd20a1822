/* search-provider-bench.c: a 100 000-image listing cache, and the Shell's
 * GetInitialResultSet timed over D-Bus, as bench/search-provider.sh runs them
 *
 *   search-provider-bench fill PATH N_IMAGES
 *   search-provider-bench time N_CALLS TERM...
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <gio/gio.h>
#include <stdlib.h>

/* The listing cache's file format (src/client/tessera-listing-cache.c). */
#define LISTING_FORMAT "(ua(ssas))"

static int
fill (const char *path,
      guint       n_images)
{
  g_autoptr(GVariant) data = NULL;
  g_autoptr(GError) error = NULL;
  GVariantBuilder images;

  g_variant_builder_init (&images, G_VARIANT_TYPE ("a(ssas)"));
  for (guint i = 0; i < n_images; i++)
    {
      g_autofree char *id = g_strdup_printf ("%08x-0000-4000-8000-%012u", i, i);
      g_autofree char *name = g_strdup_printf ("IMG_%06u.jpg", i);
      /* Three tags of 1 000, about 300 images per tag, as the server bench. */
      g_autofree char *t1 = g_strdup_printf ("tag%u", i % 1000);
      g_autofree char *t2 = g_strdup_printf ("tag%u", (i * 7 + 3) % 1000);
      g_autofree char *t3 = g_strdup_printf ("tag%u", (i * 13 + 5) % 1000);
      const char *tags[] = { t1, t2, t3, NULL };

      g_variant_builder_add (&images, "(ss^as)", id, name, tags);
    }
  data = g_variant_ref_sink (g_variant_new (LISTING_FORMAT, 1, &images));

  if (!g_file_set_contents (path, g_variant_get_data (data), g_variant_get_size (data), &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }

  return 0;
}

static int
compare_double (const void *a,
                const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

static int
time_calls (guint        n_calls,
            char       **terms)
{
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree double *ms = g_new0 (double, n_calls);
  gsize n_results = 0;

  bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  if (bus == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }

  /* Call 0 may start the app (D-Bus activation) or read the cache file. */
  for (guint i = 0; i <= n_calls; i++)
    {
      g_autoptr(GVariant) reply = NULL;
      g_autoptr(GVariant) ids = NULL;
      gint64 start = g_get_monotonic_time ();

      reply = g_dbus_connection_call_sync (bus, "io.github.tessera.Tessera",
                                           "/io/github/tessera/Tessera/SearchProvider",
                                           "org.gnome.Shell.SearchProvider2",
                                           "GetInitialResultSet",
                                           g_variant_new ("(^as)", terms),
                                           G_VARIANT_TYPE ("(as)"),
                                           G_DBUS_CALL_FLAGS_NONE, 60000, NULL, &error);
      if (reply == NULL)
        {
          g_printerr ("%s\n", error->message);
          return 1;
        }
      ids = g_variant_get_child_value (reply, 0);
      n_results = g_variant_n_children (ids);

      if (i == 0)
        g_print ("  first call: %.1f ms, %" G_GSIZE_FORMAT " results\n",
                 (g_get_monotonic_time () - start) / 1000.0, n_results);
      else
        ms[i - 1] = (g_get_monotonic_time () - start) / 1000.0;
    }

  qsort (ms, n_calls, sizeof (double), compare_double);
  g_print ("  %u calls: median %.2f ms, p95 %.2f ms, max %.2f ms (%" G_GSIZE_FORMAT " results)\n",
           n_calls, ms[n_calls / 2], ms[(n_calls * 95) / 100], ms[n_calls - 1], n_results);

  return ms[(n_calls * 95) / 100] < 50.0 ? 0 : 2;
}

int
main (int   argc,
      char *argv[])
{
  if (argc == 4 && g_str_equal (argv[1], "fill"))
    return fill (argv[2], (guint) atoi (argv[3]));
  if (argc >= 4 && g_str_equal (argv[1], "time"))
    return time_calls ((guint) atoi (argv[2]), argv + 3);

  g_printerr ("usage: %s fill PATH N | time N_CALLS TERM...\n", argv[0]);
  return 1;
}
