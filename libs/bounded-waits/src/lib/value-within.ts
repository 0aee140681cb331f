/**
 * `promise`'s value, or `undefined` once `ms` have passed first or when it
 * rejects: the one way a caller that must not wait forever (a close with a
 * grace period, a drain, a flush, a probe, a lookup that may be skipped)
 * bounds a wait. The timer is cleared as soon as the wait ends, so a short
 * wait leaves no pending timer behind (nothing keeps the process up, no
 * callback fires late), and a rejection is never left unhandled.
 */
export async function valueWithin<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), Math.max(0, ms));
  });
  try {
    return await Promise.race([promise.catch(() => undefined), expired]);
  } finally {
    clearTimeout(timer);
  }
}
