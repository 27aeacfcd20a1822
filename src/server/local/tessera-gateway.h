/* tessera-gateway.h: tessera-server's HTTP front (API Gateway and S3's
 * endpoint, locally), on libmicrohttpd's thread pool
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <microhttpd.h>

#include "tessera-api.h"
#include "tessera-local-user-pool.h"
#include "tessera-s3.h"

G_BEGIN_DECLS

#define TESSERA_TYPE_GATEWAY (tessera_gateway_get_type ())

G_DECLARE_FINAL_TYPE (TesseraGateway, tessera_gateway, TESSERA, GATEWAY, GObject)

/* Binds @listen ("ADDR:PORT", "[v6]:PORT"; port 0 picks a free one) and
 * listens, without serving yet, so the real port is known before the
 * adapters that put it in URLs are made. */
TesseraGateway *tessera_gateway_new            (const char             *listen,
                                                GError                **error);
guint16         tessera_gateway_get_port       (TesseraGateway         *self);
/* Returns (transfer full): `http://ADDR:PORT` with the real port. */
char           *tessera_gateway_dup_url        (TesseraGateway         *self);
/* Serves: S3 requests (first path segment = @s3's bucket) go to @s3, the
 * rest, authorised with @user_pool, to tessera_api_handle(). @api must
 * outlive the gateway's serving. */
gboolean        tessera_gateway_start          (TesseraGateway         *self,
                                                TesseraApi             *api,
                                                TesseraLocalUserPool   *user_pool,
                                                TesseraS3              *s3,
                                                guint                   n_threads,
                                                GError                **error);
/* Stops accepting, lets the requests in progress finish (waiting at most
 * @timeout_ms), then closes every connection. */
void            tessera_gateway_stop           (TesseraGateway         *self,
                                                guint                   timeout_ms);

gboolean        tessera_gateway_refuse_body_early (struct MHD_Connection *connection,
                                                   gint64                 limit);
/* Returns (transfer full): the numeric address of @connection's peer. */
char           *tessera_gateway_dup_source_ip  (struct MHD_Connection  *connection);

G_END_DECLS
