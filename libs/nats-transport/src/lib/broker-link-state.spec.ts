import { BrokerLinkState } from './broker-link-state';

describe('BrokerLinkState', () => {
  it('counts each disconnect once and reports the reconnect, with the server', () => {
    const state = new BrokerLinkState();
    expect(state.apply({ type: 'disconnect', server: 'nats://a:4222' }, 100)).toEqual({ type: 'disconnect', server: 'nats://a:4222', disconnects: 1 });
    expect(state.apply({ type: 'reconnecting' }, 200)).toBeUndefined();
    expect(state.view(250)).toMatchObject({ connected: false, disconnects: 1, reconnectedAtMs: undefined });
    expect(state.apply({ type: 'reconnect', server: 'nats://a:4222' }, 300)).toEqual({ type: 'reconnect', server: 'nats://a:4222', disconnects: 1 });
    state.apply({ type: 'disconnect' }, 400);
    expect(state.view(500)).toEqual({ nowMs: 500, connected: false, disconnects: 2, reconnectedAtMs: 300, stalledAtMs: undefined });
  });

  it('a ping that went unanswered a whole interval marks a stall; one answered in time does not', () => {
    const state = new BrokerLinkState();
    expect(state.apply({ type: 'ping', pendingPings: 1 }, 1_000)).toBeUndefined();
    expect(state.view(1_000).stalledAtMs).toBeUndefined();
    state.apply({ type: 'ping', pendingPings: 2 }, 2_000);
    expect(state.view(2_000)).toMatchObject({ connected: true, stalledAtMs: 2_000 });
    expect(state.apply({ type: 'staleConnection' }, 3_000)).toEqual({ type: 'staleConnection', disconnects: 0 });
    expect(state.view(3_000).stalledAtMs).toBe(3_000);
  });

  it('closed for good: reported once, then no event moves it', () => {
    const state = new BrokerLinkState();
    expect(state.apply({ type: 'close' }, 10)).toEqual({ type: 'close', disconnects: 0 });
    expect(state.apply({ type: 'close' }, 20)).toBeUndefined();
    expect(state.apply({ type: 'reconnect' }, 30)).toBeUndefined();
    expect([state.isClosed, state.isConnected]).toEqual([true, false]);
  });

  it('other client statuses (cluster updates, errors, slow consumers) change nothing', () => {
    const state = new BrokerLinkState();
    for (const type of ['update', 'ldm', 'error', 'slowConsumer', 'forceReconnect']) expect(state.apply({ type }, 1)).toBeUndefined();
    expect(state.view(1)).toEqual({ nowMs: 1, connected: true, disconnects: 0, reconnectedAtMs: undefined, stalledAtMs: undefined });
  });

  it('a link made while closed starts down', () => {
    expect(new BrokerLinkState(false).isConnected).toBe(false);
  });
});
