// The server entry: `npm start` (production build) and, through scripts/dev.ts, `npm run dev`
// (`--dev`). It exists for one reason, docs/security.md rule 24: route handlers and server actions cannot
// see the socket, so this entry writes the socket address into an internal request header on every
// request (lib/net/client-address.ts), always replacing a client-sent value. lib/http/request.ts
// `clientIp` refuses to guess when a process was started without it (plain `next start`).
//
//   PORT  (default 3000)  HOST  (default: all interfaces; 127.0.0.1 with --dev)
import { createServer } from 'node:http';
import { readRunnerSettings } from '@/lib/config/runtime';
import { declarePeerAddressStamping, stampPeerAddress } from '@/lib/net/client-address';

const dev = process.argv.includes('--dev');
// As `next start` / `next dev` do: React and Next pick their build from NODE_ENV, and lib/config
// reads it (the development outbox exists only outside production).
if (!process.env.NODE_ENV) Object.assign(process.env, { NODE_ENV: dev ? 'development' : 'production' });
if (!process.env.NEXT_TELEMETRY_DISABLED) Object.assign(process.env, { NEXT_TELEMETRY_DISABLED: '1' });

const settings = readRunnerSettings();
// A development server serves /dev/outbox (every code sent): never to the local network by default.
const host = settings.host ?? (dev ? '127.0.0.1' : undefined);

const { getConfig, validateConfigAtStartup } = await import('@/lib/config');
const { handleWithRequestId, log } = await import('@/lib/log');
validateConfigAtStartup();
const { trustedProxy } = getConfig();
if (trustedProxy.mode === 'hops' && (host === undefined || host === '0.0.0.0' || host === '::')) {
  // With a hop count, whoever reaches the app without the proxy writes the "proxy's" entry himself.
  log.warn('trusted_proxy_hops_on_public_interface', {
    detail: 'TRUSTED_PROXY_HOPS is set but the server listens on every interface; set HOST to a loopback or private address only the proxy can reach',
  });
}

declarePeerAddressStamping();
const { default: next } = await import('next');
const app = next({ dev, hostname: host ?? 'localhost', port: settings.port });
const handle = app.getRequestHandler();
await app.prepare();

const server = createServer((request, response) => {
  stampPeerAddress(request);
  // Every log line written for this request carries its id and the response names it (X-Request-Id);
  // a fresh id each time, never one the client sent (lib/log/context.ts).
  handleWithRequestId(request, response, () =>
    handle(request, response).catch((error: unknown) => {
      log.error('request_failed', { error });
      if (!response.headersSent) response.statusCode = 500;
      response.end();
    }),
  );
});
server.listen(settings.port, host, () => {
  log.info('server_listening', { url: `http://${host && host.includes(':') ? `[${host}]` : (host ?? 'localhost')}:${settings.port}`, mode: dev ? 'development' : 'production', trustedProxy: trustedProxy.mode });
});

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  server.close();
  server.closeAllConnections();
  await app.close();
  // The job runner (started by instrumentation.ts) finishes its running jobs and releases the rest.
  const { runShutdownHooks } = await import('@/lib/worker/shutdown');
  await runShutdownHooks();
  process.exit(0);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
