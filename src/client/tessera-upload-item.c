/* tessera-upload-item.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-upload-item"

#include "config.h"

#include "tessera-upload-item-private.h"

G_DEFINE_ENUM_TYPE (TesseraUploadState, tessera_upload_state,
  G_DEFINE_ENUM_VALUE (TESSERA_UPLOAD_STATE_QUEUED, "queued"),
  G_DEFINE_ENUM_VALUE (TESSERA_UPLOAD_STATE_HASHING, "hashing"),
  G_DEFINE_ENUM_VALUE (TESSERA_UPLOAD_STATE_UPLOADING, "uploading"),
  G_DEFINE_ENUM_VALUE (TESSERA_UPLOAD_STATE_PROCESSING, "processing"),
  G_DEFINE_ENUM_VALUE (TESSERA_UPLOAD_STATE_DONE, "done"),
  G_DEFINE_ENUM_VALUE (TESSERA_UPLOAD_STATE_DUPLICATE, "duplicate"),
  G_DEFINE_ENUM_VALUE (TESSERA_UPLOAD_STATE_FAILED, "failed"),
  G_DEFINE_ENUM_VALUE (TESSERA_UPLOAD_STATE_CANCELLED, "cancelled"))

const char *
tessera_upload_state_to_string (TesseraUploadState state)
{
  static const char * const names[] = {
    "queued", "hashing", "uploading", "processing", "done", "duplicate", "failed", "cancelled",
  };

  g_return_val_if_fail ((guint) state < G_N_ELEMENTS (names), NULL);

  return names[state];
}

gboolean
tessera_upload_state_is_finished (TesseraUploadState state)
{
  return state >= TESSERA_UPLOAD_STATE_DONE;
}

struct _TesseraUploadItem
{
  GObject             parent_instance;

  GFile              *file;
  TesseraUploadState  state;
  double              progress;
  goffset             size;
  char               *error_message;
  char               *image_id;
};

G_DEFINE_FINAL_TYPE (TesseraUploadItem, tessera_upload_item, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_FILE,
  PROP_STATE,
  PROP_PROGRESS,
  PROP_SIZE,
  PROP_ERROR_MESSAGE,
  PROP_IMAGE_ID,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
tessera_upload_item_finalize (GObject *object)
{
  TesseraUploadItem *self = (TesseraUploadItem *)object;

  g_clear_object (&self->file);
  g_clear_pointer (&self->error_message, g_free);
  g_clear_pointer (&self->image_id, g_free);

  G_OBJECT_CLASS (tessera_upload_item_parent_class)->finalize (object);
}

static void
tessera_upload_item_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  TesseraUploadItem *self = TESSERA_UPLOAD_ITEM (object);

  switch (prop_id)
    {
    case PROP_FILE: g_value_set_object (value, self->file); break;
    case PROP_STATE: g_value_set_enum (value, self->state); break;
    case PROP_PROGRESS: g_value_set_double (value, self->progress); break;
    case PROP_SIZE: g_value_set_int64 (value, self->size); break;
    case PROP_ERROR_MESSAGE: g_value_set_string (value, self->error_message); break;
    case PROP_IMAGE_ID: g_value_set_string (value, self->image_id); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_upload_item_class_init (TesseraUploadItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = tessera_upload_item_finalize;
  object_class->get_property = tessera_upload_item_get_property;

  properties[PROP_FILE] = g_param_spec_object ("file", NULL, NULL, G_TYPE_FILE, flags);
  properties[PROP_STATE] = g_param_spec_enum ("state", NULL, NULL, TESSERA_TYPE_UPLOAD_STATE,
                                              TESSERA_UPLOAD_STATE_QUEUED, flags);
  properties[PROP_PROGRESS] = g_param_spec_double ("progress", NULL, NULL, 0., 1., 0., flags);
  properties[PROP_SIZE] = g_param_spec_int64 ("size", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_ERROR_MESSAGE] = g_param_spec_string ("error-message", NULL, NULL, NULL, flags);
  properties[PROP_IMAGE_ID] = g_param_spec_string ("image-id", NULL, NULL, NULL, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
tessera_upload_item_init (TesseraUploadItem *self)
{
}

TesseraUploadItem *
_tessera_upload_item_new (GFile *file)
{
  TesseraUploadItem *self = g_object_new (TESSERA_TYPE_UPLOAD_ITEM, NULL);

  self->file = g_object_ref (file);

  return self;
}

/**
 * tessera_upload_item_get_file:
 *
 * Returns: (transfer none): the file
 */
GFile *
tessera_upload_item_get_file (TesseraUploadItem *self)
{
  g_return_val_if_fail (TESSERA_IS_UPLOAD_ITEM (self), NULL);

  return self->file;
}

TesseraUploadState
tessera_upload_item_get_state (TesseraUploadItem *self)
{
  g_return_val_if_fail (TESSERA_IS_UPLOAD_ITEM (self), 0);

  return self->state;
}

double
tessera_upload_item_get_progress (TesseraUploadItem *self)
{
  g_return_val_if_fail (TESSERA_IS_UPLOAD_ITEM (self), 0.);

  return self->progress;
}

goffset
tessera_upload_item_get_size (TesseraUploadItem *self)
{
  g_return_val_if_fail (TESSERA_IS_UPLOAD_ITEM (self), 0);

  return self->size;
}

const char *
tessera_upload_item_get_error_message (TesseraUploadItem *self)
{
  g_return_val_if_fail (TESSERA_IS_UPLOAD_ITEM (self), NULL);

  return self->error_message;
}

const char *
tessera_upload_item_get_image_id (TesseraUploadItem *self)
{
  g_return_val_if_fail (TESSERA_IS_UPLOAD_ITEM (self), NULL);

  return self->image_id;
}

void
_tessera_upload_item_set_state (TesseraUploadItem  *self,
                                TesseraUploadState  state)
{
  g_return_if_fail (TESSERA_IS_UPLOAD_ITEM (self));

  if (self->state != state)
    {
      self->state = state;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
    }
}

void
_tessera_upload_item_set_progress (TesseraUploadItem *self,
                                   goffset            sent,
                                   goffset            total)
{
  double progress;

  g_return_if_fail (TESSERA_IS_UPLOAD_ITEM (self));

  progress = total > 0 ? CLAMP ((double) sent / (double) total, 0., 1.) : 0.;

  if (total != self->size)
    {
      self->size = total;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SIZE]);
    }
  if (progress != self->progress)
    {
      self->progress = progress;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROGRESS]);
    }
}

void
_tessera_upload_item_set_error_message (TesseraUploadItem *self,
                                        const char        *message)
{
  g_return_if_fail (TESSERA_IS_UPLOAD_ITEM (self));

  if (g_strcmp0 (self->error_message, message) != 0)
    {
      g_free (self->error_message);
      self->error_message = g_strdup (message);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR_MESSAGE]);
    }
}

void
_tessera_upload_item_set_image_id (TesseraUploadItem *self,
                                   const char        *image_id)
{
  g_return_if_fail (TESSERA_IS_UPLOAD_ITEM (self));

  if (g_strcmp0 (self->image_id, image_id) != 0)
    {
      g_free (self->image_id);
      self->image_id = g_strdup (image_id);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IMAGE_ID]);
    }
}
