import { connect, createServer, type Server, type Socket } from "node:net";

type Hook = () => void | Promise<void>;

/**
 * A loopback TCP relay the test controls: each connection is carried to the
 * current upstream port, which the test may switch, and the test may reset
 * every connection, or hold the next chunk in one direction while it acts.
 * Stands in for someone on the path who can reset a connection and answer
 * the re-dial.
 */
export class Relay {
  private server: Server | undefined;
  private readonly pairs = new Set<{ client: Socket; upstream: Socket }>();
  private next: { up?: Hook; down?: Hook } = {};
  /** Every upstream connection made: the upstream port and the relay's local port on it. */
  readonly dials: Array<{ upstream: number; localPort: number }> = [];
  port = 0;

  constructor(private upstream: number) {}

  async start(): Promise<number> {
    this.server = createServer((client) => this.carry(client));
    await new Promise<void>((r) => this.server!.listen(0, "127.0.0.1", r));
    this.port = (this.server.address() as { port: number }).port;
    return this.port;
  }

  /** New connections go to this port from now on. */
  switchTo(port: number): void {
    this.upstream = port;
  }

  /** Run `hook` when the next chunk travels client→server (`up`) or server→client (`down`), before passing it on. */
  onNext(direction: "up" | "down", hook: Hook): void {
    this.next[direction] = hook;
  }

  /** Reset every open connection (TCP RST both ways). */
  resetAll(): void {
    for (const p of this.pairs) {
      p.client.resetAndDestroy();
      p.upstream.resetAndDestroy();
    }
    this.pairs.clear();
  }

  async close(): Promise<void> {
    this.resetAll();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private carry(client: Socket): void {
    const upstreamPort = this.upstream;
    const upstream = connect(upstreamPort, "127.0.0.1");
    const pair = { client, upstream };
    this.pairs.add(pair);
    upstream.once("connect", () => this.dials.push({ upstream: upstreamPort, localPort: upstream.localPort ?? 0 }));
    const pipe = (from: Socket, to: Socket, direction: "up" | "down") => {
      from.on("data", (chunk: Buffer) => {
        const hook = this.next[direction];
        if (!hook) {
          to.write(chunk);
          return;
        }
        this.next[direction] = undefined;
        from.pause();
        void Promise.resolve(hook()).then(() => {
          if (!to.destroyed) to.write(chunk);
          from.resume();
        });
      });
    };
    pipe(client, upstream, "up");
    pipe(upstream, client, "down");
    const end = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  }
}
