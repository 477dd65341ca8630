import type { SFTPWrapper } from "ssh2";
import { DockerPermissionError, DockerUnavailableError, DockyardError } from "../../errors";
import { openLate } from "../ssh/deadlines";
import { openSession } from "../ssh/session-slots";
import type { SshSession } from "../ssh/ssh-session";

/** What a stat of the socket says: mode bits, owner and group. */
export interface RemoteStat {
  mode: number;
  uid: number;
  gid: number;
}

/**
 * stat a path over SFTP (no shell involved); where the server has no SFTP
 * subsystem, with `stat` run as an argv. Undefined when the path does not
 * exist. Every channel goes through the session's slots and deadlines.
 */
export async function statRemote(
  session: SshSession,
  path: string,
  timeoutMs: number,
): Promise<RemoteStat | undefined> {
  if (!session.sftpUnavailable) {
    const client = await session.connect();
    let sftp: SFTPWrapper;
    try {
      sftp = await openSession(session.slots, () =>
        openLate<SFTPWrapper>(
          session.target,
          `opening SFTP for stat ${path}`,
          timeoutMs,
          (cb) => client.sftp(cb),
          (s) => s.end(),
        ),
      );
    } catch (err) {
      if (err instanceof DockyardError) throw err;
      // No SFTP subsystem (or it is refused): use `stat` instead, now and later.
      session.sftpUnavailable = true;
      return statRemote(session, path, timeoutMs);
    }
    try {
      return await session.withDeadline(
        `stat ${path}`,
        timeoutMs,
        () =>
          new Promise<RemoteStat | undefined>((resolve, reject) => {
            sftp.stat(path, (e, st) => {
              if (e) {
                if ((e as { code?: number }).code === 2) resolve(undefined);
                else reject(e);
              } else resolve({ mode: st.mode, uid: st.uid, gid: st.gid });
            });
          }),
      );
    } finally {
      sftp.end();
    }
  }
  // %f: raw mode in hex; -L: the socket, not a symlink to it.
  const r = await session.run(["stat", "-L", "-c", "%f %u %g", "--", path], timeoutMs);
  if (r.code !== 0) {
    if (/No such file/i.test(r.stderr)) return undefined;
    throw new Error(`stat ${path} failed: ${r.stderr.trim() || `exit ${r.code}`}`);
  }
  const [mode, uid, gid] = r.stdout.trim().split(/\s+/);
  return { mode: parseInt(mode ?? "", 16), uid: Number(uid), gid: Number(gid) };
}

/**
 * Explain why the Docker socket could not be opened: missing or forbidden.
 * Undefined when the socket exists and this user may open it, and when the
 * server does not let us tell (dial-stdio is tried then, and its error says
 * what is wrong).
 */
export async function diagnoseSocket(
  session: SshSession,
  socketPath: string,
  cause: unknown,
  timeoutMs: number,
): Promise<DockyardError | undefined> {
  const target = session.target;
  const user = session.spec.user;
  let st: RemoteStat | undefined;
  let ids: { code: number; stdout: string };
  let groups: { code: number; stdout: string };
  try {
    st = await statRemote(session, socketPath, timeoutMs);
    if (!st) {
      return new DockerUnavailableError(
        `${target}: no Docker socket at ${socketPath}: dockerd is not running (start it, e.g. systemctl start docker), ` +
          `or set dockerSocket to where it listens.`,
        { cause },
      );
    }
    [ids, groups] = await Promise.all([session.run(["id", "-u"], timeoutMs), session.run(["id", "-G"], timeoutMs)]);
  } catch (err) {
    // A transport failure is the caller's to report; anything else leaves the question open.
    if (err instanceof DockyardError) throw err;
    return undefined;
  }
  // Judged by what `id` printed, not by its exit status: with many channels
  // at once, run() can miss a quick command's exit status and report 255,
  // though the output is all there.
  if (!/^\d+$/.test(ids.stdout.trim()) || !/^\d+(\s+\d+)*$/.test(groups.stdout.trim())) return undefined;
  const uid = Number(ids.stdout.trim());
  const gids = groups.stdout.trim().split(/\s+/).map(Number);
  const mode = st.mode & 0o777;
  const allowed =
    uid === 0 ||
    (uid === st.uid && (mode & 0o600) === 0o600) ||
    (gids.includes(st.gid) && (mode & 0o060) === 0o060) ||
    (mode & 0o006) === 0o006;
  if (!allowed) {
    return new DockerPermissionError(
      `${target}: user '${user}' may not open ${socketPath} ` +
        `(owner uid ${st.uid}, group gid ${st.gid}, mode ${mode.toString(8)}). ` +
        `Add the user to the socket's group (usually: usermod -aG docker ${user}), or connect as root.`,
      { cause },
    );
  }
  return undefined;
}
