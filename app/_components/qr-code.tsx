'use client';

import { encode } from 'uqr';

/** A QR code as one SVG path: dark modules only, crisp at any size, no inline script or style. */
export function QrCode({ value, label }: { value: string; label: string }) {
  const { data, size } = encode(value, { ecc: 'M', border: 2 });
  let path = '';
  data.forEach((row, y) =>
    row.forEach((dark, x) => {
      if (dark) path += `M${x} ${y}h1v1h-1z`;
    }),
  );
  return (
    <svg viewBox={`0 0 ${size} ${size}`} role="img" aria-label={label} className="h-48 w-48 rounded-lg bg-white" shapeRendering="crispEdges">
      <path d={path} fill="#111827" />
    </svg>
  );
}
