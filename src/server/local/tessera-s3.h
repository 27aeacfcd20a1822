/* tessera-s3.h: the S3 emulation of tessera-server: browser-based POST
 * uploads and pre-signed GETs, as S3 answers them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <microhttpd.h>

#include "tessera-job-queue.h"
#include "tessera-local-object-store.h"
#include "tessera-server-config.h"

G_BEGIN_DECLS

#define TESSERA_TYPE_S3 (tessera_s3_get_type ())

G_DECLARE_FINAL_TYPE (TesseraS3, tessera_s3, TESSERA, S3, GObject)

/* Called (from an HTTP thread) after an ObjectCreated event was queued. */
typedef void (*TesseraS3ObjectCreatedFunc) (gpointer user_data);

/* The state of one S3 request across the calls of MHD's access handler. */
typedef struct _TesseraS3Request TesseraS3Request;

TesseraS3       *tessera_s3_new                     (TesseraLocalObjectStore    *store,
                                                     TesseraJobQueue            *queue,
                                                     const TesseraServerConfig  *config,
                                                     const char                 *public_url);
const char      *tessera_s3_get_bucket              (TesseraS3                  *self);
void             tessera_s3_set_object_created_func (TesseraS3                  *self,
                                                     TesseraS3ObjectCreatedFunc  func,
                                                     gpointer                    user_data);
/* One call of MHD's access handler for a request whose path is in the
 * bucket. @raw_path and @raw_query (nullable) are as received, still
 * percent-encoded; @state starts as NULL and is freed by the caller with
 * tessera_s3_request_free() when the request completes. */
enum MHD_Result  tessera_s3_handle                  (TesseraS3                  *self,
                                                     struct MHD_Connection      *connection,
                                                     const char                 *method,
                                                     const char                 *raw_path,
                                                     const char                 *raw_query,
                                                     const char                 *upload_data,
                                                     size_t                     *upload_data_size,
                                                     TesseraS3Request          **state);
void             tessera_s3_request_free            (TesseraS3Request           *state);

/* Returns (transfer full): an S3 ObjectCreated:Post event in AWS's record
 * format, the key URL-encoded as S3 does (spaces as '+'). */
char            *tessera_s3_build_event             (const char                 *region,
                                                     const char                 *bucket,
                                                     const char                 *key,
                                                     gint64                      size,
                                                     const char                 *etag,
                                                     const char                 *source_ip,
                                                     gint64                      time_ms);

G_END_DECLS
