/**
 * Opening an exec channel with its listeners in place from the start. ssh2
 * emits a command's `exit` once, as the packet is read, and keeps no backlog:
 * a quick command's exit status can arrive in the same read as the channel's
 * opening (many channels at once, a command that exits at once), before any
 * `await` on the opening resumes. A listener attached there misses it.
 */
import type { Client, ClientChannel } from "ssh2";
import { shellCommand } from "../shell";

/**
 * The `open` for `openChannel` that runs the fixed `argv`, calling `onOpen`
 * with the channel synchronously as ssh2 hands it over, before anything else
 * can be emitted on it.
 */
export function execOpening(
  client: Client,
  argv: readonly string[],
  onOpen: (channel: ClientChannel) => void,
): (cb: (err: Error | undefined, channel: ClientChannel) => void) => void {
  return (cb) =>
    client.exec(shellCommand(argv), (err, channel) => {
      if (!err) onOpen(channel);
      cb(err, channel);
    });
}
