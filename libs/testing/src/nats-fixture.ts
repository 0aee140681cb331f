import { startNatsServer, type NatsServerHandle } from './nats-server';

/** A connection as the fixture sees it: something it can close. */
interface Closable {
  close(): Promise<void>;
}

export interface NatsServerFixture<C extends Closable> {
  /** The private server (set in beforeAll). */
  readonly server: NatsServerHandle;
  /** Opens a named connection, closed after the describe block. */
  connect(name: string): Promise<C>;
  /** Every connection opened so far. */
  readonly connections: readonly C[];
}

/**
 * Inside a `describe`: a private nats-server started before its tests, and the
 * connections the tests open, closed before it stops. `open` is the caller's
 * connect (e.g. nats-transport's `connectNats`), so this library stays free of
 * the transport it tests.
 */
export function natsServerFixture<C extends Closable>(open: (options: { servers: string; name: string }) => Promise<C>): NatsServerFixture<C> {
  let server: NatsServerHandle | undefined;
  const connections: C[] = [];
  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(async () => {
    await Promise.all(connections.map((nc) => nc.close().catch(() => undefined)));
    await server?.stop();
  });
  return {
    get server(): NatsServerHandle {
      if (server === undefined) throw new Error('the NATS fixture is used before its beforeAll ran');
      return server;
    },
    connections,
    connect: async (name) => {
      const nc = await open({ servers: (server as NatsServerHandle).url, name });
      connections.push(nc);
      return nc;
    },
  };
}
