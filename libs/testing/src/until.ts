import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Waits for `condition` to hold, checking it every 2 ms (or as soon as an async check answers), for
 * at most `timeoutMs`: what a spec waits for when another process or a message in flight makes it
 * true. Rejects naming `what`.
 */
export async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(2);
  }
}
