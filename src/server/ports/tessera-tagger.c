/* tessera-tagger.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-ports"

#include "config.h"

#include "tessera-tagger.h"

G_DEFINE_INTERFACE (TesseraTagger, tessera_tagger, G_TYPE_OBJECT)

static void
tessera_tagger_default_init (TesseraTaggerInterface *iface)
{
}

gboolean
tessera_tagger_tag (TesseraTagger       *self,
                    GFile               *original,
                    VipsImage           *image,
                    TesseraImageRecord  *record,
                    GCancellable        *cancellable,
                    GError             **error)
{
  g_return_val_if_fail (TESSERA_IS_TAGGER (self), FALSE);
  g_return_val_if_fail (G_IS_FILE (original), FALSE);
  g_return_val_if_fail (VIPS_IS_IMAGE (image), FALSE);
  g_return_val_if_fail (record != NULL, FALSE);
  g_return_val_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable), FALSE);

  return TESSERA_TAGGER_GET_IFACE (self)->tag (self, original, image, record, cancellable, error);
}
