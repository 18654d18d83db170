import { log } from '@/lib/log';
import type { SearchDocument, SearchEngine, SearchQuery, SearchResult, Suggestion } from './types';

/**
 * A server engine (Meilisearch) with the embedded engine standing by. Searches go to the primary
 * while it answers; the first failure switches every search to the fallback, so a person still
 * gets results, and the primary is re-checked in the background with growing waits (retryMs,
 * doubled up to maxRetryMs) until `prepare` succeeds again, when it takes over once more.
 *
 * Re-checks run on a timer rather than inside a search: a search never waits for a server that is
 * known to be down, and /api/health sees the primary come back even when nobody is searching.
 */
export type FallbackSearchOptions = {
  primary: SearchEngine;
  /** Already indexed with the same corpus. */
  fallback: SearchEngine;
  /** Makes the primary ready to serve (reachable, index current); throws when it is not. */
  prepare: () => Promise<unknown>;
  /** First wait before re-checking a primary that failed (default 2 s). */
  retryMs?: number | undefined;
  /** Longest wait between re-checks (default 60 s). */
  maxRetryMs?: number | undefined;
};

export class FallbackSearchEngine implements SearchEngine {
  private readonly primary: SearchEngine;
  private readonly fallback: SearchEngine;
  private readonly prepare: () => Promise<unknown>;
  private readonly retryMs: number;
  private readonly maxRetryMs: number;
  private usingPrimary = false;
  private wait = 0;
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<boolean> | undefined;
  private closed = false;

  constructor(options: FallbackSearchOptions) {
    this.primary = options.primary;
    this.fallback = options.fallback;
    this.prepare = options.prepare;
    this.retryMs = options.retryMs ?? 2_000;
    this.maxRetryMs = Math.max(this.retryMs, options.maxRetryMs ?? 60_000);
  }

  /** The engine answering searches right now. */
  get name() {
    return this.usingPrimary ? this.primary.name : this.fallback.name;
  }

  /** For /api/health: "meilisearch", or "embedded (meilisearch unreachable)" while falling back. */
  get status() {
    return this.usingPrimary ? this.primary.name : `${this.fallback.name} (${this.primary.name} unreachable)`;
  }

  /**
   * Prepares the primary now and switches to it if that works; otherwise keeps (or starts) the
   * fallback and schedules the next re-check. Concurrent calls share one attempt. Resolves to
   * whether the primary now serves.
   */
  check(): Promise<boolean> {
    this.checking ??= (async () => {
      try {
        await this.prepare();
        if (this.closed) return false;
        if (!this.usingPrimary) log.info('search_engine_restored', { engine: this.primary.name });
        this.usingPrimary = true;
        this.wait = 0;
        clearTimeout(this.timer);
        this.timer = undefined;
        return true;
      } catch (error) {
        this.fallBack(error);
        return false;
      } finally {
        this.checking = undefined;
      }
    })();
    return this.checking;
  }

  async search(query: SearchQuery): Promise<SearchResult> {
    if (this.usingPrimary) {
      try {
        return await this.primary.search(query);
      } catch (error) {
        this.primaryFailed(error);
      }
    }
    return this.fallback.search(query);
  }

  async suggest(prefix: string, limit: number): Promise<Suggestion[]> {
    if (this.usingPrimary) {
      try {
        return await this.primary.suggest(prefix, limit);
      } catch (error) {
        this.primaryFailed(error);
      }
    }
    return this.fallback.suggest(prefix, limit);
  }

  /** Replaces the corpus of the fallback, and of the primary while it serves. */
  async index(documents: SearchDocument[]): Promise<void> {
    await this.fallback.index(documents);
    if (this.usingPrimary) await this.primary.index(documents).catch((error: unknown) => this.primaryFailed(error));
  }

  /** Stops re-checking (tests, shutdown). */
  close() {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** A search or index call failed while the primary served: only the first such failure switches. */
  private primaryFailed(error: unknown) {
    if (this.usingPrimary) this.fallBack(error);
  }

  private fallBack(error: unknown) {
    const firstFailure = this.usingPrimary || this.wait === 0;
    this.usingPrimary = false;
    this.wait = firstFailure ? this.retryMs : Math.min(this.wait * 2, this.maxRetryMs);
    const fields = { engine: this.fallback.name, unreachable: this.primary.name, retryInMs: this.wait, error };
    if (firstFailure) log.warn('search_engine_fallback', fields);
    else log.info('search_engine_still_unreachable', fields);
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.check();
    }, this.wait);
    // A pending re-check never keeps a process (a script, a test run) alive.
    this.timer.unref();
  }
}
