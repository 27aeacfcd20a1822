/* tessera-job-queue.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-ports"

#include "config.h"

#include "tessera-job-queue.h"

G_DEFINE_INTERFACE (TesseraJobQueue, tessera_job_queue, G_TYPE_OBJECT)

static void
tessera_job_queue_default_init (TesseraJobQueueInterface *iface)
{
}

gboolean
tessera_job_queue_enqueue (TesseraJobQueue  *self,
                           const char       *event_json,
                           GError          **error)
{
  g_return_val_if_fail (TESSERA_IS_JOB_QUEUE (self), FALSE);
  g_return_val_if_fail (event_json != NULL, FALSE);

  return TESSERA_JOB_QUEUE_GET_IFACE (self)->enqueue (self, event_json, error);
}
