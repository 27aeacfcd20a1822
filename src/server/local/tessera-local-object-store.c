/* tessera-local-object-store.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-local-object-store"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tessera-error.h"
#include "tessera-local-object-store.h"
#include "tessera-sigv4.h"
#include "tessera-util.h"

/* Layout under the data directory:
 *   objects/<bucket>/<key>      the bytes, and nothing else
 *   object-meta/<bucket>/<key>  a small key file: content type, etag
 *   uploads/                    uploads in progress; emptied at start-up
 * Same file system, so an upload becomes its object by rename. */
struct _TesseraLocalObjectStore
{
  GObject  parent_instance;

  char    *bucket_dir;
  char    *meta_dir;
  char    *tmp_dir;
  char    *bucket;
  char    *region;
  char    *access_key_id;
  char    *secret_access_key;
  char    *public_url;
};

struct _TesseraObjectWriter
{
  TesseraLocalObjectStore *store;
  char                    *key;
  char                    *tmp_path;
  int                      fd;
  gint64                   size;
  GChecksum               *md5;
  GPtrArray               *metadata;
  gboolean                 committed;
};

static void object_store_iface_init (TesseraObjectStoreInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TesseraLocalObjectStore, tessera_local_object_store, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (TESSERA_TYPE_OBJECT_STORE, object_store_iface_init))

static void
set_io_error (GError     **error,
              int          saved_errno,
              const char  *what,
              const char  *path)
{
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
               "%s %s: %s", what, path, g_strerror (saved_errno));
}

gboolean
tessera_local_object_key_is_valid (const char *key)
{
  gsize len;
  const char *segment;

  if (key == NULL)
    return FALSE;

  len = strlen (key);
  if (len == 0 || len > TESSERA_LOCAL_OBJECT_MAX_KEY || !g_utf8_validate (key, len, NULL))
    return FALSE;

  for (const char *p = key; *p; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      return FALSE;

  /* No leading '/', no empty, "." or ".." segment: nothing leaves the
   * bucket's directory and no two keys name one file. */
  segment = key;
  for (;;)
    {
      const char *end = strchr (segment, '/');
      gsize n = end ? (gsize) (end - segment) : strlen (segment);

      if (n == 0 ||
          (n == 1 && segment[0] == '.') ||
          (n == 2 && segment[0] == '.' && segment[1] == '.'))
        return FALSE;
      if (end == NULL)
        break;
      segment = end + 1;
    }

  return TRUE;
}

static gboolean
check_key (const char  *key,
           GError     **error)
{
  if (!tessera_local_object_key_is_valid (key))
    {
      g_set_error_literal (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                           "Invalid object key");
      return FALSE;
    }
  return TRUE;
}

static gboolean
fsync_directory (const char  *dir,
                 GError     **error)
{
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (fd < 0 || fsync (fd) != 0)
    {
      int saved_errno = errno;

      if (fd >= 0)
        close (fd);
      set_io_error (error, saved_errno, "Cannot sync", dir);
      return FALSE;
    }
  close (fd);
  return TRUE;
}

static gboolean
make_parent (const char  *path,
             GError     **error)
{
  g_autofree char *parent = g_path_get_dirname (path);

  if (g_mkdir_with_parents (parent, 0700) != 0)
    {
      set_io_error (error, errno, "Cannot create", parent);
      return FALSE;
    }
  return TRUE;
}

static char *
object_path (TesseraLocalObjectStore *self,
             const char              *key)
{
  return g_build_filename (self->bucket_dir, key, NULL);
}

static char *
meta_path (TesseraLocalObjectStore *self,
           const char              *key)
{
  return g_build_filename (self->meta_dir, key, NULL);
}

static void
remove_empty_parents (const char *top,
                      const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);

  /* Keeps the tree from filling with empty per-user directories; a
   * directory that is not empty (or is being filled) just stays. */
  while (g_str_has_prefix (dir, top) && strlen (dir) > strlen (top))
    {
      char *parent;

      if (g_rmdir (dir) != 0)
        break;
      parent = g_path_get_dirname (dir);
      g_free (dir);
      dir = parent;
    }
}

static void
sweep_tmp_dir (TesseraLocalObjectStore *self)
{
  g_autoptr(GDir) dir = g_dir_open (self->tmp_dir, 0, NULL);
  const char *name;

  if (dir == NULL)
    return;

  /* What a killed server left half-written never became an object. */
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (self->tmp_dir, name, NULL);

      if (g_unlink (path) == 0)
        g_debug ("Removed the unfinished upload %s", path);
    }
}

/* Writers */

TesseraObjectWriter *
tessera_local_object_store_begin_write (TesseraLocalObjectStore  *self,
                                        const char               *key,
                                        GError                  **error)
{
  g_autoptr(TesseraObjectWriter) writer = NULL;

  g_return_val_if_fail (TESSERA_IS_LOCAL_OBJECT_STORE (self), NULL);

  if (!check_key (key, error))
    return NULL;

  writer = g_new0 (TesseraObjectWriter, 1);
  writer->store = g_object_ref (self);
  writer->key = g_strdup (key);
  writer->md5 = g_checksum_new (G_CHECKSUM_MD5);
  writer->tmp_path = g_build_filename (self->tmp_dir, "upload-XXXXXX", NULL);
  writer->fd = g_mkstemp_full (writer->tmp_path, O_WRONLY | O_CLOEXEC, 0600);
  if (writer->fd < 0)
    {
      set_io_error (error, errno, "Cannot create", writer->tmp_path);
      g_clear_pointer (&writer->tmp_path, g_free);
      return NULL;
    }

  return g_steal_pointer (&writer);
}

gboolean
tessera_object_writer_write (TesseraObjectWriter  *writer,
                             const void           *data,
                             gsize                 length,
                             GError              **error)
{
  const char *p = data;
  gsize left = length;

  g_return_val_if_fail (writer != NULL, FALSE);
  g_return_val_if_fail (writer->fd >= 0, FALSE);

  g_checksum_update (writer->md5, data, length);
  while (left > 0)
    {
      ssize_t n = write (writer->fd, p, left);

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          set_io_error (error, errno, "Cannot write", writer->tmp_path);
          return FALSE;
        }
      p += n;
      left -= n;
    }
  writer->size += length;

  return TRUE;
}

gint64
tessera_object_writer_get_size (TesseraObjectWriter *writer)
{
  g_return_val_if_fail (writer != NULL, -1);

  return writer->size;
}

void
tessera_object_writer_add_metadata (TesseraObjectWriter *writer,
                                    const char          *name,
                                    const char          *value)
{
  g_return_if_fail (writer != NULL);
  g_return_if_fail (name != NULL && value != NULL);

  if (writer->metadata == NULL)
    writer->metadata = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (writer->metadata, g_ascii_strdown (name, -1));
  g_ptr_array_add (writer->metadata, g_strdup (value));
}

gboolean
tessera_object_writer_commit (TesseraObjectWriter  *writer,
                              const char           *content_type,
                              char                **etag,
                              GError              **error)
{
  TesseraLocalObjectStore *self;
  g_autofree char *path = NULL;
  g_autofree char *meta = NULL;
  g_autofree char *meta_data = NULL;
  g_autofree char *parent = NULL;
  g_autoptr(GKeyFile) key_file = NULL;
  const char *md5;

  g_return_val_if_fail (writer != NULL, FALSE);
  g_return_val_if_fail (writer->fd >= 0, FALSE);
  g_return_val_if_fail (!writer->committed, FALSE);

  self = writer->store;
  md5 = g_checksum_get_string (writer->md5);

  if (fsync (writer->fd) != 0)
    {
      set_io_error (error, errno, "Cannot sync", writer->tmp_path);
      return FALSE;
    }
  if (close (writer->fd) != 0)
    {
      writer->fd = -1;
      set_io_error (error, errno, "Cannot close", writer->tmp_path);
      return FALSE;
    }
  writer->fd = -1;

  /* The metadata goes first: an object never exists without it. */
  meta = meta_path (self, writer->key);
  key_file = g_key_file_new ();
  g_key_file_set_string (key_file, "object", "content-type",
                         content_type && *content_type ? content_type : "binary/octet-stream");
  g_key_file_set_string (key_file, "object", "etag", md5);
  for (guint i = 0; writer->metadata != NULL && i + 1 < writer->metadata->len; i += 2)
    g_key_file_set_string (key_file, "metadata",
                           g_ptr_array_index (writer->metadata, i),
                           g_ptr_array_index (writer->metadata, i + 1));
  meta_data = g_key_file_to_data (key_file, NULL, NULL);
  if (!make_parent (meta, error) ||
      !g_file_set_contents_full (meta, meta_data, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error))
    return FALSE;

  path = object_path (self, writer->key);
  if (!make_parent (path, error))
    return FALSE;
  if (g_rename (writer->tmp_path, path) != 0)
    {
      /* e.g. the key names a directory ("a" when "a/b" exists) */
      set_io_error (error, errno, "Cannot store", writer->key);
      return FALSE;
    }
  g_clear_pointer (&writer->tmp_path, g_free);
  writer->committed = TRUE;

  parent = g_path_get_dirname (path);
  if (!fsync_directory (parent, error))
    return FALSE;

  if (etag != NULL)
    *etag = g_strdup (md5);

  return TRUE;
}

void
tessera_object_writer_free (TesseraObjectWriter *writer)
{
  if (writer == NULL)
    return;

  if (writer->fd >= 0)
    close (writer->fd);
  if (writer->tmp_path != NULL)
    g_unlink (writer->tmp_path);
  g_free (writer->tmp_path);
  g_free (writer->key);
  g_clear_pointer (&writer->md5, g_checksum_free);
  g_clear_pointer (&writer->metadata, g_ptr_array_unref);
  g_clear_object (&writer->store);
  g_free (writer);
}

/* Reading */

void
tessera_object_info_free (TesseraObjectInfo *info)
{
  if (info == NULL)
    return;

  if (info->fd >= 0)
    close (info->fd);
  g_free (info->content_type);
  g_free (info->etag);
  g_strfreev (info->metadata);
  g_free (info);
}

static GStrv
read_metadata (GKeyFile *key_file)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) names = g_key_file_get_keys (key_file, "metadata", NULL, NULL);

  for (guint i = 0; names != NULL && names[i] != NULL; i++)
    {
      g_autofree char *value = g_key_file_get_string (key_file, "metadata", names[i], NULL);

      if (value == NULL || !g_str_has_prefix (names[i], "x-amz-meta-"))
        continue;
      g_strv_builder_add (builder, names[i]);
      g_strv_builder_add (builder, value);
    }

  return g_strv_builder_end (builder);
}

TesseraObjectInfo *
tessera_local_object_store_open (TesseraLocalObjectStore  *self,
                                 const char               *key,
                                 GError                  **error)
{
  g_autoptr(TesseraObjectInfo) info = NULL;
  g_autoptr(GKeyFile) key_file = NULL;
  g_autofree char *path = NULL;
  g_autofree char *meta = NULL;
  struct stat st;

  g_return_val_if_fail (TESSERA_IS_LOCAL_OBJECT_STORE (self), NULL);

  if (!tessera_local_object_key_is_valid (key))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "No such object");
      return NULL;
    }

  info = g_new0 (TesseraObjectInfo, 1);
  path = object_path (self, key);
  info->fd = open (path, O_RDONLY | O_CLOEXEC);
  if (info->fd < 0 || fstat (info->fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "No such object");
      return NULL;
    }
  info->size = st.st_size;
  info->modified_ms = (gint64) st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;

  meta = meta_path (self, key);
  key_file = g_key_file_new ();
  if (g_key_file_load_from_file (key_file, meta, G_KEY_FILE_NONE, NULL))
    {
      info->content_type = g_key_file_get_string (key_file, "object", "content-type", NULL);
      info->etag = g_key_file_get_string (key_file, "object", "etag", NULL);
      info->metadata = read_metadata (key_file);
    }
  if (info->content_type == NULL)
    info->content_type = g_strdup ("binary/octet-stream");
  if (info->etag == NULL)
    info->etag = g_strdup_printf ("%" G_GINT64_MODIFIER "x-%" G_GINT64_MODIFIER "x",
                                  (gint64) st.st_size, info->modified_ms);

  return g_steal_pointer (&info);
}

const char *
tessera_local_object_store_get_bucket (TesseraLocalObjectStore *self)
{
  g_return_val_if_fail (TESSERA_IS_LOCAL_OBJECT_STORE (self), NULL);

  return self->bucket;
}

/* TesseraObjectStore */

static TesseraPresignedPost *
tessera_local_object_store_presign_post (TesseraObjectStore  *store,
                                         const char          *key,
                                         const char          *content_type,
                                         gint64               max_size,
                                         guint                expires_seconds,
                                         GError             **error)
{
  TesseraLocalObjectStore *self = TESSERA_LOCAL_OBJECT_STORE (store);
  TesseraSigv4Params params = {
    .access_key_id = self->access_key_id,
    .secret_access_key = self->secret_access_key,
    .region = self->region,
    .service = "s3",
    .flags = TESSERA_SIGV4_S3_URI,
  };
  TesseraSigv4PostPolicy policy = {
    .bucket = self->bucket,
    .key = key,
    .content_type = content_type,
    .content_type_prefix = "image/",
    .min_size = 1,
    .max_size = max_size,
    .expires_seconds = expires_seconds,
  };
  g_autoptr(TesseraPresignedPost) post = NULL;

  if (!check_key (key, error))
    return NULL;
  if (content_type != NULL && !g_str_has_prefix (content_type, "image/"))
    {
      g_set_error_literal (error, TESSERA_ERROR, TESSERA_ERROR_UNSUPPORTED_MEDIA,
                           "Only images can be uploaded");
      return NULL;
    }

  post = g_new0 (TesseraPresignedPost, 1);
  post->upload_url = g_strconcat (self->public_url, "/", self->bucket, NULL);
  post->form_fields = tessera_sigv4_post_policy_sign (&policy, &params, NULL);

  return g_steal_pointer (&post);
}

static char *
tessera_local_object_store_presign_get (TesseraObjectStore  *store,
                                        const char          *key,
                                        guint                expires_seconds,
                                        GError             **error)
{
  TesseraLocalObjectStore *self = TESSERA_LOCAL_OBJECT_STORE (store);
  TesseraSigv4Params params = {
    .access_key_id = self->access_key_id,
    .secret_access_key = self->secret_access_key,
    .region = self->region,
    .service = "s3",
    .flags = TESSERA_SIGV4_S3_URI,
  };
  g_autofree char *encoded_key = NULL;
  g_autofree char *url = NULL;

  if (!check_key (key, error))
    return NULL;

  encoded_key = tessera_sigv4_uri_encode (key, -1, FALSE);
  url = g_strconcat (self->public_url, "/", self->bucket, "/", encoded_key, NULL);

  return tessera_sigv4_presign_url ("GET", url, &params,
                                    CLAMP (expires_seconds, 1, TESSERA_SIGV4_MAX_EXPIRES),
                                    error);
}

static GFile *
tessera_local_object_store_fetch (TesseraObjectStore  *store,
                                  const char          *key,
                                  GCancellable        *cancellable,
                                  GError             **error)
{
  TesseraLocalObjectStore *self = TESSERA_LOCAL_OBJECT_STORE (store);
  g_autofree char *path = NULL;

  if (!tessera_local_object_key_is_valid (key))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "No such object");
      return NULL;
    }

  path = object_path (self, key);
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "No such object: %s", key);
      return NULL;
    }

  /* The object is already a local file: hand out its path, release is a
   * no-op. Objects are replaced by rename, so a reader keeps whole bytes. */
  return g_file_new_for_path (path);
}

static gboolean
tessera_local_object_store_put_file (TesseraObjectStore  *store,
                                     const char          *key,
                                     GFile               *source,
                                     const char          *content_type,
                                     GCancellable        *cancellable,
                                     GError             **error)
{
  TesseraLocalObjectStore *self = TESSERA_LOCAL_OBJECT_STORE (store);
  g_autoptr(TesseraObjectWriter) writer = NULL;
  g_autoptr(GFileInputStream) in = NULL;
  g_autofree char *buffer = NULL;

  writer = tessera_local_object_store_begin_write (self, key, error);
  if (writer == NULL)
    return FALSE;

  in = g_file_read (source, cancellable, error);
  if (in == NULL)
    return FALSE;

  buffer = g_malloc (64 * 1024);
  for (;;)
    {
      gssize n = g_input_stream_read (G_INPUT_STREAM (in), buffer, 64 * 1024, cancellable, error);

      if (n < 0)
        return FALSE;
      if (n == 0)
        break;
      if (!tessera_object_writer_write (writer, buffer, n, error))
        return FALSE;
    }

  return tessera_object_writer_commit (writer, content_type, NULL, error);
}

static gboolean
tessera_local_object_store_remove (TesseraObjectStore  *store,
                                   const char          *key,
                                   GError             **error)
{
  TesseraLocalObjectStore *self = TESSERA_LOCAL_OBJECT_STORE (store);
  g_autofree char *path = NULL;
  g_autofree char *meta = NULL;

  if (!check_key (key, error))
    return FALSE;

  path = object_path (self, key);
  if (g_unlink (path) != 0 && errno != ENOENT)
    {
      set_io_error (error, errno, "Cannot remove", key);
      return FALSE;
    }
  meta = meta_path (self, key);
  g_unlink (meta);

  remove_empty_parents (self->bucket_dir, path);
  remove_empty_parents (self->meta_dir, meta);

  return TRUE;
}

static void
object_store_iface_init (TesseraObjectStoreInterface *iface)
{
  iface->presign_post = tessera_local_object_store_presign_post;
  iface->presign_get = tessera_local_object_store_presign_get;
  iface->fetch = tessera_local_object_store_fetch;
  iface->put_file = tessera_local_object_store_put_file;
  iface->remove = tessera_local_object_store_remove;
}

static void
tessera_local_object_store_finalize (GObject *object)
{
  TesseraLocalObjectStore *self = (TesseraLocalObjectStore *) object;

  g_free (self->bucket_dir);
  g_free (self->meta_dir);
  g_free (self->tmp_dir);
  g_free (self->bucket);
  g_free (self->region);
  g_free (self->access_key_id);
  g_free (self->secret_access_key);
  g_free (self->public_url);

  G_OBJECT_CLASS (tessera_local_object_store_parent_class)->finalize (object);
}

static void
tessera_local_object_store_class_init (TesseraLocalObjectStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = tessera_local_object_store_finalize;
}

static void
tessera_local_object_store_init (TesseraLocalObjectStore *self)
{
}

/**
 * tessera_local_object_store_new:
 *
 * Creates the directories it needs and removes what a killed server left
 * half-uploaded.
 *
 * Returns: (transfer full): the store, or %NULL when its directories cannot
 *   be created
 */
TesseraLocalObjectStore *
tessera_local_object_store_new (const char                 *data_dir,
                                const TesseraServerConfig  *config,
                                const char                 *public_url,
                                GError                    **error)
{
  g_autoptr(TesseraLocalObjectStore) self = NULL;
  const char *dirs[3];

  g_return_val_if_fail (data_dir != NULL, NULL);
  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (public_url != NULL, NULL);

  self = g_object_new (TESSERA_TYPE_LOCAL_OBJECT_STORE, NULL);
  self->bucket = g_strdup (config->bucket);
  self->region = g_strdup (config->region);
  self->access_key_id = g_strdup (config->access_key_id);
  self->secret_access_key = g_strdup (config->secret_access_key);
  self->public_url = g_strdup (public_url);
  self->bucket_dir = g_build_filename (data_dir, "objects", config->bucket, NULL);
  self->meta_dir = g_build_filename (data_dir, "object-meta", config->bucket, NULL);
  self->tmp_dir = g_build_filename (data_dir, "uploads", NULL);

  dirs[0] = self->bucket_dir;
  dirs[1] = self->meta_dir;
  dirs[2] = self->tmp_dir;
  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    if (g_mkdir_with_parents (dirs[i], 0700) != 0)
      {
        set_io_error (error, errno, "Cannot create", dirs[i]);
        return NULL;
      }

  sweep_tmp_dir (self);

  return g_steal_pointer (&self);
}
