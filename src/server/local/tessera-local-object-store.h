/* tessera-local-object-store.h: S3, locally: objects as files under
 * DATA_DIR/objects/<bucket>/<key>, written atomically
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "tessera-object-store.h"
#include "tessera-server-config.h"

G_BEGIN_DECLS

#define TESSERA_LOCAL_OBJECT_MAX_KEY 1024

#define TESSERA_TYPE_LOCAL_OBJECT_STORE (tessera_local_object_store_get_type ())

G_DECLARE_FINAL_TYPE (TesseraLocalObjectStore, tessera_local_object_store, TESSERA, LOCAL_OBJECT_STORE, GObject)

/* An object being written: bytes go to a temporary file that becomes the
 * object only on commit; freeing an uncommitted writer deletes it. */
typedef struct _TesseraObjectWriter TesseraObjectWriter;

/* What GET needs to answer. */
typedef struct
{
  int     fd;             /* open for reading; owned: closed by _free() */
  gint64  size;
  char   *content_type;
  char   *etag;           /* md5 hex, without quotes */
  gint64  modified_ms;
  GStrv   metadata;       /* user metadata: alternating x-amz-meta-* name, value */
} TesseraObjectInfo;

/* Objects go under @data_dir/objects/<bucket>/; @public_url the base of the pre-signed
 * URLs (no trailing slash). The bucket, region and keys come from @config. */
TesseraLocalObjectStore *tessera_local_object_store_new          (const char                 *data_dir,
                                                                  const TesseraServerConfig  *config,
                                                                  const char                 *public_url,
                                                                  GError                    **error);
const char              *tessera_local_object_store_get_bucket   (TesseraLocalObjectStore    *self);
/* TRUE for a key that names a file inside the bucket and nothing else. */
gboolean                 tessera_local_object_key_is_valid       (const char                 *key);
TesseraObjectWriter     *tessera_local_object_store_begin_write  (TesseraLocalObjectStore    *self,
                                                                  const char                 *key,
                                                                  GError                    **error);
/* G_IO_ERROR_NOT_FOUND when there is no such object. */
TesseraObjectInfo       *tessera_local_object_store_open         (TesseraLocalObjectStore    *self,
                                                                  const char                 *key,
                                                                  GError                    **error);

gboolean                 tessera_object_writer_write             (TesseraObjectWriter        *writer,
                                                                  const void                 *data,
                                                                  gsize                       length,
                                                                  GError                    **error);
gint64                   tessera_object_writer_get_size          (TesseraObjectWriter        *writer);
/* User metadata (an x-amz-meta-* @name, lower-case) stored with the object. */
void                     tessera_object_writer_add_metadata      (TesseraObjectWriter        *writer,
                                                                  const char                 *name,
                                                                  const char                 *value);
/* fsync, rename into place, fsync the directory; @etag gets the md5 hex. */
gboolean                 tessera_object_writer_commit            (TesseraObjectWriter        *writer,
                                                                  const char                 *content_type,
                                                                  char                      **etag,
                                                                  GError                    **error);
void                     tessera_object_writer_free              (TesseraObjectWriter        *writer);

void                     tessera_object_info_free                (TesseraObjectInfo          *info);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TesseraObjectWriter, tessera_object_writer_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TesseraObjectInfo, tessera_object_info_free)

G_END_DECLS
