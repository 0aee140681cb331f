import { connect } from 'net';
import { startNatsServer } from './nats-server';

const accepts = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

describe('startNatsServer', () => {
  it('starts on a free port, stops, starts again on the same port; stop is idempotent', async () => {
    const server = await startNatsServer();
    try {
      expect(server.url).toBe(`nats://127.0.0.1:${server.port}`);
      expect(await accepts(server.port)).toBe(true);
      await server.stop();
      await server.stop();
      expect(server.pid).toBeUndefined();
      expect(await accepts(server.port)).toBe(false);
      await server.start();
      expect(await accepts(server.port)).toBe(true);
    } finally {
      await server.stop();
    }
  });
});
