import { DockerPermissionError, DockerUnavailableError } from "../../errors";

/** The argv that carries the Docker API over an exec channel. The socket is always named: a login environment's `DOCKER_HOST` or docker context may name another daemon. */
export function dialStdioArgv(socketPath: string): string[] {
  return ["docker", "-H", `unix://${socketPath}`, "system", "dial-stdio"];
}

/** The error a failed `docker system dial-stdio` stands for, from its exit code and stderr. */
export function dialStdioError(target: string, user: string, socketPath: string, code: number, stderr: string): Error {
  const text = stderr.trim();
  if (code === 127 || /not found/.test(text)) {
    return new DockerUnavailableError(
      `${target}: the server refuses stream-local forwarding and has no docker CLI for dial-stdio. ` +
        `Allow forwarding (sshd_config: AllowStreamLocalForwarding yes) or install the docker CLI.`,
    );
  }
  if (/permission denied/i.test(text)) {
    return new DockerPermissionError(
      `${target}: user '${user}' may not use ${socketPath}: ${text}. ` +
        `Add the user to the docker group (usermod -aG docker ${user}) or connect as root.`,
    );
  }
  if (/Cannot connect to the Docker daemon|connection refused|no such file/i.test(text)) {
    return new DockerUnavailableError(
      `${target}: nothing accepts connections on ${socketPath}: dockerd is not running (${text.split("\n")[0]}).`,
    );
  }
  return new DockerUnavailableError(`${target}: docker system dial-stdio failed: ${text || `exit ${code}`}`);
}
