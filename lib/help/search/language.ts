import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { words } from './text';

/**
 * How both search engines read a query: contractions, words that carry no topic, and the synonym
 * table in content/_synonyms.yml. One home, so the embedded engine (query expansion) and
 * Meilisearch (its `synonyms` setting, and the same terms sent) answer the same question.
 */

export const SYNONYMS_FILE = '_synonyms.yml';

/** Longest synonym entry, in words: longer phrases are rare and slow down matching for nothing. */
const MAX_PHRASE = 3;

/**
 * Negations as `words` sees them ("can't" and "cant" are both "cant"), and how a correction writes
 * them. "Can't sign in" and "didn't get the code" are questions about something that went wrong,
 * and the articles that answer them say so with any negation ("Didn't get your SMS verification
 * code?", "doesn't arrive"). So every negation is one term to both engines, NEGATION, matching
 * any other; and the corrector never touches one: "cant" → "can" would reverse the question.
 */
export const NEGATIONS: ReadonlyMap<string, string> = new Map(
  Object.entries({
    cant: "can't", cannot: 'cannot', dont: "don't", doesnt: "doesn't", didnt: "didn't", wont: "won't", isnt: "isn't",
    arent: "aren't", wasnt: "wasn't", werent: "weren't", havent: "haven't", hasnt: "hasn't", hadnt: "hadn't",
    couldnt: "couldn't", wouldnt: "wouldn't", shouldnt: "shouldn't", aint: "ain't", not: 'not', no: 'no', never: 'never',
  }),
);

/** The one term that stands for every negation, in queries and (embedded engine) in the index. */
export const NEGATION = 'not';

/** Every way an article writes a negation, for Meilisearch, which keeps "can't" as one word (see meilisearch.ts). */
export const NEGATION_FORMS: readonly string[] = [...new Set([...NEGATIONS.keys(), ...NEGATIONS.values()])].filter((f) => f !== NEGATION);

/** Other contractions as `words` sees them: known words, never corrected, written back with the apostrophe. */
const CONTRACTIONS: ReadonlyMap<string, string> = new Map(
  Object.entries({ im: "I'm", ive: "I've", youre: "you're", youve: "you've", thats: "that's", whats: "what's", theres: "there's" }),
);

// Words too common to narrow a search; neither engine requires them.
export const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    'a about already also am an and any anymore anyone anything anyway are as at be been but by can could do does even ever everyone for ' +
    'from get gets getting got had has have how i if im in into is it its ive just like me mean means meaning my need of on or our please ' +
    'really so some someone something still than that the their them then there these they think this those to us vs versus want was we ' +
    'were what whats when where which who why will with would you your youre'
  ).split(' '),
);

const phraseLength = (s: string) => words(s).length > 0 && words(s).length <= MAX_PHRASE;
const PHRASE_MESSAGE = `must be 1 to ${MAX_PHRASE} words`;
const entry = z.string().refine(phraseLength, { message: PHRASE_MESSAGE });
const tableSchema = z
  .object({
    same: z.array(z.array(entry).min(2)).default([]),
    also: z
      .record(z.string(), z.array(entry).min(1))
      .superRefine((also, ctx) => {
        for (const key of Object.keys(also)) if (!phraseLength(key)) ctx.addIssue({ code: 'custom', path: [key], message: PHRASE_MESSAGE });
      })
      .default({}),
  })
  .strict();

export type SynonymTable = z.input<typeof tableSchema>;

/**
 * One part of a query: the words as typed (a word, or a phrase from the table) and what else may
 * stand for them. `exact`: no typos or prefixes (the negation term: "not" must not find "note").
 */
export type QueryGroup = { words: string[]; alternatives: string[][]; exact?: boolean };

export class SearchLanguage {
  /** Phrase (words joined by one space) → the phrases that may stand for it, each as words. */
  private readonly expansions = new Map<string, string[][]>();

  constructor(table: SynonymTable = {}) {
    const parsed = tableSchema.parse(table);
    const add = (from: string, to: string) => {
      const key = words(from).join(' ');
      const value = words(to);
      if (value.join(' ') === key) return;
      const list = this.expansions.get(key) ?? [];
      if (!list.some((v) => v.join(' ') === value.join(' '))) list.push(value);
      this.expansions.set(key, list);
    };
    for (const group of parsed.same) for (const a of group) for (const b of group) add(a, b);
    for (const [from, targets] of Object.entries(parsed.also)) for (const to of targets) add(from, to);
  }

  /**
   * The query as both engines search it: phrases of the table first (longest wins), then single
   * words; stop words dropped, and any negation as one NEGATION term at the end (Meilisearch drops
   * words from the end first when nothing matches them all).
   */
  analyze(text: string, maxWords = 12): QueryGroup[] {
    const all = words(text).slice(0, maxWords);
    const groups: QueryGroup[] = [];
    let negated = false;
    for (let i = 0; i < all.length; ) {
      let matched = 0;
      for (let n = Math.min(MAX_PHRASE, all.length - i); n >= 1 && !matched; n--) {
        const phrase = all.slice(i, i + n);
        const alternatives = this.expansions.get(phrase.join(' '));
        if (alternatives && (n > 1 || !isFiller(phrase[0]!))) {
          groups.push({ words: phrase, alternatives });
          matched = n;
        }
      }
      if (!matched) {
        const word = all[i]!;
        if (NEGATIONS.has(word)) negated = true;
        else if (!isFiller(word)) groups.push({ words: [word], alternatives: this.expansions.get(word) ?? [] });
        matched = 1;
      }
      i += matched;
    }
    if (groups.length > 0) return negated ? [...groups, { words: [NEGATION], alternatives: [], exact: true }] : groups;
    // Only fillers ("how do i"): search for them rather than for nothing.
    return all.filter((w) => !NEGATIONS.has(w)).map((w) => ({ words: [w], alternatives: this.expansions.get(w) ?? [] }));
  }

  /** The words a server engine is sent: what the person typed, minus fillers; it expands synonyms itself. */
  terms(text: string, maxWords = 12): string[] {
    return this.analyze(text, maxWords).flatMap((g) => g.words);
  }

  /** The table as Meilisearch's `synonyms` setting: each phrase and what it also finds. */
  meilisearchSynonyms(): Record<string, string[]> {
    return {
      ...Object.fromEntries([...this.expansions].map(([key, alternatives]) => [key, alternatives.map((a) => a.join(' '))])),
      [NEGATION]: [...NEGATION_FORMS],
    };
  }

  /** Words the spelling corrector must take as known: every word of the table, and every contraction. */
  vocabulary(): string[] {
    const fromTable = [...this.expansions].flatMap(([key, alternatives]) => [...key.split(' '), ...alternatives.flat()]);
    return [...new Set([...fromTable, ...NEGATIONS.keys(), ...CONTRACTIONS.keys()])];
  }

  /** How a corrected query writes a word: contractions get their apostrophe back ("cant" → "can't"). */
  display(word: string): string {
    return NEGATIONS.get(word) ?? CONTRACTIONS.get(word) ?? word;
  }

  get size() {
    return this.expansions.size;
  }
}

/** A word no engine requires: a negation (searched as NEGATION instead), a stop word or another contraction. */
export function isFiller(word: string) {
  return NEGATIONS.has(word) || STOP_WORDS.has(word) || CONTRACTIONS.has(word);
}

/**
 * The language of a content folder: its `_synonyms.yml`, validated (a mistake names the file and the
 * entry), or no synonyms when the folder has none.
 */
export function loadSearchLanguage(contentDir: string): SearchLanguage {
  const file = path.join(contentDir, SYNONYMS_FILE);
  if (!existsSync(file)) return new SearchLanguage();
  let data: unknown;
  try {
    data = parseYaml(readFileSync(file, 'utf8')) ?? {};
  } catch (error) {
    throw new Error(`${SYNONYMS_FILE}: not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  const parsed = tableSchema.safeParse(data);
  if (!parsed.success) throw new Error(`${SYNONYMS_FILE}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'file'} ${i.message}`).join('; ')}`);
  return new SearchLanguage(parsed.data);
}
