import AxeBuilder from '@axe-core/playwright';
import { expect, test, type APIRequestContext, type APIResponse, type Browser, type BrowserContext, type Locator, type Page, type Request, type Route } from '@playwright/test';
import { E2E_PORTS } from './ports';

/** docs/security.md rule 21: no serious or critical axe violations on any page. */
export async function expectNoSeriousA11yViolations(page: Page) {
  // Next streams a dynamic page's metadata: wait for its title rather than catch the page before it.
  await expect(page).toHaveTitle(/\S/);
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']).analyze();
  const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(serious.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`)).toEqual([]);
}

// ── What the app sent: tests/support/message-sinks.ts (started by playwright.config.ts) ──────────

export const SINKS_URL = `http://127.0.0.1:${E2E_PORTS.httpSink}/sinks/messages`;

export type SinkMessages = {
  emails: { to: string[]; from: string; subject: string; text: string; calendar?: string; receivedAt: string }[];
  sms: { to: string; from: string; body: string; sid: string; receivedAt: string }[];
  calls: { to: string; from: string; twiml: string; sid: string; receivedAt: string }[];
  /** Webhooks the app posted to the host (HOST_WEBHOOK_URL); `body` is the raw JSON the signature covers. */
  webhooks: { event: string; delivery: string; timestamp: string; signature: string; body: string; receivedAt: string }[];
};

/** Every email, text message and call the app has sent since the last clear, oldest first. */
export async function sinkMessages(): Promise<SinkMessages> {
  const response = await fetch(SINKS_URL, { cache: 'no-store' });
  if (!response.ok) throw new Error(`message sinks answered ${response.status}`);
  return (await response.json()) as SinkMessages;
}

export async function clearSinkMessages() {
  const response = await fetch(SINKS_URL, { method: 'DELETE' });
  if (!response.ok) throw new Error(`message sinks answered ${response.status}`);
}

/**
 * The webhooks the app has posted to the host since the last clear, oldest first. The server's
 * worker posts within seconds of the change; wait with `expect.poll` rather than a fixed delay.
 */
export async function webhooksReceived(): Promise<SinkMessages['webhooks']> {
  return (await sinkMessages()).webhooks;
}

/**
 * The 6-digit code in the newest message to `destination` (an email address or an E.164 number;
 * email, SMS or a call's TwiML, which spells it out as "1, 2, 3, ..."). Waits for it to arrive.
 */
export async function latestCodeSentTo(destination: string, options: { timeout?: number } = {}): Promise<string> {
  let code: string | undefined;
  await expect
    .poll(
      async () => {
        code = newestCode(await sinkMessages(), destination);
        return code;
      },
      { message: `a 6-digit code sent to ${destination}`, timeout: options.timeout ?? 30_000 },
    )
    .toMatch(/^\d{6}$/);
  return code!;
}

function newestCode(messages: SinkMessages, destination: string): string | undefined {
  const bodies = [
    ...messages.emails.filter((m) => m.to.includes(destination)).map((m) => ({ at: m.receivedAt, text: m.text })),
    ...messages.sms.filter((m) => m.to === destination).map((m) => ({ at: m.receivedAt, text: m.body })),
    ...messages.calls.filter((m) => m.to === destination).map((m) => ({ at: m.receivedAt, text: m.twiml })),
  ].sort((a, b) => a.at.localeCompare(b.at));
  const newest = bodies.at(-1)?.text;
  const found = newest?.match(/\b\d{6}\b|\b\d(?:, \d){5}\b/)?.[0];
  return found?.replace(/\D/g, '');
}

/** The browser-test server (playwright.config.ts): where it listens, its database and HMAC key. */
export const E2E = {
  baseUrl: `http://localhost:${E2E_PORTS.app}`,
  databaseUrl: `postgresql://postgres:postgres@127.0.0.1:${E2E_PORTS.postgres}/regain`,
  // Fixed so a test can create fixtures (e.g. a trusted-device token) the server recognises.
  hmacKey: 'ZTJlLXRlc3RzLW9ubHktaG1hYy1rZXktMzItYnl0ZXM=',
  encryptionKey: 'ZTJlLXRlc3RzLW9ubHktYWVzLWtleS0wMDAzMi1ieXQ=',
  // HOST_WEBHOOK_SECRET of the server: verify what webhooksReceived() returns with verifyWebhookSignature.
  webhookSecret: 'e2e-tests-only-webhook-secret-0123456789',
} as const;

// ── Server actions as the browser sends them (for tampering and replay tests) ─────────────────────

/** A server action POST as the browser sent it: the page it was posted to, Next's headers, the body. */
export type ServerActionRequest = { url: string; headers: Record<string, string>; body: Buffer };

/** What a server action answered: the HTTP status, the raw flight text and the action's own return value. */
export type ServerActionAnswer = { status: number; text: string; result: unknown };

const isServerAction = (request: Request) => request.method() === 'POST' && Boolean(request.headers()['next-action']);

/** Next's headers that make a POST a server action call; cookies and Origin are the replayer's business. */
const ACTION_HEADERS = ['next-action', 'next-router-state-tree', 'content-type', 'accept'];

/**
 * The action's return value from Next's flight answer: the first row that is a JSON object with
 * `ok` or `message` (the shapes runAction and the console forms return), else undefined.
 */
export function actionResult(text: string): unknown {
  for (const line of text.split('\n')) {
    const row = /^[0-9a-f]+:(\{.*\})$/.exec(line)?.[1];
    if (!row) continue;
    try {
      const value = JSON.parse(row) as Record<string, unknown>;
      if ('ok' in value || 'message' in value) return value;
    } catch {
      // not JSON: a model row of another kind
    }
  }
  return undefined;
}

/**
 * Resolves once React has hydrated the element, so its handlers run. Before that a click posts the
 * form without JavaScript (or does nothing), and hydration may reset what was typed.
 */
export async function hydrated(locator: Locator) {
  await locator.evaluate(
    (element) =>
      new Promise<void>((resolve) => {
        const check = () => (Object.keys(element).some((key) => key.startsWith('__reactFiber$')) ? resolve() : setTimeout(check, 20));
        check();
      }),
  );
}

/**
 * Clicks `trigger` once it is hydrated (or runs it, if it is a function) and returns the first
 * server action request that caused, as sent, and the answer. `transform` may change the body on its way out. The request is sent from the route
 * (with the browser context's cookies) so the answer is read in full before the page sees it.
 */
export async function captureServerAction(
  page: Page,
  trigger: Locator | (() => Promise<unknown>),
  transform: (body: Buffer) => Buffer = (body) => body,
): Promise<{ request: ServerActionRequest; answer: ServerActionAnswer }> {
  let settle: (value: { request: ServerActionRequest; answer: ServerActionAnswer } | Error) => void = () => {};
  const done = new Promise<{ request: ServerActionRequest; answer: ServerActionAnswer } | Error>((resolve) => (settle = resolve));
  let taken = false;
  const handler = async (route: Route) => {
    const sent = route.request();
    if (taken || !isServerAction(sent)) return route.fallback();
    taken = true;
    try {
      const body = transform(sent.postDataBuffer() ?? Buffer.alloc(0));
      const response = await route.fetch({ postData: body, maxRedirects: 0 });
      const bytes = await response.body();
      const all = await sent.allHeaders();
      const headers = Object.fromEntries(ACTION_HEADERS.filter((name) => all[name] !== undefined).map((name) => [name, all[name]!]));
      await route.fulfill({ response, body: bytes });
      const text = bytes.toString('utf8');
      settle({ request: { url: sent.url(), headers, body }, answer: { status: response.status(), text, result: actionResult(text) } });
    } catch (error) {
      settle(error instanceof Error ? error : new Error(String(error)));
      await route.abort().catch(() => {});
    }
  };
  await page.route('**/*', handler);
  try {
    if (typeof trigger === 'function') await trigger();
    else {
      await hydrated(trigger);
      await trigger.click();
    }
    const outcome = await done;
    if (outcome instanceof Error) throw outcome;
    return outcome;
  } finally {
    await page.unroute('**/*', handler);
  }
}

/**
 * Runs `trigger` with every occurrence of `from` in the server action's body replaced by `to`
 * before it reaches the server: the real form, posted with an id the person was never shown.
 * Fails if the body did not contain `from`, so a test can never pass by tampering with nothing.
 */
export async function tamperServerAction(page: Page, from: string, to: string, trigger: Locator | (() => Promise<unknown>)): Promise<ServerActionAnswer> {
  let replaced = 0;
  const { answer } = await captureServerAction(page, trigger, (body) => {
    const text = body.toString('utf8');
    replaced = text.split(from).length - 1;
    return Buffer.from(text.replaceAll(from, () => to), 'utf8');
  });
  expect(replaced, `the action body should have carried ${from}`).toBeGreaterThan(0);
  return answer;
}

/**
 * Sends a captured server action again from `request` (a browser context's request, with its
 * cookies, or a fresh context with none). Origin is the app's own unless given; null sends none.
 */
export async function replayServerAction(
  request: APIRequestContext,
  action: ServerActionRequest,
  options: { origin?: string | null; body?: Buffer; headers?: Record<string, string> } = {},
): Promise<ServerActionAnswer & { response: APIResponse }> {
  const headers: Record<string, string> = { ...action.headers, ...options.headers };
  if (options.origin !== null) headers.origin = options.origin ?? E2E.baseUrl;
  const response = await request.fetch(action.url, { method: 'POST', headers, data: options.body ?? action.body, maxRedirects: 0 });
  const text = await response.text();
  return { status: response.status(), text, result: actionResult(text), response };
}

/** A captured action's body with every `from` replaced by `to` (ids in form fields or arguments). */
export function rewriteBody(action: ServerActionRequest, from: string, to: string): Buffer {
  const body = action.body.toString('utf8');
  expect(body, `the captured body should carry ${from}`).toContain(from);
  return Buffer.from(body.replaceAll(from, () => to), 'utf8');
}

/** Contexts whose requests already name a client address (ownContexts with `ip`). */
export const contextsWithOwnAddress = new WeakSet<BrowserContext>();

/**
 * Pages in browser contexts of their own, closed after every test of the file that calls this (at
 * its top level). With `ip`, every request names that client address, so the per-IP limits a
 * file's probes trip stay its own.
 */
export function ownContexts(ip?: string) {
  const contexts: BrowserContext[] = [];
  test.afterEach(async () => {
    await Promise.all(contexts.splice(0).map((context) => context.close()));
  });
  return async (browser: Browser) => {
    const context = await browser.newContext(ip ? { extraHTTPHeaders: { 'X-Forwarded-For': ip } } : {});
    if (ip) contextsWithOwnAddress.add(context);
    contexts.push(context);
    return context.newPage();
  };
}
