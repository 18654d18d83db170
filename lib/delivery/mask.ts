/**
 * What the OutboundMessage row and the logs keep of a message: every sensitive value (a one-time
 * code, a link token) masked, and destinations shortened in log lines (docs/security.md rules 1
 * and 26).
 */
export const MASK = '••••••';

/**
 * Replaces each sensitive value wherever it appears, also when its characters are spaced or
 * separated ("1, 2, 3, 4, 5, 6" in a voice script, "123 456" in a formatted email).
 */
export function masker(sensitive: readonly string[] | undefined): (text: string) => string {
  const values = [...new Set((sensitive ?? []).filter((v) => v.length > 0))].sort((a, b) => b.length - a.length);
  if (values.length === 0) return (text) => text;
  const separator = '[\\s,.;:\\-–—]*';
  const pattern = new RegExp(values.map((v) => [...v].map(escapeRegExp).join(separator)).join('|'), 'g');
  return (text) => text.replace(pattern, MASK);
}

function escapeRegExp(value: string) {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Enough to tell two destinations apart in a log line, not enough to contact anyone. */
export function maskDestination(to: string): string {
  const at = to.lastIndexOf('@');
  if (at > 0) return `${to[0]}•••@${to.slice(at + 1)}`;
  return to.length > 4 ? `•••${to.slice(-2)}` : '•••';
}
