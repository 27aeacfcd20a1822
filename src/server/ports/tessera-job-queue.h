/* tessera-job-queue.h: where ObjectCreated events wait for on-object-created
 * (a durable SQLite queue locally; S3 event notifications on AWS)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define TESSERA_TYPE_JOB_QUEUE (tessera_job_queue_get_type ())

G_DECLARE_INTERFACE (TesseraJobQueue, tessera_job_queue, TESSERA, JOB_QUEUE, GObject)

struct _TesseraJobQueueInterface
{
  GTypeInterface parent_iface;

  gboolean (*enqueue) (TesseraJobQueue  *self,
                       const char       *event_json,
                       GError          **error);
};

/* Durably records @event_json (an S3 event, `{"Records":[...]}`) before it
 * returns TRUE. */
gboolean tessera_job_queue_enqueue (TesseraJobQueue  *self,
                                    const char       *event_json,
                                    GError          **error);

G_END_DECLS
