/* tessera-worker.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-worker"

#include "config.h"

#include <errno.h>
#include <json-glib/json-glib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tessera-util.h"
#include "tessera-worker.h"

/* An idle thread still looks at the queue this often, in case a job became
 * due in a way it was not told about. */
#define MAX_IDLE_SLEEP_MS (60 * 1000)
#define MAX_RETRY_DELAY_S (24 * 3600)
#define JOB_NICENESS 10

struct _TesseraWorker
{
  GObject                parent_instance;

  TesseraApi            *api;
  TesseraLocalQueue     *queue;
  TesseraWorkerSettings  settings;
  GCancellable          *cancellable;

  GPtrArray             *threads;
  GMutex                 lock;
  GCond                  cond;
  gboolean               stopping;
  guint64                wake_seq;
  guint                  jobs_in_hand;
};

G_DEFINE_FINAL_TYPE (TesseraWorker, tessera_worker, G_TYPE_OBJECT)

void
tessera_worker_settings_init_defaults (TesseraWorkerSettings *settings)
{
  g_return_if_fail (settings != NULL);

  settings->n_threads = 2;
  settings->max_attempts = 5;
  settings->retry_base = 2;
  settings->purge_interval = 3600;
  settings->stop_timeout_ms = 10000;
}

static JsonNode *
member (JsonNode   *node,
        const char *name)
{
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  return json_object_get_member (json_node_get_object (node), name);
}

char *
tessera_worker_dup_event_key (const char *event_json)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GString) key = NULL;
  JsonNode *records;
  JsonNode *node;

  if (event_json == NULL || (root = json_from_string (event_json, NULL)) == NULL)
    return NULL;

  /* $.Records[0].s3.object.key (JsonPath warns on a missing index) */
  records = member (root, "Records");
  if (records == NULL || !JSON_NODE_HOLDS_ARRAY (records) ||
      json_array_get_length (json_node_get_array (records)) == 0)
    return NULL;
  node = json_array_get_element (json_node_get_array (records), 0);
  node = member (member (member (node, "s3"), "object"), "key");
  if (node == NULL || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  /* The key is form-encoded: '+' is a space. */
  key = g_string_new (json_node_get_string (node));
  g_string_replace (key, "+", " ", 0);
  return g_uri_unescape_string (key->str, NULL);
}

static gint64
retry_delay_ms (TesseraWorker *self,
                guint          attempts)
{
  double delay_s = self->settings.retry_base;

  for (guint i = 1; i < attempts && delay_s < MAX_RETRY_DELAY_S; i++)
    delay_s *= 2;
  delay_s = MIN (delay_s, MAX_RETRY_DELAY_S);

  /* Jitter, so jobs that failed together do not retry together. */
  return (gint64) (delay_s * 1000 * g_random_double_range (1.0, 1.25));
}

/* Its images end `failed`, visibly, not `processing` for ever. Called
 * before the job is dead-lettered: a stop in between runs it again. */
static void
give_up (TesseraWorker   *self,
         TesseraLocalJob *job,
         const char      *key,
         const char      *reason)
{
  g_autoptr(GError) error = NULL;

  g_warning ("Job %" G_GINT64_FORMAT " (%s) is dead after %u attempts: %s",
             job->id, key ? key : "?", job->attempts, reason);

  if (!tessera_api_on_object_created_gave_up (self->api, job->event, &error))
    g_warning ("Cannot mark the images of job %" G_GINT64_FORMAT " failed: %s",
               job->id, error->message);
}

static void
run_job (TesseraWorker   *self,
         TesseraLocalJob *job)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) queue_error = NULL;
  g_autofree char *key = tessera_worker_dup_event_key (job->event);
  gint64 started = g_get_monotonic_time ();

  g_debug ("Job %" G_GINT64_FORMAT " (%s), attempt %u", job->id, key ? key : "?", job->attempts);

  /* Every attempt is counted when claimed, and recover() keeps the count of
   * one a killed server left running: a job that takes the server down each
   * time it runs gets here past its last attempt, and is not run again. */
  if (job->attempts > self->settings.max_attempts)
    {
      const char *reason = "The server stopped while processing it, every time";

      give_up (self, job, key, reason);
      if (!tessera_local_queue_fail (self->queue, job->id, reason, tessera_now_ms (),
                                     self->settings.max_attempts, &queue_error))
        g_warning ("Cannot record the failure of job %" G_GINT64_FORMAT ": %s",
                   job->id, queue_error->message);
      return;
    }

  if (!g_cancellable_set_error_if_cancelled (self->cancellable, &error) &&
      tessera_api_on_object_created (self->api, job->event, self->cancellable, &error))
    {
      if (!tessera_local_queue_complete (self->queue, job->id, &queue_error))
        g_warning ("Cannot complete job %" G_GINT64_FORMAT ": %s", job->id, queue_error->message);
      else
        g_message ("Processed %s in %.0f ms", key ? key : "?",
                   (g_get_monotonic_time () - started) / 1000.0);
      return;
    }

  if (g_cancellable_is_cancelled (self->cancellable))
    {
      /* Stopped, not failed: back to pending without spending the attempt.
       * Should that fail, it stays "running" and the next start's recover()
       * runs it again. */
      g_message ("Job %" G_GINT64_FORMAT " (%s) interrupted by the shutdown", job->id, key ? key : "?");
      if (!tessera_local_queue_release (self->queue, job->id, &queue_error))
        g_warning ("Cannot release job %" G_GINT64_FORMAT ": %s", job->id, queue_error->message);
      return;
    }

  if (job->attempts >= self->settings.max_attempts)
    give_up (self, job, key, error->message);
  else
    g_message ("Job %" G_GINT64_FORMAT " (%s) failed (attempt %u of %u), will retry: %s",
               job->id, key ? key : "?", job->attempts, self->settings.max_attempts,
               error->message);

  if (!tessera_local_queue_fail (self->queue, job->id, error->message,
                                 tessera_now_ms () + retry_delay_ms (self, job->attempts),
                                 self->settings.max_attempts, &queue_error))
    g_warning ("Cannot record the failure of job %" G_GINT64_FORMAT ": %s",
               job->id, queue_error->message);
}

static gpointer
job_thread (gpointer data)
{
  TesseraWorker *self = data;

  /* Jobs are background work: on a busy machine the HTTP threads answer
   * first (on Linux a thread's nice value is its own). */
  if (setpriority (PRIO_PROCESS, (id_t) syscall (SYS_gettid), JOB_NICENESS) != 0)
    g_debug ("Cannot lower the job thread's priority: %s", g_strerror (errno));

  g_mutex_lock (&self->lock);
  while (!self->stopping)
    {
      g_autoptr(TesseraLocalJob) job = NULL;
      g_autoptr(GError) error = NULL;
      guint64 seq = self->wake_seq;
      gint64 next_due = -1;
      gint64 wait_ms;

      self->jobs_in_hand++;
      g_mutex_unlock (&self->lock);

      job = tessera_local_queue_claim (self->queue, tessera_now_ms (), &error);
      if (job != NULL)
        run_job (self, job);
      else if (error != NULL)
        g_warning ("Cannot claim a job: %s", error->message);

      g_mutex_lock (&self->lock);
      self->jobs_in_hand--;
      g_cond_broadcast (&self->cond);

      if (job != NULL)
        continue;

      g_mutex_unlock (&self->lock);
      if (error == NULL)
        next_due = tessera_local_queue_next_due (self->queue, &error);
      g_mutex_lock (&self->lock);

      /* A wake-up that came while this thread was looking is not lost. */
      if (self->stopping || self->wake_seq != seq)
        continue;

      /* After a failed claim too, or a due job it cannot take would spin. */
      if (error != NULL)
        wait_ms = 1000;
      else if (next_due < 0)
        wait_ms = MAX_IDLE_SLEEP_MS;
      else
        wait_ms = CLAMP (next_due - tessera_now_ms (), 0, MAX_IDLE_SLEEP_MS);

      if (wait_ms > 0)
        g_cond_wait_until (&self->cond, &self->lock,
                           g_get_monotonic_time () + wait_ms * G_TIME_SPAN_MILLISECOND);
    }
  g_mutex_unlock (&self->lock);

  return NULL;
}

static gpointer
purge_thread (gpointer data)
{
  TesseraWorker *self = data;

  g_mutex_lock (&self->lock);
  while (!self->stopping)
    {
      gint64 deadline;
      guint purged;

      g_mutex_unlock (&self->lock);
      purged = tessera_api_purge_trash (self->api, tessera_now_ms ());
      if (purged > 0)
        g_message ("Purged %u images from the trash", purged);
      g_mutex_lock (&self->lock);

      deadline = g_get_monotonic_time () + (gint64) self->settings.purge_interval * G_TIME_SPAN_SECOND;
      while (!self->stopping && g_get_monotonic_time () < deadline)
        g_cond_wait_until (&self->cond, &self->lock, deadline);
    }
  g_mutex_unlock (&self->lock);

  return NULL;
}

gboolean
tessera_worker_start (TesseraWorker  *self,
                      GError        **error)
{
  guint recovered;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (TESSERA_IS_WORKER (self), FALSE);
  g_return_val_if_fail (self->threads->len == 0, FALSE);

  /* A job in flight when the server was killed runs again. */
  recovered = tessera_local_queue_recover (self->queue, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (recovered > 0)
    g_message ("Requeued %u jobs interrupted by the last shutdown", recovered);

  for (guint i = 0; i < self->settings.n_threads; i++)
    {
      g_autofree char *name = g_strdup_printf ("tessera-job-%u", i);

      g_ptr_array_add (self->threads, g_thread_new (name, job_thread, self));
    }
  g_ptr_array_add (self->threads, g_thread_new ("tessera-purge", purge_thread, self));

  return TRUE;
}

void
tessera_worker_wake (TesseraWorker *self)
{
  g_return_if_fail (TESSERA_IS_WORKER (self));

  g_mutex_lock (&self->lock);
  self->wake_seq++;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

void
tessera_worker_stop (TesseraWorker *self)
{
  gint64 deadline;

  g_return_if_fail (TESSERA_IS_WORKER (self));

  if (self->threads->len == 0)
    return;

  g_mutex_lock (&self->lock);
  self->stopping = TRUE;
  g_cond_broadcast (&self->cond);

  deadline = g_get_monotonic_time () + (gint64) self->settings.stop_timeout_ms * G_TIME_SPAN_MILLISECOND;
  while (self->jobs_in_hand > 0)
    {
      if (!g_cond_wait_until (&self->cond, &self->lock, deadline))
        {
          /* A cancelled job fails and is retried at the next start. */
          g_warning ("Cancelling %u jobs still running", self->jobs_in_hand);
          g_cancellable_cancel (self->cancellable);
          break;
        }
    }
  g_mutex_unlock (&self->lock);

  for (guint i = 0; i < self->threads->len; i++)
    g_thread_join (g_ptr_array_index (self->threads, i));
  g_ptr_array_set_size (self->threads, 0);
}

static void
tessera_worker_dispose (GObject *object)
{
  TesseraWorker *self = (TesseraWorker *) object;

  tessera_worker_stop (self);
  g_clear_object (&self->queue);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (tessera_worker_parent_class)->dispose (object);
}

static void
tessera_worker_finalize (GObject *object)
{
  TesseraWorker *self = (TesseraWorker *) object;

  g_clear_pointer (&self->threads, g_ptr_array_unref);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);

  G_OBJECT_CLASS (tessera_worker_parent_class)->finalize (object);
}

static void
tessera_worker_class_init (TesseraWorkerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tessera_worker_dispose;
  object_class->finalize = tessera_worker_finalize;
}

static void
tessera_worker_init (TesseraWorker *self)
{
  self->threads = g_ptr_array_new ();
  self->cancellable = g_cancellable_new ();
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
}

TesseraWorker *
tessera_worker_new (TesseraApi                  *api,
                    TesseraLocalQueue           *queue,
                    const TesseraWorkerSettings *settings)
{
  TesseraWorker *self;

  g_return_val_if_fail (api != NULL, NULL);
  g_return_val_if_fail (TESSERA_IS_LOCAL_QUEUE (queue), NULL);
  g_return_val_if_fail (settings != NULL, NULL);
  g_return_val_if_fail (settings->n_threads > 0, NULL);
  g_return_val_if_fail (settings->purge_interval > 0, NULL);

  self = g_object_new (TESSERA_TYPE_WORKER, NULL);
  self->api = api;
  self->queue = g_object_ref (queue);
  self->settings = *settings;

  return self;
}
