/* tessera-taggers.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-taggers"

#include "config.h"

#include "tessera-error.h"
#include "tessera-taggers.h"

TesseraTagger *
tessera_tagger_new_by_name (const char  *name,
                            GKeyFile    *config,
                            GError     **error)
{
  if (name == NULL || g_str_equal (name, "none") || g_str_equal (name, "local"))
    return NULL;

  g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
               "Unknown tagger “%s”", name);
  return NULL;
}
