/* test-rate-limiter.c: the sliding window, on a clock the test controls
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-rate-limiter"

#include "config.h"

#include "tessera-rate-limiter.h"

#define SECOND ((gint64) G_USEC_PER_SEC)

static void
test_limit_and_window (void)
{
  g_autoptr(TesseraRateLimiter) limiter = tessera_rate_limiter_new (3, 10 * SECOND);
  gint64 retry = -1;

  g_assert_true (tessera_rate_limiter_acquire (limiter, "alice", 100 * SECOND, &retry));
  g_assert_cmpint (retry, ==, 0);
  g_assert_true (tessera_rate_limiter_acquire (limiter, "alice", 102 * SECOND, &retry));
  g_assert_true (tessera_rate_limiter_acquire (limiter, "alice", 104 * SECOND, &retry));

  /* The fourth within ten seconds is refused until the first ages out. */
  g_assert_false (tessera_rate_limiter_acquire (limiter, "alice", 105 * SECOND, &retry));
  g_assert_cmpint (retry, ==, 5 * SECOND);
  g_assert_false (tessera_rate_limiter_acquire (limiter, "alice", 109 * SECOND, &retry));
  g_assert_cmpint (retry, ==, 1 * SECOND);

  /* Refusals do not count: at 110 s the first slot is free again. */
  g_assert_true (tessera_rate_limiter_acquire (limiter, "alice", 110 * SECOND, &retry));
  g_assert_false (tessera_rate_limiter_acquire (limiter, "alice", 110 * SECOND, &retry));
  g_assert_cmpint (retry, ==, 2 * SECOND);

  /* Another key has its own window. */
  g_assert_true (tessera_rate_limiter_acquire (limiter, "bob", 110 * SECOND, &retry));
}

static void
test_release_and_reset (void)
{
  g_autoptr(TesseraRateLimiter) limiter = tessera_rate_limiter_new (2, 10 * SECOND);
  gint64 retry = 0;

  g_assert_true (tessera_rate_limiter_acquire (limiter, "k", 1 * SECOND, &retry));
  g_assert_true (tessera_rate_limiter_acquire (limiter, "k", 2 * SECOND, &retry));
  g_assert_false (tessera_rate_limiter_acquire (limiter, "k", 3 * SECOND, &retry));

  /* Releasing forgets exactly the one attempt. */
  tessera_rate_limiter_release (limiter, "k", 2 * SECOND);
  g_assert_true (tessera_rate_limiter_acquire (limiter, "k", 3 * SECOND, &retry));
  g_assert_false (tessera_rate_limiter_acquire (limiter, "k", 3 * SECOND, &retry));
  g_assert_cmpint (retry, ==, 8 * SECOND);

  /* Releasing a stamp that was never counted changes nothing. */
  tessera_rate_limiter_release (limiter, "k", 99 * SECOND);
  tessera_rate_limiter_release (limiter, "nobody", 3 * SECOND);
  g_assert_false (tessera_rate_limiter_acquire (limiter, "k", 3 * SECOND, &retry));

  tessera_rate_limiter_reset (limiter, "k");
  g_assert_true (tessera_rate_limiter_acquire (limiter, "k", 3 * SECOND, &retry));
}

static void
test_sweep (void)
{
  g_autoptr(TesseraRateLimiter) limiter = tessera_rate_limiter_new (5, 10 * SECOND);

  for (guint i = 0; i < 1000; i++)
    {
      g_autofree char *key = g_strdup_printf ("user%u", i);

      g_assert_true (tessera_rate_limiter_acquire (limiter, key, 1 * SECOND, NULL));
    }
  g_assert_cmpuint (tessera_rate_limiter_get_n_keys (limiter), ==, 1000);

  /* A window later, the first call sweeps away every key that went quiet. */
  g_assert_true (tessera_rate_limiter_acquire (limiter, "late", 12 * SECOND, NULL));
  g_assert_cmpuint (tessera_rate_limiter_get_n_keys (limiter), ==, 1);
}

typedef struct
{
  TesseraRateLimiter *limiter;
  guint               allowed;
} ThreadData;

static gpointer
hammer (gpointer user_data)
{
  ThreadData *data = user_data;

  for (guint i = 0; i < 1000; i++)
    if (tessera_rate_limiter_acquire (data->limiter, "shared", 1 * SECOND + i, NULL))
      g_atomic_int_inc (&data->allowed);

  return NULL;
}

static void
test_threads (void)
{
  g_autoptr(TesseraRateLimiter) limiter = tessera_rate_limiter_new (50, 3600 * SECOND);
  ThreadData data = { limiter, 0 };
  GThread *threads[8];

  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("hammer", hammer, &data);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_thread_join (threads[i]);

  /* 8000 attempts from 8 threads; exactly the limit got through. */
  g_assert_cmpuint (data.allowed, ==, 50);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/rate-limiter/limit-and-window", test_limit_and_window);
  g_test_add_func ("/rate-limiter/release-and-reset", test_release_and_reset);
  g_test_add_func ("/rate-limiter/sweep", test_sweep);
  g_test_add_func ("/rate-limiter/threads", test_threads);

  return g_test_run ();
}
