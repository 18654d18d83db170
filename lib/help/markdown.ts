import type { Blockquote, Paragraph, Root } from 'mdast';
import { toString } from 'mdast-util-to-string';
import rehypeSanitize, { defaultSchema, type Options as SanitizeSchema } from 'rehype-sanitize';
import rehypeStringify from 'rehype-stringify';
import remarkGfm from 'remark-gfm';
import remarkParse from 'remark-parse';
import remarkRehype from 'remark-rehype';
import { unified } from 'unified';
import { visit } from 'unist-util-visit';

/**
 * Article Markdown → safe HTML. Raw HTML in an article is dropped (remark-rehype without
 * allowDangerousHtml), and the result is sanitized again against an allow-list, so neither a
 * careless article nor a hostile one can inject markup or script.
 */

const CALLOUTS = { NOTE: 'Note', TIP: 'Tip', WARNING: 'Warning', IMPORTANT: 'Important', CAUTION: 'Caution' } as const;
type CalloutKind = keyof typeof CALLOUTS;
const CALLOUT_MARKER = /^\[!(NOTE|TIP|WARNING|IMPORTANT|CAUTION)\]\s*/;

/** GitHub-style alerts (`> [!NOTE]`) become <aside class="callout callout-note"> with a title. */
function remarkCallouts() {
  return (tree: Root) => {
    visit(tree, 'blockquote', (node: Blockquote) => {
      const first = node.children[0];
      if (first?.type !== 'paragraph') return;
      const lead = first.children[0];
      if (lead?.type !== 'text') return;
      const match = CALLOUT_MARKER.exec(lead.value);
      if (!match) return;
      const kind = match[1] as CalloutKind;
      lead.value = lead.value.slice(match[0].length);
      if (lead.value === '' ) first.children.shift();
      if (first.children[0]?.type === 'break') first.children.shift();
      if (first.children.length === 0) node.children.shift();
      const title: Paragraph = {
        type: 'paragraph',
        children: [{ type: 'text', value: CALLOUTS[kind] }],
        data: { hProperties: { className: ['callout-title'] } },
      };
      node.children.unshift(title);
      node.data = { hName: 'aside', hProperties: { className: ['callout', `callout-${kind.toLowerCase()}`] } };
    });
  };
}

const schema: SanitizeSchema = {
  ...defaultSchema,
  clobberPrefix: 'md-',
  tagNames: [...(defaultSchema.tagNames ?? []), 'aside'],
  attributes: {
    ...defaultSchema.attributes,
    aside: [['className', 'callout', 'callout-note', 'callout-tip', 'callout-warning', 'callout-important', 'callout-caution']],
    p: [['className', 'callout-title']],
  },
  protocols: { ...defaultSchema.protocols, href: ['http', 'https', 'mailto'] },
};

const parser = unified().use(remarkParse).use(remarkGfm);

const processor = unified()
  .use(remarkParse)
  .use(remarkGfm)
  .use(remarkCallouts)
  .use(remarkRehype)
  .use(rehypeSanitize, schema)
  .use(rehypeStringify);

export function renderMarkdown(markdown: string): string {
  return String(processor.processSync(markdown));
}

/**
 * One parse for what the help center needs besides HTML: plain text for the search index (no
 * markup, no callout markers) and the links to other articles (`/articles/<slug>`).
 */
export function analyzeMarkdown(markdown: string): { text: string; articleLinks: string[] } {
  const tree = parser.parse(markdown);
  const blocks: string[] = [];
  const articleLinks: string[] = [];
  // Every piece of text (and so every link) sits in a paragraph, heading or table cell.
  visit(tree, ['paragraph', 'heading', 'tableCell'], (block) => {
    blocks.push(toString(block).replace(CALLOUT_MARKER, ''));
    visit(block, 'link', (link) => {
      const match = /^\/articles\/([a-z0-9-]+)(?:[#?].*)?$/.exec(link.url);
      if (match) articleLinks.push(match[1]!);
    });
    return 'skip';
  });
  return { text: blocks.join(' ').replace(/\s+/g, ' ').trim(), articleLinks };
}
