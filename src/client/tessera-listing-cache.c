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
} Entry;

struct _TesseraListingCache
{
  GObject     parent_instance;

  char       *path;
  char       *thumbnail_dir;

  GVariant   *data;
  GArray     *entries;      /* of Entry, newest first */
  GHashTable *by_id;        /* id -> index + 1 */
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

/* Takes @data (floating or not) and indexes it. */
static void
set_data (TesseraListingCache *self,
          GVariant            *data)
{
  g_autoptr(GVariant) list = NULL;
  gsize n;

  g_array_set_size (self->entries, 0);
  g_hash_table_remove_all (self->by_id);
  g_clear_pointer (&self->data, g_variant_unref);

  self->data = g_variant_ref_sink (data);
  /* Serialise now: the entries point into the data, and a variant built by
   * g_variant_new() frees its tree the first time it is serialised (save). */
  (void) g_variant_get_data (self->data);
  list = g_variant_get_child_value (self->data, 1);
  n = g_variant_n_children (list);

  for (gsize i = 0; i < n; i++)
    {
      Entry entry;

      g_variant_get_child (list, i, "(&s&s^a&s)", &entry.id, &entry.filename, &entry.tags);

      /* A duplicate id keeps its first (newest) entry. */
      if (*entry.id == '\0' || g_hash_table_contains (self->by_id, entry.id))
        {
          g_free (entry.tags);
          continue;
        }

      g_array_append_val (self->entries, entry);
      g_hash_table_insert (self->by_id, (gpointer) entry.id,
                           GUINT_TO_POINTER (self->entries->len));
    }
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

  g_clear_pointer (&self->by_id, g_hash_table_unref);
  g_clear_pointer (&self->entries, g_array_unref);
  g_clear_pointer (&self->data, g_variant_unref);
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
  self->entries = g_array_new (FALSE, FALSE, sizeof (Entry));
  g_array_set_clear_func (self->entries, clear_entry);
  self->by_id = g_hash_table_new (g_str_hash, g_str_equal);
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

  return self->entries->len;
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
gboolean
tessera_listing_cache_save (TesseraListingCache  *self,
                            GError              **error)
{
  g_autofree char *dir = NULL;

  g_return_val_if_fail (TESSERA_IS_LISTING_CACHE (self), FALSE);

  dir = g_path_get_dirname (self->path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int errsv = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   "Could not create %s: %s", dir, g_strerror (errsv));
      return FALSE;
    }

  return g_file_set_contents_full (self->path,
                                   g_variant_get_data (self->data),
                                   g_variant_get_size (self->data),
                                   G_FILE_SET_CONTENTS_CONSISTENT,
                                   0600, error);
}

static void
add_image (GVariantBuilder *builder,
           GHashTable      *seen,
           TesseraImage    *image)
{
  const char *id = tessera_image_get_id (image);
  const char * const *tags = tessera_image_get_tags (image);
  const char *filename = tessera_image_get_filename (image);
  static const char * const no_tags[] = { NULL };

  if (id == NULL || *id == '\0' || !g_hash_table_add (seen, (gpointer) id))
    return;

  g_variant_builder_add (builder, "(ss^as)", id,
                         filename ? filename : "",
                         tags ? tags : no_tags);
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
  g_autoptr(GHashTable) seen = NULL;
  GVariantBuilder builder;

  g_return_if_fail (TESSERA_IS_LISTING_CACHE (self));
  g_return_if_fail (images != NULL);

  seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(ssas)"));

  for (guint i = 0; i < images->len; i++)
    add_image (&builder, seen, g_ptr_array_index (images, i));

  if (!complete)
    {
      for (guint i = 0; i < self->entries->len; i++)
        {
          const Entry *entry = &g_array_index (self->entries, Entry, i);

          if (g_hash_table_add (seen, (gpointer) entry->id))
            g_variant_builder_add (&builder, "(ss^as)", entry->id, entry->filename, entry->tags);
        }
    }

  /* The strings in @seen point into the old variant: build before swapping. */
  set_data (self, g_variant_new (LISTING_FORMAT, LISTING_VERSION, &builder));
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
  GVariantBuilder builder;

  g_return_val_if_fail (TESSERA_IS_LISTING_CACHE (self), FALSE);
  g_return_val_if_fail (image_id != NULL, FALSE);

  if (!g_hash_table_contains (self->by_id, image_id))
    return FALSE;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(ssas)"));
  for (guint i = 0; i < self->entries->len; i++)
    {
      const Entry *entry = &g_array_index (self->entries, Entry, i);

      if (g_strcmp0 (entry->id, image_id) != 0)
        g_variant_builder_add (&builder, "(ss^as)", entry->id, entry->filename, entry->tags);
    }
  set_data (self, g_variant_new (LISTING_FORMAT, LISTING_VERSION, &builder));

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

  index = GPOINTER_TO_UINT (g_hash_table_lookup (self->by_id, image_id));
  if (index == 0)
    return FALSE;

  entry = &g_array_index (self->entries, Entry, index - 1);
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

  for (guint i = 0; normalized != NULL && i < self->entries->len; i++)
    {
      const Entry *entry = &g_array_index (self->entries, Entry, i);

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
      guint index = GPOINTER_TO_UINT (g_hash_table_lookup (self->by_id, image_ids[i]));

      if (index == 0)
        continue;

      if (entry_matches (&g_array_index (self->entries, Entry, index - 1),
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
  for (guint i = 0; i < self->entries->len && (max_results == 0 || i < max_results); i++)
    g_strv_builder_add (builder, g_array_index (self->entries, Entry, i).id);

  return g_strv_builder_end (builder);
}
