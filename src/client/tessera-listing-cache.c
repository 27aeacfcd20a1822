/* tessera-listing-cache.c: the last listing of the user's images, on disk
 *
 * What the GNOME Shell search provider answers from, so that it is fast and
 * works offline: each image's id, file name and tags, newest first, in one
 * GVariant file ($XDG_CACHE_HOME/tessera/listing.gvariant by default) that
 * is replaced atomically. The entries point into the serialised variant, so
 * loading 100 000 images copies no strings; a merge builds a new variant.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-listing-cache"

#include "config.h"

#include <errno.h>
#include <string.h>

#include "tessera-listing-cache.h"
#include "tessera-util.h"

/* (version, [(id, filename, tags)]) */
#define LISTING_FORMAT       "(ua(ssas))"
#define LISTING_VERSION      1

typedef struct
{
  const char  *id;
  const char  *filename;
  const char **tags;        /* the array is ours, the strings the variant's */
  gsize        position;    /* in the variant's list */
} Entry;

/* One listing, serialised and indexed. Never changed once made, so a save
 * in a thread can read the one it started from while the cache moves on. */
typedef struct
{
  gatomicrefcount  ref_count;
  GVariant        *data;
  GVariant        *list;
  GArray          *entries;   /* of Entry, newest first */
  GHashTable      *by_id;     /* id -> index + 1 */
} Index;

/* Images as a listing returned them, serialised a chunk at a time: building
 * a GVariant keeps a tree of small allocations until it is serialised, half
 * a kilobyte an image, which for 100 000 images would be a 50 MB peak. */
struct _TesseraListingSnapshot
{
  GPtrArray       *chunks;    /* of serialised a(ssas) */
  GVariantBuilder  builder;
  guint            n_building;
};

#define SNAPSHOT_CHUNK 1024

struct _TesseraListingCache
{
  GObject     parent_instance;

  char       *path;
  char       *thumbnail_dir;

  Index      *index;
  /* Every change of the cache (and every save started in a thread) takes
   * the next one; a threaded save applies, and writes, only if it is still
   * the last. */
  int         generation;
  GMutex      write_lock;
};

G_DEFINE_FINAL_TYPE (TesseraListingCache, tessera_listing_cache, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_PATH,
  PROP_THUMBNAIL_DIR,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
clear_entry (gpointer data)
{
  Entry *entry = data;

  g_clear_pointer (&entry->tags, g_free);
}

static void
index_unref (Index *index)
{
  if (!g_atomic_ref_count_dec (&index->ref_count))
    return;

  g_hash_table_unref (index->by_id);
  g_array_unref (index->entries);
  g_variant_unref (index->list);
  g_variant_unref (index->data);
  g_free (index);
}

static Index *
index_ref (Index *index)
{
  g_atomic_ref_count_inc (&index->ref_count);
  return index;
}

/* Takes @data (floating or not) and indexes it; thread-safe. */
static Index *
index_new (GVariant *data)
{
  Index *index = g_new0 (Index, 1);
  gsize n;

  g_atomic_ref_count_init (&index->ref_count);
  index->entries = g_array_new (FALSE, FALSE, sizeof (Entry));
  g_array_set_clear_func (index->entries, clear_entry);
  index->by_id = g_hash_table_new (g_str_hash, g_str_equal);

  index->data = g_variant_ref_sink (data);
  /* Serialise now: the entries point into the data, and a variant built by
   * g_variant_new() frees its tree the first time it is serialised. */
  (void) g_variant_get_data (index->data);
  index->list = g_variant_get_child_value (index->data, 1);
  n = g_variant_n_children (index->list);

  for (gsize i = 0; i < n; i++)
    {
      Entry entry;

      g_variant_get_child (index->list, i, "(&s&s^a&s)", &entry.id, &entry.filename, &entry.tags);
      entry.position = i;

      /* A duplicate id keeps its first (newest) entry. */
      if (*entry.id == '\0' || g_hash_table_contains (index->by_id, entry.id))
        {
          g_free (entry.tags);
          continue;
        }

      g_array_append_val (index->entries, entry);
      g_hash_table_insert (index->by_id, (gpointer) entry.id,
                           GUINT_TO_POINTER (index->entries->len));
    }

  return index;
}

/* Takes @data (floating or not) as the cache's content. */
static void
set_data (TesseraListingCache *self,
          GVariant            *data)
{
  Index *index = index_new (data);

  g_atomic_int_inc (&self->generation);
  g_clear_pointer (&self->index, index_unref);
  self->index = index;
}

static GVariant *
empty_data (void)
{
  return g_variant_new (LISTING_FORMAT, LISTING_VERSION, NULL);
}

static void
tessera_listing_cache_finalize (GObject *object)
{
  TesseraListingCache *self = TESSERA_LISTING_CACHE (object);

  g_clear_pointer (&self->index, index_unref);
  g_mutex_clear (&self->write_lock);
  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->thumbnail_dir, g_free);

  G_OBJECT_CLASS (tessera_listing_cache_parent_class)->finalize (object);
}

static void
tessera_listing_cache_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  TesseraListingCache *self = TESSERA_LISTING_CACHE (object);

  switch (prop_id)
    {
    case PROP_PATH: g_value_set_string (value, self->path); break;
    case PROP_THUMBNAIL_DIR: g_value_set_string (value, self->thumbnail_dir); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_listing_cache_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  TesseraListingCache *self = TESSERA_LISTING_CACHE (object);

  switch (prop_id)
    {
    case PROP_PATH:
      self->path = g_value_dup_string (value);
      if (self->path == NULL)
        self->path = g_build_filename (g_get_user_cache_dir (), "tessera", "listing.gvariant", NULL);
      break;
    case PROP_THUMBNAIL_DIR:
      tessera_listing_cache_set_thumbnail_dir (self, g_value_get_string (value));
      break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_listing_cache_class_init (TesseraListingCacheClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = tessera_listing_cache_finalize;
  object_class->get_property = tessera_listing_cache_get_property;
  object_class->set_property = tessera_listing_cache_set_property;

  properties[PROP_PATH] =
    g_param_spec_string ("path", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_THUMBNAIL_DIR] =
    g_param_spec_string ("thumbnail-dir", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
tessera_listing_cache_init (TesseraListingCache *self)
{
  g_mutex_init (&self->write_lock);
  set_data (self, empty_data ());
}

/**
 * tessera_listing_cache_new:
 * @path: (nullable): the cache file, by default
 *   `$XDG_CACHE_HOME/tessera/listing.gvariant`
 *
 * An empty cache; tessera_listing_cache_load() reads the file.
 *
 * Returns: (transfer full): a new cache
 */
TesseraListingCache *
tessera_listing_cache_new (const char *path)
{
  return g_object_new (TESSERA_TYPE_LISTING_CACHE, "path", path, NULL);
}

/**
 * tessera_listing_cache_new_for_account:
 * @server_url: the account's server
 * @username: the account's user
 *
 * The cache of one account, as the app and the search provider share it:
 * `$XDG_CACHE_HOME/tessera/listing/<key>/<username>.gvariant`, with the
 * thumbnails in `$XDG_CACHE_HOME/tessera/thumbnails/<key>/<username>`
 * (where the app's window keeps them), `<key>` being the first 16 hex
 * digits of the SHA-256 of @server_url. One account never reads another's.
 *
 * Returns: (transfer full) (nullable): a new, empty cache; %NULL when
 *   @username cannot name a directory
 */
TesseraListingCache *
tessera_listing_cache_new_for_account (const char *server_url,
                                       const char *username)
{
  g_autofree char *key = NULL;
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;
  g_autofree char *thumbnails = NULL;

  g_return_val_if_fail (server_url != NULL, NULL);
  g_return_val_if_fail (username != NULL, NULL);

  if (*username == '\0' || *username == '.' || strchr (username, '/') != NULL)
    return NULL;

  key = g_compute_checksum_for_string (G_CHECKSUM_SHA256, server_url, -1);
  key[16] = '\0';
  name = g_strconcat (username, ".gvariant", NULL);
  path = g_build_filename (g_get_user_cache_dir (), "tessera", "listing", key, name, NULL);
  thumbnails = g_build_filename (g_get_user_cache_dir (), "tessera", "thumbnails", key, username, NULL);

  return g_object_new (TESSERA_TYPE_LISTING_CACHE,
                       "path", path,
                       "thumbnail-dir", thumbnails,
                       NULL);
}

const char *
tessera_listing_cache_get_path (TesseraListingCache *self)
{
  g_return_val_if_fail (TESSERA_IS_LISTING_CACHE (self), NULL);

  return self->path;
}

const char *
tessera_listing_cache_get_thumbnail_dir (TesseraListingCache *self)
{
  g_return_val_if_fail (TESSERA_IS_LISTING_CACHE (self), NULL);

  return self->thumbnail_dir;
}

/**
 * tessera_listing_cache_set_thumbnail_dir:
 * @thumbnail_dir: (nullable): where the thumbnail loader keeps its files,
 *   by default the loader's own default
 */
void
tessera_listing_cache_set_thumbnail_dir (TesseraListingCache *self,
                                         const char          *thumbnail_dir)
{
  g_autofree char *dir = NULL;

  g_return_if_fail (TESSERA_IS_LISTING_CACHE (self));

  if (thumbnail_dir != NULL)
    dir = g_strdup (thumbnail_dir);
  else
    dir = g_build_filename (g_get_user_cache_dir (), "tessera", "thumbnails", NULL);

  if (g_strcmp0 (dir, self->thumbnail_dir) == 0)
    return;

  g_free (self->thumbnail_dir);
  self->thumbnail_dir = g_steal_pointer (&dir);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_THUMBNAIL_DIR]);
}

guint
tessera_listing_cache_get_n_images (TesseraListingCache *self)
{
  g_return_val_if_fail (TESSERA_IS_LISTING_CACHE (self), 0);

  return self->index->entries->len;
}

/**
 * tessera_listing_cache_load:
 *
 * Replaces what the cache holds with the file's content. A missing file is
 * an empty cache, not an error; a file that is not a listing is an error and
 * leaves the cache empty.
 *
 * Returns: %TRUE on success
 */
gboolean
tessera_listing_cache_load (TesseraListingCache  *self,
                            GError              **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GMappedFile) mapped = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GVariant) data = NULL;
  guint32 version = 0;

  g_return_val_if_fail (TESSERA_IS_LISTING_CACHE (self), FALSE);

  set_data (self, empty_data ());

  mapped = g_mapped_file_new (self->path, FALSE, &local_error);
  if (mapped == NULL)
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return TRUE;
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  bytes = g_mapped_file_get_bytes (mapped);
  data = g_variant_new_from_bytes (G_VARIANT_TYPE (LISTING_FORMAT), bytes, FALSE);

  /* A truncated or foreign file is not in normal form (or reads as default
   * values, never out of bounds: the version tells). Checking once also
   * marks the data trusted, which makes reading 100 000 entries 30 times
   * faster than GVariant's per-access checks of untrusted data. */
  if (g_variant_is_normal_form (data))
    g_variant_get_child (data, 0, "u", &version);
  if (version != LISTING_VERSION)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "%s is not a Tessera listing (version %u)", self->path, version);
      return FALSE;
    }

  set_data (self, g_steal_pointer (&data));

  return TRUE;
}

/**
 * tessera_listing_cache_save:
 *
 * Writes the cache to its file atomically (a temporary file renamed over
 * it), creating the directory.
 *
 * Returns: %TRUE on success
 */
static gboolean
write_data (const char  *path,
            GVariant    *data,
            GError     **error)
{
  g_autofree char *dir = g_path_get_dirname (path);

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int errsv = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   "Could not create %s: %s", dir, g_strerror (errsv));
      return FALSE;
    }

  return g_file_set_contents_full (path, g_variant_get_data (data), g_variant_get_size (data),
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

gboolean
tessera_listing_cache_save (TesseraListingCache  *self,
                            GError              **error)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_val_if_fail (TESSERA_IS_LISTING_CACHE (self), FALSE);

  locker = g_mutex_locker_new (&self->write_lock);
  return write_data (self->path, self->index->data, error);
}

/* Snapshots ----------------------------------------------------------------- */

/**
 * tessera_listing_snapshot_new:
 *
 * What a listing cache is made from: images added newest first, kept as
 * serialised data, not as the images, so that a thread may merge and save
 * it while the images change.
 *
 * Returns: (transfer full): an empty snapshot
 */
TesseraListingSnapshot *
tessera_listing_snapshot_new (void)
{
  TesseraListingSnapshot *snapshot = g_new0 (TesseraListingSnapshot, 1);

  snapshot->chunks = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);

  return snapshot;
}

void
tessera_listing_snapshot_free (TesseraListingSnapshot *snapshot)
{
  if (snapshot == NULL)
    return;

  if (snapshot->n_building > 0)
    g_variant_builder_clear (&snapshot->builder);
  g_ptr_array_unref (snapshot->chunks);
  g_free (snapshot);
}

static void
snapshot_close_chunk (TesseraListingSnapshot *snapshot)
{
  GVariant *chunk;

  if (snapshot->n_building == 0)
    return;

  chunk = g_variant_ref_sink (g_variant_builder_end (&snapshot->builder));
  (void) g_variant_get_data (chunk);
  g_ptr_array_add (snapshot->chunks, chunk);
  snapshot->n_building = 0;
}

/**
 * tessera_listing_snapshot_add:
 * @image: the next image of the listing, in its order (newest first)
 */
void
tessera_listing_snapshot_add (TesseraListingSnapshot *snapshot,
                              TesseraImage           *image)
{
  const char *id;
  const char *filename;
  GVariant *fields[3];

  g_return_if_fail (snapshot != NULL);
  g_return_if_fail (TESSERA_IS_IMAGE (image));

  id = tessera_image_get_id (image);
  filename = tessera_image_get_filename (image);
  if (id == NULL || *id == '\0')
    return;

  if (snapshot->n_building == 0)
    g_variant_builder_init (&snapshot->builder, G_VARIANT_TYPE ("a(ssas)"));
  fields[0] = g_variant_new_string (id);
  fields[1] = g_variant_new_string (filename != NULL ? filename : "");
  fields[2] = g_variant_new_strv (tessera_image_get_tags (image), -1);
  g_variant_builder_add_value (&snapshot->builder, g_variant_new_tuple (fields, 3));
  if (++snapshot->n_building == SNAPSHOT_CHUNK)
    snapshot_close_chunk (snapshot);
}

/* The listing data of @entries, serialised (a(ssas)) children. */
static GVariant *
data_from_entries (GPtrArray *entries)
{
  GVariant *list = g_variant_new_array (G_VARIANT_TYPE ("(ssas)"),
                                        (GVariant **) entries->pdata, entries->len);

  return g_variant_new ("(u@a(ssas))", LISTING_VERSION, list);
}

/* The listing of @snapshot, followed, for a partial listing, by the images
 * of @older it does not hold; thread-safe. Every entry is a serialised
 * child of a chunk or of @older's data: nothing is built twice. */
static GVariant *
build_data (TesseraListingSnapshot *snapshot,
            Index                  *older)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) children = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);

  snapshot_close_chunk (snapshot);

  for (guint c = 0; c < snapshot->chunks->len; c++)
    {
      GVariant *chunk = g_ptr_array_index (snapshot->chunks, c);
      gsize n = g_variant_n_children (chunk);

      for (gsize i = 0; i < n; i++)
        {
          GVariant *child = g_variant_get_child_value (chunk, i);
          const char *id;

          g_variant_get_child (child, 0, "&s", &id);
          if (g_hash_table_add (seen, (gpointer) id))
            g_ptr_array_add (children, child);
          else
            g_variant_unref (child);
        }
    }

  for (guint i = 0; older != NULL && i < older->entries->len; i++)
    {
      const Entry *entry = &g_array_index (older->entries, Entry, i);

      if (g_hash_table_add (seen, (gpointer) entry->id))
        g_ptr_array_add (children, g_variant_get_child_value (older->list, entry->position));
    }

  return data_from_entries (children);
}

/**
 * tessera_listing_cache_merge_snapshot:
 * @snapshot: (transfer full): images as a listing returned them
 * @complete: whether @snapshot is the whole listing
 *
 * As tessera_listing_cache_merge().
 */
void
tessera_listing_cache_merge_snapshot (TesseraListingCache    *self,
                                      TesseraListingSnapshot *snapshot,
                                      gboolean                complete)
{
  g_return_if_fail (TESSERA_IS_LISTING_CACHE (self));
  g_return_if_fail (snapshot != NULL);

  set_data (self, build_data (snapshot, complete ? NULL : self->index));
  tessera_listing_snapshot_free (snapshot);
}

typedef struct
{
  TesseraListingSnapshot *snapshot;
  Index                  *older;       /* NULL for a complete listing */
  int                     generation;
  char                   *path;
  GCancellable           *cancellable;
  Index                  *made;
  GError                 *write_error;
} SaveJob;

static void
save_job_free (SaveJob *job)
{
  tessera_listing_snapshot_free (job->snapshot);
  g_clear_pointer (&job->older, index_unref);
  g_clear_pointer (&job->made, index_unref);
  g_clear_error (&job->write_error);
  g_clear_object (&job->cancellable);
  g_free (job->path);
  g_free (job);
}

static void
save_thread (GTask        *work,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  TesseraListingCache *self = source_object;
  SaveJob *job = task_data;
  g_autoptr(GMutexLocker) locker = NULL;

  (void) cancellable;

  tessera_thread_set_background ();
  job->made = index_new (build_data (job->snapshot, job->older));

  /* Not over what a later change of the cache wrote, or will write; and
   * not at all once cancelled. */
  locker = g_mutex_locker_new (&self->write_lock);
  if (g_atomic_int_get (&self->generation) == job->generation &&
      !g_cancellable_is_cancelled (job->cancellable))
    write_data (job->path, job->made->data, &job->write_error);

  g_task_return_boolean (work, TRUE);
}

static void
saved_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  TesseraListingCache *self = TESSERA_LISTING_CACHE (object);
  g_autoptr(GTask) task = user_data;
  SaveJob *job = g_task_get_task_data (G_TASK (result));

  if (g_task_return_error_if_cancelled (task))
    return;

  if (g_atomic_int_get (&self->generation) == job->generation)
    {
      g_clear_pointer (&self->index, index_unref);
      self->index = g_steal_pointer (&job->made);
    }

  if (job->write_error != NULL)
    g_task_return_error (task, g_steal_pointer (&job->write_error));
  else
    g_task_return_boolean (task, TRUE);
}

/**
 * tessera_listing_cache_merge_save_async:
 * @snapshot: (transfer full): images as a listing returned them
 * @complete: whether @snapshot is the whole listing
 *
 * tessera_listing_cache_merge_snapshot() then tessera_listing_cache_save(),
 * in a thread. The cache takes the merged listing when done, unless it
 * changed in the meantime: the later change wins, in memory and on disk.
 * Cancelled, it changes neither (unless the file was already written).
 */
void
tessera_listing_cache_merge_save_async (TesseraListingCache    *self,
                                        TesseraListingSnapshot *snapshot,
                                        gboolean                complete,
                                        GCancellable           *cancellable,
                                        GAsyncReadyCallback     callback,
                                        gpointer                user_data)
{
  g_autoptr(GTask) work = NULL;
  GTask *task;
  SaveJob *job;

  g_return_if_fail (TESSERA_IS_LISTING_CACHE (self));
  g_return_if_fail (snapshot != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tessera_listing_cache_merge_save_async);

  job = g_new0 (SaveJob, 1);
  job->snapshot = snapshot;
  job->older = complete ? NULL : index_ref (self->index);
  job->generation = g_atomic_int_add (&self->generation, 1) + 1;
  job->path = g_strdup (self->path);
  job->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;

  work = g_task_new (self, NULL, saved_cb, task);
  g_task_set_task_data (work, job, (GDestroyNotify) save_job_free);
  g_task_run_in_thread (work, save_thread);
}

gboolean
tessera_listing_cache_merge_save_finish (TesseraListingCache  *self,
                                         GAsyncResult         *result,
                                         GError              **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * tessera_listing_cache_merge:
 * @images: (element-type TesseraImage): images as a listing returned them,
 *   newest first
 * @complete: whether @images is the whole listing
 *
 * A complete listing replaces the cache; a partial one (the first pages)
 * replaces those images and puts them first, keeping the older ones after.
 */
void
tessera_listing_cache_merge (TesseraListingCache *self,
                             GPtrArray           *images,
                             gboolean             complete)
{
  TesseraListingSnapshot *snapshot;

  g_return_if_fail (TESSERA_IS_LISTING_CACHE (self));
  g_return_if_fail (images != NULL);

  snapshot = tessera_listing_snapshot_new ();
  for (guint i = 0; i < images->len; i++)
    tessera_listing_snapshot_add (snapshot, g_ptr_array_index (images, i));
  tessera_listing_cache_merge_snapshot (self, snapshot, complete);
}

/**
 * tessera_listing_cache_remove:
 *
 * Returns: whether the image was in the cache
 */
gboolean
tessera_listing_cache_remove (TesseraListingCache *self,
                              const char          *image_id)
{
  g_autoptr(GPtrArray) children = NULL;

  g_return_val_if_fail (TESSERA_IS_LISTING_CACHE (self), FALSE);
  g_return_val_if_fail (image_id != NULL, FALSE);

  if (!g_hash_table_contains (self->index->by_id, image_id))
    return FALSE;

  children = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  for (guint i = 0; i < self->index->entries->len; i++)
    {
      const Entry *entry = &g_array_index (self->index->entries, Entry, i);

      if (g_strcmp0 (entry->id, image_id) != 0)
        g_ptr_array_add (children, g_variant_get_child_value (self->index->list, entry->position));
    }
  set_data (self, data_from_entries (children));

  return TRUE;
}

/**
 * tessera_listing_cache_lookup:
 * @filename: (out) (optional) (transfer none): the file name
 * @tags: (out) (optional) (transfer none): the tags
 *
 * The pointers stay valid until the cache next changes.
 *
 * Returns: whether the image is in the cache
 */
gboolean
tessera_listing_cache_lookup (TesseraListingCache  *self,
                              const char           *image_id,
                              const char          **filename,
                              const char * const  **tags)
{
  guint index;
  const Entry *entry;

  g_return_val_if_fail (TESSERA_IS_LISTING_CACHE (self), FALSE);
  g_return_val_if_fail (image_id != NULL, FALSE);

  index = GPOINTER_TO_UINT (g_hash_table_lookup (self->index->by_id, image_id));
  if (index == 0)
    return FALSE;

  entry = &g_array_index (self->index->entries, Entry, index - 1);
  if (filename != NULL)
    *filename = entry->filename;
  if (tags != NULL)
    *tags = (const char * const *) entry->tags;

  return TRUE;
}

/**
 * tessera_listing_cache_dup_thumbnail_path:
 *
 * Returns: (transfer full) (nullable): the image's thumbnail in the
 *   thumbnail loader's disk cache, or %NULL when it is not there (yet)
 */
char *
tessera_listing_cache_dup_thumbnail_path (TesseraListingCache *self,
                                          const char          *image_id)
{
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;

  g_return_val_if_fail (TESSERA_IS_LISTING_CACHE (self), NULL);
  g_return_val_if_fail (image_id != NULL, NULL);

  /* An id names a file in the directory, never a path out of it. */
  if (*image_id == '\0' || strchr (image_id, '/') != NULL || image_id[0] == '.')
    return NULL;

  name = g_strconcat (image_id, ".webp", NULL);
  path = g_build_filename (self->thumbnail_dir, name, NULL);

  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return NULL;

  return g_steal_pointer (&path);
}

/* The terms as tag prefixes, normalised as tags are; NULL when none is one. */
static GStrv
normalize_terms (const char * const *terms)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  guint n = 0;

  for (guint i = 0; terms != NULL && terms[i] != NULL; i++)
    {
      g_autofree char *term = tessera_tag_normalize (terms[i], NULL);

      if (term != NULL)
        {
          g_strv_builder_add (builder, term);
          n++;
        }
    }

  if (n == 0)
    return NULL;

  return g_strv_builder_end (builder);
}

/* Every term is the start of one of the tags. */
static gboolean
entry_matches (const Entry        *entry,
               const char * const *terms)
{
  for (guint t = 0; terms[t] != NULL; t++)
    {
      gboolean found = FALSE;

      for (guint i = 0; !found && entry->tags[i] != NULL; i++)
        found = g_str_has_prefix (entry->tags[i], terms[t]);

      if (!found)
        return FALSE;
    }

  return TRUE;
}

/**
 * tessera_listing_cache_search:
 * @terms: words as typed; each must start one of an image's tags
 * @max_results: at most this many ids, 0 for all
 *
 * Returns: (transfer full): the ids of the matching images, newest first;
 *   none when no term can be a tag
 */
GStrv
tessera_listing_cache_search (TesseraListingCache *self,
                              const char * const  *terms,
                              guint                max_results)
{
  g_autoptr(GStrvBuilder) builder = NULL;
  g_auto(GStrv) normalized = NULL;
  guint n = 0;

  g_return_val_if_fail (TESSERA_IS_LISTING_CACHE (self), NULL);

  builder = g_strv_builder_new ();
  normalized = normalize_terms (terms);

  for (guint i = 0; normalized != NULL && i < self->index->entries->len; i++)
    {
      const Entry *entry = &g_array_index (self->index->entries, Entry, i);

      if (entry_matches (entry, (const char * const *) normalized))
        {
          g_strv_builder_add (builder, entry->id);
          if (++n == max_results)
            break;
        }
    }

  return g_strv_builder_end (builder);
}

/**
 * tessera_listing_cache_filter:
 * @image_ids: ids of an earlier search
 * @terms: the narrower search
 * @max_results: at most this many ids, 0 for all
 *
 * Returns: (transfer full): those of @image_ids, in their order, that the
 *   cache still holds and that match @terms
 */
GStrv
tessera_listing_cache_filter (TesseraListingCache *self,
                              const char * const  *image_ids,
                              const char * const  *terms,
                              guint                max_results)
{
  g_autoptr(GStrvBuilder) builder = NULL;
  g_auto(GStrv) normalized = NULL;
  guint n = 0;

  g_return_val_if_fail (TESSERA_IS_LISTING_CACHE (self), NULL);

  builder = g_strv_builder_new ();
  normalized = normalize_terms (terms);

  for (guint i = 0; normalized != NULL && image_ids != NULL && image_ids[i] != NULL; i++)
    {
      guint index = GPOINTER_TO_UINT (g_hash_table_lookup (self->index->by_id, image_ids[i]));

      if (index == 0)
        continue;

      if (entry_matches (&g_array_index (self->index->entries, Entry, index - 1),
                         (const char * const *) normalized))
        {
          g_strv_builder_add (builder, image_ids[i]);
          if (++n == max_results)
            break;
        }
    }

  return g_strv_builder_end (builder);
}

/**
 * tessera_listing_cache_dup_ids:
 * @max_results: at most this many ids, 0 for all
 *
 * What the app shows when it starts without the server.
 *
 * Returns: (transfer full): the ids of the cached images, newest first
 */
GStrv
tessera_listing_cache_dup_ids (TesseraListingCache *self,
                               guint                max_results)
{
  g_autoptr(GStrvBuilder) builder = NULL;

  g_return_val_if_fail (TESSERA_IS_LISTING_CACHE (self), NULL);

  builder = g_strv_builder_new ();
  for (guint i = 0; i < self->index->entries->len && (max_results == 0 || i < max_results); i++)
    g_strv_builder_add (builder, g_array_index (self->index->entries, Entry, i).id);

  return g_strv_builder_end (builder);
}
