/* tessera-image-record.h: an image as the index holds it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum
{
  TESSERA_IMAGE_STATUS_UPLOADING,
  TESSERA_IMAGE_STATUS_PROCESSING,
  TESSERA_IMAGE_STATUS_READY,
  TESSERA_IMAGE_STATUS_FAILED,
} TesseraImageStatus;

typedef struct
{
  char   *name;
  double  confidence;   /* 0..1 */
  char   *source;       /* the tagger stage that found it, e.g. "local/faces" */
} TesseraLabel;

/* A plain record: it has no identity of its own beyond its fields. */
typedef struct
{
  char               *id;
  char               *owner;           /* the user's `sub` */
  char               *filename;
  char               *content_type;
  gint64              size;
  char               *sha256;          /* hex, as the client declared it; may be NULL */
  int                 width;
  int                 height;
  gint64              created_at;      /* ms since the epoch */
  gint64              updated_at;
  gint64              trashed_at;      /* 0 when not in the trash */
  TesseraImageStatus  status;
  char               *failure_reason;
  char               *object_key;      /* u/<owner>/<id> */
  char               *thumbnail_key;   /* NULL until processed */
  char               *preview_key;
  GPtrArray          *tags;            /* element-type utf8, normalised, sorted */
  GPtrArray          *labels;          /* element-type TesseraLabel */
  JsonObject         *metadata;        /* EXIF facts and tagger extras; may be NULL */
} TesseraImageRecord;

typedef struct
{
  char  *name;
  gint64 count;
} TesseraTagCount;

TesseraImageRecord *tessera_image_record_new          (void);
TesseraImageRecord *tessera_image_record_copy         (const TesseraImageRecord *record);
void                tessera_image_record_free         (TesseraImageRecord       *record);
void                tessera_image_record_add_label    (TesseraImageRecord       *record,
                                                       const char               *name,
                                                       double                    confidence,
                                                       const char               *source);
TesseraLabel       *tessera_label_new                 (const char               *name,
                                                       double                    confidence,
                                                       const char               *source);
void                tessera_label_free                (TesseraLabel             *label);
void                tessera_tag_count_free            (TesseraTagCount          *count);
const char         *tessera_image_status_to_string    (TesseraImageStatus        status);
gboolean            tessera_image_status_from_string  (const char               *text,
                                                       TesseraImageStatus       *status);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TesseraImageRecord, tessera_image_record_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TesseraTagCount, tessera_tag_count_free)

G_END_DECLS
