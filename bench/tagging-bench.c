/* tagging-bench.c: the ObjectCreated job, timed stage by stage
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Runs the real job (tessera_api_on_object_created) with the real local
 * adapters (SQLite index, local object store) in a temporary directory and
 * the configured tagger, once per picture and repetition, and prints one
 * tab-separated line per job:
 *
 *   picture run job check thumbnails tagging load exif colour grey faces text hwm cpu labels
 *
 * times in ms (cpu: the process's user + system time during the job, all
 * threads), hwm the process's peak resident memory during that job in MB
 * (VmHWM, reset before each job through /proc/self/clear_refs). The step and
 * stage times are the ones the job and the tagger log at debug level.
 * bench/run-taggers.sh drives it.
 *
 * Usage: tagging-bench [--tagger local|none] [--config FILE] [--repeat N] PICTURE...
 */

#define G_LOG_DOMAIN "tagging-bench"

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include <vips/vips.h>

#include "tessera-api.h"
#include "tessera-local-db.h"
#include "tessera-local-index.h"
#include "tessera-local-object-store.h"
#include "tessera-server-config.h"
#include "tessera-taggers.h"
#include "tessera-util.h"

typedef struct
{
  double check, thumbnails, tagging;
  double exif, colour, grey, faces, text, load;
} Times;

static Times times;

static void
capture_debug (const char     *domain,
               GLogLevelFlags  level,
               const char     *message,
               gpointer        user_data)
{
  const char *p;

  if ((p = strstr (message, "Job steps in ms: ")) != NULL)
    sscanf (p, "Job steps in ms: check %lf, thumbnails %lf, tagging %lf",
            &times.check, &times.thumbnails, &times.tagging);
  else if ((p = strstr (message, "Stages in ms: ")) != NULL)
    sscanf (p, "Stages in ms: load %lf, exif %lf, colour %lf, grey %lf, faces %lf, text %lf",
            &times.load, &times.exif, &times.colour, &times.grey, &times.faces, &times.text);
}

/* kB of a VmXXX line of /proc/self/status */
static long
proc_status_kb (const char *field)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  line = strstr (status, field);
  if (line == NULL)
    return -1;
  return strtol (line + strlen (field) + 1, NULL, 10);
}

static double
cpu_ms (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000.0
         + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1000.0;
}

static void
reset_peak (void)
{
  /* "5" resets VmHWM to the current RSS (Linux 4.0 and later). */
  FILE *clear_refs = fopen ("/proc/self/clear_refs", "w");
  gboolean ok = clear_refs != NULL && fputs ("5", clear_refs) >= 0;

  if (clear_refs != NULL && fclose (clear_refs) != 0)
    ok = FALSE;
  if (!ok)
    g_printerr ("cannot reset VmHWM: peaks include earlier jobs\n");
}

static void
remove_tree (const char *path)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          remove_tree (child);
        }
      g_rmdir (path);
    }
  else
    g_unlink (path);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GKeyFile) tagger_config = g_key_file_new ();
  g_autofree char *name = NULL;
  g_autofree char *config_path = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *server_config_path = NULL;
  g_autofree char *db_path = NULL;
  g_auto(GStrv) files = NULL;
  int repeat = 1;
  GOptionEntry entries[] = {
    { "tagger", 0, 0, G_OPTION_ARG_STRING, &name, "local (default), clarifai or none", "NAME" },
    { "config", 0, 0, G_OPTION_ARG_FILENAME, &config_path, "a key file with a [tagger] group", "FILE" },
    { "repeat", 0, 0, G_OPTION_ARG_INT, &repeat, "jobs per picture (1)", "N" },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files, NULL, "PICTURE…" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- time the ObjectCreated job");
  TesseraServerConfig *server_config = NULL;
  TesseraLocalDb *db = NULL;
  TesseraLocalIndex *index = NULL;
  TesseraLocalObjectStore *objects = NULL;
  TesseraTagger *tagger = NULL;
  TesseraApi api = { 0 };
  gint64 start;
  int status = 0;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (VIPS_INIT (argv[0]) != 0)
    return 1;
  /* As tessera-server does. */
  vips_cache_set_max (0);
  vips_cache_set_max_mem (0);

  g_log_set_handler ("tessera-api", G_LOG_LEVEL_DEBUG, capture_debug, NULL);
  g_log_set_handler ("tessera-taggers", G_LOG_LEVEL_DEBUG, capture_debug, NULL);

  if (config_path && !g_key_file_load_from_file (tagger_config, config_path, G_KEY_FILE_NONE, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }

  dir = g_dir_make_tmp ("tessera-tagging-bench-XXXXXX", &error);
  if (dir == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  server_config_path = g_build_filename (dir, "tessera-server.conf", NULL);
  db_path = g_build_filename (dir, "tessera.db", NULL);
  if ((server_config = tessera_server_config_load (server_config_path, &error)) == NULL
      || (db = tessera_local_db_open (db_path, &error)) == NULL
      || (objects = tessera_local_object_store_new (dir, server_config, "http://127.0.0.1:9",
                                                    &error)) == NULL)
    {
      g_printerr ("%s\n", error->message);
      remove_tree (dir);
      return 1;
    }
  index = tessera_local_index_new (db);

  start = g_get_monotonic_time ();
  if (name == NULL || !g_str_equal (name, "none"))
    {
      tagger = tessera_tagger_new_by_name (name ? name : "local", tagger_config, &error);
      if (tagger == NULL)
        {
          g_printerr ("%s\n", error ? error->message : "no tagger");
          remove_tree (dir);
          return 1;
        }
    }
  g_print ("# tagger created in %.1f ms; before any job: VmRSS %.1f MB, VmHWM %.1f MB\n",
           (g_get_monotonic_time () - start) / 1000.0,
           proc_status_kb ("VmRSS:") / 1024.0, proc_status_kb ("VmHWM:") / 1024.0);
  g_print ("#picture\trun\tjob\tcheck\tthumbnails\ttagging\tload\texif\tcolour\tgrey\tfaces\ttext\thwm_mb\tcpu\tlabels\n");

  api.index = TESSERA_IMAGE_INDEX (index);
  api.objects = TESSERA_OBJECT_STORE (objects);
  api.tagger = tagger;
  tessera_api_settings_init_defaults (&api.settings);

  for (int run = 0; run < repeat; run++)
    for (guint i = 0; files && files[i]; i++)
      {
        g_autoptr(TesseraImageRecord) record = tessera_image_record_new ();
        g_autoptr(TesseraImageRecord) result = NULL;
        g_autoptr(GFile) file = g_file_new_for_commandline_arg (files[i]);
        g_autoptr(GString) labels = g_string_new (NULL);
        g_autofree char *basename = g_path_get_basename (files[i]);
        g_autofree char *event = NULL;
        double job_ms, cpu_start;

        record->id = tessera_id_new ();
        record->owner = g_strdup ("bench");
        record->filename = g_strdup (basename);
        record->object_key = g_strdup_printf ("u/bench/%s", record->id);
        record->created_at = record->updated_at = tessera_now_ms ();
        record->status = TESSERA_IMAGE_STATUS_UPLOADING;
        if (!tessera_image_index_insert (api.index, record, &error)
            || !tessera_object_store_put_file (api.objects, record->object_key, file,
                                               "image/jpeg", NULL, &error))
          {
            g_printerr ("%s: %s\n", files[i], error->message);
            g_clear_error (&error);
            status = 1;
            continue;
          }
        event = g_strdup_printf ("{\"Records\":[{\"eventName\":\"ObjectCreated:Post\","
                                 "\"s3\":{\"object\":{\"key\":\"%s\"}}}]}", record->object_key);

        memset (&times, 0, sizeof times);
        reset_peak ();
        cpu_start = cpu_ms ();
        start = g_get_monotonic_time ();
        if (!tessera_api_on_object_created (&api, event, NULL, &error))
          {
            g_printerr ("%s: %s\n", files[i], error->message);
            g_clear_error (&error);
            status = 1;
            continue;
          }
        job_ms = (g_get_monotonic_time () - start) / 1000.0;
        cpu_start = cpu_ms () - cpu_start;

        result = tessera_image_index_get (api.index, "bench", record->id, &error);
        if (result == NULL || result->status != TESSERA_IMAGE_STATUS_READY)
          {
            g_printerr ("%s: not ready: %s\n", files[i],
                        result ? result->failure_reason : error->message);
            g_clear_error (&error);
            status = 1;
            continue;
          }
        for (guint k = 0; k < result->labels->len; k++)
          {
            const TesseraLabel *label = g_ptr_array_index (result->labels, k);

            g_string_append_printf (labels, "%s%s=%.2f", k ? "," : "", label->name, label->confidence);
          }

        g_print ("%s\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%s\n",
                 basename, run, job_ms, times.check, times.thumbnails, times.tagging,
                 times.load, times.exif, times.colour, times.grey, times.faces, times.text,
                 proc_status_kb ("VmHWM:") / 1024.0, cpu_start, labels->str);
      }

  g_clear_object (&tagger);
  g_clear_object (&objects);
  g_clear_object (&index);
  g_clear_object (&db);
  g_clear_pointer (&server_config, tessera_server_config_free);
  remove_tree (dir);
  vips_shutdown ();
  return status;
}
