import { createServer } from 'net';

/**
 * A TCP port on `host` that was free a moment ago: the OS picks it for a
 * throw-away listener, which is closed before the port is returned. Another
 * process could take it in between; callers that spawn servers on it should
 * wait for the port (waitForPort) and fail loudly if their server does not
 * come up.
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}
