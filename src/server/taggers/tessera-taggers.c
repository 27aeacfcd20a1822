/* tessera-taggers.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-taggers"

#include "config.h"

#include "tessera-error.h"
#include "tessera-tagger-clarifai.h"
#include "tessera-tagger-local.h"
#include "tessera-taggers.h"

TesseraTagger *
tessera_tagger_new_by_name (const char  *name,
                            GKeyFile    *config,
                            GError     **error)
{
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (name == NULL || g_str_equal (name, "local"))
    return tessera_tagger_local_new (config, error);
  if (g_str_equal (name, "none"))
    return NULL;
  if (g_str_equal (name, "clarifai"))
    return tessera_tagger_clarifai_new (config, error);

  g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
               "Unknown tagger “%s” (local, clarifai or none)", name);
  return NULL;
}
