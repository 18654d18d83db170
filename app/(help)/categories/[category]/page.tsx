import type { Metadata } from 'next';
import { CATEGORIES, CATEGORY_LABELS, isCategory } from '@/lib/help/categories';

// The home page with one category's tab open: the same page, prerendered once per category.
export { default } from '../../page';

export const dynamicParams = false;

export function generateStaticParams() {
  return CATEGORIES.map((category) => ({ category }));
}

export async function generateMetadata({ params }: { params: Promise<{ category: string }> }): Promise<Metadata> {
  const { category } = await params;
  return { title: isCategory(category) ? CATEGORY_LABELS[category] : 'Help center' };
}
