/* tessera-server-config.h: tessera-server's configuration file
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A plain record of the settings, read once at start-up. Durations are in
 * seconds and sizes in bytes, as in the file. */
typedef struct
{
  char     *path;

  /* [server] */
  char     *public_url;              /* NULL: http://<listen addr>:<port> */
  guint     workers;
  guint     http_threads;

  /* [s3] */
  char     *bucket;
  char     *region;
  char     *access_key_id;
  char     *secret_access_key;

  /* [limits] */
  gint64    max_upload_size;
  gint64    max_pixels;
  gint64    max_body_size;

  /* [urls] */
  guint     upload_expires;
  guint     url_expires;

  /* [tokens] */
  char     *token_issuer;            /* generated once: urn:tessera:<uuid>;
                                      * the public URL wins when there is one */
  gint64    id_token_lifetime;
  gint64    refresh_token_lifetime;

  /* [signin] */
  guint     signin_max_failures;
  guint     signin_max_failures_per_address;
  guint     signin_window;

  /* [trash] */
  gint64    trash_retention;
  guint     purge_interval;

  /* [jobs] */
  guint     job_max_attempts;
  guint     job_retry_base;
  guint     job_debug_delay_ms;

  /* [tagger] */
  char     *tagger_name;
  double    tagger_threshold;

  /* The whole file, for adapters that read their own group (the taggers). */
  GKeyFile *key_file;
} TesseraServerConfig;

TesseraServerConfig *tessera_server_config_load (const char           *path,
                                                 GError              **error);
void                 tessera_server_config_free (TesseraServerConfig  *config);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TesseraServerConfig, tessera_server_config_free)

G_END_DECLS
