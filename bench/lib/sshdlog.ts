// SSH handshakes as the server saw them: "Accepted <method> for <user> from
// <addr> port <client port>" lines that sshd (LogLevel VERBOSE) writes once per
// authenticated connection, read from the part of the log written during a
// measured window.
import * as fs from "node:fs";

const ACCEPTED = /^Accepted (\S+) for (\S+) from (\S+) port (\d+)/;

export interface Accepted {
  method: string;
  user: string;
  addr: string;
  port: number;
}

class SshdLogWindow {
  readonly start: number;

  constructor(readonly file: string) {
    this.start = fs.statSync(file).size;
  }

  /** Authenticated connections logged since the window opened: [{ method, user, addr, port }]. */
  accepted(): Accepted[] {
    const end = fs.statSync(this.file).size;
    if (end <= this.start) return [];
    const fd = fs.openSync(this.file, "r");
    try {
      const buf = Buffer.alloc(end - this.start);
      fs.readSync(fd, buf, 0, buf.length, this.start);
      const out: Accepted[] = [];
      for (const line of buf.toString("utf8").split("\n")) {
        const m = ACCEPTED.exec(line);
        if (m) out.push({ method: m[1]!, user: m[2]!, addr: m[3]!, port: Number(m[4]) });
      }
      return out;
    } finally {
      fs.closeSync(fd);
    }
  }
}

export { SshdLogWindow };
