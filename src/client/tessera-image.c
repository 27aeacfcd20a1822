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

  /* The rest of the last object the server sent, so that fields this
   * version does not know survive a round trip through --json: compact
   * JSON text of every member but the strings the fields below hold. The
   * labels and the metadata are parsed from it when first asked for: a
   * gallery of 100 000 images asks for none of them, and a parsed
   * JsonObject costs a kilobyte or more where its text costs a hundred
   * bytes. */
  char       *json;
  gboolean    json_parsed;

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
    case PROP_LABELS: g_value_set_boxed (value, tessera_image_get_labels (self)); break;
    case PROP_FILE_URL: g_value_set_string (value, self->file_url); break;
    case PROP_THUMBNAIL_URL: g_value_set_string (value, self->thumbnail_url); break;
    case PROP_PREVIEW_URL: g_value_set_string (value, self->preview_url); break;
    case PROP_FAILURE_REASON: g_value_set_string (value, self->failure_reason); break;
    case PROP_TRASHED_AT: g_value_set_string (value, self->trashed_at); break;
    case PROP_SHA256: g_value_set_string (value, self->sha256); break;
    case PROP_METADATA: g_value_set_boxed (value, tessera_image_get_metadata (self)); break;
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

static gboolean
update_string (TesseraImage *self,
               JsonObject   *object,
               const char   *member,
               char        **field,
               guint         prop)
{
  const char *value = member_string (object, member);

  if (g_strcmp0 (value, *field) == 0)
    return FALSE;

  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);

  return TRUE;
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

/* The members a string field holds: kept out of the JSON text. */
static const char * const string_members[] = {
  "id", "filename", "contentType", "createdAt", "status", "fileUrl",
  "thumbnailUrl", "previewUrl", "failureReason", "trashedAt", "sha256",
};

static gboolean
is_string_member (const char *name,
                  JsonNode   *node)
{
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (string_members); i++)
    if (g_str_equal (name, string_members[i]))
      return TRUE;

  return FALSE;
}

/* Parses the labels and the metadata out of the JSON text, once. */
static void
ensure_parsed (TesseraImage *self)
{
  g_autoptr(JsonNode) root = NULL;
  JsonObject *rest;
  JsonNode *node;

  if (self->json_parsed)
    return;
  self->json_parsed = TRUE;

  root = self->json != NULL ? json_from_string (self->json, NULL) : NULL;
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return;
  rest = json_node_get_object (root);

  node = json_object_get_member (rest, "labels");
  if (node != NULL && JSON_NODE_HOLDS_ARRAY (node))
    self->labels = json_array_ref (json_node_get_array (node));
  node = json_object_get_member (rest, "metadata");
  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    self->metadata = json_object_ref (json_node_get_object (node));
}

/* With the labels and the metadata already parsed (someone showed them),
 * takes the new ones and says whether they changed; otherwise drops
 * nothing and says that they may have, which is only ever a spare
 * notification to nobody. */
static void
update_parsed (TesseraImage *self,
               JsonObject   *object)
{
  JsonNode *node;

  if (!self->json_parsed)
    {
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LABELS]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_METADATA]);
      return;
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
      if (!is_string_member (name, node))
        json_object_set_member (rest, name, json_node_ref (node));
    root = json_node_init_object (json_node_alloc (), rest);
    json_object_unref (rest);
    text = json_to_string (root, FALSE);
  }
  if (g_strcmp0 (self->json, text) != 0)
    {
      changed = TRUE;
      g_free (self->json);
      self->json = text;
      update_parsed (self, object);
    }
  else
    g_free (text);

#define UPDATE_STRING(member, field, prop) \
  changed |= update_string (self, object, member, &self->field, prop)

  if (self->id == NULL)
    UPDATE_STRING ("id", id, PROP_ID);
  UPDATE_STRING ("filename", filename, PROP_FILENAME);
  UPDATE_STRING ("contentType", content_type, PROP_CONTENT_TYPE);
  UPDATE_STRING ("createdAt", created_at, PROP_CREATED_AT);
  UPDATE_STRING ("status", status, PROP_STATUS);
  UPDATE_STRING ("fileUrl", file_url, PROP_FILE_URL);
  UPDATE_STRING ("thumbnailUrl", thumbnail_url, PROP_THUMBNAIL_URL);
  UPDATE_STRING ("previewUrl", preview_url, PROP_PREVIEW_URL);
  UPDATE_STRING ("failureReason", failure_reason, PROP_FAILURE_REASON);
  UPDATE_STRING ("trashedAt", trashed_at, PROP_TRASHED_AT);
  UPDATE_STRING ("sha256", sha256, PROP_SHA256);

#undef UPDATE_STRING

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
  const char * const values[] = {
    self->id, self->filename, self->content_type, self->created_at, self->status,
    self->file_url, self->thumbnail_url, self->preview_url, self->failure_reason,
    self->trashed_at, self->sha256,
  };

  g_return_val_if_fail (TESSERA_IS_IMAGE (self), NULL);
  G_STATIC_ASSERT (G_N_ELEMENTS (values) == G_N_ELEMENTS (string_members));

  object = json_object_new ();
  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    if (values[i] != NULL)
      json_object_set_string_member (object, string_members[i], values[i]);

  root = self->json != NULL ? json_from_string (self->json, NULL) : NULL;
  if (root != NULL && JSON_NODE_HOLDS_OBJECT (root))
    {
      JsonObjectIter iter;
      const char *name;
      JsonNode *node;

      json_object_iter_init (&iter, json_node_get_object (root));
      while (json_object_iter_next (&iter, &name, &node))
        if (!json_object_has_member (object, name))
          json_object_set_member (object, name, json_node_ref (node));
    }

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
GETTER (const char *, file_url)
GETTER (const char *, thumbnail_url)
GETTER (const char *, preview_url)
GETTER (const char *, failure_reason)
GETTER (const char *, trashed_at)
GETTER (const char *, sha256)

/**
 * tessera_image_get_labels:
 *
 * Returns: (transfer none) (nullable): the labels the tagger gave, with
 *   their confidence and source
 */
JsonArray *
tessera_image_get_labels (TesseraImage *self)
{
  g_return_val_if_fail (TESSERA_IS_IMAGE (self), NULL);

  ensure_parsed (self);
  return self->labels;
}

/**
 * tessera_image_get_metadata:
 *
 * Returns: (transfer none) (nullable): what the file says of itself
 *   (dimensions, camera, date taken)
 */
JsonObject *
tessera_image_get_metadata (TesseraImage *self)
{
  g_return_val_if_fail (TESSERA_IS_IMAGE (self), NULL);

  ensure_parsed (self);
  return self->metadata;
}

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
