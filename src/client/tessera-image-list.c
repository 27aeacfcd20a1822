/* tessera-image-list.c
 *
 * The list keeps its items sorted as the server does (newest first, then
 * by id) and treats every page as the truth about a range of that order:
 * items in the range the page covers but absent from it are gone, items
 * outside it stay. That is what lets refresh and a new filter keep the
 * images already loaded (the same objects, so their thumbnails and
 * bindings stay) while the first page is fetched again.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-image-list"

#include "config.h"

#include "tessera-image-list.h"

#define DEFAULT_PAGE_SIZE 100

struct _TesseraImageList
{
  GObject        parent_instance;

  TesseraClient *client;
  GPtrArray     *items;
  GHashTable    *by_id;

  GStrv          tags;
  gboolean       match_any;
  gboolean       untagged;
  gboolean       trashed;
  guint          page_size;

  char          *cursor;       /* the next page's; NULL on the last */
  gboolean       started;
  gboolean       loading;
  GError        *error;        /* the last page's, until one arrives */
  gboolean       showing_cached; /* until a page arrives */
  /* The last key of the range loaded so far, (created-at, id). */
  char          *range_created_at;
  char          *range_id;

  GCancellable  *cancellable;
  guint          load_more_source;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TesseraImageList, tessera_image_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  PROP_0,
  PROP_CLIENT,
  PROP_TAGS,
  PROP_MATCH_ANY,
  PROP_UNTAGGED,
  PROP_TRASHED,
  PROP_PAGE_SIZE,
  PROP_LOADING,
  PROP_HAS_MORE,
  PROP_ERROR_MESSAGE,
  PROP_N_ITEMS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void fetch_page (TesseraImageList *self,
                        gboolean          first);

/* Order ---------------------------------------------------------------------- */

static int
compare_keys (const char *created_a,
              const char *id_a,
              const char *created_b,
              const char *id_b)
{
  int cmp = g_strcmp0 (created_b, created_a);

  if (cmp == 0)
    cmp = g_strcmp0 (id_b, id_a);

  return cmp;
}

static int
compare_images (TesseraImage *a,
                TesseraImage *b)
{
  return compare_keys (tessera_image_get_created_at (a), tessera_image_get_id (a),
                       tessera_image_get_created_at (b), tessera_image_get_id (b));
}

static guint
find_position (TesseraImageList *self,
               TesseraImage     *image)
{
  guint lo = 0, hi = self->items->len;

  while (lo < hi)
    {
      guint mid = (lo + hi) / 2;

      if (compare_images (g_ptr_array_index (self->items, mid), image) < 0)
        lo = mid + 1;
      else
        hi = mid;
    }

  return lo;
}

static gboolean
matches_filter (TesseraImageList *self,
                TesseraImage     *image)
{
  const char * const *tags = tessera_image_get_tags (image);

  if (self->trashed != (tessera_image_get_trashed_at (image) != NULL))
    return FALSE;
  if (self->untagged && tags[0] != NULL)
    return FALSE;
  if (self->tags != NULL && self->tags[0] != NULL)
    {
      guint found = 0;

      for (guint i = 0; self->tags[i] != NULL; i++)
        if (tessera_image_has_tag (image, self->tags[i]))
          found++;

      if (self->match_any ? found == 0 : found != g_strv_length (self->tags))
        return FALSE;
    }

  return TRUE;
}

static void
notify_n_items (TesseraImageList *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

static void
remove_at (TesseraImageList *self,
           guint             position)
{
  TesseraImage *image = g_ptr_array_index (self->items, position);

  g_hash_table_remove (self->by_id, tessera_image_get_id (image));
  g_ptr_array_remove_index (self->items, position);
  g_list_model_items_changed (G_LIST_MODEL (self), position, 1, 0);
}

static void
remove_unmatched (TesseraImageList *self)
{
  guint removed = 0;

  for (guint i = self->items->len; i > 0; i--)
    if (!matches_filter (self, g_ptr_array_index (self->items, i - 1)))
      {
        remove_at (self, i - 1);
        removed++;
      }

  if (removed > 0)
    notify_n_items (self);
}

/**
 * tessera_image_list_upsert:
 * @self: a #TesseraImageList
 * @image: an image, perhaps already in the list
 *
 * Updates the image of the same id (keeping that object) or inserts @image
 * in order; an image that no longer matches the filter is removed.
 */
void
tessera_image_list_upsert (TesseraImageList *self,
                           TesseraImage     *image)
{
  TesseraImage *existing;
  guint position;

  g_return_if_fail (TESSERA_IS_IMAGE_LIST (self));
  g_return_if_fail (TESSERA_IS_IMAGE (image));

  existing = g_hash_table_lookup (self->by_id, tessera_image_get_id (image));
  if (existing != NULL)
    {
      g_autoptr(JsonObject) json = tessera_image_to_json (image);
      guint old_position;

      if (existing != image)
        tessera_image_update_from_json (existing, json);
      g_ptr_array_find (self->items, existing, &old_position);

      if (!matches_filter (self, existing))
        {
          remove_at (self, old_position);
          notify_n_items (self);
          return;
        }

      /* The order key is immutable in practice; move it if not. */
      if ((old_position > 0 && compare_images (g_ptr_array_index (self->items, old_position - 1), existing) > 0) ||
          (old_position + 1 < self->items->len && compare_images (existing, g_ptr_array_index (self->items, old_position + 1)) > 0))
        {
          g_object_ref (existing);
          remove_at (self, old_position);
          position = find_position (self, existing);
          g_ptr_array_insert (self->items, position, existing);
          g_hash_table_insert (self->by_id, (gpointer) tessera_image_get_id (existing), existing);
          g_list_model_items_changed (G_LIST_MODEL (self), position, 0, 1);
        }
      return;
    }

  if (!matches_filter (self, image))
    return;

  position = find_position (self, image);
  g_ptr_array_insert (self->items, position, g_object_ref (image));
  g_hash_table_insert (self->by_id, (gpointer) tessera_image_get_id (image), image);
  g_list_model_items_changed (G_LIST_MODEL (self), position, 0, 1);
  notify_n_items (self);
}

/* GListModel ----------------------------------------------------------------- */

static GType
list_model_get_item_type (GListModel *model)
{
  return TESSERA_TYPE_IMAGE;
}

static guint
list_model_get_n_items (GListModel *model)
{
  return TESSERA_IMAGE_LIST (model)->items->len;
}

static gboolean
load_more_idle_cb (gpointer user_data)
{
  TesseraImageList *self = user_data;

  self->load_more_source = 0;
  tessera_image_list_load_more (self);

  return G_SOURCE_REMOVE;
}

static gpointer
list_model_get_item (GListModel *model,
                     guint       position)
{
  TesseraImageList *self = TESSERA_IMAGE_LIST (model);

  if (position >= self->items->len)
    return NULL;

  /* A view asking for the last page of rows is a view scrolling to the
   * end: fetch the next page a full page ahead, so that it is there before
   * the view gets to it; from an idle since models must not change inside
   * get_item(). */
  if (self->cursor != NULL && !self->loading && self->load_more_source == 0 &&
      position + MAX (self->page_size, 1) >= self->items->len)
    self->load_more_source = g_idle_add (load_more_idle_cb, self);

  return g_object_ref (g_ptr_array_index (self->items, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = list_model_get_item_type;
  iface->get_n_items = list_model_get_n_items;
  iface->get_item = list_model_get_item;
}

/* Loading -------------------------------------------------------------------- */

static void
set_loading (TesseraImageList *self,
             gboolean          loading)
{
  if (self->loading != loading)
    {
      self->loading = loading;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
    }
}

static void
set_error (TesseraImageList *self,
           const GError     *error)
{
  if (error == NULL && self->error == NULL)
    return;
  if (error != NULL && self->error != NULL &&
      g_error_matches (self->error, error->domain, error->code) &&
      g_strcmp0 (self->error->message, error->message) == 0)
    return;

  g_clear_error (&self->error);
  if (error != NULL)
    self->error = g_error_copy (error);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR_MESSAGE]);
}

typedef struct
{
  TesseraImageList *self;
  gboolean          first;
} PageRequest;

/* Announces the images appended since @appended_at, and starts anew. */
static void
flush_appended (TesseraImageList *self,
                guint            *appended_at,
                guint            *n_appended)
{
  if (*n_appended > 0)
    {
      g_list_model_items_changed (G_LIST_MODEL (self), *appended_at, 0, *n_appended);
      notify_n_items (self);
    }
  *appended_at = self->items->len;
  *n_appended = 0;
}

static void
page_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  PageRequest *request = user_data;
  g_autoptr(TesseraImageList) self = request->self;
  gboolean first = request->first;
  g_autoptr(GPtrArray) images = NULL;
  g_autoptr(GHashTable) seen = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *next_cursor = NULL;
  g_autofree char *start_created_at = NULL;
  g_autofree char *start_id = NULL;
  TesseraImage *last;
  gboolean had_more;
  guint removed = 0;

  g_free (request);

  images = tessera_client_list_images_finish (TESSERA_CLIENT (object), result, &next_cursor, &error);
  if (images == NULL)
    {
      if (!g_error_matches (error, TESSERA_CLIENT_ERROR, TESSERA_CLIENT_ERROR_CANCELLED))
        {
          set_error (self, error);
          set_loading (self, FALSE);
        }
      return;
    }

  set_error (self, NULL);

  /* The server answers again: its listing replaces the cached one. */
  if (self->showing_cached)
    {
      guint n = self->items->len;

      self->showing_cached = FALSE;
      g_hash_table_remove_all (self->by_id);
      g_ptr_array_set_size (self->items, 0);
      g_list_model_items_changed (G_LIST_MODEL (self), 0, n, 0);
      if (n > 0)
        notify_n_items (self);
    }

  /* The range this page speaks for starts after the last one loaded. */
  if (!first)
    {
      start_created_at = g_strdup (self->range_created_at);
      start_id = g_strdup (self->range_id);
    }

  seen = g_hash_table_new (g_str_hash, g_str_equal);
  {
    /* A page of a scroll is new images past the end: append them and say
     * so with one items-changed, not one per image, which the selection
     * model, the grid and the window would each handle in turn. */
    guint appended_at = self->items->len;
    guint n_appended = 0;

    for (guint i = 0; i < images->len; i++)
      {
        TesseraImage *image = g_ptr_array_index (images, i);
        const char *id = tessera_image_get_id (image);

        /* The grid needs the thumbnail; the viewer fetches the rest. */
        tessera_image_forget_full_urls (image);
        g_hash_table_add (seen, (gpointer) id);

        if (!g_hash_table_contains (self->by_id, id) &&
            matches_filter (self, image) &&
            (self->items->len == 0 ||
             compare_images (g_ptr_array_index (self->items, self->items->len - 1), image) < 0))
          {
            g_ptr_array_add (self->items, g_object_ref (image));
            g_hash_table_insert (self->by_id, (gpointer) id, image);
            n_appended++;
            continue;
          }

        flush_appended (self, &appended_at, &n_appended);
        tessera_image_list_upsert (self, image);
      }
    flush_appended (self, &appended_at, &n_appended);
  }

  last = images->len > 0 ? g_ptr_array_index (images, images->len - 1) : NULL;

  for (guint i = self->items->len; i > 0; i--)
    {
      TesseraImage *image = g_ptr_array_index (self->items, i - 1);
      const char *created_at = tessera_image_get_created_at (image);
      const char *id = tessera_image_get_id (image);
      gboolean after_start = first || start_id == NULL ||
                             compare_keys (start_created_at, start_id, created_at, id) < 0;
      gboolean before_end;

      /* The list is in order: what comes before the page's range can stay.
       * Stopping here keeps a page of a long list from walking all of it. */
      if (!after_start)
        break;

      before_end = next_cursor == NULL ||
                            (last != NULL &&
                             compare_keys (created_at, id,
                                           tessera_image_get_created_at (last),
                                           tessera_image_get_id (last)) <= 0);

      if (before_end && !g_hash_table_contains (seen, id))
        {
          remove_at (self, i - 1);
          removed++;
        }
    }
  if (removed > 0)
    notify_n_items (self);

  if (last != NULL)
    {
      g_free (self->range_created_at);
      g_free (self->range_id);
      self->range_created_at = g_strdup (tessera_image_get_created_at (last));
      self->range_id = g_strdup (tessera_image_get_id (last));
    }

  had_more = self->cursor != NULL;
  g_free (self->cursor);
  self->cursor = g_steal_pointer (&next_cursor);
  if (had_more != (self->cursor != NULL))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_MORE]);
  set_loading (self, FALSE);
}

static void
fetch_page (TesseraImageList *self,
            gboolean          first)
{
  TesseraImageQuery query = { 0 };
  PageRequest *request;

  if (first)
    {
      g_cancellable_cancel (self->cancellable);
      g_clear_object (&self->cancellable);
      self->cancellable = g_cancellable_new ();
    }

  query.tags = (const char * const *) self->tags;
  query.match_any = self->match_any;
  query.untagged = self->untagged;
  query.trashed = self->trashed;
  query.limit = self->page_size;
  query.cursor = first ? NULL : self->cursor;

  request = g_new0 (PageRequest, 1);
  request->self = g_object_ref (self);
  request->first = first;

  self->started = TRUE;
  set_loading (self, TRUE);
  tessera_client_list_images_async (self->client, &query, self->cancellable, page_cb, request);
}

/**
 * tessera_image_list_refresh:
 *
 * Fetches the first page again; loaded images that still match stay.
 */
void
tessera_image_list_refresh (TesseraImageList *self)
{
  g_return_if_fail (TESSERA_IS_IMAGE_LIST (self));

  fetch_page (self, TRUE);
}

/**
 * tessera_image_list_load_more:
 *
 * Fetches the next page, if any and if none is loading. A list never
 * loaded starts with the first page.
 */
void
tessera_image_list_load_more (TesseraImageList *self)
{
  g_return_if_fail (TESSERA_IS_IMAGE_LIST (self));

  if (self->loading)
    return;
  if (!self->started)
    fetch_page (self, TRUE);
  else if (self->cursor != NULL)
    fetch_page (self, FALSE);
}

/**
 * tessera_image_list_set_filter:
 * @self: a #TesseraImageList
 * @tags: (nullable) (array zero-terminated=1): tags to filter by
 * @match_any: %TRUE for images with any of @tags
 * @untagged: only images without tags
 *
 * Filters the list: loaded images that do not match leave at once, the
 * others stay, and the first page of the new filter is fetched.
 */
void
tessera_image_list_set_filter (TesseraImageList   *self,
                               const char * const *tags,
                               gboolean            match_any,
                               gboolean            untagged)
{
  static const char * const empty[] = { NULL };

  g_return_if_fail (TESSERA_IS_IMAGE_LIST (self));

  if (tags == NULL)
    tags = empty;

  if (g_strv_equal (tags, (const char * const *) self->tags) &&
      !match_any == !self->match_any && !untagged == !self->untagged)
    return;

  g_strfreev (self->tags);
  self->tags = g_strdupv ((char **) tags);
  self->match_any = !!match_any;
  self->untagged = !!untagged;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TAGS]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MATCH_ANY]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UNTAGGED]);

  remove_unmatched (self);
  fetch_page (self, TRUE);
}

void
tessera_image_list_set_trashed (TesseraImageList *self,
                                gboolean          trashed)
{
  g_return_if_fail (TESSERA_IS_IMAGE_LIST (self));

  if (!trashed == !self->trashed)
    return;

  self->trashed = !!trashed;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TRASHED]);
  remove_unmatched (self);
  fetch_page (self, TRUE);
}

/* Object --------------------------------------------------------------------- */

static void
tessera_image_list_dispose (GObject *object)
{
  TesseraImageList *self = (TesseraImageList *)object;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->load_more_source, g_source_remove);
  g_clear_object (&self->client);

  G_OBJECT_CLASS (tessera_image_list_parent_class)->dispose (object);
}

static void
tessera_image_list_finalize (GObject *object)
{
  TesseraImageList *self = (TesseraImageList *)object;

  g_clear_pointer (&self->by_id, g_hash_table_unref);
  g_clear_pointer (&self->items, g_ptr_array_unref);
  g_clear_pointer (&self->tags, g_strfreev);
  g_clear_pointer (&self->cursor, g_free);
  g_clear_error (&self->error);
  g_clear_pointer (&self->range_created_at, g_free);
  g_clear_pointer (&self->range_id, g_free);

  G_OBJECT_CLASS (tessera_image_list_parent_class)->finalize (object);
}

static void
tessera_image_list_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  TesseraImageList *self = TESSERA_IMAGE_LIST (object);

  switch (prop_id)
    {
    case PROP_CLIENT: g_value_set_object (value, self->client); break;
    case PROP_TAGS: g_value_set_boxed (value, self->tags); break;
    case PROP_MATCH_ANY: g_value_set_boolean (value, self->match_any); break;
    case PROP_UNTAGGED: g_value_set_boolean (value, self->untagged); break;
    case PROP_TRASHED: g_value_set_boolean (value, self->trashed); break;
    case PROP_PAGE_SIZE: g_value_set_uint (value, self->page_size); break;
    case PROP_LOADING: g_value_set_boolean (value, self->loading); break;
    case PROP_HAS_MORE: g_value_set_boolean (value, self->cursor != NULL); break;
    case PROP_ERROR_MESSAGE: g_value_set_string (value, self->error ? self->error->message : NULL); break;
    case PROP_N_ITEMS: g_value_set_uint (value, self->items->len); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_image_list_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  TesseraImageList *self = TESSERA_IMAGE_LIST (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      self->client = g_value_dup_object (value);
      break;
    case PROP_TRASHED:
      tessera_image_list_set_trashed (self, g_value_get_boolean (value));
      break;
    case PROP_PAGE_SIZE:
      tessera_image_list_set_page_size (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_image_list_class_init (TesseraImageListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = tessera_image_list_dispose;
  object_class->finalize = tessera_image_list_finalize;
  object_class->get_property = tessera_image_list_get_property;
  object_class->set_property = tessera_image_list_set_property;

  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, TESSERA_TYPE_CLIENT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TAGS] = g_param_spec_boxed ("tags", NULL, NULL, G_TYPE_STRV, ro);
  properties[PROP_MATCH_ANY] = g_param_spec_boolean ("match-any", NULL, NULL, FALSE, ro);
  properties[PROP_UNTAGGED] = g_param_spec_boolean ("untagged", NULL, NULL, FALSE, ro);
  properties[PROP_TRASHED] = g_param_spec_boolean ("trashed", NULL, NULL, FALSE, rw);
  properties[PROP_PAGE_SIZE] = g_param_spec_uint ("page-size", NULL, NULL, 1, 1000, DEFAULT_PAGE_SIZE, rw);
  /**
   * TesseraImageList:loading:
   *
   * Whether a page is being fetched; bind a spinner to it.
   */
  properties[PROP_LOADING] = g_param_spec_boolean ("loading", NULL, NULL, FALSE, ro);
  properties[PROP_HAS_MORE] = g_param_spec_boolean ("has-more", NULL, NULL, FALSE, ro);
  properties[PROP_ERROR_MESSAGE] = g_param_spec_string ("error-message", NULL, NULL, NULL, ro);
  properties[PROP_N_ITEMS] = g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0, ro);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
tessera_image_list_init (TesseraImageList *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
  self->by_id = g_hash_table_new (g_str_hash, g_str_equal);
  self->tags = g_new0 (char *, 1);
  self->page_size = DEFAULT_PAGE_SIZE;
}

/**
 * tessera_image_list_new:
 * @client: the client to list with
 *
 * Returns: (transfer full): an empty list; the first page loads on
 *   tessera_image_list_refresh() or tessera_image_list_load_more()
 */
TesseraImageList *
tessera_image_list_new (TesseraClient *client)
{
  g_return_val_if_fail (TESSERA_IS_CLIENT (client), NULL);

  return g_object_new (TESSERA_TYPE_IMAGE_LIST, "client", client, NULL);
}

/**
 * tessera_image_list_get_client:
 *
 * Returns: (transfer none): the client
 */
TesseraClient *
tessera_image_list_get_client (TesseraImageList *self)
{
  g_return_val_if_fail (TESSERA_IS_IMAGE_LIST (self), NULL);

  return self->client;
}

/**
 * tessera_image_list_get_tags:
 *
 * Returns: (transfer none): the filter's tags, never %NULL
 */
const char * const *
tessera_image_list_get_tags (TesseraImageList *self)
{
  g_return_val_if_fail (TESSERA_IS_IMAGE_LIST (self), NULL);

  return (const char * const *) self->tags;
}

gboolean
tessera_image_list_get_match_any (TesseraImageList *self)
{
  g_return_val_if_fail (TESSERA_IS_IMAGE_LIST (self), FALSE);

  return self->match_any;
}

gboolean
tessera_image_list_get_untagged (TesseraImageList *self)
{
  g_return_val_if_fail (TESSERA_IS_IMAGE_LIST (self), FALSE);

  return self->untagged;
}

gboolean
tessera_image_list_get_trashed (TesseraImageList *self)
{
  g_return_val_if_fail (TESSERA_IS_IMAGE_LIST (self), FALSE);

  return self->trashed;
}

guint
tessera_image_list_get_page_size (TesseraImageList *self)
{
  g_return_val_if_fail (TESSERA_IS_IMAGE_LIST (self), 0);

  return self->page_size;
}

void
tessera_image_list_set_page_size (TesseraImageList *self,
                                  guint             page_size)
{
  g_return_if_fail (TESSERA_IS_IMAGE_LIST (self));

  page_size = CLAMP (page_size, 1, 1000);
  if (page_size != self->page_size)
    {
      self->page_size = page_size;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAGE_SIZE]);
    }
}

gboolean
tessera_image_list_get_loading (TesseraImageList *self)
{
  g_return_val_if_fail (TESSERA_IS_IMAGE_LIST (self), FALSE);

  return self->loading;
}

gboolean
tessera_image_list_get_has_more (TesseraImageList *self)
{
  g_return_val_if_fail (TESSERA_IS_IMAGE_LIST (self), FALSE);

  return self->cursor != NULL;
}

/**
 * tessera_image_list_show_cached:
 * @images: (element-type TesseraImage): images from a cache, newest first
 *
 * Shows @images, in their order, in place of what the list holds, until a
 * page arrives from the server: that page's listing replaces them all. For
 * a start without the server (tessera_image_list_get_error_message() set).
 */
void
tessera_image_list_show_cached (TesseraImageList *self,
                                GPtrArray        *images)
{
  guint n_before;

  g_return_if_fail (TESSERA_IS_IMAGE_LIST (self));
  g_return_if_fail (images != NULL);

  n_before = self->items->len;
  g_hash_table_remove_all (self->by_id);
  g_ptr_array_set_size (self->items, 0);

  for (guint i = 0; i < images->len; i++)
    {
      TesseraImage *image = g_ptr_array_index (images, i);

      if (!matches_filter (self, image) ||
          g_hash_table_contains (self->by_id, tessera_image_get_id (image)))
        continue;
      g_ptr_array_add (self->items, g_object_ref (image));
      g_hash_table_insert (self->by_id, (gpointer) tessera_image_get_id (image), image);
    }

  self->showing_cached = self->items->len > 0;
  g_list_model_items_changed (G_LIST_MODEL (self), 0, n_before, self->items->len);
  if (n_before != self->items->len)
    notify_n_items (self);
}

/**
 * tessera_image_list_get_showing_cached:
 *
 * Returns: whether the list shows images from tessera_image_list_show_cached()
 *   that no page from the server has replaced yet
 */
gboolean
tessera_image_list_get_showing_cached (TesseraImageList *self)
{
  g_return_val_if_fail (TESSERA_IS_IMAGE_LIST (self), FALSE);

  return self->showing_cached;
}

const char *
tessera_image_list_get_error_message (TesseraImageList *self)
{
  g_return_val_if_fail (TESSERA_IS_IMAGE_LIST (self), NULL);

  return self->error != NULL ? self->error->message : NULL;
}

/**
 * tessera_image_list_get_error:
 *
 * Why the last page did not load (a %TESSERA_CLIENT_ERROR: offline, the
 * server's answer, ...), until a page loads.
 *
 * Returns: (transfer none) (nullable): the error
 */
const GError *
tessera_image_list_get_error (TesseraImageList *self)
{
  g_return_val_if_fail (TESSERA_IS_IMAGE_LIST (self), NULL);

  return self->error;
}

/**
 * tessera_image_list_lookup:
 *
 * Returns: (transfer none) (nullable): the loaded image of that id
 */
TesseraImage *
tessera_image_list_lookup (TesseraImageList *self,
                           const char       *image_id)
{
  g_return_val_if_fail (TESSERA_IS_IMAGE_LIST (self), NULL);
  g_return_val_if_fail (image_id != NULL, NULL);

  return g_hash_table_lookup (self->by_id, image_id);
}

/**
 * tessera_image_list_remove:
 *
 * Removes an image locally, as after deleting it.
 *
 * Returns: %TRUE if it was in the list
 */
gboolean
tessera_image_list_remove (TesseraImageList *self,
                           const char       *image_id)
{
  TesseraImage *image;
  guint position;

  g_return_val_if_fail (TESSERA_IS_IMAGE_LIST (self), FALSE);
  g_return_val_if_fail (image_id != NULL, FALSE);

  image = g_hash_table_lookup (self->by_id, image_id);
  if (image == NULL || !g_ptr_array_find (self->items, image, &position))
    return FALSE;

  remove_at (self, position);
  notify_n_items (self);

  return TRUE;
}
