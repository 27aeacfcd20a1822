/* tessera-image.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-image"

#include "config.h"

#include "tessera-image.h"

struct _TesseraImage
{
  GObject     parent_instance;

  /* The last object the server sent, so that fields this version does not
   * know survive a round trip through --json. Kept as compact JSON text
   * without the three pre-signed URLs, which the fields below hold: a
   * parsed JsonObject costs about 5 KB an image, and at 100 000 images
   * that was half of the app's memory. */
  char       *json;

  char       *id;
  char       *filename;
  char       *content_type;
  gint64      size;
  int         width;
  int         height;
  char       *created_at;
  char       *status;
  GStrv       tags;
  JsonArray  *labels;
  char       *file_url;
  char       *thumbnail_url;
  char       *preview_url;
  char       *failure_reason;
  char       *trashed_at;
  char       *sha256;
  JsonObject *metadata;
};

G_DEFINE_FINAL_TYPE (TesseraImage, tessera_image, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_FILENAME,
  PROP_CONTENT_TYPE,
  PROP_SIZE,
  PROP_WIDTH,
  PROP_HEIGHT,
  PROP_CREATED_AT,
  PROP_STATUS,
  PROP_TAGS,
  PROP_LABELS,
  PROP_FILE_URL,
  PROP_THUMBNAIL_URL,
  PROP_PREVIEW_URL,
  PROP_FAILURE_REASON,
  PROP_TRASHED_AT,
  PROP_SHA256,
  PROP_METADATA,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
tessera_image_finalize (GObject *object)
{
  TesseraImage *self = (TesseraImage *)object;

  g_clear_pointer (&self->json, g_free);
  g_clear_pointer (&self->id, g_free);
  g_clear_pointer (&self->filename, g_free);
  g_clear_pointer (&self->content_type, g_free);
  g_clear_pointer (&self->created_at, g_free);
  g_clear_pointer (&self->status, g_free);
  g_clear_pointer (&self->tags, g_strfreev);
  g_clear_pointer (&self->labels, json_array_unref);
  g_clear_pointer (&self->file_url, g_free);
  g_clear_pointer (&self->thumbnail_url, g_free);
  g_clear_pointer (&self->preview_url, g_free);
  g_clear_pointer (&self->failure_reason, g_free);
  g_clear_pointer (&self->trashed_at, g_free);
  g_clear_pointer (&self->sha256, g_free);
  g_clear_pointer (&self->metadata, json_object_unref);

  G_OBJECT_CLASS (tessera_image_parent_class)->finalize (object);
}

static void
tessera_image_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  TesseraImage *self = TESSERA_IMAGE (object);

  switch (prop_id)
    {
    case PROP_ID: g_value_set_string (value, self->id); break;
    case PROP_FILENAME: g_value_set_string (value, self->filename); break;
    case PROP_CONTENT_TYPE: g_value_set_string (value, self->content_type); break;
    case PROP_SIZE: g_value_set_int64 (value, self->size); break;
    case PROP_WIDTH: g_value_set_int (value, self->width); break;
    case PROP_HEIGHT: g_value_set_int (value, self->height); break;
    case PROP_CREATED_AT: g_value_set_string (value, self->created_at); break;
    case PROP_STATUS: g_value_set_string (value, self->status); break;
    case PROP_TAGS: g_value_set_boxed (value, self->tags); break;
    case PROP_LABELS: g_value_set_boxed (value, self->labels); break;
    case PROP_FILE_URL: g_value_set_string (value, self->file_url); break;
    case PROP_THUMBNAIL_URL: g_value_set_string (value, self->thumbnail_url); break;
    case PROP_PREVIEW_URL: g_value_set_string (value, self->preview_url); break;
    case PROP_FAILURE_REASON: g_value_set_string (value, self->failure_reason); break;
    case PROP_TRASHED_AT: g_value_set_string (value, self->trashed_at); break;
    case PROP_SHA256: g_value_set_string (value, self->sha256); break;
    case PROP_METADATA: g_value_set_boxed (value, self->metadata); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_image_class_init (TesseraImageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = tessera_image_finalize;
  object_class->get_property = tessera_image_get_property;

  properties[PROP_ID] = g_param_spec_string ("id", NULL, NULL, NULL, flags);
  properties[PROP_FILENAME] = g_param_spec_string ("filename", NULL, NULL, NULL, flags);
  properties[PROP_CONTENT_TYPE] = g_param_spec_string ("content-type", NULL, NULL, NULL, flags);
  properties[PROP_SIZE] = g_param_spec_int64 ("size", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_WIDTH] = g_param_spec_int ("width", NULL, NULL, 0, G_MAXINT, 0, flags);
  properties[PROP_HEIGHT] = g_param_spec_int ("height", NULL, NULL, 0, G_MAXINT, 0, flags);
  properties[PROP_CREATED_AT] = g_param_spec_string ("created-at", NULL, NULL, NULL, flags);
  properties[PROP_STATUS] = g_param_spec_string ("status", NULL, NULL, NULL, flags);
  properties[PROP_TAGS] = g_param_spec_boxed ("tags", NULL, NULL, G_TYPE_STRV, flags);
  properties[PROP_LABELS] = g_param_spec_boxed ("labels", NULL, NULL, JSON_TYPE_ARRAY, flags);
  properties[PROP_FILE_URL] = g_param_spec_string ("file-url", NULL, NULL, NULL, flags);
  properties[PROP_THUMBNAIL_URL] = g_param_spec_string ("thumbnail-url", NULL, NULL, NULL, flags);
  properties[PROP_PREVIEW_URL] = g_param_spec_string ("preview-url", NULL, NULL, NULL, flags);
  properties[PROP_FAILURE_REASON] = g_param_spec_string ("failure-reason", NULL, NULL, NULL, flags);
  properties[PROP_TRASHED_AT] = g_param_spec_string ("trashed-at", NULL, NULL, NULL, flags);
  properties[PROP_SHA256] = g_param_spec_string ("sha256", NULL, NULL, NULL, flags);
  properties[PROP_METADATA] = g_param_spec_boxed ("metadata", NULL, NULL, JSON_TYPE_OBJECT, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
tessera_image_init (TesseraImage *self)
{
}

static const char *
member_string (JsonObject *object,
               const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
      json_node_get_value_type (node) == G_TYPE_STRING)
    return json_node_get_string (node);
  return NULL;
}

static void
update_string (TesseraImage *self,
               JsonObject   *object,
               const char   *member,
               char        **field,
               guint         prop)
{
  const char *value = member_string (object, member);

  if (g_strcmp0 (value, *field) != 0)
    {
      g_free (*field);
      *field = g_strdup (value);
      g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
    }
}

static gint64
member_int (JsonObject *object,
            const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return 0;

  switch (json_node_get_value_type (node))
    {
    case G_TYPE_INT64: return json_node_get_int (node);
    case G_TYPE_DOUBLE: return (gint64) json_node_get_double (node);
    default: return 0;
    }
}

static gboolean
node_equal (JsonNode *a,
            JsonNode *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  return json_node_equal (a, b);
}

/**
 * tessera_image_update_from_json:
 * @self: a #TesseraImage
 * @object: an image as the API returns it
 *
 * Takes every field from @object, notifying each property that changed.
 * The id never changes.
 *
 * Returns: %TRUE if anything changed
 */
gboolean
tessera_image_update_from_json (TesseraImage *self,
                                JsonObject   *object)
{
  gboolean changed = FALSE;
  g_auto(GStrv) tags = NULL;
  g_autoptr(JsonNode) root = NULL;
  JsonNode *node;
  char *text;
  gint64 v;

  g_return_val_if_fail (TESSERA_IS_IMAGE (self), FALSE);
  g_return_val_if_fail (object != NULL, FALSE);

  g_object_freeze_notify (G_OBJECT (self));

  {
    JsonObject *rest = json_object_new ();
    JsonObjectIter iter;
    const char *name;

    json_object_iter_init (&iter, object);
    while (json_object_iter_next (&iter, &name, &node))
      if (!g_str_equal (name, "fileUrl") && !g_str_equal (name, "thumbnailUrl") &&
          !g_str_equal (name, "previewUrl"))
        json_object_set_member (rest, name, json_node_ref (node));
    root = json_node_init_object (json_node_alloc (), rest);
    json_object_unref (rest);
    text = json_to_string (root, FALSE);
  }
  changed = g_strcmp0 (self->json, text) != 0 ||
            g_strcmp0 (self->file_url, member_string (object, "fileUrl")) != 0 ||
            g_strcmp0 (self->thumbnail_url, member_string (object, "thumbnailUrl")) != 0 ||
            g_strcmp0 (self->preview_url, member_string (object, "previewUrl")) != 0;
  g_free (self->json);
  self->json = text;

  if (self->id == NULL)
    update_string (self, object, "id", &self->id, PROP_ID);
  update_string (self, object, "filename", &self->filename, PROP_FILENAME);
  update_string (self, object, "contentType", &self->content_type, PROP_CONTENT_TYPE);
  update_string (self, object, "createdAt", &self->created_at, PROP_CREATED_AT);
  update_string (self, object, "status", &self->status, PROP_STATUS);
  update_string (self, object, "fileUrl", &self->file_url, PROP_FILE_URL);
  update_string (self, object, "thumbnailUrl", &self->thumbnail_url, PROP_THUMBNAIL_URL);
  update_string (self, object, "previewUrl", &self->preview_url, PROP_PREVIEW_URL);
  update_string (self, object, "failureReason", &self->failure_reason, PROP_FAILURE_REASON);
  update_string (self, object, "trashedAt", &self->trashed_at, PROP_TRASHED_AT);
  update_string (self, object, "sha256", &self->sha256, PROP_SHA256);

  if ((v = member_int (object, "size")) != self->size)
    {
      self->size = v;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SIZE]);
    }
  if ((v = member_int (object, "width")) != self->width)
    {
      self->width = (int) v;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WIDTH]);
    }
  if ((v = member_int (object, "height")) != self->height)
    {
      self->height = (int) v;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HEIGHT]);
    }

  node = json_object_get_member (object, "tags");
  if (node != NULL && JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);
      g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          const char *tag = json_array_get_string_element (array, i);
          if (tag != NULL)
            g_strv_builder_add (builder, tag);
        }
      tags = g_strv_builder_end (builder);
    }
  else
    tags = g_new0 (char *, 1);

  if (self->tags == NULL || !g_strv_equal ((const char * const *) tags,
                                          (const char * const *) self->tags))
    {
      g_strfreev (self->tags);
      self->tags = g_steal_pointer (&tags);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TAGS]);
    }

  node = json_object_get_member (object, "labels");
  {
    JsonArray *labels = node && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
    g_autoptr(JsonNode) a = self->labels ? json_node_init_array (json_node_alloc (), self->labels) : NULL;

    if (!node_equal (a, labels ? node : NULL))
      {
        g_clear_pointer (&self->labels, json_array_unref);
        self->labels = labels ? json_array_ref (labels) : NULL;
        g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LABELS]);
      }
  }

  node = json_object_get_member (object, "metadata");
  {
    JsonObject *metadata = node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
    g_autoptr(JsonNode) a = self->metadata ? json_node_init_object (json_node_alloc (), self->metadata) : NULL;

    if (!node_equal (a, metadata ? node : NULL))
      {
        g_clear_pointer (&self->metadata, json_object_unref);
        self->metadata = metadata ? json_object_ref (metadata) : NULL;
        g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_METADATA]);
      }
  }

  g_object_thaw_notify (G_OBJECT (self));

  return changed;
}

/**
 * tessera_image_new_from_json:
 * @object: an image as the API returns it
 *
 * Returns: (transfer full) (nullable): a new image, or %NULL when @object
 *   has no id
 */
TesseraImage *
tessera_image_new_from_json (JsonObject *object)
{
  TesseraImage *self;

  g_return_val_if_fail (object != NULL, NULL);

  if (!json_object_has_member (object, "id") ||
      json_object_get_string_member_with_default (object, "id", NULL) == NULL)
    return NULL;

  self = g_object_new (TESSERA_TYPE_IMAGE, NULL);
  tessera_image_update_from_json (self, object);

  return self;
}

/**
 * tessera_image_to_json:
 *
 * Returns: (transfer full): the image as the server last sent it
 */
JsonObject *
tessera_image_to_json (TesseraImage *self)
{
  g_autoptr(JsonNode) root = NULL;
  JsonObject *object;

  g_return_val_if_fail (TESSERA_IS_IMAGE (self), NULL);

  root = self->json != NULL ? json_from_string (self->json, NULL) : NULL;
  object = root != NULL && JSON_NODE_HOLDS_OBJECT (root) ? json_node_dup_object (root) : json_object_new ();
  if (self->file_url != NULL)
    json_object_set_string_member (object, "fileUrl", self->file_url);
  if (self->thumbnail_url != NULL)
    json_object_set_string_member (object, "thumbnailUrl", self->thumbnail_url);
  if (self->preview_url != NULL)
    json_object_set_string_member (object, "previewUrl", self->preview_url);

  return object;
}

gboolean
tessera_image_has_tag (TesseraImage *self,
                       const char   *tag)
{
  g_return_val_if_fail (TESSERA_IS_IMAGE (self), FALSE);
  g_return_val_if_fail (tag != NULL, FALSE);

  return self->tags != NULL && g_strv_contains ((const char * const *) self->tags, tag);
}

#define GETTER(type, name) \
  type tessera_image_get_##name (TesseraImage *self) \
  { \
    g_return_val_if_fail (TESSERA_IS_IMAGE (self), 0); \
    return self->name; \
  }

GETTER (const char *, id)
GETTER (const char *, filename)
GETTER (const char *, content_type)
GETTER (gint64, size)
GETTER (int, width)
GETTER (int, height)
GETTER (const char *, created_at)
GETTER (const char *, status)
GETTER (JsonArray *, labels)
GETTER (const char *, file_url)
GETTER (const char *, thumbnail_url)
GETTER (const char *, preview_url)
GETTER (const char *, failure_reason)
GETTER (const char *, trashed_at)
GETTER (const char *, sha256)
GETTER (JsonObject *, metadata)

/**
 * tessera_image_get_tags:
 *
 * Returns: (transfer none): the image's tags, never %NULL
 */
const char * const *
tessera_image_get_tags (TesseraImage *self)
{
  static const char * const empty[] = { NULL };

  g_return_val_if_fail (TESSERA_IS_IMAGE (self), NULL);

  return self->tags ? (const char * const *) self->tags : empty;
}

/**
 * tessera_image_forget_full_urls:
 *
 * Drops the pre-signed URLs of the original and the preview, keeping the
 * thumbnail's: what a gallery of many images needs, at a third of the
 * memory. Whoever shows the image itself gets it again
 * (tessera_client_get_image_async()), with fresh URLs.
 */
void
tessera_image_forget_full_urls (TesseraImage *self)
{
  g_return_if_fail (TESSERA_IS_IMAGE (self));

  if (self->file_url != NULL)
    {
      g_clear_pointer (&self->file_url, g_free);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FILE_URL]);
    }
  if (self->preview_url != NULL)
    {
      g_clear_pointer (&self->preview_url, g_free);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PREVIEW_URL]);
    }
}
