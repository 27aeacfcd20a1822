/* tessera-worker.h: Lambda's event invocations, locally: threads that run
 * on-object-created for the queued ObjectCreated events, with retries and a
 * dead-letter state, and the periodic trash purge
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "tessera-api.h"
#include "tessera-local-queue.h"

G_BEGIN_DECLS

typedef struct
{
  guint n_threads;        /* 2 */
  guint max_attempts;     /* 5: then the job is dead */
  guint retry_base;       /* seconds: retry n waits retry_base * 2^(n-1), plus jitter */
  guint purge_interval;   /* seconds between trash purges; the first runs at start */
  guint stop_timeout_ms;  /* how long stop() lets the jobs in hand finish */
} TesseraWorkerSettings;

void tessera_worker_settings_init_defaults (TesseraWorkerSettings *settings);

#define TESSERA_TYPE_WORKER (tessera_worker_get_type ())

G_DECLARE_FINAL_TYPE (TesseraWorker, tessera_worker, TESSERA, WORKER, GObject)

/* @api must outlive the worker's running. */
TesseraWorker *tessera_worker_new           (TesseraApi                   *api,
                                             TesseraLocalQueue            *queue,
                                             const TesseraWorkerSettings  *settings);
/* Puts the jobs a killed server left running back in the queue, then starts
 * the threads. */
gboolean       tessera_worker_start         (TesseraWorker                *self,
                                             GError                      **error);
/* A job was queued: a sleeping thread looks now. Thread-safe. */
void           tessera_worker_wake          (TesseraWorker                *self);
/* Lets the jobs in hand finish (cancelling them after the stop timeout:
 * they are retried at the next start) and joins the threads. */
void           tessera_worker_stop          (TesseraWorker                *self);

/* Returns (transfer full) (nullable): the object key of an S3 event's first
 * record, decoded, for logs. */
char          *tessera_worker_dup_event_key (const char                   *event_json);

G_END_DECLS
