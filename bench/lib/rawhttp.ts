// A bare HTTP/1.1 GET client over one already-open stream (a unix socket or an
// SSH channel), one request at a time, kept alive. It exists to split the
// cost of a Docker call into "the bytes' trip" and "the client library": it has
// no agent, no retries, no timeouts, no JSON parsing.

import type { Duplex } from "node:stream";

function rawHttp(stream: Duplex): (path: string) => Promise<void> {
  let buf = Buffer.alloc(0);
  let pending: { resolve: () => void; reject: (err: Error) => void } | undefined;
  stream.on("data", (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    drain();
  });
  stream.on("error", (err: Error) => pending?.reject(err));
  stream.on("close", () => pending?.reject(new Error("stream closed")));

  /** Length of one complete response at the start of buf, or -1. Throws on a non-2xx status. */
  function completeLength(): number {
    const headEnd = buf.indexOf("\r\n\r\n");
    if (headEnd < 0) return -1;
    const head = buf.subarray(0, headEnd).toString("latin1");
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1]);
    if (!(status >= 200 && status < 300)) throw new Error(`HTTP ${status || "?"}: ${head.split("\r\n")[0]}`);
    const bodyStart = headEnd + 4;
    const len = /\r\ncontent-length: *(\d+)/i.exec(head);
    if (len) return buf.length >= bodyStart + Number(len[1]) ? bodyStart + Number(len[1]) : -1;
    if (!/\r\ntransfer-encoding: *chunked/i.test(head)) throw new Error("response without length");
    let at = bodyStart;
    for (;;) {
      const lineEnd = buf.indexOf("\r\n", at);
      if (lineEnd < 0) return -1;
      const size = parseInt(buf.subarray(at, lineEnd).toString("latin1"), 16);
      const next = lineEnd + 2 + size + 2;
      if (buf.length < next) return -1;
      if (size === 0) return next;
      at = next;
    }
  }

  function drain(): void {
    if (!pending) return;
    let n: number;
    try {
      n = completeLength();
    } catch (err) {
      const p = pending;
      pending = undefined;
      p?.reject(err as Error);
      return;
    }
    if (n < 0) return;
    buf = buf.subarray(n);
    const p = pending;
    pending = undefined;
    p?.resolve();
  }

  return (path) =>
    new Promise<void>((resolve, reject) => {
      pending = { resolve, reject };
      stream.write(`GET ${path} HTTP/1.1\r\nHost: docker\r\n\r\n`);
    });
}

export { rawHttp };
