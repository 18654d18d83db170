import { connect, createServer, type Server, type Socket } from 'node:net';
import { freePort } from '../../support/ports';

/**
 * The run's Meilisearch behind a link this test file can cut and restore: a TCP forwarder on a port
 * of its own. Cut, the port is closed and every open connection dropped, which is what a client sees
 * when the server stops (connection refused, or a reset mid-request); restored, the same port leads
 * to the same server and its indexes again, as when it comes back. The server itself keeps running
 * for the other files that share it, and this works the same for MEILISEARCH_URL and the project's
 * own test server.
 */
export type SeverableMeilisearch = {
  url: string;
  apiKey: string | undefined;
  reachable(): boolean;
  cut(): Promise<void>;
  restore(): Promise<void>;
};

export async function severableMeilisearch(target: { url: string; apiKey: string | undefined }): Promise<SeverableMeilisearch> {
  const upstream = new URL(target.url);
  const upstreamPort = Number(upstream.port || (upstream.protocol === 'https:' ? 443 : 80));
  const port = await freePort();
  const sockets = new Set<Socket>();
  let listener: Server | undefined;

  const track = (socket: Socket, peer: () => Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => peer().destroy());
  };

  async function restore() {
    if (listener) return;
    const server = createServer((client) => {
      const remote = connect(upstreamPort, upstream.hostname);
      track(client, () => remote);
      track(remote, () => client);
      client.pipe(remote).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    listener = server;
  }

  async function cut() {
    const server = listener;
    if (!server) return;
    listener = undefined;
    const closed = new Promise((resolve) => server.close(resolve));
    for (const socket of sockets) socket.destroy();
    await closed;
  }

  await restore();
  return { url: `http://127.0.0.1:${port}`, apiKey: target.apiKey, reachable: () => listener !== undefined, cut, restore };
}
