/* tessera-util.h: time, identifiers and tag names, shared by every layer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define TESSERA_TAG_MAX_CHARS 64

gint64    tessera_now_ms                (void);
char     *tessera_time_to_iso8601       (gint64       ms);
gint64    tessera_time_from_iso8601     (const char  *text);
char     *tessera_id_new                (void);
gboolean  tessera_id_is_valid           (const char  *id);
char     *tessera_random_token          (gsize        n_bytes);
char     *tessera_base64url_encode      (const guint8 *data,
                                         gsize         length);
guint8   *tessera_base64url_decode      (const char   *text,
                                         gsize        *length);
char     *tessera_sha256_hex            (const char   *data,
                                         gssize        length);
char     *tessera_tag_normalize         (const char   *raw,
                                         GError      **error);
GStrv     tessera_tags_normalize        (const char * const *raw,
                                         GError      **error);
void      tessera_thread_set_background (void);

G_END_DECLS
