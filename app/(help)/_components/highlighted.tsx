import type { TextSegment } from '@/lib/help/search/types';

/** Highlighted text rendered as React elements: text is never parsed as markup. */
export function Highlighted({ segments }: { segments: TextSegment[] }) {
  return (
    <>
      {segments.map((segment, i) => (segment.highlight ? <mark key={i}>{segment.text}</mark> : <span key={i}>{segment.text}</span>))}
    </>
  );
}
