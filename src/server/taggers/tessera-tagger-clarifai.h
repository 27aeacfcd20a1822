/* tessera-tagger-clarifai.h: Clarifai's v2 REST API (the article's tagger)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "tessera-tagger.h"

G_BEGIN_DECLS

#define TESSERA_TYPE_TAGGER_CLARIFAI (tessera_tagger_clarifai_get_type ())

G_DECLARE_FINAL_TYPE (TesseraTaggerClarifai, tessera_tagger_clarifai, TESSERA, TAGGER_CLARIFAI, GObject)

#define TESSERA_CLARIFAI_SOURCE "clarifai"

/* Keys of @config's [tagger] group, all optional: clarifai-url (default
 * https://api.clarifai.com), clarifai-user (clarifai), clarifai-app (main),
 * clarifai-model-version, clarifai-key-file, threshold (0.9),
 * clarifai-attempts (4), clarifai-backoff-ms (500).
 *
 * The key comes from CLARIFAI_PAT or CLARIFAI_API_KEY in the environment,
 * else from clarifai-key-file, which must be a regular file of mode 0600
 * (or stricter): anything looser is refused. It is never logged.
 * Returns: (transfer full) */
TesseraTagger *tessera_tagger_clarifai_new (GKeyFile  *config,
                                            GError   **error);

G_END_DECLS
