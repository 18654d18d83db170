import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';

/**
 * A small Twilio-compatible HTTP server on loopback for the Messages and Calls APIs, so tests drive
 * the real `twilio` client (pointed here through TWILIO_API_BASE_URL). It checks Basic auth,
 * parses form bodies, answers in Twilio's JSON shapes and records every request.
 *
 * Special destinations, like Twilio's magic test numbers:
 *   +15005550001  400, error 21211 (not a valid phone number)
 *   +15005550009  never answers (until the fake closes): timeouts
 *   +15005550500  500, error 20500
 *
 * For failure tests the whole API can misbehave (`failWith`, or `failure` at start; none by default),
 * for every Messages and Calls request whatever the number:
 *   { kind: 'error', status, code }  a Twilio error answer, e.g. 500/20500, 429/20429, 401/20003
 *   { kind: 'raw', status, body }    something that is not Twilio's JSON (a proxy's 502 page)
 *   { kind: 'hang' }                 never answers (until it recovers or the fake closes): timeouts
 *   { kind: 'drop' }                 closes the connection without an answer
 * Requests are still recorded, so a test can see what was attempted.
 */
export type TwilioFailure =
  | { kind: 'error'; status: number; code: number; message?: string }
  | { kind: 'raw'; status: number; body: string; contentType?: string }
  | { kind: 'hang' }
  | { kind: 'drop' };

export const FAKE_NUMBERS = {
  invalid: '+15005550001',
  stall: '+15005550009',
  serverError: '+15005550500',
} as const;

export type FakeRequest = {
  method: string;
  path: string;
  /** The user name and password of the Basic Authorization header, if any. */
  auth: { username: string; password: string } | undefined;
  authorized: boolean;
  params: Record<string, string>;
  receivedAt: Date;
};

export type FakeMessage = { sid: string; to: string; from: string; body: string; statusCallback: string | undefined; receivedAt: Date };
export type FakeCall = { sid: string; to: string; from: string; twiml: string; statusCallback: string | undefined; receivedAt: Date };

export type TwilioFake = {
  port: number;
  /** The base URL to give the client (TWILIO_API_BASE_URL). */
  url: string;
  accountSid: string;
  authToken: string;
  requests(): FakeRequest[];
  messages(): FakeMessage[];
  calls(): FakeCall[];
  clear(): void;
  /** From now on, misbehave this way (undefined: behave again). */
  failWith(failure: TwilioFailure | undefined): void;
  /** POSTs a status callback signed like Twilio does (X-Twilio-Signature over URL + params). */
  sendStatusCallback(options: { url: string; params: Record<string, string>; authToken?: string }): Promise<Response>;
  close(): Promise<void>;
};

export type ExtraRoute = (request: IncomingMessage, response: ServerResponse, url: URL) => boolean | Promise<boolean>;

export async function startTwilioFake(options: {
  accountSid: string;
  authToken: string;
  port?: number;
  host?: string;
  /** Other routes served on the same port; return true when handled. */
  extraRoute?: ExtraRoute;
  failure?: TwilioFailure;
}): Promise<TwilioFake> {
  const { accountSid, authToken } = options;
  const host = options.host ?? '127.0.0.1';
  const requests: FakeRequest[] = [];
  const messages: FakeMessage[] = [];
  const calls: FakeCall[] = [];
  let failure = options.failure;
  // Requests left unanswered by { kind: 'hang' }: ended when the fake recovers or closes.
  const hanging = new Set<ServerResponse>();
  const endHanging = () => {
    for (const response of hanging) response.destroy();
    hanging.clear();
  };

  const server = createServer((request, response) => {
    void handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) send(response, 500, { code: 20500, message: String(error), status: 500 });
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse) {
    const url = new URL(request.url ?? '/', 'http://fake.invalid');
    if (options.extraRoute && (await options.extraRoute(request, response, url))) return;

    const body = await readBody(request);
    const params = Object.fromEntries(new URLSearchParams(body));
    const auth = basicAuth(request.headers.authorization);
    const route = /^\/2010-04-01\/Accounts\/([^/]+)\/(Messages|Calls)\.json$/.exec(url.pathname);
    const authorized = Boolean(auth && auth.username === accountSid && auth.password === authToken && route?.[1] === accountSid);
    requests.push({ method: request.method ?? '', path: url.pathname, auth, authorized, params, receivedAt: new Date() });

    if (!route || request.method !== 'POST') {
      return send(response, 404, twilioError(20404, `The requested resource ${url.pathname} was not found`, 404));
    }
    if (failure) return misbehave(failure, response);
    if (!authorized) return send(response, 401, twilioError(20003, 'Authenticate', 401));

    const to = params.To ?? '';
    const from = params.From ?? '';
    if (to === FAKE_NUMBERS.stall) return; // never answer; close() ends the socket
    if (to === FAKE_NUMBERS.invalid) {
      return send(response, 400, twilioError(21211, `The 'To' number ${to} is not a valid phone number.`, 400));
    }
    if (to === FAKE_NUMBERS.serverError) return send(response, 500, twilioError(20500, 'Internal Server Error', 500));
    if (!to || !from) return send(response, 400, twilioError(21604, "A 'To' and 'From' phone number is required.", 400));

    const now = new Date();
    const common = {
      account_sid: accountSid,
      api_version: '2010-04-01',
      date_created: now.toUTCString(),
      date_updated: now.toUTCString(),
      direction: 'outbound-api',
      from,
      price: null,
      price_unit: 'USD',
      status: 'queued',
      to,
    };
    if (route[2] === 'Messages') {
      const sid = `SM${randomBytes(16).toString('hex')}`;
      messages.push({ sid, to, from, body: params.Body ?? '', statusCallback: params.StatusCallback, receivedAt: now });
      return send(response, 201, {
        ...common,
        sid,
        body: params.Body ?? '',
        date_sent: null,
        error_code: null,
        error_message: null,
        messaging_service_sid: null,
        num_media: '0',
        num_segments: '1',
        uri: `/2010-04-01/Accounts/${accountSid}/Messages/${sid}.json`,
      });
    }
    const sid = `CA${randomBytes(16).toString('hex')}`;
    calls.push({ sid, to, from, twiml: params.Twiml ?? '', statusCallback: params.StatusCallback, receivedAt: now });
    return send(response, 201, {
      ...common,
      sid,
      duration: null,
      start_time: null,
      end_time: null,
      parent_call_sid: null,
      uri: `/2010-04-01/Accounts/${accountSid}/Calls/${sid}.json`,
    });
  }

  function misbehave(how: TwilioFailure, response: ServerResponse) {
    switch (how.kind) {
      case 'error':
        return send(response, how.status, twilioError(how.code, how.message ?? `Error ${how.code}`, how.status));
      case 'raw':
        response.writeHead(how.status, { 'Content-Type': how.contentType ?? 'text/html; charset=utf-8' });
        return response.end(how.body);
      case 'hang':
        hanging.add(response);
        response.once('close', () => hanging.delete(response));
        return;
      case 'drop':
        return response.destroy();
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    url: `http://${host}:${port}`,
    accountSid,
    authToken,
    requests: () => [...requests],
    messages: () => [...messages],
    calls: () => [...calls],
    clear() {
      requests.length = 0;
      messages.length = 0;
      calls.length = 0;
    },
    failWith(next) {
      failure = next;
      if (next?.kind !== 'hang') endHanging();
    },
    sendStatusCallback({ url, params, authToken: token = authToken }) {
      const signature = twilio.getExpectedTwilioSignature(token, url, params);
      return fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': signature, 'User-Agent': 'TwilioProxy/1.1' },
        body: new URLSearchParams(params).toString(),
      });
    },
    close() {
      endHanging();
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function twilioError(code: number, message: string, status: number) {
  return { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status };
}

function send(response: ServerResponse, status: number, body: unknown) {
  response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
  response.end(JSON.stringify(body));
}

function basicAuth(header: string | undefined) {
  const match = /^Basic\s+(.+)$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

async function readBody(request: IncomingMessage, limit = 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
