/* tessera-api-private.h: what the functions' files share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "tessera-api.h"

G_BEGIN_DECLS

/* A function of the API. @id is the `{id}` of the path, or NULL. It returns
 * a response, or NULL with an error the router turns into one. */
typedef TesseraResponse *(*TesseraApiFunc) (TesseraApi      *api,
                                            TesseraRequest  *request,
                                            const char      *id,
                                            GError         **error);

/* The request body as a JSON object: 413 beyond settings.max_body_size, 400
 * when it is not an object (no body at all included). */
JsonObject      *_tessera_api_parse_body         (TesseraApi      *api,
                                                  TesseraRequest  *request,
                                                  GError         **error);
TesseraResponse *_tessera_response_new_object    (guint            status,
                                                  JsonObject      *object);
TesseraResponse *_tessera_response_new_message   (guint            status,
                                                  const char      *message);
const char      *_tessera_request_get_query      (TesseraRequest  *request,
                                                  const char      *name);
/* "true" or "false" (or absent: @default_value); anything else is a 400. */
gboolean         _tessera_request_get_boolean    (TesseraRequest  *request,
                                                  const char      *name,
                                                  gboolean         default_value,
                                                  gboolean        *value,
                                                  GError         **error);

/* The image as the API shows it, with freshly pre-signed URLs. */
JsonObject      *_tessera_image_to_json          (TesseraApi                *api,
                                                  const TesseraImageRecord  *record,
                                                  GError                   **error);

/* tessera-fn-auth.c */
TesseraResponse *_tessera_fn_signup              (TesseraApi *, TesseraRequest *, const char *, GError **);
TesseraResponse *_tessera_fn_signin              (TesseraApi *, TesseraRequest *, const char *, GError **);
TesseraResponse *_tessera_fn_refresh             (TesseraApi *, TesseraRequest *, const char *, GError **);
TesseraResponse *_tessera_fn_signout             (TesseraApi *, TesseraRequest *, const char *, GError **);
TesseraResponse *_tessera_fn_jwks                (TesseraApi *, TesseraRequest *, const char *, GError **);

/* tessera-fn-images.c */
TesseraResponse *_tessera_fn_create_image        (TesseraApi *, TesseraRequest *, const char *, GError **);
TesseraResponse *_tessera_fn_list_images         (TesseraApi *, TesseraRequest *, const char *, GError **);
TesseraResponse *_tessera_fn_get_image           (TesseraApi *, TesseraRequest *, const char *, GError **);
TesseraResponse *_tessera_fn_patch_image         (TesseraApi *, TesseraRequest *, const char *, GError **);
TesseraResponse *_tessera_fn_delete_image        (TesseraApi *, TesseraRequest *, const char *, GError **);
TesseraResponse *_tessera_fn_restore_image       (TesseraApi *, TesseraRequest *, const char *, GError **);

/* tessera-fn-tags.c */
TesseraResponse *_tessera_fn_list_tags           (TesseraApi *, TesseraRequest *, const char *, GError **);

/* The listing's opaque cursor: base64url of "<created_at>:<id>". */
char            *_tessera_cursor_encode          (gint64           created_at,
                                                  const char      *id);
gboolean         _tessera_cursor_decode          (const char      *cursor,
                                                  gint64          *created_at,
                                                  char           **id);

G_END_DECLS
