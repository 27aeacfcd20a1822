/* tessera-error.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define TESSERA_ERROR (tessera_error_quark ())

/**
 * TesseraErrorCode:
 *
 * The errors of the API's functions and ports. Each maps one way to an HTTP
 * status (tessera_error_to_http_status()), so a function never picks a
 * status by hand.
 */
typedef enum
{
  TESSERA_ERROR_INVALID,            /* 400 */
  TESSERA_ERROR_UNAUTHORIZED,       /* 401 */
  TESSERA_ERROR_FORBIDDEN,          /* 403 */
  TESSERA_ERROR_NOT_FOUND,          /* 404 */
  TESSERA_ERROR_METHOD_NOT_ALLOWED, /* 405 */
  TESSERA_ERROR_CONFLICT,           /* 409 */
  TESSERA_ERROR_TOO_LARGE,          /* 413 */
  TESSERA_ERROR_UNSUPPORTED_MEDIA,  /* 415 */
  TESSERA_ERROR_UNPROCESSABLE,      /* 422 */
  TESSERA_ERROR_RATE_LIMITED,       /* 429 */
  TESSERA_ERROR_INTERNAL,           /* 500 */
  TESSERA_ERROR_UNAVAILABLE,        /* 503, worth retrying */
} TesseraErrorCode;

GQuark tessera_error_quark          (void);
guint  tessera_error_to_http_status (const GError *error);

G_END_DECLS
