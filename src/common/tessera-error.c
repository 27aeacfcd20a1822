/* tessera-error.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-error"

#include "config.h"

#include "tessera-error.h"

G_DEFINE_QUARK (tessera-error-quark, tessera_error)

guint
tessera_error_to_http_status (const GError *error)
{
  static const guint statuses[] = {
    [TESSERA_ERROR_INVALID] = 400,
    [TESSERA_ERROR_UNAUTHORIZED] = 401,
    [TESSERA_ERROR_FORBIDDEN] = 403,
    [TESSERA_ERROR_NOT_FOUND] = 404,
    [TESSERA_ERROR_METHOD_NOT_ALLOWED] = 405,
    [TESSERA_ERROR_CONFLICT] = 409,
    [TESSERA_ERROR_TOO_LARGE] = 413,
    [TESSERA_ERROR_UNSUPPORTED_MEDIA] = 415,
    [TESSERA_ERROR_UNPROCESSABLE] = 422,
    [TESSERA_ERROR_RATE_LIMITED] = 429,
    [TESSERA_ERROR_INTERNAL] = 500,
    [TESSERA_ERROR_UNAVAILABLE] = 503,
  };

  g_return_val_if_fail (error != NULL, 500);

  if (error->domain != TESSERA_ERROR ||
      error->code < 0 || (gsize) error->code >= G_N_ELEMENTS (statuses))
    return 500;

  return statuses[error->code];
}
