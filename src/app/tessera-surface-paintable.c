/* tessera-surface-paintable.c: decoded pixels drawn the cairo renderer's way
 *
 * Without a GPU, GTK 4.8 draws with cairo, and draws a GdkTexture by
 * copying it into a new cairo surface on every frame, through a per-pixel
 * conversion to floats and back even when the texture already holds
 * cairo's own pixel layout. A gallery scrolling at 60 frames a second
 * shows twenty-odd thumbnails at a time, and that copy was the largest
 * single cost of its frames. This paintable holds the pixels as a cairo
 * image surface, made once, and draws it with cairo: a plain composite.
 * Its pixels are premultiplied, native-endian ARGB32 (what
 * tessera_texture_decode_async() decodes a thumbnail to); it never changes.
 *
 * With a GPU renderer a texture is the better paintable: the tile picks
 * one or the other by the renderer it is drawn with.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-surface-paintable"

#include "config.h"

#include "tessera-surface-paintable.h"

struct _TesseraSurfacePaintable
{
  GObject          parent_instance;

  cairo_surface_t *surface;
  int              width;
  int              height;
};

static void paintable_iface_init (GdkPaintableInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TesseraSurfacePaintable, tessera_surface_paintable, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (GDK_TYPE_PAINTABLE, paintable_iface_init))

static void
tessera_surface_paintable_snapshot (GdkPaintable *paintable,
                                    GdkSnapshot  *snapshot,
                                    double        width,
                                    double        height)
{
  TesseraSurfacePaintable *self = TESSERA_SURFACE_PAINTABLE (paintable);
  cairo_t *cr;

  if (width <= 0 || height <= 0)
    return;

  cr = gtk_snapshot_append_cairo (GTK_SNAPSHOT (snapshot),
                                  &GRAPHENE_RECT_INIT (0, 0, width, height));
  if (width != self->width || height != self->height)
    {
      cairo_scale (cr, width / self->width, height / self->height);
      cairo_set_source_surface (cr, self->surface, 0, 0);
      cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_GOOD);
    }
  else
    cairo_set_source_surface (cr, self->surface, 0, 0);
  cairo_paint (cr);
  cairo_destroy (cr);
}

static int
tessera_surface_paintable_get_intrinsic_width (GdkPaintable *paintable)
{
  return TESSERA_SURFACE_PAINTABLE (paintable)->width;
}

static int
tessera_surface_paintable_get_intrinsic_height (GdkPaintable *paintable)
{
  return TESSERA_SURFACE_PAINTABLE (paintable)->height;
}

static GdkPaintableFlags
tessera_surface_paintable_get_flags (GdkPaintable *paintable)
{
  (void) paintable;
  return GDK_PAINTABLE_STATIC_SIZE | GDK_PAINTABLE_STATIC_CONTENTS;
}

static void
paintable_iface_init (GdkPaintableInterface *iface)
{
  iface->snapshot = tessera_surface_paintable_snapshot;
  iface->get_intrinsic_width = tessera_surface_paintable_get_intrinsic_width;
  iface->get_intrinsic_height = tessera_surface_paintable_get_intrinsic_height;
  iface->get_flags = tessera_surface_paintable_get_flags;
}

static void
tessera_surface_paintable_finalize (GObject *object)
{
  TesseraSurfacePaintable *self = TESSERA_SURFACE_PAINTABLE (object);

  g_clear_pointer (&self->surface, cairo_surface_destroy);

  G_OBJECT_CLASS (tessera_surface_paintable_parent_class)->finalize (object);
}

static void
tessera_surface_paintable_class_init (TesseraSurfacePaintableClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = tessera_surface_paintable_finalize;
}

static void
tessera_surface_paintable_init (TesseraSurfacePaintable *self)
{
  (void) self;
}

/**
 * tessera_surface_paintable_new:
 * @pixels: premultiplied native-endian ARGB32 pixels (%GDK_MEMORY_DEFAULT)
 * @stride: bytes from one row to the next
 *
 * Returns: (transfer full) (nullable): a paintable of the pixels, sharing
 *   them; %NULL when the stride is not one cairo can draw
 */
GdkPaintable *
tessera_surface_paintable_new (GBytes *pixels,
                               int     width,
                               int     height,
                               gsize   stride)
{
  static const cairo_user_data_key_t bytes_key;
  TesseraSurfacePaintable *self;
  cairo_surface_t *surface;

  g_return_val_if_fail (pixels != NULL, NULL);
  g_return_val_if_fail (width > 0 && height > 0, NULL);

  if (stride != (gsize) cairo_format_stride_for_width (CAIRO_FORMAT_ARGB32, width) ||
      g_bytes_get_size (pixels) < stride * (gsize) height)
    return NULL;

  /* Cairo only reads them: the bytes are never written through it. */
  surface = cairo_image_surface_create_for_data ((unsigned char *) g_bytes_get_data (pixels, NULL),
                                                 CAIRO_FORMAT_ARGB32, width, height, (int) stride);
  if (cairo_surface_status (surface) != CAIRO_STATUS_SUCCESS)
    {
      cairo_surface_destroy (surface);
      return NULL;
    }
  cairo_surface_set_user_data (surface, &bytes_key, g_bytes_ref (pixels),
                               (cairo_destroy_func_t) g_bytes_unref);

  self = g_object_new (TESSERA_TYPE_SURFACE_PAINTABLE, NULL);
  self->surface = surface;
  self->width = width;
  self->height = height;

  return GDK_PAINTABLE (self);
}
