import { createServer, type AddressInfo, type Server } from 'net';
import { waitForPort } from './ports';

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

describe('waitForPort', () => {
  it('resolves when a server is listening on the loopback port', async () => {
    const server = createServer((socket) => socket.destroy());
    const port = await listen(server);
    try {
      await expect(waitForPort(port, '127.0.0.1', 2_000)).resolves.toBeUndefined();
    } finally {
      await close(server);
    }
  });

  it('resolves once a server starts listening after polling began', async () => {
    // Reserve a free port, release it, then bind it again a little later.
    const probe = createServer();
    const port = await listen(probe);
    await close(probe);

    const late = createServer((socket) => socket.destroy());
    const waiting = waitForPort(port, '127.0.0.1', 5_000, 20);
    const timer = setTimeout(() => late.listen(port, '127.0.0.1'), 200);
    try {
      await expect(waiting).resolves.toBeUndefined();
    } finally {
      clearTimeout(timer);
      if (late.listening) await close(late);
    }
  });

  it('rejects after the deadline when nothing listens on the port', async () => {
    const probe = createServer();
    const port = await listen(probe);
    await close(probe);

    const started = Date.now();
    await expect(waitForPort(port, '127.0.0.1', 300, 20)).rejects.toThrow(/timed out after 300 ms/);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(280);
    expect(elapsed).toBeLessThan(3_000);
  });

  it('rejects an invalid port number at once', async () => {
    await expect(waitForPort(0)).rejects.toThrow(RangeError);
    await expect(waitForPort(70_000)).rejects.toThrow(RangeError);
  });
});
