/* tessera-server.c: the local host: API Gateway + Lambda + Cognito + S3 on
 * one machine
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-server"

#include "config.h"

#include <errno.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <vips/vips.h>

#include "tessera-error.h"
#include "tessera-gateway.h"
#include "tessera-local-db.h"
#include "tessera-local-index.h"
#include "tessera-local-object-store.h"
#include "tessera-local-queue.h"
#include "tessera-local-user-pool.h"
#include "tessera-s3.h"
#include "tessera-server-config.h"
#include "tessera-taggers.h"
#include "tessera-worker.h"

#define EXIT_USAGE 2
/* How long a shutdown lets requests and jobs in progress finish. */
#define STOP_TIMEOUT_MS 10000

static char *data_dir;
static char *listen_address;
static char *config_path;
static gboolean show_version;
static gboolean show_dead_letters;

static const GOptionEntry entries[] = {
  { "data-dir", 'd', 0, G_OPTION_ARG_FILENAME, &data_dir,
    "Where the database, objects and keys live (default: $XDG_DATA_HOME/tessera/server)", "DIR" },
  { "listen", 'l', 0, G_OPTION_ARG_STRING, &listen_address,
    "Address and port to serve on; port 0 picks a free one (default: 127.0.0.1:8080)", "ADDR:PORT" },
  { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
    "Configuration file (default: DIR/tessera-server.conf)", "FILE" },
  { "dead-letters", 0, 0, G_OPTION_ARG_NONE, &show_dead_letters,
    "Print the jobs that failed for good, and exit", NULL },
  { "version", 0, 0, G_OPTION_ARG_NONE, &show_version,
    "Print the version and exit", NULL },
  { NULL }
};

static gboolean
on_signal (gpointer user_data)
{
  GMainLoop *loop = user_data;

  g_message ("Stopping");
  g_main_loop_quit (loop);

  return G_SOURCE_CONTINUE;
}

static void
wake_worker (gpointer user_data)
{
  tessera_worker_wake (TESSERA_WORKER (user_data));
}

static int
print_dead_letters (TesseraLocalDb *db)
{
  g_autoptr(TesseraLocalQueue) queue = tessera_local_queue_new (db);
  g_autoptr(GPtrArray) jobs = NULL;
  g_autoptr(GError) error = NULL;

  jobs = tessera_local_queue_list_dead (queue, &error);
  if (jobs == NULL)
    {
      g_printerr ("tessera-server: %s\n", error->message);
      return EXIT_FAILURE;
    }

  g_print ("%-8s %-8s %-40s %s\n", "ID", "ATTEMPTS", "KEY", "LAST ERROR");
  for (guint i = 0; i < jobs->len; i++)
    {
      TesseraLocalJob *job = g_ptr_array_index (jobs, i);
      g_autofree char *key = tessera_worker_dup_event_key (job->event);

      g_print ("%-8" G_GINT64_FORMAT " %-8u %-40s %s\n",
               job->id, job->attempts, key ? key : "?",
               job->last_error ? job->last_error : "");
    }
  g_print ("%u dead jobs\n", jobs->len);

  return EXIT_SUCCESS;
}

static void
fill_api_settings (TesseraApiSettings        *settings,
                   const TesseraServerConfig *config)
{
  tessera_api_settings_init_defaults (settings);
  settings->max_upload_size = config->max_upload_size;
  settings->upload_expires = config->upload_expires;
  settings->url_expires = config->url_expires;
  settings->max_pixels = config->max_pixels;
  settings->trash_retention_ms = config->trash_retention * 1000;
  settings->max_body_size = config->max_body_size;
  settings->tag_threshold = config->tagger_threshold;
  settings->debug_delay_ms = config->job_debug_delay_ms;
}

static int
run (void)
{
  g_autoptr(TesseraServerConfig) config = NULL;
  g_autoptr(TesseraLocalDb) db = NULL;
  g_autoptr(TesseraGateway) gateway = NULL;
  g_autoptr(TesseraLocalIndex) index = NULL;
  g_autoptr(TesseraLocalQueue) queue = NULL;
  g_autoptr(TesseraLocalUserPool) user_pool = NULL;
  g_autoptr(TesseraLocalObjectStore) objects = NULL;
  g_autoptr(TesseraTagger) tagger = NULL;
  g_autoptr(TesseraS3) s3 = NULL;
  g_autoptr(TesseraWorker) worker = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *db_path = NULL;
  g_autofree char *key_path = NULL;
  g_autofree char *public_url = NULL;
  TesseraLocalUserPoolSettings pool_settings;
  TesseraWorkerSettings worker_settings;
  TesseraApi api = { 0 };
  guint sigint_id, sigterm_id;

  if (data_dir == NULL)
    data_dir = g_build_filename (g_get_user_data_dir (), "tessera", "server", NULL);
  if (listen_address == NULL)
    listen_address = g_strdup ("127.0.0.1:8080");
  if (config_path == NULL)
    config_path = g_build_filename (data_dir, "tessera-server.conf", NULL);

  if (g_mkdir_with_parents (data_dir, 0700) != 0)
    {
      g_printerr ("tessera-server: cannot create %s: %s\n", data_dir, g_strerror (errno));
      return EXIT_FAILURE;
    }

  config = tessera_server_config_load (config_path, &error);
  if (config == NULL)
    {
      g_printerr ("tessera-server: %s\n", error->message);
      return EXIT_USAGE;
    }

  db_path = g_build_filename (data_dir, "tessera.db", NULL);
  db = tessera_local_db_open (db_path, &error);
  if (db == NULL)
    {
      g_printerr ("tessera-server: cannot open %s: %s\n", db_path, error->message);
      return EXIT_FAILURE;
    }

  if (show_dead_letters)
    return print_dead_letters (db);

  tagger = tessera_tagger_new_by_name (config->tagger_name, config->key_file, &error);
  if (error != NULL)
    {
      g_printerr ("tessera-server: %s: [tagger] name: %s\n", config->path, error->message);
      return EXIT_USAGE;
    }

  gateway = tessera_gateway_new (listen_address, &error);
  if (gateway == NULL)
    {
      g_printerr ("tessera-server: %s\n", error->message);
      return g_error_matches (error, TESSERA_ERROR, TESSERA_ERROR_INVALID) ? EXIT_USAGE : EXIT_FAILURE;
    }
  public_url = config->public_url ? g_strdup (config->public_url) : tessera_gateway_dup_url (gateway);

  index = tessera_local_index_new (db);
  queue = tessera_local_queue_new (db);

  tessera_local_user_pool_settings_init_defaults (&pool_settings);
  pool_settings.id_token_lifetime = config->id_token_lifetime;
  pool_settings.refresh_token_lifetime = config->refresh_token_lifetime;
  pool_settings.max_failures = config->signin_max_failures;
  pool_settings.max_failures_per_address = config->signin_max_failures_per_address;
  pool_settings.failure_window = config->signin_window;
  g_free (pool_settings.issuer);
  /* Not the gateway's URL: with port 0 it changes at every start. */
  pool_settings.issuer = g_strdup (config->public_url ? config->public_url : config->token_issuer);
  g_free (pool_settings.client_id);
  pool_settings.client_id = g_strdup ("tessera");
  key_path = g_build_filename (data_dir, "jwt-signing-key.pem", NULL);
  user_pool = tessera_local_user_pool_new (db, key_path, &pool_settings, &error);
  tessera_local_user_pool_settings_clear (&pool_settings);
  if (user_pool == NULL)
    {
      g_printerr ("tessera-server: %s\n", error->message);
      return EXIT_FAILURE;
    }

  objects = tessera_local_object_store_new (data_dir, config, public_url, &error);
  if (objects == NULL)
    {
      g_printerr ("tessera-server: %s\n", error->message);
      return EXIT_FAILURE;
    }

  api.user_pool = TESSERA_USER_POOL (user_pool);
  api.index = TESSERA_IMAGE_INDEX (index);
  api.objects = TESSERA_OBJECT_STORE (objects);
  api.tagger = tagger;
  fill_api_settings (&api.settings, config);

  tessera_worker_settings_init_defaults (&worker_settings);
  worker_settings.n_threads = config->workers;
  worker_settings.max_attempts = config->job_max_attempts;
  worker_settings.retry_base = config->job_retry_base;
  worker_settings.purge_interval = config->purge_interval;
  worker_settings.stop_timeout_ms = STOP_TIMEOUT_MS;
  worker = tessera_worker_new (&api, queue, &worker_settings);
  if (!tessera_worker_start (worker, &error))
    {
      g_printerr ("tessera-server: cannot start the workers: %s\n", error->message);
      return EXIT_FAILURE;
    }

  s3 = tessera_s3_new (objects, TESSERA_JOB_QUEUE (queue), config, public_url);
  tessera_s3_set_object_created_func (s3, wake_worker, worker);

  if (!tessera_gateway_start (gateway, &api, user_pool, s3, config->http_threads, &error))
    {
      g_printerr ("tessera-server: %s\n", error->message);
      tessera_worker_stop (worker);
      return EXIT_FAILURE;
    }

  loop = g_main_loop_new (NULL, FALSE);
  sigint_id = g_unix_signal_add (SIGINT, on_signal, loop);
  sigterm_id = g_unix_signal_add (SIGTERM, on_signal, loop);

  /* The one line on stdout: tests and the desktop app wait for it. */
  {
    g_autofree char *url = tessera_gateway_dup_url (gateway);

    fprintf (stdout, "%s\n", url);
    fflush (stdout);
  }
  g_message ("Serving %s (public URL %s, data in %s, bucket %s)",
             listen_address, public_url, data_dir, config->bucket);

  g_main_loop_run (loop);

  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);

  /* Requests first (an upload in progress may still queue a job), then the
   * jobs in hand; the database closes when the last reference goes. */
  tessera_gateway_stop (gateway, STOP_TIMEOUT_MS);
  tessera_worker_stop (worker);
  g_message ("Stopped");

  return EXIT_SUCCESS;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  int status;

  setlocale (LC_ALL, "");
  signal (SIGPIPE, SIG_IGN);

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context,
                                "Serves the Tessera API, its S3-compatible object store, "
                                "sign-in and the image processing on one machine.\n"
                                "Prints the base URL on standard output once it is ready.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("tessera-server: %s\n", error->message);
      return EXIT_USAGE;
    }
  if (argc > 1)
    {
      g_printerr ("tessera-server: unexpected argument “%s”\n", argv[1]);
      return EXIT_USAGE;
    }

  if (show_version)
    {
      g_print ("tessera-server %s\n", PACKAGE_VERSION);
      return EXIT_SUCCESS;
    }

  if (VIPS_INIT (argv[0]) != 0)
    {
      g_printerr ("tessera-server: cannot start libvips: %s\n", vips_error_buffer ());
      return EXIT_FAILURE;
    }
  /* Decoded images are not reused across jobs: keep memory bounded. */
  vips_cache_set_max (0);
  vips_cache_set_max_mem (0);

  status = run ();

  vips_shutdown ();
  g_clear_pointer (&data_dir, g_free);
  g_clear_pointer (&listen_address, g_free);
  g_clear_pointer (&config_path, g_free);

  return status;
}
