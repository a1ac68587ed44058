// How a download presents itself to a browser. No framework imports.

/** Types a browser may show in place: raster images, audio, video. Anything else is a download. */
const INLINE = /^(image\/(png|jpeg|gif|webp|avif)|audio\/[a-z0-9.+-]+|video\/[a-z0-9.+-]+)$/i;

/** Content-Disposition for a stored file: the name as uploaded (RFC 6266/5987 encoded). */
export function contentDisposition(filename: string, contentType: string): string {
  const inline = INLINE.test(contentType.split(';')[0].trim());
  const ascii = filename.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const encoded = encodeURIComponent(filename).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${inline ? 'inline' : 'attachment'}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
