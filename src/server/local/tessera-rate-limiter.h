/* tessera-rate-limiter.h: a thread-safe sliding-window counter per key
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _TesseraRateLimiter TesseraRateLimiter;

TesseraRateLimiter *tessera_rate_limiter_new     (guint               limit,
                                                  gint64              window_us);
void                tessera_rate_limiter_free    (TesseraRateLimiter *self);
gboolean            tessera_rate_limiter_acquire (TesseraRateLimiter *self,
                                                  const char         *key,
                                                  gint64              now_us,
                                                  gint64             *retry_after_us);
void                tessera_rate_limiter_release (TesseraRateLimiter *self,
                                                  const char         *key,
                                                  gint64              stamp_us);
void                tessera_rate_limiter_reset   (TesseraRateLimiter *self,
                                                  const char         *key);
guint               tessera_rate_limiter_get_n_keys (TesseraRateLimiter *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TesseraRateLimiter, tessera_rate_limiter_free)

G_END_DECLS
