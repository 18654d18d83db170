import type { TextSegment } from './types';

/** Words as both engines see them: runs of letters and digits, lower-cased. */
export const WORD = /[\p{L}\p{N}]+/gu;

// An apostrophe inside a word joins it: "can't" and "cant" are one word to both engines and to the
// spelling corrector, so a missing apostrophe is not a typo.
const INNER_APOSTROPHE = /(?<=\p{L})['’](?=\p{L})/gu;

export function words(text: string): string[] {
  return text.toLowerCase().replace(INNER_APOSTROPHE, '').match(WORD) ?? [];
}

/**
 * The typo budget both engines use (Meilisearch: typoTolerance.minWordSizeForTypos 4 / 8):
 * one typo from 4 letters, two from 8; error codes and other numbers must match exactly.
 */
export function allowedTypos(term: string): number {
  if (/^\d+$/.test(term)) return 0;
  if (term.length >= 8) return 2;
  if (term.length >= 4) return 1;
  return 0;
}

/**
 * Splits `text` into segments, highlighting every word for which `isMatch` is true.
 * Everything outside words (spaces, punctuation, markup-looking characters) stays plain text.
 */
export function highlightWords(text: string, isMatch: (word: string) => boolean): TextSegment[] {
  const segments: TextSegment[] = [];
  let last = 0;
  for (const m of text.matchAll(WORD)) {
    if (!isMatch(m[0].toLowerCase())) continue;
    if (m.index > last) segments.push({ text: text.slice(last, m.index), highlight: false });
    segments.push({ text: m[0], highlight: true });
    last = m.index + m[0].length;
  }
  if (last < text.length) segments.push({ text: text.slice(last), highlight: false });
  return mergePlain(segments);
}

function mergePlain(segments: TextSegment[]): TextSegment[] {
  const out: TextSegment[] = [];
  for (const s of segments) {
    const prev = out[out.length - 1];
    if (prev && !prev.highlight && !s.highlight) prev.text += s.text;
    else out.push({ ...s });
  }
  return out;
}

/**
 * A window of about `size` words around the first highlighted word (or the start), with an
 * ellipsis where text was cut.
 */
export function cropAroundFirstMatch(segments: TextSegment[], size = 30): TextSegment[] {
  const tokens: { text: string; highlight: boolean; isWord: boolean }[] = [];
  for (const s of segments) {
    if (s.highlight) tokens.push({ text: s.text, highlight: true, isWord: true });
    else for (const part of s.text.split(/(\s+)/)) if (part) tokens.push({ text: part, highlight: false, isWord: !/^\s+$/.test(part) });
  }
  const wordIdx = tokens.flatMap((t, i) => (t.isWord ? [i] : []));
  if (wordIdx.length <= size) return segments;
  const firstMatch = wordIdx.findIndex((i) => tokens[i]!.highlight);
  const startWord = Math.max(0, Math.min((firstMatch < 0 ? 0 : firstMatch) - Math.floor(size / 4), wordIdx.length - size));
  const from = wordIdx[startWord]!;
  const to = wordIdx[startWord + size - 1]!;
  const window = tokens.slice(from, to + 1);
  const result: TextSegment[] = [];
  if (startWord > 0) result.push({ text: '…', highlight: false });
  for (const t of window) result.push({ text: t.text, highlight: t.highlight });
  if (startWord + size < wordIdx.length) result.push({ text: '…', highlight: false });
  return mergePlain(result).map(fixEllipsisSpacing);
}

function fixEllipsisSpacing(segment: TextSegment, index: number, all: TextSegment[]): TextSegment {
  if (segment.highlight) return segment;
  let text = segment.text;
  if (index === 0 && text.startsWith('…')) text = text.replace(/^…\s*/, '… ');
  if (index === all.length - 1 && text.endsWith('…')) text = text.replace(/\s*…$/, ' …');
  return { ...segment, text };
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string) {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** The only place highlight markup is written: every piece of text is escaped first. */
export function segmentsToHtml(segments: TextSegment[]): string {
  return segments.map((s) => (s.highlight ? `<mark>${escapeHtml(s.text)}</mark>` : escapeHtml(s.text))).join('');
}

export function plainText(segments: TextSegment[]) {
  return segments.map((s) => s.text).join('');
}
