/* test-local-queue.c: the durable job queue
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <signal.h>
#include <unistd.h>

#include "tessera-error.h"
#include "tessera-local-queue.h"
#include "tessera-util.h"
#include "test-local-common.h"

#define EVENT(n) "{\"Records\":[{\"eventName\":\"ObjectCreated:Post\",\"n\":" #n "}]}"

typedef struct
{
  TestDb             db;
  TesseraLocalQueue *queue;
} QueueFixture;

static void
queue_setup (QueueFixture  *fixture,
             gconstpointer  user_data)
{
  test_db_setup (&fixture->db, user_data);
  fixture->queue = tessera_local_queue_new (fixture->db.db);
}

static void
queue_teardown (QueueFixture  *fixture,
                gconstpointer  user_data)
{
  g_clear_object (&fixture->queue);
  test_db_teardown (&fixture->db, user_data);
}

static void
enqueue (TesseraLocalQueue *queue,
         const char        *event)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (tessera_job_queue_enqueue (TESSERA_JOB_QUEUE (queue), event, &error));
  g_assert_no_error (error);
}

static guint
count (TesseraLocalQueue *queue,
       const char        *state)
{
  g_autoptr(GError) error = NULL;
  guint n = tessera_local_queue_count (queue, state, &error);

  g_assert_no_error (error);

  return n;
}

static void
test_bad_event_refused (QueueFixture  *fixture,
                        gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (tessera_job_queue_enqueue (TESSERA_JOB_QUEUE (fixture->queue), "{not json", &error));
  g_assert_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID);
  g_clear_error (&error);

  g_assert_false (tessera_job_queue_enqueue (TESSERA_JOB_QUEUE (fixture->queue), "[1,2]", &error));
  g_assert_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID);

  g_assert_cmpuint (count (fixture->queue, "pending"), ==, 0);
}

static void
test_claim_complete (QueueFixture  *fixture,
                     gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TesseraLocalJob) first = NULL;
  g_autoptr(TesseraLocalJob) second = NULL;
  g_autoptr(TesseraLocalJob) none = NULL;
  gint64 now = tessera_now_ms ();

  /* Nothing queued: nothing due, no error. */
  g_assert_null (tessera_local_queue_claim (fixture->queue, now, &error));
  g_assert_no_error (error);
  g_assert_cmpint (tessera_local_queue_next_due (fixture->queue, &error), ==, -1);

  enqueue (fixture->queue, EVENT (1));
  enqueue (fixture->queue, EVENT (2));
  g_assert_cmpuint (count (fixture->queue, "pending"), ==, 2);
  g_assert_cmpint (tessera_local_queue_next_due (fixture->queue, &error), <=, tessera_now_ms ());
  g_assert_cmpint (tessera_local_queue_next_due (fixture->queue, &error), >=, now);

  /* Oldest first, with the event as enqueued. */
  first = tessera_local_queue_claim (fixture->queue, tessera_now_ms (), &error);
  g_assert_no_error (error);
  g_assert_nonnull (first);
  g_assert_cmpstr (first->event, ==, EVENT (1));
  g_assert_cmpuint (first->attempts, ==, 1);
  g_assert_null (first->last_error);
  g_assert_cmpuint (count (fixture->queue, "running"), ==, 1);

  second = tessera_local_queue_claim (fixture->queue, tessera_now_ms (), &error);
  g_assert_nonnull (second);
  g_assert_cmpstr (second->event, ==, EVENT (2));
  g_assert_cmpint (second->id, !=, first->id);

  none = tessera_local_queue_claim (fixture->queue, tessera_now_ms (), &error);
  g_assert_no_error (error);
  g_assert_null (none);

  g_assert_true (tessera_local_queue_complete (fixture->queue, first->id, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count (fixture->queue, "running"), ==, 1);

  /* Twice is a mistake the caller hears about. */
  g_assert_false (tessera_local_queue_complete (fixture->queue, first->id, &error));
  g_assert_error (error, TESSERA_ERROR, TESSERA_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_true (tessera_local_queue_complete (fixture->queue, second->id, &error));
  g_assert_cmpuint (count (fixture->queue, "running"), ==, 0);
  g_assert_cmpuint (count (fixture->queue, "pending"), ==, 0);
}

static void
test_fail_backoff_dead_letter (QueueFixture  *fixture,
                               gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) dead = NULL;
  const TesseraLocalJob *corpse;
  gint64 now;
  gint64 id = 0;

  enqueue (fixture->queue, EVENT (1));
  now = tessera_now_ms ();

  for (guint attempt = 1; attempt <= 3; attempt++)
    {
      g_autoptr(TesseraLocalJob) job = NULL;
      g_autoptr(TesseraLocalJob) early = NULL;
      g_autofree char *reason = g_strdup_printf ("attempt %u broke", attempt);
      gint64 retry_at = now + attempt * 1000;

      job = tessera_local_queue_claim (fixture->queue, now, &error);
      g_assert_no_error (error);
      g_assert_nonnull (job);
      g_assert_cmpuint (job->attempts, ==, attempt);
      id = job->id;
      if (attempt > 1)
        {
          g_autofree char *previous = g_strdup_printf ("attempt %u broke", attempt - 1);
          g_assert_cmpstr (job->last_error, ==, previous);
        }

      g_assert_true (tessera_local_queue_fail (fixture->queue, job->id, reason, retry_at, 3, &error));
      g_assert_no_error (error);

      if (attempt == 3)
        break;

      /* Backoff: not before its time, then it is due. */
      g_assert_cmpint (tessera_local_queue_next_due (fixture->queue, &error), ==, retry_at);
      early = tessera_local_queue_claim (fixture->queue, retry_at - 1, &error);
      g_assert_no_error (error);
      g_assert_null (early);
      now = retry_at;
    }

  /* Third failure of three: dead, kept, visible, never claimed again. */
  g_assert_cmpuint (count (fixture->queue, "dead"), ==, 1);
  g_assert_cmpuint (count (fixture->queue, "pending"), ==, 0);
  g_assert_cmpint (tessera_local_queue_next_due (fixture->queue, &error), ==, -1);
  g_assert_null (tessera_local_queue_claim (fixture->queue, G_MAXINT64, &error));
  g_assert_no_error (error);

  dead = tessera_local_queue_list_dead (fixture->queue, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (dead->len, ==, 1);
  corpse = g_ptr_array_index (dead, 0);
  g_assert_cmpint (corpse->id, ==, id);
  g_assert_cmpstr (corpse->event, ==, EVENT (1));
  g_assert_cmpuint (corpse->attempts, ==, 3);
  g_assert_cmpstr (corpse->last_error, ==, "attempt 3 broke");

  /* A dead job is no longer running: failing or completing it again is
   * refused and changes nothing. */
  g_assert_false (tessera_local_queue_fail (fixture->queue, id, "again", now, 3, &error));
  g_assert_error (error, TESSERA_ERROR, TESSERA_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (tessera_local_queue_complete (fixture->queue, id, &error));
  g_assert_error (error, TESSERA_ERROR, TESSERA_ERROR_NOT_FOUND);
  g_assert_cmpuint (count (fixture->queue, "dead"), ==, 1);
}

static void
test_due_order (QueueFixture  *fixture,
                gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TesseraLocalJob) a = NULL;
  g_autoptr(TesseraLocalJob) b = NULL;
  g_autoptr(TesseraLocalJob) a_again = NULL;
  gint64 now;

  enqueue (fixture->queue, EVENT (1));
  enqueue (fixture->queue, EVENT (2));
  now = tessera_now_ms ();

  /* The first fails and waits; the second overtakes it. */
  a = tessera_local_queue_claim (fixture->queue, now, &error);
  g_assert_true (tessera_local_queue_fail (fixture->queue, a->id, "busy", now + 60000, 5, &error));
  b = tessera_local_queue_claim (fixture->queue, now, &error);
  g_assert_nonnull (b);
  g_assert_cmpstr (b->event, ==, EVENT (2));
  g_assert_null (tessera_local_queue_claim (fixture->queue, now + 59999, &error));
  a_again = tessera_local_queue_claim (fixture->queue, now + 60000, &error);
  g_assert_nonnull (a_again);
  g_assert_cmpint (a_again->id, ==, a->id);
  g_assert_no_error (error);
}

static void
test_release (QueueFixture  *fixture,
              gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TesseraLocalJob) job = NULL;
  g_autoptr(TesseraLocalJob) again = NULL;

  enqueue (fixture->queue, EVENT (1));
  job = tessera_local_queue_claim (fixture->queue, tessera_now_ms (), &error);
  g_assert_cmpuint (job->attempts, ==, 1);

  /* A graceful stop gives it back without spending the attempt. */
  g_assert_true (tessera_local_queue_release (fixture->queue, job->id, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count (fixture->queue, "pending"), ==, 1);
  again = tessera_local_queue_claim (fixture->queue, tessera_now_ms (), &error);
  g_assert_cmpint (again->id, ==, job->id);
  g_assert_cmpuint (again->attempts, ==, 1);

  g_assert_true (tessera_local_queue_complete (fixture->queue, again->id, &error));
  g_assert_false (tessera_local_queue_release (fixture->queue, again->id, &error));
  g_assert_error (error, TESSERA_ERROR, TESSERA_ERROR_NOT_FOUND);
}

/* The child of /local-queue/crash-recover: claims a job and dies at once,
 * as a killed server would, with the connection still open. */
static void
crash_child (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TesseraLocalDb) db = tessera_local_db_open (g_getenv ("TESSERA_TEST_DB"), &error);
  g_autoptr(TesseraLocalQueue) queue = NULL;
  g_autoptr(TesseraLocalJob) job = NULL;

  g_assert_no_error (error);
  queue = tessera_local_queue_new (db);
  job = tessera_local_queue_claim (queue, tessera_now_ms (), &error);
  g_assert_no_error (error);
  g_assert_nonnull (job);

  kill (getpid (), SIGKILL);
}

static void
test_crash_recover (QueueFixture  *fixture,
                    gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TesseraLocalJob) job = NULL;

  if (g_test_subprocess ())
    {
      crash_child ();
      return;
    }

  enqueue (fixture->queue, EVENT (1));
  enqueue (fixture->queue, EVENT (2));

  /* The server is stopped for good: close our side first. */
  g_clear_object (&fixture->queue);
  g_clear_object (&fixture->db.db);

  g_setenv ("TESSERA_TEST_DB", fixture->db.path, TRUE);
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();

  /* The restart. */
  fixture->db.db = tessera_local_db_open (fixture->db.path, &error);
  g_assert_no_error (error);
  fixture->queue = tessera_local_queue_new (fixture->db.db);

  g_assert_cmpuint (count (fixture->queue, "running"), ==, 1);
  g_assert_cmpuint (tessera_local_queue_recover (fixture->queue, &error), ==, 1);
  g_assert_no_error (error);
  g_assert_cmpuint (count (fixture->queue, "running"), ==, 0);
  g_assert_cmpuint (count (fixture->queue, "pending"), ==, 2);

  /* The interrupted job runs again, first, and its attempt counted. */
  job = tessera_local_queue_claim (fixture->queue, tessera_now_ms (), &error);
  g_assert_no_error (error);
  g_assert_nonnull (job);
  g_assert_cmpstr (job->event, ==, EVENT (1));
  g_assert_cmpuint (job->attempts, ==, 2);

  /* Nothing else to recover. */
  g_assert_true (tessera_local_queue_complete (fixture->queue, job->id, &error));
  g_assert_cmpuint (tessera_local_queue_recover (fixture->queue, &error), ==, 0);
}

#define N_JOBS 300
#define N_WORKERS 8

typedef struct
{
  TesseraLocalQueue *queue;
  GMutex             mutex;
  GHashTable        *seen;   /* event -> claims */
  guint              claims;
} Race;

static gpointer
worker_thread (gpointer data)
{
  Race *race = data;

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(TesseraLocalJob) job = tessera_local_queue_claim (race->queue, tessera_now_ms (), &error);

      g_assert_no_error (error);
      if (job == NULL)
        break;

      g_mutex_lock (&race->mutex);
      g_hash_table_insert (race->seen, g_strdup (job->event),
                           GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (race->seen, job->event)) + 1));
      race->claims++;
      g_mutex_unlock (&race->mutex);

      /* Every third job fails once and comes straight back. */
      if (job->attempts == 1 && job->id % 3 == 0)
        g_assert_true (tessera_local_queue_fail (race->queue, job->id, "once", 0, 5, &error));
      else
        g_assert_true (tessera_local_queue_complete (race->queue, job->id, &error));
      g_assert_no_error (error);
    }

  return NULL;
}

static void
test_concurrent_claims (QueueFixture  *fixture,
                        gconstpointer  user_data)
{
  GThread *threads[N_WORKERS];
  Race race = { fixture->queue };
  GHashTableIter iter;
  gpointer key, value;
  guint retried = 0;

  g_mutex_init (&race.mutex);
  race.seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < N_JOBS; i++)
    {
      g_autofree char *event = g_strdup_printf ("{\"n\":%u}", i);
      enqueue (fixture->queue, event);
    }

  for (guint i = 0; i < N_WORKERS; i++)
    threads[i] = g_thread_new ("worker", worker_thread, &race);
  for (guint i = 0; i < N_WORKERS; i++)
    g_thread_join (threads[i]);

  /* Every job ran; each at most twice (once more after its one failure),
   * never handed to two workers at once. */
  g_assert_cmpuint (g_hash_table_size (race.seen), ==, N_JOBS);
  g_hash_table_iter_init (&iter, race.seen);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_assert_cmpuint (GPOINTER_TO_UINT (value), >=, 1);
      g_assert_cmpuint (GPOINTER_TO_UINT (value), <=, 2);
      retried += GPOINTER_TO_UINT (value) - 1;
    }
  g_assert_cmpuint (retried, ==, N_JOBS / 3);
  g_assert_cmpuint (race.claims, ==, N_JOBS + N_JOBS / 3);
  g_assert_cmpuint (count (fixture->queue, "pending"), ==, 0);
  g_assert_cmpuint (count (fixture->queue, "running"), ==, 0);

  g_hash_table_unref (race.seen);
  g_mutex_clear (&race.mutex);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, QueueFixture, NULL, queue_setup, func, queue_teardown)

  ADD ("/local-queue/bad-event-refused", test_bad_event_refused);
  ADD ("/local-queue/claim-complete", test_claim_complete);
  ADD ("/local-queue/fail-backoff-dead-letter", test_fail_backoff_dead_letter);
  ADD ("/local-queue/due-order", test_due_order);
  ADD ("/local-queue/release", test_release);
  ADD ("/local-queue/crash-recover", test_crash_recover);
  ADD ("/local-queue/concurrent-claims", test_concurrent_claims);

#undef ADD

  return g_test_run ();
}
