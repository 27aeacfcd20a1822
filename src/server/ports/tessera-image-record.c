/* tessera-image-record.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-ports"

#include "config.h"

#include <string.h>

#include "tessera-image-record.h"

static const char *status_names[] = {
  [TESSERA_IMAGE_STATUS_UPLOADING] = "uploading",
  [TESSERA_IMAGE_STATUS_PROCESSING] = "processing",
  [TESSERA_IMAGE_STATUS_READY] = "ready",
  [TESSERA_IMAGE_STATUS_FAILED] = "failed",
};

const char *
tessera_image_status_to_string (TesseraImageStatus status)
{
  g_return_val_if_fail (status <= TESSERA_IMAGE_STATUS_FAILED, "failed");

  return status_names[status];
}

gboolean
tessera_image_status_from_string (const char         *text,
                                  TesseraImageStatus *status)
{
  for (guint i = 0; i < G_N_ELEMENTS (status_names); i++)
    {
      if (g_strcmp0 (text, status_names[i]) == 0)
        {
          *status = i;
          return TRUE;
        }
    }

  return FALSE;
}

TesseraLabel *
tessera_label_new (const char *name,
                   double      confidence,
                   const char *source)
{
  TesseraLabel *label = g_new0 (TesseraLabel, 1);

  label->name = g_strdup (name);
  label->confidence = CLAMP (confidence, 0.0, 1.0);
  label->source = g_strdup (source);

  return label;
}

void
tessera_label_free (TesseraLabel *label)
{
  if (label == NULL)
    return;

  g_free (label->name);
  g_free (label->source);
  g_free (label);
}

void
tessera_tag_count_free (TesseraTagCount *count)
{
  if (count == NULL)
    return;

  g_free (count->name);
  g_free (count);
}

TesseraImageRecord *
tessera_image_record_new (void)
{
  TesseraImageRecord *record = g_new0 (TesseraImageRecord, 1);

  record->tags = g_ptr_array_new_with_free_func (g_free);
  record->labels = g_ptr_array_new_with_free_func ((GDestroyNotify) tessera_label_free);

  return record;
}

void
tessera_image_record_add_label (TesseraImageRecord *record,
                                const char         *name,
                                double              confidence,
                                const char         *source)
{
  g_return_if_fail (record != NULL);
  g_return_if_fail (name != NULL);

  g_ptr_array_add (record->labels, tessera_label_new (name, confidence, source));
}

TesseraImageRecord *
tessera_image_record_copy (const TesseraImageRecord *record)
{
  TesseraImageRecord *copy;

  g_return_val_if_fail (record != NULL, NULL);

  copy = tessera_image_record_new ();
  copy->id = g_strdup (record->id);
  copy->owner = g_strdup (record->owner);
  copy->filename = g_strdup (record->filename);
  copy->content_type = g_strdup (record->content_type);
  copy->size = record->size;
  copy->sha256 = g_strdup (record->sha256);
  copy->width = record->width;
  copy->height = record->height;
  copy->created_at = record->created_at;
  copy->updated_at = record->updated_at;
  copy->trashed_at = record->trashed_at;
  copy->status = record->status;
  copy->failure_reason = g_strdup (record->failure_reason);
  copy->object_key = g_strdup (record->object_key);
  copy->thumbnail_key = g_strdup (record->thumbnail_key);
  copy->preview_key = g_strdup (record->preview_key);
  for (guint i = 0; i < record->tags->len; i++)
    g_ptr_array_add (copy->tags, g_strdup (g_ptr_array_index (record->tags, i)));
  for (guint i = 0; i < record->labels->len; i++)
    {
      const TesseraLabel *label = g_ptr_array_index (record->labels, i);
      tessera_image_record_add_label (copy, label->name, label->confidence, label->source);
    }
  if (record->metadata != NULL)
    copy->metadata = json_object_ref (record->metadata);

  return copy;
}

void
tessera_image_record_free (TesseraImageRecord *record)
{
  if (record == NULL)
    return;

  g_free (record->id);
  g_free (record->owner);
  g_free (record->filename);
  g_free (record->content_type);
  g_free (record->sha256);
  g_free (record->failure_reason);
  g_free (record->object_key);
  g_free (record->thumbnail_key);
  g_free (record->preview_key);
  g_clear_pointer (&record->tags, g_ptr_array_unref);
  g_clear_pointer (&record->labels, g_ptr_array_unref);
  g_clear_pointer (&record->metadata, json_object_unref);
  g_free (record);
}
