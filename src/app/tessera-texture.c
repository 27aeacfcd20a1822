/* tessera-texture.c
 *
 * The server's thumbnails and previews are WebP, which neither GTK 4.8 nor
 * Debian's gdk-pixbuf loaders read, so WebP goes through libwebp and
 * everything else (the originals) through GTK.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-texture"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <webp/decode.h>

#include "tessera-surface-paintable.h"
#include "tessera-texture.h"
#include "tessera-util.h"

static gboolean
is_webp (const guint8 *data,
         gsize         size)
{
  return size >= 12 && memcmp (data, "RIFF", 4) == 0 && memcmp (data + 8, "WEBP", 4) == 0;
}

/* Straight to premultiplied BGRA, cairo's own layout on little-endian
 * machines (%GDK_MEMORY_DEFAULT): a texture or a cairo surface of them
 * needs no conversion. */
static GBytes *
decode_webp_pixels (GBytes  *bytes,
                    int     *width_inout,
                    int     *height_inout,
                    gsize   *stride_out,
                    GError **error)
{
  int width = *width_inout;
  int height = *height_inout;
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);
  WebPDecoderConfig config;
  g_autofree guint8 *pixels = NULL;
  gsize stride, length;

  if (!WebPInitDecoderConfig (&config) ||
      WebPGetFeatures (data, size, &config.input) != VP8_STATUS_OK ||
      config.input.width <= 0 || config.input.height <= 0 ||
      config.input.width > 16384 || config.input.height > 16384)
    goto fail;

  if (width > 0 && height > 0 &&
      (width < config.input.width || height < config.input.height))
    {
      /* Cover: the centre of the image at the aspect of the target, then
       * scaled to it, so that drawing it scales nothing. */
      double scale = MAX ((double) width / config.input.width,
                          (double) height / config.input.height);
      int crop_width = MIN (config.input.width, (int) (width / scale + 0.5));
      int crop_height = MIN (config.input.height, (int) (height / scale + 0.5));

      config.options.use_cropping = 1;
      config.options.crop_left = (config.input.width - crop_width) / 2;
      config.options.crop_top = (config.input.height - crop_height) / 2;
      config.options.crop_width = crop_width;
      config.options.crop_height = crop_height;
      config.options.use_scaling = 1;
      config.options.scaled_width = width;
      config.options.scaled_height = height;
    }
  else
    {
      width = config.input.width;
      height = config.input.height;
    }

  stride = (gsize) width * 4;
  length = stride * height;
  pixels = g_malloc (length);

  config.output.colorspace = G_BYTE_ORDER == G_LITTLE_ENDIAN ? MODE_bgrA : MODE_Argb;
  config.output.is_external_memory = 1;
  config.output.u.RGBA.rgba = pixels;
  config.output.u.RGBA.stride = (int) stride;
  config.output.u.RGBA.size = length;
  if (WebPDecode (data, size, &config) != VP8_STATUS_OK)
    goto fail;

  *width_inout = width;
  *height_inout = height;
  *stride_out = stride;
  return g_bytes_new_take (g_steal_pointer (&pixels), length);

fail:
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       _("The image could not be read"));
  return NULL;
}

static GdkTexture *
decode_webp (GBytes  *bytes,
             int      width,
             int      height,
             GError **error)
{
  g_autoptr(GBytes) pixels = NULL;
  gsize stride;

  pixels = decode_webp_pixels (bytes, &width, &height, &stride, error);
  if (pixels == NULL)
    return NULL;

  return gdk_memory_texture_new (width, height, GDK_MEMORY_DEFAULT, pixels, stride);
}

/**
 * tessera_texture_new_from_bytes:
 * @bytes: an encoded image (WebP, PNG, JPEG, TIFF, or what gdk-pixbuf reads)
 *
 * Returns: (transfer full) (nullable): the decoded image
 */
GdkTexture *
tessera_texture_new_from_bytes (GBytes  *bytes,
                                GError **error)
{
  gsize size;
  const guint8 *data;

  g_return_val_if_fail (bytes != NULL, NULL);

  data = g_bytes_get_data (bytes, &size);
  if (is_webp (data, size))
    return decode_webp (bytes, 0, 0, error);

  return gdk_texture_new_from_bytes (bytes, error);
}

typedef struct
{
  GBytes   *bytes;
  int       width;
  int       height;
  gboolean  for_cairo;
} Decode;

static void
decode_free (Decode *decode)
{
  g_bytes_unref (decode->bytes);
  g_free (decode);
}

static void
decode_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  Decode *decode = task_data;
  GError *error = NULL;
  GdkTexture *texture;
  gsize size;
  const guint8 *data = g_bytes_get_data (decode->bytes, &size);

  tessera_thread_set_background ();

  /* Scrolled past before its turn came: a fast scroll binds and unbinds
   * tiles by the hundred, and decoding for none of them would take the
   * CPU from the ones in view. */
  if (g_task_return_error_if_cancelled (task))
    return;

  if (decode->for_cairo && is_webp (data, size))
    {
      int width = decode->width, height = decode->height;
      g_autoptr(GBytes) pixels = NULL;
      GdkPaintable *paintable;
      gsize stride;

      pixels = decode_webp_pixels (decode->bytes, &width, &height, &stride, &error);
      if (pixels == NULL)
        {
          g_task_return_error (task, error);
          return;
        }
      paintable = tessera_surface_paintable_new (pixels, width, height, stride);
      if (paintable == NULL)
        paintable = GDK_PAINTABLE (gdk_memory_texture_new (width, height, GDK_MEMORY_DEFAULT, pixels, stride));
      g_task_return_pointer (task, paintable, g_object_unref);
      return;
    }

  if (is_webp (data, size))
    texture = decode_webp (decode->bytes, decode->width, decode->height, &error);
  else
    texture = gdk_texture_new_from_bytes (decode->bytes, &error);
  if (texture == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, texture, g_object_unref);
}

static void
decode_async (GBytes              *bytes,
              int                  width,
              int                  height,
              gboolean             for_cairo,
              int                  priority,
              gpointer             source_tag,
              GCancellable        *cancellable,
              GAsyncReadyCallback  callback,
              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Decode *decode;

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);
  /* Also the priority of the completion in the caller's main loop. */
  g_task_set_priority (task, priority);
  decode = g_new0 (Decode, 1);
  decode->bytes = g_bytes_ref (bytes);
  decode->width = width;
  decode->height = height;
  decode->for_cairo = for_cairo;
  g_task_set_task_data (task, decode, (GDestroyNotify) decode_free);
  g_task_run_in_thread (task, decode_thread);
}

/**
 * tessera_texture_decode_paintable_async:
 * @widget: what it will be drawn in (realized), to draw it the way that
 *   widget's renderer draws fastest
 *
 * As tessera_texture_decode_async(), for a paintable: with the cairo
 * renderer (no GPU) a #TesseraSurfacePaintable, which cairo draws without
 * copying it every frame; otherwise a #GdkTexture. It completes at
 * %G_PRIORITY_DEFAULT_IDLE: after the frame being drawn.
 */
void
tessera_texture_decode_paintable_async (GBytes              *bytes,
                                        int                  width,
                                        int                  height,
                                        GtkWidget           *widget,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  GtkNative *native;
  GskRenderer *renderer = NULL;

  g_return_if_fail (bytes != NULL);
  g_return_if_fail (GTK_IS_WIDGET (widget));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  native = gtk_widget_get_native (widget);
  if (native != NULL)
    renderer = gtk_native_get_renderer (native);

  decode_async (bytes, width, height, renderer != NULL && GSK_IS_CAIRO_RENDERER (renderer),
                G_PRIORITY_DEFAULT_IDLE, tessera_texture_decode_paintable_async,
                cancellable, callback, user_data);
}

/**
 * tessera_texture_decode_paintable_finish:
 *
 * Returns: (transfer full) (nullable): the paintable
 */
GdkPaintable *
tessera_texture_decode_paintable_finish (GAsyncResult  *result,
                                         GError       **error)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * tessera_texture_decode_async:
 *
 * @width: the size to draw it at, or 0 for its own
 * @height: the size to draw it at, or 0 for its own
 *
 * Decodes @bytes on a worker thread, for images too large to decode while
 * a frame waits. With a size, a WebP is cropped to its aspect (as
 * %GTK_CONTENT_FIT_COVER shows it) and scaled down to it while decoding.
 */
void
tessera_texture_decode_async (GBytes              *bytes,
                              int                  width,
                              int                  height,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (bytes != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  decode_async (bytes, width, height, FALSE, G_PRIORITY_DEFAULT, tessera_texture_decode_async,
                cancellable, callback, user_data);
}

/**
 * tessera_texture_decode_finish:
 *
 * Returns: (transfer full) (nullable): the texture
 */
GdkTexture *
tessera_texture_decode_finish (GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
