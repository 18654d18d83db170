import { NEGATIONS, SearchLanguage, STOP_WORDS } from './language';
import { allowedTypos, words } from './text';
import type { SearchDocument } from './types';

/**
 * Query spelling correction shared by both engines. Engines tolerate one typo from 4 letters and
 * two from 8 (their own rules); a word that still matches nothing in the corpus, such as "pasky",
 * is replaced by the closest known word within two edits, and the page says so
 * ("Showing results for passkey").
 */
export class SpellingCorrector {
  private readonly frequency = new Map<string, number>();
  private readonly sorted: string[];
  private readonly language: SearchLanguage;

  /** `texts`: the corpus; the language's words (synonyms, contractions) count as known too. */
  constructor(texts: Iterable<string>, language: SearchLanguage = new SearchLanguage()) {
    this.language = language;
    for (const text of texts) for (const w of words(text)) this.frequency.set(w, (this.frequency.get(w) ?? 0) + 1);
    for (const w of language.vocabulary()) if (!this.frequency.has(w)) this.frequency.set(w, 1);
    this.sorted = [...this.frequency.keys()].sort();
  }

  /**
   * The corrected query, or undefined when every word is known (or nothing better exists). Known
   * words, contractions ("cant") and the synonym table's words are never changed, and a word that
   * says "not" keeps saying it ("unauthorized" never becomes "authorized").
   */
  correct(query: string): string | undefined {
    let changed = false;
    const corrected = words(query).map((word) => {
      if (this.isKnown(word) || STOP_WORDS.has(word) || NEGATIONS.has(word) || /^\d+$/.test(word) || word.length < 4) return word;
      const better = this.closest(word);
      if (better) changed = true;
      return better ?? word;
    });
    return changed ? corrected.map((w) => this.language.display(w)).join(' ') : undefined;
  }

  private isKnown(word: string) {
    if (this.frequency.has(word)) return true;
    // A prefix of a known word counts as known (search-as-you-type, "passk").
    const i = lowerBound(this.sorted, word);
    return i < this.sorted.length && this.sorted[i]!.startsWith(word);
  }

  private closest(word: string): string | undefined {
    // Words the engines would already match are not "misspelled"; look one edit further.
    const budget = Math.max(2, allowedTypos(word));
    const negatingPrefix = NEGATING_PREFIXES.find((p) => word.startsWith(p) && word.length - p.length >= 4);
    let best: { word: string; distance: number; frequency: number; negation: boolean } | undefined;
    for (const [candidate, frequency] of this.frequency) {
      if (Math.abs(candidate.length - word.length) > budget) continue;
      // A negating prefix stays: "unathorized" may become "unauthorized", never "authorized".
      if (negatingPrefix && !candidate.startsWith(negatingPrefix)) continue;
      const distance = editDistance(word, candidate, budget);
      if (distance > budget) continue;
      // At the same distance a negation wins ("cnat" → "can't", not "chat"): dropping a "not"
      // reverses a question, adding one only widens it.
      const negation = NEGATIONS.has(candidate);
      const better =
        !best ||
        distance < best.distance ||
        (distance === best.distance && ((negation && !best.negation) || (negation === best.negation && frequency > best.frequency)));
      if (better) best = { word: candidate, distance, frequency, negation };
    }
    return best?.word;
  }
}

// Prefixes that turn a word into its opposite: a correction must keep them.
const NEGATING_PREFIXES = ['un', 'non', 'dis', 'in'];

function lowerBound(sorted: string[], value: string) {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Optimal string alignment distance (Damerau–Levenshtein without repeated edits), capped. */
export function editDistance(a: string, b: string, cap = Infinity): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  let prev2 = new Array<number>(cols).fill(0);
  let prev = Array.from({ length: cols }, (_, j) => j);
  for (let i = 1; i < rows; i++) {
    const current = new Array<number>(cols);
    current[0] = i;
    let rowMin = i;
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(prev[j]! + 1, current[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, prev2[j - 2]! + 1);
      current[j] = value;
      rowMin = Math.min(rowMin, value);
    }
    if (rowMin > cap) return cap + 1;
    prev2 = prev;
    prev = current;
  }
  return prev[cols - 1]!;
}

/** The corrector for a corpus: its vocabulary is every word of the indexed fields, plus the language's. */
export function correctorFor(documents: SearchDocument[], language?: SearchLanguage): SpellingCorrector {
  return new SpellingCorrector(documents.flatMap((d) => [d.title, d.summary, d.body, d.tags.join(' ')]), language);
}
