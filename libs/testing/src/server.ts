import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * How long a test server keeps an idle connection: longer than any client's own keep-alive, as the
 * services' listeners do (65 s). With Node's 5 s default, a client whose timer runs late on a loaded
 * machine reuses a socket the server has just closed, and its request fails with "other side closed".
 */
export const TEST_SERVER_KEEP_ALIVE_MS = 65_000;

/** Starts `server` on a free loopback port, idle connections kept as above; resolves with its URL. */
export async function listenOnLoopback(server: Server): Promise<string> {
  server.keepAliveTimeout = TEST_SERVER_KEEP_ALIVE_MS;
  server.headersTimeout = TEST_SERVER_KEEP_ALIVE_MS + 1_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
