/* tessera-local-queue.h: the local host's durable job queue, in SQLite
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

#include "tessera-job-queue.h"
#include "tessera-local-db.h"

G_BEGIN_DECLS

#define TESSERA_TYPE_LOCAL_QUEUE (tessera_local_queue_get_type ())

G_DECLARE_FINAL_TYPE (TesseraLocalQueue, tessera_local_queue, TESSERA, LOCAL_QUEUE, GObject)

/* A job as claimed (or as listed among the dead). */
typedef struct
{
  gint64  id;
  char   *event;        /* the event JSON, as enqueued */
  guint   attempts;     /* counting the current one */
  char   *last_error;   /* of the previous attempt; NULL if none */
} TesseraLocalJob;

void               tessera_local_job_free          (TesseraLocalJob    *job);

TesseraLocalQueue *tessera_local_queue_new         (TesseraLocalDb     *db);
/* Atomically claims the pending job due longest (next_run_at <= @now_ms,
 * then the oldest): state -> running, attempts + 1. NULL with no error
 * when none is due. A job whose attempts already exceed the caller's
 * maximum was interrupted by crashes that many times: fail() it at once
 * rather than run it again. */
TesseraLocalJob   *tessera_local_queue_claim       (TesseraLocalQueue  *self,
                                                    gint64              now_ms,
                                                    GError            **error);
/* Done: the job is deleted. NOT_FOUND unless it is running. */
gboolean           tessera_local_queue_complete    (TesseraLocalQueue  *self,
                                                    gint64              id,
                                                    GError            **error);
/* Back to pending at @next_run_at with @error_message; or state 'dead'
 * when attempts reached @max_attempts (the dead-letter state, kept,
 * visible). NOT_FOUND unless it is running. */
gboolean           tessera_local_queue_fail        (TesseraLocalQueue  *self,
                                                    gint64              id,
                                                    const char         *error_message,
                                                    gint64              next_run_at,
                                                    guint               max_attempts,
                                                    GError            **error);
/* A claimed job goes back to pending, due at once, without counting the
 * attempt: for a worker stopped mid-job by a graceful shutdown. NOT_FOUND
 * unless it is running. */
gboolean           tessera_local_queue_release     (TesseraLocalQueue  *self,
                                                    gint64              id,
                                                    GError            **error);
/* At start-up: jobs left 'running' by a killed server go back to
 * 'pending'. The interrupted attempt counts (a job that kills the server
 * must still reach the dead-letter state). Returns how many (0 with
 * @error set on failure). */
guint              tessera_local_queue_recover     (TesseraLocalQueue  *self,
                                                    GError            **error);
/* Earliest next_run_at of a pending job, or -1 when none (or on error,
 * with @error set): lets workers sleep until then. */
gint64             tessera_local_queue_next_due    (TesseraLocalQueue  *self,
                                                    GError            **error);
/* Returns: (element-type TesseraLocalJob): the dead jobs, oldest first. */
GPtrArray         *tessera_local_queue_list_dead   (TesseraLocalQueue  *self,
                                                    GError            **error);
/* How many jobs are in @state ("pending", "running" or "dead"). */
guint              tessera_local_queue_count       (TesseraLocalQueue  *self,
                                                    const char         *state,
                                                    GError            **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TesseraLocalJob, tessera_local_job_free)

G_END_DECLS
