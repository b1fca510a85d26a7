// The Web Lock that makes one tab or worker the holder of a store.

/** Whether this context has Web Locks and BroadcastChannel, which sharing a store across tabs needs. */
export function canShare(): boolean {
  return lockManager() !== undefined && typeof BroadcastChannel === 'function';
}

function lockManager(): LockManager | undefined {
  return (globalThis.navigator as Navigator | undefined)?.locks;
}

/**
 * Requests the lock `name`; resolves with the function that releases it, or with undefined
 * when `ifAvailable` and another context holds it. Without Web Locks (very old browsers) it
 * is granted at once: one writer is then the app's duty. Rejects when `signal` aborts it.
 */
export function requestLock(name: string, options: { ifAvailable?: boolean; signal?: AbortSignal } = {}): Promise<(() => void) | undefined> {
  const locks = lockManager();
  if (!locks) return Promise.resolve(() => {});
  return new Promise((granted, refused) => {
    locks.request(name, options, (lock) => {
      if (!lock) {
        granted(undefined);
        return undefined;
      }
      return new Promise<void>((release) => granted(release));  // held until released
    }).catch(refused);
  });
}
