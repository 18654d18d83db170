import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/**
 * The request a log line belongs to. The server entry (scripts/serve.ts) runs every request inside
 * runWithRequestId with a fresh random id, and sends it back as X-Request-Id so a person reporting a
 * problem can quote it. An id a client sends is never used: it would let anyone plant or merge
 * lines in our logs.
 *
 * The storage is one per process (kept on globalThis): the server entry and the Next.js bundles
 * load this module separately, and both must see the same request.
 */
type RequestScope = { requestId: string };

const KEY = Symbol.for('regain.log.request-scope');
const store: AsyncLocalStorage<RequestScope> = ((globalThis as Record<symbol, unknown>)[KEY] as AsyncLocalStorage<RequestScope> | undefined) ??
  ((globalThis as Record<symbol, unknown>)[KEY] = new AsyncLocalStorage<RequestScope>());

export const REQUEST_ID_HEADER = 'x-request-id';

export function newRequestId(): string {
  return randomUUID();
}

export function runWithRequestId<T>(requestId: string, work: () => T): T {
  return store.run({ requestId }, work);
}

/** The id of the request this code runs for, if any. */
export function currentRequestId(): string | undefined {
  return store.getStore()?.requestId;
}

type Headers = Record<string, string | string[] | undefined>;

/**
 * Runs one HTTP request inside its own request scope: a fresh id, any client-sent X-Request-Id
 * dropped, and the id set on the response before anything else writes to it. The server entry
 * wraps Next's request handler in this.
 */
export function handleWithRequestId<T>(request: { headers: Headers }, response: { setHeader(name: string, value: string): unknown }, handle: () => T): T {
  const requestId = newRequestId();
  delete request.headers[REQUEST_ID_HEADER];
  response.setHeader('X-Request-Id', requestId);
  return runWithRequestId(requestId, handle);
}
