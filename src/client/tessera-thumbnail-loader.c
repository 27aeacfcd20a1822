/* tessera-thumbnail-loader.c
 *
 * Three levels: an in-memory LRU of encoded thumbnails (GBytes; the app
 * decodes them into textures), a bounded on-disk cache under
 * $XDG_CACHE_HOME/tessera/thumbnails/<id>.webp evicted by age of last use
 * (mtime, touched on every hit, since atime is often off), and the
 * server. Concurrent requests for one id share one load.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-thumbnails"

#include "config.h"

#include <glib/gstdio.h>
#include <utime.h>

#include "tessera-thumbnail-loader.h"
#include "tessera-util.h"

#define DEFAULT_MAX_DISK_BYTES   (256 * 1024 * 1024)
/* Encoded thumbnails (10-20 KB each): 8 MB is some 400-800 of them, a few
 * dozen screens of tiles, and the disk cache answers for the rest. The
 * decoded textures are held by the tiles that show them. */
#define DEFAULT_MAX_MEMORY_BYTES (8 * 1024 * 1024)

typedef struct
{
  char   *id;
  GBytes *bytes;
  GList  *link;
} Entry;

struct _TesseraThumbnailLoader
{
  GObject        parent_instance;

  TesseraClient *client;
  char          *cache_dir;
  guint64        max_disk_bytes;
  guint64        max_memory_bytes;

  GHashTable    *memory;       /* id -> Entry */
  GQueue         lru;          /* Entry*, most recent at the head */
  guint64        memory_bytes;

  GHashTable    *pending;      /* id -> GPtrArray of GTask */
  gint64         disk_bytes;   /* estimate; -1 until scanned */
  guint          n_downloads;

  GCancellable  *cancellable;
};

G_DEFINE_FINAL_TYPE (TesseraThumbnailLoader, tessera_thumbnail_loader, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_CLIENT,
  PROP_CACHE_DIR,
  PROP_MAX_DISK_BYTES,
  PROP_MAX_MEMORY_BYTES,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
entry_free (Entry *entry)
{
  g_free (entry->id);
  g_bytes_unref (entry->bytes);
  g_free (entry);
}

static void
memory_trim (TesseraThumbnailLoader *self)
{
  while (self->memory_bytes > self->max_memory_bytes && self->lru.tail != NULL)
    {
      Entry *entry = g_queue_pop_tail (&self->lru);

      self->memory_bytes -= g_bytes_get_size (entry->bytes);
      g_hash_table_remove (self->memory, entry->id);
    }
}

static void
memory_insert (TesseraThumbnailLoader *self,
               const char             *id,
               GBytes                 *bytes)
{
  Entry *entry = g_hash_table_lookup (self->memory, id);

  if (entry != NULL)
    {
      g_queue_delete_link (&self->lru, entry->link);
      self->memory_bytes -= g_bytes_get_size (entry->bytes);
      g_hash_table_remove (self->memory, id);
    }

  entry = g_new0 (Entry, 1);
  entry->id = g_strdup (id);
  entry->bytes = g_bytes_ref (bytes);
  g_queue_push_head (&self->lru, entry);
  entry->link = self->lru.head;
  self->memory_bytes += g_bytes_get_size (bytes);
  g_hash_table_insert (self->memory, entry->id, entry);

  memory_trim (self);
}

/**
 * tessera_thumbnail_loader_lookup:
 * @self: a #TesseraThumbnailLoader
 * @image_id: an image id
 *
 * Returns: (transfer full) (nullable): the thumbnail if it is in memory
 */
GBytes *
tessera_thumbnail_loader_lookup (TesseraThumbnailLoader *self,
                                 const char             *image_id)
{
  Entry *entry;

  g_return_val_if_fail (TESSERA_IS_THUMBNAIL_LOADER (self), NULL);
  g_return_val_if_fail (image_id != NULL, NULL);

  entry = g_hash_table_lookup (self->memory, image_id);
  if (entry == NULL)
    return NULL;

  g_queue_unlink (&self->lru, entry->link);
  g_queue_push_head_link (&self->lru, entry->link);

  return g_bytes_ref (entry->bytes);
}

void
tessera_thumbnail_loader_clear_memory (TesseraThumbnailLoader *self)
{
  g_return_if_fail (TESSERA_IS_THUMBNAIL_LOADER (self));

  g_queue_clear (&self->lru);
  g_hash_table_remove_all (self->memory);
  self->memory_bytes = 0;
}

/* Disk ----------------------------------------------------------------------- */

static char *
cache_path (TesseraThumbnailLoader *self,
            const char             *id)
{
  g_autofree char *name = g_strconcat (id, ".webp", NULL);

  return g_build_filename (self->cache_dir, name, NULL);
}

typedef struct
{
  char  *path;
  gint64 mtime;
  gint64 size;
} CacheFile;

static int
compare_cache_files (gconstpointer a,
                     gconstpointer b)
{
  const CacheFile *fa = a, *fb = b;

  return (fa->mtime > fb->mtime) - (fa->mtime < fb->mtime);
}

/* Runs in a worker thread: scan, and delete the least recently used files
 * until the cache is at 90% of its bound. Returns the size left. */
static gint64
disk_trim (const char *dir_path,
           guint64     max_bytes)
{
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  g_autoptr(GArray) files = g_array_new (FALSE, FALSE, sizeof (CacheFile));
  gint64 total = 0;
  const char *name;

  if (dir == NULL)
    return 0;

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      CacheFile file;
      GStatBuf st;

      if (!g_str_has_suffix (name, ".webp"))
        continue;
      file.path = g_build_filename (dir_path, name, NULL);
      if (g_stat (file.path, &st) != 0)
        {
          g_free (file.path);
          continue;
        }
      file.mtime = st.st_mtime;
      file.size = st.st_size;
      total += st.st_size;
      g_array_append_val (files, file);
    }

  if ((guint64) total > max_bytes)
    {
      g_array_sort (files, compare_cache_files);
      for (guint i = 0; i < files->len && (guint64) total > max_bytes / 10 * 9; i++)
        {
          CacheFile *file = &g_array_index (files, CacheFile, i);

          if (g_unlink (file->path) == 0)
            total -= file->size;
        }
    }

  for (guint i = 0; i < files->len; i++)
    g_free (g_array_index (files, CacheFile, i).path);

  return total;
}

typedef struct
{
  char    *id;
  char    *path;
  char    *dir;
  guint64  max_disk_bytes;
  GBytes  *bytes;       /* in: to write; out: read */
  gint64   disk_bytes;  /* out: after a trim, or -1 */
  gboolean trim;
} DiskOp;

static void
disk_op_free (DiskOp *op)
{
  g_free (op->id);
  g_free (op->path);
  g_free (op->dir);
  g_clear_pointer (&op->bytes, g_bytes_unref);
  g_free (op);
}

static void
disk_read_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  DiskOp *op = task_data;
  char *contents = NULL;
  gsize length;

  if (g_file_get_contents (op->path, &contents, &length, NULL) && length > 0)
    {
      op->bytes = g_bytes_new_take (contents, length);
      /* Mark it used: eviction goes by mtime. */
      utime (op->path, NULL);
    }
  else
    g_free (contents);

  g_task_return_boolean (task, TRUE);
}

static void
disk_write_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  DiskOp *op = task_data;
  g_autoptr(GError) error = NULL;

  tessera_thread_set_background ();
  op->disk_bytes = -1;
  if (g_mkdir_with_parents (op->dir, 0700) != 0 ||
      !g_file_set_contents_full (op->path, g_bytes_get_data (op->bytes, NULL),
                                 g_bytes_get_size (op->bytes),
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error))
    g_debug ("Could not cache a thumbnail: %s", error ? error->message : "mkdir failed");
  else if (op->trim)
    op->disk_bytes = disk_trim (op->dir, op->max_disk_bytes);

  g_task_return_boolean (task, TRUE);
}

/* Loading -------------------------------------------------------------------- */

/* A request waiting for a shared load; it can leave early when its own
 * cancellable fires, while the load goes on for the others and the caches. */
typedef struct
{
  char         *id;
  GCancellable *cancellable;
  gulong        handler;
} Waiter;

static void
waiter_free (Waiter *waiter)
{
  g_free (waiter->id);
  g_clear_object (&waiter->cancellable);
  g_free (waiter);
}

static void
waiter_disconnect (GTask *task)
{
  Waiter *waiter = g_task_get_task_data (task);

  if (waiter->handler != 0)
    g_cancellable_disconnect (waiter->cancellable, waiter->handler);
  waiter->handler = 0;
}

static gboolean
abandon_waiter_cb (gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  TesseraThumbnailLoader *self = g_task_get_source_object (task);
  Waiter *waiter = g_task_get_task_data (task);
  GPtrArray *waiters = g_hash_table_lookup (self->pending, waiter->id);
  guint index;

  /* Already answered by the load itself. */
  if (waiters == NULL || !g_ptr_array_find (waiters, task, &index))
    return G_SOURCE_REMOVE;

  /* Still connected: that handler's reference is dropped with the
   * cancellable (it cannot be disconnected from inside its own emission). */
  waiter->handler = 0;
  g_task_return_new_error (task, TESSERA_CLIENT_ERROR, TESSERA_CLIENT_ERROR_CANCELLED, "Cancelled");
  g_ptr_array_remove_index (waiters, index);

  return G_SOURCE_REMOVE;
}

static void
waiter_cancelled_cb (GCancellable *cancellable,
                     GTask        *task)
{
  /* Emitted in the cancelling thread: finish in the task's context. */
  g_main_context_invoke (g_task_get_context (task), abandon_waiter_cb, g_object_ref (task));
}

static void
complete (TesseraThumbnailLoader *self,
          const char             *id,
          GBytes                 *bytes,
          const GError           *error)
{
  g_autoptr(GPtrArray) waiters = NULL;
  gpointer key;

  if (!g_hash_table_steal_extended (self->pending, id, &key, (gpointer *) &waiters))
    return;
  g_free (key);

  if (bytes != NULL)
    memory_insert (self, id, bytes);

  for (guint i = 0; i < waiters->len; i++)
    {
      GTask *task = g_ptr_array_index (waiters, i);

      waiter_disconnect (task);
      if (g_cancellable_is_cancelled (g_task_get_cancellable (task)))
        g_task_return_new_error (task, TESSERA_CLIENT_ERROR, TESSERA_CLIENT_ERROR_CANCELLED, "Cancelled");
      else if (bytes != NULL)
        g_task_return_pointer (task, g_bytes_ref (bytes), (GDestroyNotify) g_bytes_unref);
      else
        g_task_return_error (task, g_error_copy (error));
    }
}

typedef struct
{
  TesseraThumbnailLoader *self;
  TesseraImage           *image;
  char                   *id;
  gboolean                renewed;
} Load;

static void
load_free (Load *load)
{
  g_clear_object (&load->self);
  g_clear_object (&load->image);
  g_free (load->id);
  g_free (load);
}

static void fetch (Load *load);

static void
written_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  TesseraThumbnailLoader *self = TESSERA_THUMBNAIL_LOADER (object);
  DiskOp *op = g_task_get_task_data (G_TASK (result));

  if (op->disk_bytes >= 0)
    self->disk_bytes = op->disk_bytes;
  else if (self->disk_bytes >= 0)
    self->disk_bytes += g_bytes_get_size (op->bytes);
}

static void
image_renewed_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Load *load = user_data;
  g_autoptr(TesseraImage) fresh = NULL;
  g_autoptr(GError) error = NULL;

  fresh = tessera_client_get_image_finish (TESSERA_CLIENT (object), result, &error);
  if (fresh == NULL)
    {
      complete (load->self, load->id, NULL, error);
      load_free (load);
      return;
    }

  {
    g_autoptr(JsonObject) json = tessera_image_to_json (fresh);
    tessera_image_update_from_json (load->image, json);
  }
  fetch (load);
}

static void
fetched_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Load *load = user_data;
  TesseraThumbnailLoader *self = load->self;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;

  bytes = tessera_client_fetch_finish (TESSERA_CLIENT (object), result, &error);
  if (bytes == NULL)
    {
      /* Pre-signed URLs expire: ask for the image again, once. */
      if (!load->renewed &&
          (g_error_matches (error, TESSERA_CLIENT_ERROR, TESSERA_CLIENT_ERROR_FORBIDDEN) ||
           g_error_matches (error, TESSERA_CLIENT_ERROR, TESSERA_CLIENT_ERROR_NOT_FOUND)))
        {
          load->renewed = TRUE;
          tessera_client_get_image_async (self->client, load->id, self->cancellable,
                                          image_renewed_cb, load);
          return;
        }
      complete (self, load->id, NULL, error);
      load_free (load);
      return;
    }

  self->n_downloads++;

  {
    g_autoptr(GTask) task = g_task_new (self, NULL, written_cb, NULL);
    DiskOp *op = g_new0 (DiskOp, 1);

    op->id = g_strdup (load->id);
    op->path = cache_path (self, load->id);
    op->dir = g_strdup (self->cache_dir);
    op->bytes = g_bytes_ref (bytes);
    op->max_disk_bytes = self->max_disk_bytes;
    op->trim = self->disk_bytes < 0 ||
               (guint64) self->disk_bytes + g_bytes_get_size (bytes) > self->max_disk_bytes;
    g_task_set_task_data (task, op, (GDestroyNotify) disk_op_free);
    g_task_run_in_thread (task, disk_write_thread);
  }

  complete (self, load->id, bytes, NULL);
  load_free (load);
}

static void
fetch (Load *load)
{
  const char *url = tessera_image_get_thumbnail_url (load->image);

  if (url == NULL)
    {
      g_autoptr(GError) error = g_error_new_literal (TESSERA_CLIENT_ERROR,
                                                     TESSERA_CLIENT_ERROR_NOT_FOUND,
                                                     "This image has no thumbnail yet");
      complete (load->self, load->id, NULL, error);
      load_free (load);
      return;
    }

  /* After the frame being drawn: a scroll asks for ten thumbnails a frame,
   * and their answers should not hold up the next frame. */
  tessera_client_fetch_full_async (load->self->client, url, G_PRIORITY_DEFAULT_IDLE,
                                   load->self->cancellable, fetched_cb, load);
}

static void
disk_read_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Load *load = user_data;
  DiskOp *op = g_task_get_task_data (G_TASK (result));

  if (op->bytes != NULL)
    {
      complete (load->self, load->id, op->bytes, NULL);
      load_free (load);
      return;
    }

  fetch (load);
}

/**
 * tessera_thumbnail_loader_load_async:
 * @self: a #TesseraThumbnailLoader
 * @image: the image whose thumbnail to load
 * @cancellable: (nullable): a #GCancellable; cancelling it ends this
 *   request at once, while the shared load (which other requests may wait
 *   for, and which fills the caches) goes on
 * @callback: called when done
 * @user_data: closure
 *
 * Loads a thumbnail from memory, else from the disk cache, else from the
 * server (renewing an expired URL once).
 */
void
tessera_thumbnail_loader_load_async (TesseraThumbnailLoader *self,
                                     TesseraImage           *image,
                                     GCancellable           *cancellable,
                                     GAsyncReadyCallback     callback,
                                     gpointer                user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GBytes) bytes = NULL;
  const char *id;
  GPtrArray *waiters;
  Waiter *waiter;
  Load *load;

  g_return_if_fail (TESSERA_IS_THUMBNAIL_LOADER (self));
  g_return_if_fail (TESSERA_IS_IMAGE (image));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  id = tessera_image_get_id (image);
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tessera_thumbnail_loader_load_async);
  g_task_set_check_cancellable (task, FALSE);
  waiter = g_new0 (Waiter, 1);
  waiter->id = g_strdup (id);
  g_task_set_task_data (task, waiter, (GDestroyNotify) waiter_free);

  if ((bytes = tessera_thumbnail_loader_lookup (self, id)))
    {
      g_task_return_pointer (task, g_steal_pointer (&bytes), (GDestroyNotify) g_bytes_unref);
      return;
    }

  if (cancellable != NULL)
    {
      waiter->cancellable = g_object_ref (cancellable);
      waiter->handler = g_cancellable_connect (cancellable, G_CALLBACK (waiter_cancelled_cb),
                                               g_object_ref (task), g_object_unref);
    }

  if ((waiters = g_hash_table_lookup (self->pending, id)))
    {
      g_ptr_array_add (waiters, g_steal_pointer (&task));
      return;
    }

  waiters = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (waiters, g_steal_pointer (&task));
  g_hash_table_insert (self->pending, g_strdup (id), waiters);

  load = g_new0 (Load, 1);
  load->self = g_object_ref (self);
  load->image = g_object_ref (image);
  load->id = g_strdup (id);

  {
    g_autoptr(GTask) read = g_task_new (self, NULL, disk_read_cb, load);
    DiskOp *op = g_new0 (DiskOp, 1);

    op->path = cache_path (self, id);
    g_task_set_task_data (read, op, (GDestroyNotify) disk_op_free);
    g_task_run_in_thread (read, disk_read_thread);
  }
}

/**
 * tessera_thumbnail_loader_load_finish:
 *
 * Returns: (transfer full): the thumbnail's encoded bytes
 */
GBytes *
tessera_thumbnail_loader_load_finish (TesseraThumbnailLoader  *self,
                                      GAsyncResult            *result,
                                      GError                 **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Object --------------------------------------------------------------------- */

static void
tessera_thumbnail_loader_dispose (GObject *object)
{
  TesseraThumbnailLoader *self = (TesseraThumbnailLoader *)object;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->client);

  G_OBJECT_CLASS (tessera_thumbnail_loader_parent_class)->dispose (object);
}

static void
tessera_thumbnail_loader_finalize (GObject *object)
{
  TesseraThumbnailLoader *self = (TesseraThumbnailLoader *)object;

  g_queue_clear (&self->lru);
  g_clear_pointer (&self->memory, g_hash_table_unref);
  g_clear_pointer (&self->pending, g_hash_table_unref);
  g_clear_pointer (&self->cache_dir, g_free);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (tessera_thumbnail_loader_parent_class)->finalize (object);
}

static void
tessera_thumbnail_loader_get_property (GObject    *object,
                                       guint       prop_id,
                                       GValue     *value,
                                       GParamSpec *pspec)
{
  TesseraThumbnailLoader *self = TESSERA_THUMBNAIL_LOADER (object);

  switch (prop_id)
    {
    case PROP_CLIENT: g_value_set_object (value, self->client); break;
    case PROP_CACHE_DIR: g_value_set_string (value, self->cache_dir); break;
    case PROP_MAX_DISK_BYTES: g_value_set_uint64 (value, self->max_disk_bytes); break;
    case PROP_MAX_MEMORY_BYTES: g_value_set_uint64 (value, self->max_memory_bytes); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_thumbnail_loader_set_property (GObject      *object,
                                       guint         prop_id,
                                       const GValue *value,
                                       GParamSpec   *pspec)
{
  TesseraThumbnailLoader *self = TESSERA_THUMBNAIL_LOADER (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      self->client = g_value_dup_object (value);
      break;
    case PROP_CACHE_DIR:
      self->cache_dir = g_value_dup_string (value);
      if (self->cache_dir == NULL)
        self->cache_dir = g_build_filename (g_get_user_cache_dir (), "tessera", "thumbnails", NULL);
      break;
    case PROP_MAX_DISK_BYTES:
      tessera_thumbnail_loader_set_max_disk_bytes (self, g_value_get_uint64 (value));
      break;
    case PROP_MAX_MEMORY_BYTES:
      tessera_thumbnail_loader_set_max_memory_bytes (self, g_value_get_uint64 (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_thumbnail_loader_class_init (TesseraThumbnailLoaderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = tessera_thumbnail_loader_dispose;
  object_class->finalize = tessera_thumbnail_loader_finalize;
  object_class->get_property = tessera_thumbnail_loader_get_property;
  object_class->set_property = tessera_thumbnail_loader_set_property;

  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, TESSERA_TYPE_CLIENT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CACHE_DIR] =
    g_param_spec_string ("cache-dir", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MAX_DISK_BYTES] =
    g_param_spec_uint64 ("max-disk-bytes", NULL, NULL, 0, G_MAXUINT64, DEFAULT_MAX_DISK_BYTES, rw);
  properties[PROP_MAX_MEMORY_BYTES] =
    g_param_spec_uint64 ("max-memory-bytes", NULL, NULL, 0, G_MAXUINT64, DEFAULT_MAX_MEMORY_BYTES, rw);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
tessera_thumbnail_loader_init (TesseraThumbnailLoader *self)
{
  self->max_disk_bytes = DEFAULT_MAX_DISK_BYTES;
  self->max_memory_bytes = DEFAULT_MAX_MEMORY_BYTES;
  self->memory = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) entry_free);
  self->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
  self->disk_bytes = -1;
  self->cancellable = g_cancellable_new ();
}

/**
 * tessera_thumbnail_loader_new:
 * @client: the client to download with
 * @cache_dir: (nullable): the disk cache, by default
 *   `$XDG_CACHE_HOME/tessera/thumbnails`
 *
 * Returns: (transfer full): a new loader
 */
TesseraThumbnailLoader *
tessera_thumbnail_loader_new (TesseraClient *client,
                              const char    *cache_dir)
{
  g_return_val_if_fail (TESSERA_IS_CLIENT (client), NULL);

  return g_object_new (TESSERA_TYPE_THUMBNAIL_LOADER,
                       "client", client,
                       "cache-dir", cache_dir,
                       NULL);
}

const char *
tessera_thumbnail_loader_get_cache_dir (TesseraThumbnailLoader *self)
{
  g_return_val_if_fail (TESSERA_IS_THUMBNAIL_LOADER (self), NULL);

  return self->cache_dir;
}

guint64
tessera_thumbnail_loader_get_max_disk_bytes (TesseraThumbnailLoader *self)
{
  g_return_val_if_fail (TESSERA_IS_THUMBNAIL_LOADER (self), 0);

  return self->max_disk_bytes;
}

void
tessera_thumbnail_loader_set_max_disk_bytes (TesseraThumbnailLoader *self,
                                             guint64                 max_bytes)
{
  g_return_if_fail (TESSERA_IS_THUMBNAIL_LOADER (self));

  if (self->max_disk_bytes != max_bytes)
    {
      self->max_disk_bytes = max_bytes;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_DISK_BYTES]);
    }
}

guint64
tessera_thumbnail_loader_get_max_memory_bytes (TesseraThumbnailLoader *self)
{
  g_return_val_if_fail (TESSERA_IS_THUMBNAIL_LOADER (self), 0);

  return self->max_memory_bytes;
}

void
tessera_thumbnail_loader_set_max_memory_bytes (TesseraThumbnailLoader *self,
                                               guint64                 max_bytes)
{
  g_return_if_fail (TESSERA_IS_THUMBNAIL_LOADER (self));

  if (self->max_memory_bytes != max_bytes)
    {
      self->max_memory_bytes = max_bytes;
      memory_trim (self);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_MEMORY_BYTES]);
    }
}

/**
 * tessera_thumbnail_loader_get_n_downloads:
 *
 * Returns: how many thumbnails came from the server, for tests and
 *   diagnostics
 */
guint
tessera_thumbnail_loader_get_n_downloads (TesseraThumbnailLoader *self)
{
  g_return_val_if_fail (TESSERA_IS_THUMBNAIL_LOADER (self), 0);

  return self->n_downloads;
}
