export const CATEGORIES = ['faq', 'announcements', 'product-documents'] as const;
export type Category = (typeof CATEGORIES)[number];

export const CATEGORY_LABELS: Record<Category, string> = {
  faq: 'FAQ',
  announcements: 'Announcements',
  'product-documents': 'Product documents',
};

export function isCategory(value: unknown): value is Category {
  return typeof value === 'string' && (CATEGORIES as readonly string[]).includes(value);
}
