import { randomBytes } from 'node:crypto';
import {
  Meilisearch,
  MeilisearchApiError,
  MeilisearchRequestError,
  MeilisearchRequestTimeOutError,
  MeilisearchTaskTimeOutError,
  type EnqueuedTaskPromise,
  type Hit,
  type MatchingStrategies,
  type MultiSearchQuery,
  type SearchResponse,
  type Settings,
  type Task,
} from 'meilisearch';
import { CATEGORIES, isCategory, type Category } from '../categories';
import { isFiller, NEGATIONS, SearchLanguage } from './language';
import { WORD, words } from './text';
import type { SearchDocument, SearchEngine, SearchHit, SearchQuery, SearchResult, Suggestion, TextSegment } from './types';

/**
 * The server engine: an adapter over a Meilisearch (1.21+) index. Meilisearch's request and
 * response shapes stay in this file; callers see `SearchEngine` only.
 *
 * - `index()` builds a fresh index under a temporary name, then swaps it with the live one in a
 *   single task, so searches see either the old or the new corpus, never a half-built one.
 * - `search()` is one HTTP round-trip (a multi-search when a category is selected: the page of
 *   hits with the filter, plus a zero-hit facet query without it for the tab counts).
 * - Highlights use private-use characters as tags and are turned into `TextSegment[]` here, so
 *   no markup from Meilisearch (or from articles) ever reaches the page as markup.
 */

export type MeilisearchEngineOptions = {
  url: string;
  apiKey?: string;
  /** Live index uid (default 'articles'); `<indexName>_meta` holds the content hash. */
  indexName?: string;
  /** Per-HTTP-request timeout (default 5 s), so an unreachable server fails instead of hanging. */
  requestTimeoutMs?: number;
  /** How long to wait for one indexing task (default 120 s). */
  taskTimeoutMs?: number;
  /** Contractions and synonyms, shared with the embedded engine (`loadSearchLanguage`); none by default. */
  language?: SearchLanguage;
};

/** Every failure of this engine, with a message that says what to check; the client's error is the `cause`. */
export class MeilisearchEngineError extends Error {
  override name = 'MeilisearchEngineError';
}

/**
 * What is stored per article: tags as an array, text fields free of our highlight tags, and
 * `titleWords`, the title without stop words ("What is a passkey?" → "passkey"), searched first
 * and never shown (see `meilisearchSettings`).
 */
type MeiliDocument = SearchDocument & { titleWords: string };
type MetaDocument = { id: 'corpus'; contentHash: string | null; documents: number; indexedAt: string };

// Private-use characters: they cannot occur in article text (stripped on indexing) or in queries
// (only letters and digits are sent), so they delimit highlights unambiguously.
const PRE = '\uE000';
const POST = '\uE001';
const TAGS = /[\uE000\uE001]/g;

const CROP_WORDS = 30;
const MAX_QUERY_TERMS = 12;
const META_ID = 'corpus';

/** Desired index settings. Applied to every freshly built index, and diffed on `ensureSettings`. */
export function meilisearchSettings(language: SearchLanguage = new SearchLanguage()): Settings {
  return {
    // Order is the attribute ranking: title above tags above summary above body. `titleWords` is
    // the title without stop words: a title that is little more than the query then has it at the
    // start and, when it is all of it, exactly ("passkey" → "What is a passkey?"), which the
    // attribute (word position) and exactness rules reward. The embedded engine's TITLE_FIT.
    searchableAttributes: ['titleWords', 'title', 'tags', 'summary', 'body'],
    // The attribute rule right after "words": a match in a title outranks the same words close
    // together in a body, as the embedded engine's field boosts do. Measured on the judged set
    // (npm run eval:search) when chosen, all else equal: hit@3 77 % with the default order, 83 %
    // with this one.
    rankingRules: ['words', 'attribute', 'typo', 'proximity', 'sort', 'exactness'],
    displayedAttributes: ['slug', 'title', 'summary', 'body', 'category', 'published', 'updated'],
    filterableAttributes: ['category'],
    sortableAttributes: ['published', 'updated'],
    // Same budget as `allowedTypos` in text.ts: one typo from 4 letters, two from 8, numbers exact.
    typoTolerance: { enabled: true, minWordSizeForTypos: { oneTypo: 4, twoTypos: 8 }, disableOnNumbers: true },
    // content/_synonyms.yml, as the embedded engine expands queries with it.
    synonyms: language.meilisearchSynonyms(),
    // "can't" stays one word, so the negation synonyms (language.ts NEGATION_FORMS) can find it;
    // split at the apostrophe it would be "can" + "t", and "can" is what a question like "cant
    // sign in" must never be read as.
    nonSeparatorTokens: ["'", '’'],
    // Stop words are stripped from queries here (like the embedded engine), not by the server.
    stopWords: [],
    // Exact totals for pagination and tabs on corpora far larger than ours.
    pagination: { maxTotalHits: 10_000 },
    faceting: { maxValuesPerFacet: 100 },
  };
}

export class MeilisearchSearchEngine implements SearchEngine {
  readonly name = 'meilisearch' as const;
  readonly indexName: string;
  readonly metaIndexName: string;
  private readonly client: Meilisearch;
  private readonly url: string;
  private readonly taskTimeoutMs: number;
  private readonly language: SearchLanguage;

  constructor({ url, apiKey, indexName = 'articles', requestTimeoutMs = 5_000, taskTimeoutMs = 120_000, language = new SearchLanguage() }: MeilisearchEngineOptions) {
    if (!/^[A-Za-z0-9_-]{1,300}$/.test(indexName)) {
      throw new Error(`Invalid Meilisearch index name "${indexName}": use letters, digits, "-" and "_" only.`);
    }
    this.url = url;
    this.indexName = indexName;
    this.metaIndexName = `${indexName}_meta`;
    this.taskTimeoutMs = taskTimeoutMs;
    this.language = language;
    this.client = new Meilisearch({
      host: url,
      apiKey,
      timeout: requestTimeoutMs,
      // Uncompressed answers: with gzip/br, Meilisearch 1.21 streams the body in pieces and Node's
      // fetch then waits ~40 ms per request (delayed ACK); measured 44 ms → 1.5 ms p50 locally.
      // Our answers are small (cropped snippets, ids), so compression saves little.
      requestInit: { headers: { 'Accept-Encoding': 'identity' } },
      defaultWaitOptions: { timeout: taskTimeoutMs, interval: 25 },
    });
  }

  /** Replaces the whole corpus (and forgets any stored content hash). */
  async index(documents: SearchDocument[]): Promise<void> {
    await this.replaceCorpus(documents, null);
  }

  /**
   * Builds `<index>__build_<random>` with settings and documents, then swaps it with the live
   * index (or renames it into place the first time) and deletes the old one. The live index
   * keeps serving the previous corpus until the swap task, which is atomic, completes.
   */
  async replaceCorpus(documents: SearchDocument[], contentHash: string | null): Promise<void> {
    const seen = new Set<string>();
    for (const { slug } of documents) {
      if (seen.has(slug)) throw new MeilisearchEngineError(`Meilisearch index: two documents share the slug "${slug}"`);
      seen.add(slug);
    }
    const building = `${this.indexName}__build_${randomBytes(4).toString('hex')}`;
    let created = false;
    try {
      await this.run(`create index ${building}`, () => this.client.createIndex(building, { primaryKey: 'slug' }));
      created = true;
      await this.deleteAbandonedBuilds(building);
      // Settings first: documents are then indexed once, with the final configuration.
      await this.run(`apply settings to ${building}`, () => this.client.index(building).updateSettings(meilisearchSettings(this.language)));
      const prepared = documents.map(toMeiliDocument);
      for (let i = 0; i < prepared.length; i += 1000) {
        const batch = prepared.slice(i, i + 1000);
        const task = await this.run(`add ${batch.length} documents to ${building}`, () => this.client.index<MeiliDocument>(building).addDocuments(batch));
        const indexed = task.details?.indexedDocuments;
        if (typeof indexed === 'number' && indexed !== batch.length) {
          throw new MeilisearchEngineError(`Meilisearch indexed ${indexed} of ${batch.length} documents in ${building} (duplicate slugs?)`);
        }
      }

      if (await this.indexExists(this.indexName)) {
        await this.run(`swap ${building} with ${this.indexName}`, () =>
          this.client.swapIndexes([{ indexes: [this.indexName, building], rename: false }]),
        );
      } else {
        await this.run(`rename ${building} to ${this.indexName}`, () =>
          this.client.swapIndexes([{ indexes: [building, this.indexName], rename: true }]),
        );
      }
      await this.writeMeta({ id: META_ID, contentHash, documents: documents.length, indexedAt: new Date().toISOString() });
    } finally {
      // After a swap this holds the previous corpus; after a failure, the half-built one.
      // Waited for, so the server holds only the live index (and its meta) once this returns.
      if (created) await this.client.deleteIndex(building).waitTask({ timeout: this.taskTimeoutMs }).catch(() => undefined);
    }
  }

  async search({ query, page, pageSize, category }: SearchQuery): Promise<SearchResult> {
    const safePage = Math.max(1, Math.floor(page) || 1);
    const safeSize = Math.max(0, Math.floor(pageSize) || 0);
    const empty: SearchResult = { hits: [], total: 0, page: safePage, pageSize: safeSize, categoryCounts: zeroCounts() };
    const terms = this.queryTerms(query);
    if (terms.length === 0) return empty;
    if (category !== undefined && !isCategory(category)) return empty;

    const pageQuery = (q: string, matchingStrategy: MatchingStrategies): MultiSearchQuery => ({
      indexUid: this.indexName,
      q,
      matchingStrategy,
      page: safePage,
      hitsPerPage: safeSize,
      attributesToRetrieve: ['slug', 'category', 'published', 'updated'],
      attributesToHighlight: ['title', 'summary', 'body'],
      attributesToCrop: ['summary', 'body'],
      cropLength: CROP_WORDS,
      cropMarker: '…',
      highlightPreTag: PRE,
      highlightPostTag: POST,
      ...(category ? { filter: `category = ${JSON.stringify(category)}` } : { facets: ['category'] }),
    });
    const facetQuery = (q: string, matchingStrategy: MatchingStrategies): MultiSearchQuery => ({
      indexUid: this.indexName,
      q,
      matchingStrategy,
      page: 1,
      hitsPerPage: 0,
      facets: ['category'],
    });

    // Every term must match; when none does, fall back to dropping terms from the end.
    const attempt = async (matchingStrategy: MatchingStrategies) => {
      const q = terms.join(' ');
      const queries = category ? [pageQuery(q, matchingStrategy), facetQuery(q, matchingStrategy)] : [pageQuery(q, matchingStrategy)];
      const { results } = await this.call('search', () => this.client.multiSearch<{ queries: MultiSearchQuery[] }, MeiliDocument>({ queries }));
      const paged = results[0];
      if (!paged) throw new MeilisearchEngineError(`Meilisearch search returned no results object (${this.url})`);
      return { paged, counts: countsFrom(results[1] ?? paged) };
    };
    let { paged, counts } = await attempt('all');
    if (sum(counts) === 0 && terms.length > 1) ({ paged, counts } = await attempt('last'));

    return {
      hits: paged.hits.map(toHit),
      total: paged.totalHits ?? 0,
      page: safePage,
      pageSize: safeSize,
      categoryCounts: counts,
    };
  }

  async suggest(prefix: string, limit: number): Promise<Suggestion[]> {
    const terms = this.queryTerms(prefix);
    const size = Math.max(0, Math.floor(limit) || 0);
    if (terms.length === 0 || size === 0) return [];
    const attempt = (matchingStrategy: MatchingStrategies) =>
      this.call('suggest', () =>
        this.client.index<MeiliDocument>(this.indexName).search(terms.join(' '), {
          matchingStrategy,
          limit: size,
          attributesToSearchOn: ['title', 'tags'],
          attributesToRetrieve: ['slug', 'category'],
          attributesToHighlight: ['title'],
          highlightPreTag: PRE,
          highlightPostTag: POST,
        }),
      );
    let response = await attempt('all');
    if (response.hits.length === 0 && terms.length > 1) response = await attempt('last');
    return response.hits.map((hit) => ({
      slug: hit.slug,
      category: hit.category,
      title: formattedSegments(hit._formatted?.title),
    }));
  }

  /**
   * Letters and digits only (no quotes, minus signs or other operators reach the server), without
   * stop words, any negation sent as the one negation term at the end: the embedded engine reads
   * the query the same way (lib/help/search/language.ts).
   */
  private queryTerms(text: string): string[] {
    return this.language.terms(text.slice(0, 1000), MAX_QUERY_TERMS);
  }

  /** Build indexes left by a process that died mid-build (over an hour old; newer ones may be in progress). */
  private async deleteAbandonedBuilds(current: string) {
    const prefix = `${this.indexName}__build_`;
    const { results } = await this.call('list indexes', () => this.client.getRawIndexes({ limit: 1000 }));
    const cutoff = Date.now() - 60 * 60 * 1000;
    for (const { uid, createdAt } of results) {
      if (uid.startsWith(prefix) && uid !== current && Date.parse(createdAt) < cutoff) {
        await this.client.deleteIndex(uid).catch(() => undefined); // enqueued; no need to wait
      }
    }
  }

  /** Applies `meilisearchSettings()` to the live index only where they differ. Returns whether it changed anything. */
  async ensureSettings(): Promise<boolean> {
    const desired = meilisearchSettings(this.language);
    const current = (await this.call('read settings', () => this.client.index(this.indexName).getSettings())) as Record<string, unknown>;
    const changed = Object.fromEntries(
      Object.entries(desired).filter(([key, value]) => !settingMatches(value, current[key], key)),
    ) as Settings;
    if (Object.keys(changed).length === 0) return false;
    await this.run(`update settings of ${this.indexName}`, () => this.client.index(this.indexName).updateSettings(changed));
    return true;
  }

  /** What `ensureMeilisearchIndex` needs to decide: the stored hash, and whether the live index exists. */
  async corpusState(): Promise<{ contentHash: string | null; live: boolean }> {
    const live = await this.indexExists(this.indexName);
    if (!live || !(await this.indexExists(this.metaIndexName))) return { contentHash: null, live };
    try {
      const meta = await this.client.index<MetaDocument>(this.metaIndexName).getDocument(META_ID);
      return { contentHash: typeof meta.contentHash === 'string' ? meta.contentHash : null, live };
    } catch (error) {
      if (error instanceof MeilisearchApiError && error.cause?.code === 'document_not_found') return { contentHash: null, live };
      throw this.describe('read the content hash', error);
    }
  }

  private async writeMeta(meta: MetaDocument) {
    if (!(await this.indexExists(this.metaIndexName))) {
      const task = await this.call(`create index ${this.metaIndexName}`, () =>
        this.client.createIndex(this.metaIndexName, { primaryKey: 'id' }).waitTask(),
      );
      // Another process may have created it in between: that is fine.
      if (task.status !== 'succeeded' && task.error?.code !== 'index_already_exists') this.assertSucceeded(`create index ${this.metaIndexName}`, task);
    }
    await this.run(`store the content hash in ${this.metaIndexName}`, () => this.client.index<MetaDocument>(this.metaIndexName).addDocuments([meta]));
  }

  private async indexExists(uid: string): Promise<boolean> {
    try {
      await this.client.getRawIndex(uid);
      return true;
    } catch (error) {
      if (error instanceof MeilisearchApiError && error.cause?.code === 'index_not_found') return false;
      throw this.describe(`look up index ${uid}`, error);
    }
  }

  /** Enqueues a task, waits for it and throws a descriptive error unless it succeeded. */
  private async run(what: string, enqueue: () => EnqueuedTaskPromise): Promise<Task> {
    const task = await this.call(what, () => enqueue().waitTask({ timeout: this.taskTimeoutMs }));
    this.assertSucceeded(what, task);
    return task;
  }

  private assertSucceeded(what: string, task: Task) {
    if (task.status === 'succeeded') return;
    const reason = task.error ? `${task.error.code}: ${task.error.message}` : `status ${task.status}`;
    throw new MeilisearchEngineError(`Meilisearch task ${task.uid} (${what}) ${task.status}: ${reason}`);
  }

  private async call<T>(what: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw this.describe(what, error);
    }
  }

  /** Turns client errors into messages that say what to check. */
  private describe(what: string, error: unknown): Error {
    if (error instanceof MeilisearchEngineError) return error;
    const where = `Meilisearch at ${this.url}`;
    if (error instanceof MeilisearchApiError) {
      const code = error.cause?.code ?? `HTTP ${error.response.status}`;
      const hint = ['missing_authorization_header', 'invalid_api_key'].includes(String(code)) || error.response.status === 401 || error.response.status === 403
        ? ' Check MEILISEARCH_API_KEY.'
        : '';
      return new MeilisearchEngineError(`Meilisearch ${what} failed (${where}): ${code}: ${error.message}.${hint}`, { cause: error });
    }
    // The client reports a request timeout as a request error caused by a timeout error.
    const timeout = error instanceof MeilisearchRequestTimeOutError ? error : error instanceof MeilisearchRequestError && error.cause instanceof MeilisearchRequestTimeOutError ? error.cause : undefined;
    if (timeout) {
      return new MeilisearchEngineError(`Meilisearch ${what} timed out after ${timeout.cause.timeout} ms (${where}). Is the server up and MEILISEARCH_URL right?`, { cause: error });
    }
    if (error instanceof MeilisearchTaskTimeOutError) {
      return new MeilisearchEngineError(`Meilisearch ${what}: task ${error.cause.taskUid} did not finish within ${error.cause.timeout} ms (${where}).`, { cause: error });
    }
    if (error instanceof MeilisearchRequestError) {
      return new MeilisearchEngineError(`Meilisearch ${what} failed: cannot reach ${where}. Is the server up and MEILISEARCH_URL right?`, { cause: error });
    }
    return new MeilisearchEngineError(`Meilisearch ${what} failed (${where}): ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/**
 * Re-indexes only when `contentHash` differs from the one stored in `<indexName>_meta` (or the live
 * index is missing); otherwise just makes sure the live index has the current settings.
 * Returns whether it re-indexed.
 */
export async function ensureMeilisearchIndex(engine: MeilisearchSearchEngine, documents: SearchDocument[], contentHash: string): Promise<boolean> {
  // The stored hash covers the document shape too, so an index built by older code (documents
  // without `titleWords`, say) is rebuilt even when no article changed.
  const stored = `${DOCUMENT_FORMAT}:${contentHash}`;
  const state = await engine.corpusState();
  if (state.live && state.contentHash === stored) {
    await engine.ensureSettings();
    return false;
  }
  await engine.replaceCorpus(documents, stored);
  return true;
}

/** Change whenever `toMeiliDocument` changes what is stored. */
const DOCUMENT_FORMAT = 'doc2';

// ── Query and result mapping ─────────────────────────────────────────────────

function toMeiliDocument(doc: SearchDocument): MeiliDocument {
  const clean = (s: string) => s.replace(TAGS, '');
  return {
    slug: doc.slug,
    titleWords: words(clean(doc.title)).filter((w) => !isFiller(w) || NEGATIONS.has(w)).join(' '),
    title: clean(doc.title),
    summary: clean(doc.summary),
    body: clean(doc.body),
    category: doc.category,
    tags: doc.tags.map(clean),
    published: doc.published,
    updated: doc.updated,
  };
}

function toHit(hit: Hit<MeiliDocument>): SearchHit {
  const formatted = hit._formatted ?? {};
  const body = formattedSegments(formatted.body);
  const source = body.some((s) => s.highlight) ? body : formattedSegments(formatted.summary);
  return {
    slug: hit.slug,
    title: formattedSegments(formatted.title),
    snippet: spaceEllipses(source),
    category: hit.category,
    published: hit.published,
    updated: hit.updated,
  };
}

/**
 * Parses Meilisearch's `_formatted` text (highlights between PRE and POST) into segments, widening
 * each highlight to whole words (Meilisearch marks only the matched prefix of a word).
 */
export function formattedSegments(formatted: unknown): TextSegment[] {
  if (typeof formatted !== 'string') return [];
  const raw: TextSegment[] = [];
  let highlight = false;
  let text = '';
  for (const ch of formatted) {
    if (ch === PRE || ch === POST) {
      if (text) raw.push({ text, highlight });
      text = '';
      highlight = ch === PRE;
    } else text += ch;
  }
  if (text) raw.push({ text, highlight });
  return widenToWords(raw);
}

function widenToWords(segments: TextSegment[]): TextSegment[] {
  const text = segments.map((s) => s.text).join('');
  const marked = new Uint8Array(text.length);
  let at = 0;
  for (const s of segments) {
    if (s.highlight) marked.fill(1, at, at + s.text.length);
    at += s.text.length;
  }
  const out: TextSegment[] = [];
  const push = (piece: string, highlight: boolean) => {
    if (!piece) return;
    const prev = out[out.length - 1];
    if (prev && prev.highlight === highlight && !highlight) prev.text += piece;
    else out.push({ text: piece, highlight });
  };
  let last = 0;
  for (const m of text.matchAll(WORD)) {
    const start = m.index;
    const end = start + m[0].length;
    if (!marked.subarray(start, end).includes(1)) continue;
    push(text.slice(last, start), false);
    push(m[0], true);
    last = end;
  }
  push(text.slice(last), false);
  return out;
}

/** "…word … word…" → "… word … word …", like `cropAroundFirstMatch`. */
function spaceEllipses(segments: TextSegment[]): TextSegment[] {
  return segments.map((segment, index, all) => {
    if (segment.highlight) return segment;
    let text = segment.text;
    if (index === 0 && text.startsWith('…')) text = text.replace(/^…\s*/, '… ');
    if (index === all.length - 1 && text.endsWith('…')) text = text.replace(/\s*…$/, ' …');
    return text === segment.text ? segment : { ...segment, text };
  });
}

function zeroCounts(): Record<Category, number> {
  return Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as Record<Category, number>;
}

function countsFrom(response: SearchResponse<MeiliDocument>): Record<Category, number> {
  const counts = zeroCounts();
  for (const [value, count] of Object.entries(response.facetDistribution?.category ?? {})) {
    if (isCategory(value)) counts[value] = count;
  }
  return counts;
}

function sum(counts: Record<Category, number>) {
  return CATEGORIES.reduce((total, c) => total + counts[c], 0);
}

// Lists whose order is their meaning.
const ORDERED_SETTINGS = new Set(['searchableAttributes', 'rankingRules']);

/**
 * Whether the server already has `desired`: lists compare as sets (except the ranked ones:
 * searchableAttributes, rankingRules), objects only on the keys we set (the server reports its defaults too).
 */
function settingMatches(desired: unknown, current: unknown, key = ''): boolean {
  if (Array.isArray(desired)) {
    if (!Array.isArray(current) || current.length !== desired.length) return false;
    if (ORDERED_SETTINGS.has(key)) return desired.every((v, i) => settingMatches(v, current[i]));
    const canon = (list: unknown[]) => list.map((v) => JSON.stringify(v)).sort();
    return JSON.stringify(canon(desired)) === JSON.stringify(canon(current));
  }
  if (desired && typeof desired === 'object') {
    if (!current || typeof current !== 'object') return false;
    const have = current as Record<string, unknown>;
    // The synonym table is ours in full: an entry removed from content/_synonyms.yml must go too.
    if (key === 'synonyms' && Object.keys(have).length !== Object.keys(desired).length) return false;
    return Object.entries(desired).every(([k, v]) => v === undefined || settingMatches(v, have[k], k));
  }
  return desired === current;
}
