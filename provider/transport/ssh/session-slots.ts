/**
 * OpenSSH's default `MaxSessions` (also CIS-hardened servers'): how many
 * session channels (exec, subsystem) one connection may hold. Forwarded
 * sockets are not sessions and do not count.
 */
export const MAX_SESSIONS = 10;

/** Session channels a Docker client may keep for dial-stdio, leaving room for a diagnosis (SFTP, `id`). */
export const DIAL_STDIO_CHANNELS = MAX_SESSIONS - 2;

/** ssh2 reason code OpenSSH gives when it refuses a channel (also for "too many sessions"). */
const OPEN_CONNECT_FAILED = 2;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Counts the session channels of one connection so they fit `MaxSessions`:
 * a caller waits for a slot and gives it back when its channel closes.
 */
export class SessionSlots {
  private used = 0;
  private readonly waiters: Array<() => void> = [];

  constructor(readonly limit = MAX_SESSIONS) {}

  /** Callers waiting for a slot right now. */
  get waiting(): number {
    return this.waiters.length;
  }

  /** Resolves with a release function (safe to call more than once). */
  async acquire(): Promise<() => void> {
    if (this.used >= this.limit) await new Promise<void>((r) => this.waiters.push(r));
    else this.used++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) next();
      else this.used--;
    };
  }
}

/**
 * Open a session channel within the slots: waits for a slot, and retries a
 * refusal a few times (OpenSSH frees a closed session a moment after the
 * client sees it close, so a new one can be refused for a short while). The
 * slot is released when the channel closes, or at once if it never opens.
 */
export async function openSession<T extends { once(event: "close", fn: () => void): unknown }>(
  slots: SessionSlots,
  open: () => Promise<T>,
): Promise<T> {
  const release = await slots.acquire();
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        const ch = await open();
        ch.once("close", release);
        return ch;
      } catch (err) {
        if ((err as { reason?: number }).reason !== OPEN_CONNECT_FAILED || attempt >= 4) throw err;
        await sleep(25 * 2 ** attempt);
      }
    }
  } catch (err) {
    release();
    throw err;
  }
}
