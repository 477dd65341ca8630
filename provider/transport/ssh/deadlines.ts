/**
 * Deadlines for remote work: a promise raced against a timer, and the opening
 * of one SSH channel, which ssh2 cannot cancel.
 */
import type { ClientChannel } from "ssh2";
import { TimeoutError } from "../../errors";

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Run `fn` with a deadline; on expiry reject with a TimeoutError and call `onTimeout`. */
export async function withDeadline<T>(
  target: string,
  what: string,
  ms: number,
  fn: () => Promise<T>,
  onTimeout?: () => void,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout?.();
      reject(new TimeoutError(target, what, ms));
    }, ms);
  });
  try {
    return await Promise.race([fn(), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Open one channel (`open` is the ssh2 call: forwardOut, exec, …) with a
 * deadline. ssh2 cannot cancel a channel request, so a channel that arrives
 * after the deadline is closed at once instead of staying open on the server
 * (sshd limits open channels per connection). `mapError` turns ssh2's refusal
 * into the caller's error; without it the raw error is passed on.
 */
export function openChannel(
  target: string,
  what: string,
  ms: number,
  open: (cb: (err: Error | undefined, channel: ClientChannel) => void) => void,
  mapError: (err: Error) => Error = (err) => err,
): Promise<ClientChannel> {
  return openLate(target, what, ms, open, (channel) => channel.close(), mapError);
}

/** `openChannel` for any channel-like thing (an SFTP session…): `discard` closes one that arrives late. */
export function openLate<T>(
  target: string,
  what: string,
  ms: number,
  open: (cb: (err: Error | undefined, channel: T) => void) => void,
  discard: (channel: T) => void,
  mapError: (err: Error) => Error = (err) => err,
): Promise<T> {
  let timedOut = false;
  return withDeadline(
    target,
    what,
    ms,
    () =>
      new Promise<T>((resolve, reject) => {
        open((err, channel) => {
          if (err) return reject(mapError(err));
          if (timedOut) discard(channel);
          resolve(channel);
        });
      }),
    () => {
      timedOut = true;
    },
  );
}
