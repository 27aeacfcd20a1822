/* tag-images.c: runs a tagger over pictures and prints what it says
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * For measuring (docs/tagging.md) and for looking: one line per picture,
 * "PATH<TAB>label=confidence,..." then the metadata as JSON.
 * Usage: tag-images [--tagger NAME] [--config FILE] PICTURE...
 */

#define G_LOG_DOMAIN "tag-images"

#include "config.h"

#include <vips/vips.h>

#include "tessera-taggers.h"
#include "tessera-taggers-private.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GKeyFile) config = g_key_file_new ();
  g_autoptr(TesseraTagger) tagger = NULL;
  g_autofree char *name = NULL;
  g_autofree char *config_path = NULL;
  g_auto(GStrv) files = NULL;
  GOptionEntry entries[] = {
    { "tagger", 0, 0, G_OPTION_ARG_STRING, &name, "local (default) or clarifai", "NAME" },
    { "config", 0, 0, G_OPTION_ARG_FILENAME, &config_path, "a key file with a [tagger] group", "FILE" },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files, NULL, "PICTURE…" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- print a tagger's labels");
  int status = 0;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (VIPS_INIT (argv[0]) != 0)
    return 1;

  if (config_path && !g_key_file_load_from_file (config, config_path, G_KEY_FILE_NONE, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  tagger = tessera_tagger_new_by_name (name ? name : "local", config, &error);
  if (tagger == NULL)
    {
      g_printerr ("%s\n", error ? error->message : "no tagger");
      return 1;
    }

  for (guint i = 0; files && files[i]; i++)
    {
      g_autoptr(TesseraImageRecord) record = tessera_image_record_new ();
      g_autoptr(TesseraVipsImage) loaded = NULL;
      g_autoptr(TesseraVipsImage) rotated = NULL;
      g_autoptr(GFile) file = g_file_new_for_commandline_arg (files[i]);
      g_autoptr(GError) tag_error = NULL;
      g_autoptr(GString) line = g_string_new (files[i]);
      gint64 start;

      loaded = vips_image_new_from_file (files[i], NULL);
      if (loaded == NULL || vips_autorot (loaded, &rotated, NULL) != 0)
        {
          g_print ("%s\tunreadable\n", files[i]);
          vips_error_clear ();
          status = 1;
          continue;
        }

      start = g_get_monotonic_time ();
      if (!tessera_tagger_tag (tagger, file, rotated, record, NULL, &tag_error))
        {
          g_print ("%s\terror: %s\n", files[i], tag_error->message);
          status = 1;
        }
      g_string_append_printf (line, "\t%.0fms\t", (g_get_monotonic_time () - start) / 1000.0);
      for (guint k = 0; k < record->labels->len; k++)
        {
          const TesseraLabel *label = g_ptr_array_index (record->labels, k);

          g_string_append_printf (line, "%s%s=%.2f", k ? "," : "", label->name, label->confidence);
        }
      g_print ("%s\n", line->str);
      if (record->metadata)
        {
          g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), record->metadata);
          g_autofree char *json = json_to_string (node, FALSE);

          g_print ("\t%s\n", json);
        }
    }

  return status;
}
