/* tessera-rate-limiter.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-rate-limiter"

#include "config.h"

#include "tessera-rate-limiter.h"

/* Each key keeps the times of its attempts inside the window, at most @limit
 * of them, so a key costs a few hundred bytes and the table is swept once a
 * window: an attacker spraying names cannot grow it without bound. */
struct _TesseraRateLimiter
{
  GMutex      lock;
  GHashTable *stamps;      /* key -> GArray of gint64 */
  guint       limit;
  gint64      window_us;
  gint64      last_sweep_us;
};

TesseraRateLimiter *
tessera_rate_limiter_new (guint  limit,
                          gint64 window_us)
{
  TesseraRateLimiter *self;

  g_return_val_if_fail (limit > 0, NULL);
  g_return_val_if_fail (window_us > 0, NULL);

  self = g_new0 (TesseraRateLimiter, 1);
  g_mutex_init (&self->lock);
  self->stamps = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) g_array_unref);
  self->limit = limit;
  self->window_us = window_us;
  self->last_sweep_us = 0;

  return self;
}

void
tessera_rate_limiter_free (TesseraRateLimiter *self)
{
  if (self == NULL)
    return;

  g_clear_pointer (&self->stamps, g_hash_table_unref);
  g_mutex_clear (&self->lock);
  g_free (self);
}

/* Drops the attempts older than the window; returns the oldest one kept. */
static gint64
prune (TesseraRateLimiter *self,
       GArray             *stamps,
       gint64              now_us)
{
  gint64 oldest = G_MAXINT64;

  for (guint i = stamps->len; i > 0; i--)
    {
      gint64 stamp = g_array_index (stamps, gint64, i - 1);

      if (stamp <= now_us - self->window_us)
        g_array_remove_index_fast (stamps, i - 1);
      else
        oldest = MIN (oldest, stamp);
    }

  return oldest;
}

static void
sweep (TesseraRateLimiter *self,
       gint64              now_us)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->stamps);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      prune (self, value, now_us);
      if (((GArray *) value)->len == 0)
        g_hash_table_iter_remove (&iter);
    }
  self->last_sweep_us = now_us;
}

/**
 * tessera_rate_limiter_acquire:
 * @now_us: the time of the attempt, monotonic microseconds
 * @retry_after_us: (out): when refused, how long until a slot frees (> 0)
 *
 * Counts an attempt for @key at @now_us if fewer than the limit happened in
 * the window before it. Counting before the attempt is made (rather than
 * after it failed) keeps concurrent attempts from slipping past the limit
 * together; release the stamp if the attempt should not count after all.
 *
 * Returns: %TRUE when the attempt may go ahead (and is counted)
 */
gboolean
tessera_rate_limiter_acquire (TesseraRateLimiter *self,
                              const char         *key,
                              gint64              now_us,
                              gint64             *retry_after_us)
{
  g_autoptr(GMutexLocker) locker = NULL;
  GArray *stamps;
  gint64 oldest;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (key != NULL, FALSE);

  locker = g_mutex_locker_new (&self->lock);

  if (now_us - self->last_sweep_us >= self->window_us)
    sweep (self, now_us);

  stamps = g_hash_table_lookup (self->stamps, key);
  if (stamps == NULL)
    {
      stamps = g_array_sized_new (FALSE, FALSE, sizeof (gint64), self->limit);
      g_hash_table_insert (self->stamps, g_strdup (key), stamps);
    }

  oldest = prune (self, stamps, now_us);
  if (stamps->len >= self->limit)
    {
      if (retry_after_us != NULL)
        *retry_after_us = MAX (1, oldest + self->window_us - now_us);
      return FALSE;
    }

  g_array_append_val (stamps, now_us);
  if (retry_after_us != NULL)
    *retry_after_us = 0;

  return TRUE;
}

/**
 * tessera_rate_limiter_release:
 *
 * Forgets one attempt of @key counted at @stamp_us by
 * tessera_rate_limiter_acquire().
 */
void
tessera_rate_limiter_release (TesseraRateLimiter *self,
                              const char         *key,
                              gint64              stamp_us)
{
  g_autoptr(GMutexLocker) locker = NULL;
  GArray *stamps;

  g_return_if_fail (self != NULL);
  g_return_if_fail (key != NULL);

  locker = g_mutex_locker_new (&self->lock);

  stamps = g_hash_table_lookup (self->stamps, key);
  if (stamps == NULL)
    return;

  for (guint i = 0; i < stamps->len; i++)
    {
      if (g_array_index (stamps, gint64, i) == stamp_us)
        {
          g_array_remove_index_fast (stamps, i);
          break;
        }
    }
  if (stamps->len == 0)
    g_hash_table_remove (self->stamps, key);
}

/* Forgets every attempt of @key. */
void
tessera_rate_limiter_reset (TesseraRateLimiter *self,
                            const char         *key)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_if_fail (self != NULL);
  g_return_if_fail (key != NULL);

  locker = g_mutex_locker_new (&self->lock);
  g_hash_table_remove (self->stamps, key);
}

/* The number of keys remembered, for tests of the sweep. */
guint
tessera_rate_limiter_get_n_keys (TesseraRateLimiter *self)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_val_if_fail (self != NULL, 0);

  locker = g_mutex_locker_new (&self->lock);
  return g_hash_table_size (self->stamps);
}
