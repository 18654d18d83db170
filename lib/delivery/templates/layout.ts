/**
 * The HTML every security mail shares (codes, notices, tickets, appointments). `emailLayout` returns
 * a whole document: the product name and heading on top, the mail's opening paragraphs under them,
 * the mail's own sections as complete table rows, then the footer. Every piece a message builds is
 * itself closed, so no template ever hands the frame half a table.
 *
 * Escaping lives here too: plain text goes through `escapeHtml` (the helpers below do it), and only
 * markup built by these helpers is passed on as HTML.
 */

export const PRODUCT = 'Regain';

export function escapeHtml(value: string): string {
  return value.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&#39;', '"': '&quot;' })[c]!);
}

export function escapeXml(value: string): string {
  return value.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
}

/** Inline styles, because many mail clients drop `<style>` rules. */
export const STYLE = {
  para: 'margin:0 0 16px;font-size:16px;line-height:24px;color:#1f2937;',
  small: 'margin:0 0 8px;font-size:14px;line-height:21px;color:#374151;',
  smallLast: 'margin:0;font-size:14px;line-height:21px;color:#374151;',
  mono: "'SFMono-Regular',Menlo,Consolas,'Liberation Mono',monospace",
} as const;

/** One section of a mail: a complete table row with its own padding around already-built HTML. */
export type EmailSection = { padding: string; html: string };

export function section(padding: string, html: string): EmailSection {
  return { padding, html };
}

export function emailLayout(options: {
  subject: string;
  preheader: string;
  heading: string;
  /** HTML that follows the heading in the first cell, built with the helpers below. */
  intro: string;
  sections?: EmailSection[];
}): string {
  const { subject, preheader, heading, intro, sections = [] } = options;
  const footer = section(
    '0 28px 28px',
    `<p style="margin:0;font-size:12px;line-height:18px;color:#6b7280;">This is an automatic security message from ${PRODUCT}. Replies are not read.</p>\n`,
  );
  const rows = [...sections, footer].map(({ padding, html }) => `<tr><td class="pad" style="padding:${padding};">\n${html}</td></tr>\n`).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>${escapeHtml(subject)}</title>
<style>
@media (max-width: 480px) {
  .outer { padding: 8px 0 !important; }
  .pad { padding-left: 18px !important; padding-right: 18px !important; }
}
</style>
</head>
<body style="margin:0;padding:0;background-color:#f3f4f6;">
<div style="display:none;max-height:0;overflow:hidden;opacity:0;">${escapeHtml(preheader)}</div>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background-color:#f3f4f6;">
<tr><td class="outer" align="center" style="padding:24px 12px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="max-width:560px;background-color:#ffffff;border:1px solid #e5e7eb;border-radius:12px;font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;">
<tr><td class="pad" style="padding:28px 28px 8px;">
<p style="margin:0 0 20px;font-size:15px;font-weight:700;letter-spacing:0.02em;color:#1d4ed8;">${PRODUCT}</p>
<h1 style="margin:0 0 16px;font-size:22px;line-height:30px;font-weight:700;color:#111827;">${escapeHtml(heading)}</h1>
${intro}</td></tr>
${rows}</table>
</td></tr>
</table>
</body>
</html>
`;
}

/** A body paragraph of plain text. */
export const para = (text: string) => `<p style="${STYLE.para}">${escapeHtml(text)}</p>`;

/** A smaller paragraph of plain text (instructions, fine print). */
export const small = (text: string) => `<p style="${STYLE.small}">${escapeHtml(text)}</p>`;

/** "<strong>When:</strong> 1 May 2026 at 10:07 UTC" as a small paragraph. */
export const labelled = (label: string, text: string) => `<p style="${STYLE.small}"><strong>${escapeHtml(label)}</strong> ${escapeHtml(text)}</p>`;

/**
 * The amber "Wasn't you?" box that closes every mail: one small paragraph per line of plain text,
 * the last without a bottom margin.
 */
export function wasntYouBox(lines: string[]): string {
  const last = lines.length - 1;
  const paragraphs = lines.map((line, i) => `<p style="${i === last ? STYLE.smallLast : STYLE.small}">${escapeHtml(line)}</p>`).join('\n');
  return `<div style="padding:16px;border:1px solid #fcd34d;background-color:#fffbeb;border-radius:8px;">
<h2 style="margin:0 0 8px;font-size:16px;line-height:24px;font-weight:700;color:#92400e;">Wasn&#39;t you?</h2>
${paragraphs}
</div>
`;
}
