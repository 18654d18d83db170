// The inboxes and phones of the browser tests: `tsx tests/support/message-sinks.ts`.
// Starts the SMTP sink (SINK_SMTP_PORT, default 2525) and the Twilio fake (SINK_HTTP_PORT, default
// 4010) on 127.0.0.1. The HTTP port also serves what a person would have received, so tests can
// read the codes:
//   GET    /sinks/messages  { emails: [{to, subject, text}], sms: [{to, from, body}], calls: [{to, from, twiml}] }, newest last
//                           and webhooks: [{event, delivery, timestamp, signature, body}] (body as received, unparsed)
//   DELETE /sinks/messages  forget everything received so far
//   POST   /sinks/webhooks  the host platform's webhook endpoint (HOST_WEBHOOK_URL of the browser tests)
// The fake accepts TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN (defaults: the browser tests' values).
import type { IncomingMessage } from 'node:http';
import { whenProcessGone } from '@/lib/config/processes';
import { startSmtpSink } from './smtp-sink';
import { startTwilioFake } from './twilio-fake';

const smtpPort = Number(process.env.SINK_SMTP_PORT ?? 2525);
const httpPort = Number(process.env.SINK_HTTP_PORT ?? 4010);

const smtp = await startSmtpSink({ port: smtpPort });

type ReceivedWebhook = { event: string; delivery: string; timestamp: string; signature: string; body: string; receivedAt: Date };
const webhooks: ReceivedWebhook[] = [];
// The raw bytes are kept: the signature covers the body exactly as sent, so a test verifies it
// against this string, never against a re-serialised object.
async function rawBody(request: IncomingMessage) {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
const header = (request: IncomingMessage, name: string) => String(request.headers[name] ?? '');
const phone = await startTwilioFake({
  port: httpPort,
  accountSid: process.env.TWILIO_ACCOUNT_SID ?? 'AC00000000000000000000000000000000',
  authToken: process.env.TWILIO_AUTH_TOKEN ?? 'test-auth-token',
  async extraRoute(request, response, url) {
    if (url.pathname === '/sinks/webhooks') {
      if (request.method !== 'POST') {
        response.writeHead(405, { Allow: 'POST' }).end();
        return true;
      }
      const body = await rawBody(request);
      webhooks.push({
        event: header(request, 'regain-event'),
        delivery: header(request, 'regain-delivery'),
        timestamp: header(request, 'regain-timestamp'),
        signature: header(request, 'regain-signature'),
        body,
        receivedAt: new Date(),
      });
      response.writeHead(204).end();
      return true;
    }
    if (url.pathname !== '/sinks/messages') return false;
    if (request.method === 'DELETE') {
      smtp.clear();
      phone.clear();
      webhooks.length = 0;
      response.writeHead(204).end();
      return true;
    }
    if (request.method !== 'GET') {
      response.writeHead(405, { Allow: 'GET, DELETE' }).end();
      return true;
    }
    const body = {
      emails: smtp.messages().map((m) => ({ to: m.to, from: m.from, subject: m.subject, text: m.text, calendar: m.calendar, receivedAt: m.receivedAt })),
      sms: phone.messages().map((m) => ({ to: m.to, from: m.from, body: m.body, sid: m.sid, receivedAt: m.receivedAt })),
      calls: phone.calls().map((c) => ({ to: c.to, from: c.from, twiml: c.twiml, sid: c.sid, receivedAt: c.receivedAt })),
      webhooks,
    };
    response.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
    response.end(JSON.stringify(body));
    return true;
  },
});
console.log(`[sinks] SMTP on smtp://127.0.0.1:${smtp.port}, Twilio fake, /sinks/webhooks and /sinks/messages on ${phone.url}`);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await Promise.all([smtp.close(), phone.close()]);
  process.exit(0);
}
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
// Started by the browser-test runner (playwright.config.ts): stop with it, even if it was killed outright.
if (process.env.REGAIN_RUNNER_PID) whenProcessGone(Number(process.env.REGAIN_RUNNER_PID), () => void stop());
