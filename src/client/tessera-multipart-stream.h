/* tessera-multipart-stream.h: a multipart/form-data body read from a file
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define TESSERA_TYPE_MULTIPART_STREAM (tessera_multipart_stream_get_type ())

G_DECLARE_FINAL_TYPE (TesseraMultipartStream, tessera_multipart_stream, TESSERA, MULTIPART_STREAM, GInputStream)

GInputStream *tessera_multipart_stream_new              (JsonObject   *fields,
                                                         const char   *filename,
                                                         const char   *content_type,
                                                         GInputStream *file_stream,
                                                         goffset       file_size);
const char   *tessera_multipart_stream_get_content_type (TesseraMultipartStream *self);
goffset       tessera_multipart_stream_get_length       (TesseraMultipartStream *self);
goffset       tessera_multipart_stream_get_prefix_length (TesseraMultipartStream *self);

G_END_DECLS
