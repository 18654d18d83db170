import { describe, expect, it } from 'vitest';
import { EmbeddedSearchEngine } from '@/lib/help/search/embedded';
import { allowedTypos } from '@/lib/help/search/text';
import { searchEngineContract, shippedLanguage } from '../contract/search-engine';

searchEngineContract('embedded', async () => new EmbeddedSearchEngine({ language: shippedLanguage() }));

describe('embedded engine typo budget', () => {
  it.each([
    ['key', 0],
    ['code', 1],
    ['passkey', 1],
    ['recovery', 2],
    ['authenticator', 2],
    ['50162', 0],
  ])('%s allows %i typos', (term, typos) => {
    expect(allowedTypos(term)).toBe(typos);
  });
});
