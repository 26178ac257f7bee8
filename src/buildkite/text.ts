/** Path escaping and byte-size cropping the Buildkite APIs require. */

/**
 * Escapes one path segment like Go's `url.PathEscape`, then writes `.` as `%2E` because the
 * Rails backend would otherwise read a dot as a format suffix.
 */
export function railsPathEscape(segment: string): string {
  let out = '';
  for (const byte of Buffer.from(segment, 'utf8')) {
    const ch = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_~$&+:=@]/.test(ch)) out += ch;
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * Crops `text` to at most `maxBytes` UTF-8 bytes including `suffix`, cutting on a character
 * boundary. Text that already fits is returned unchanged.
 */
export function cropUtf8(text: string, maxBytes: number, suffix: string): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let end = Math.max(0, maxBytes - Buffer.byteLength(suffix, 'utf8'));
  // Step back over continuation bytes (10xxxxxx) so a multi-byte character is never split.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8') + suffix;
}

export const FINISH_DETAIL_MAX_BYTES = 4096;
export const FINISH_DETAIL_CROPPED = '… (Message was cropped because it exceeded the max size)';
export const NOTIFICATION_DETAIL_MAX_BYTES = 255;
export const NOTIFICATION_DETAIL_CROPPED = '… (cropped)';
