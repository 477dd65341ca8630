import { utils as sshUtils } from "ssh2";
import { UNNEGOTIABLE_HOST_KEY_TYPES, hostKeyFingerprint, hostKeyType } from "../transport/ssh/hostkey";
import { DEFAULTS } from "../transport/endpoint";
import { isUnknown, type CheckResult } from "../resource";
import { Checker, SAFE_ABSOLUTE_PATH, USER_PATTERN, isHost } from "../validate";
import { ENDPOINT_KEYS, SERVER_INPUT_KEYS, type ProxyInputs, type ServerInputs } from "./server-types";

function isUnnegotiable(hostKey: string): boolean {
  const type = hostKeyType(hostKey);
  return type !== undefined && (UNNEGOTIABLE_HOST_KEY_TYPES as readonly string[]).includes(type);
}

/** Validate the SSH fields shared by a server and its jump host. */
function checkEndpoint(
  checker: Checker,
  raw: Record<string, unknown>,
  prefix: string,
  env: NodeJS.ProcessEnv,
): ProxyInputs {
  const p = (f: string) => prefix + f;
  const host = checker.string(p("host"), raw.host, { required: true, max: 253 });
  if (host !== undefined && !isUnknown(host) && !isHost(host)) {
    checker.fail(p("host"), `'${host.slice(0, 80)}' is not a valid hostname or IP address`);
  }
  const port = checker.integer(p("port"), raw.port, 1, 65535, DEFAULTS.port);
  const user = checker.string(p("user"), raw.user, {
    nonEmpty: true,
    pattern: USER_PATTERN,
    patternText: "must be a plain user name (letters, digits, '_', '.', '-'; no spaces or shell characters)",
  });
  const privateKey = checker.string(p("privateKey"), raw.privateKey, { nonEmpty: true, max: 64 * 1024 });
  const privateKeyPassword = checker.string(p("privateKeyPassword"), raw.privateKeyPassword, { max: 4096 });
  const password = checker.string(p("password"), raw.password, { nonEmpty: true, max: 4096 });
  const agentSocketPath = checker.string(p("agentSocketPath"), raw.agentSocketPath, {
    nonEmpty: true,
    pattern: /^\//,
    patternText: "must be an absolute path to the agent's socket",
  });
  const hostKey = checker.string(p("hostKey"), raw.hostKey, { nonEmpty: true, max: 16 * 1024 });
  const perDialTimeout = checker.integer(
    p("perDialTimeout"),
    raw.perDialTimeout,
    1,
    3600,
    DEFAULTS.perDialTimeoutSeconds,
  );
  const dialErrorLimit = checker.integer(p("dialErrorLimit"), raw.dialErrorLimit, 1, 100, DEFAULTS.dialErrorLimit);

  if (
    privateKey !== undefined &&
    !isUnknown(privateKey) &&
    (privateKeyPassword === undefined || !isUnknown(privateKeyPassword))
  ) {
    const parsed = sshUtils.parseKey(privateKey, privateKeyPassword);
    if (parsed instanceof Error) {
      if (/no passphrase given/i.test(parsed.message)) {
        checker.fail(p("privateKeyPassword"), "the private key is encrypted: set privateKeyPassword to its passphrase");
      } else if (/passphrase|decrypt|bad/i.test(parsed.message) && privateKeyPassword !== undefined) {
        checker.fail(p("privateKeyPassword"), "does not decrypt the private key");
      } else {
        checker.fail(
          p("privateKey"),
          `does not parse as an SSH private key (${parsed.message.replace(/^Cannot parse privateKey: /, "")})`,
        );
      }
    } else if (!parsed.isPrivateKey()) {
      // parseKey reads public keys too; with one, every login would fail later.
      checker.fail(p("privateKey"), "is a public key: give the private key (the key file without .pub)");
    }
  }
  if (privateKeyPassword !== undefined && privateKey === undefined) {
    checker.fail(p("privateKeyPassword"), "is set but privateKey is not");
  }
  if (hostKey !== undefined && !isUnknown(hostKey) && !hostKeyFingerprint(hostKey)) {
    checker.fail(p("hostKey"), "must be the server's public key ('ssh-ed25519 AAAA…') or its fingerprint ('SHA256:…')");
  } else if (hostKey !== undefined && !isUnknown(hostKey) && isUnnegotiable(hostKey)) {
    checker.fail(
      p("hostKey"),
      `is a ${hostKeyType(hostKey)} key, a type the SSH client cannot negotiate: pin the server's ed25519, ECDSA or RSA key`,
    );
  }
  if (privateKey === undefined && password === undefined && agentSocketPath === undefined && !env.SSH_AUTH_SOCK) {
    checker.fail(
      prefix ? prefix.slice(0, -1) : "privateKey",
      "no credentials: set privateKey, password or agentSocketPath (or run with SSH_AUTH_SOCK set)",
    );
  }
  const out: ProxyInputs = {
    host: host as string,
    port: port as number,
    user: user ?? DEFAULTS.user,
    perDialTimeout: perDialTimeout as number,
    dialErrorLimit: dialErrorLimit as number,
  };
  if (privateKey !== undefined) out.privateKey = privateKey;
  if (privateKeyPassword !== undefined) out.privateKeyPassword = privateKeyPassword;
  if (password !== undefined) out.password = password;
  if (agentSocketPath !== undefined) out.agentSocketPath = agentSocketPath;
  if (hostKey !== undefined) out.hostKey = hostKey;
  return out;
}

/** `check` for Server: validates every field and applies defaults. Never connects. */
export function checkServer(
  news: Record<string, unknown>,
  env: NodeJS.ProcessEnv = process.env,
): CheckResult<ServerInputs> {
  const checker = new Checker();
  checker.onlyKnown(news, SERVER_INPUT_KEYS);
  const endpoint = checkEndpoint(checker, news, "", env);
  const inputs: ServerInputs = {
    ...endpoint,
    dockerSocket: DEFAULTS.dockerSocket,
    name: "",
  };
  if (news.proxy !== undefined && news.proxy !== null) {
    if (isUnknown(news.proxy)) {
      inputs.proxy = news.proxy as unknown as ProxyInputs;
    } else if (typeof news.proxy !== "object" || Array.isArray(news.proxy)) {
      checker.fail("proxy", "must be an object with the jump host's connection fields");
    } else {
      const raw = news.proxy as Record<string, unknown>;
      checker.onlyKnown(raw, ENDPOINT_KEYS, "proxy.");
      inputs.proxy = checkEndpoint(checker, raw, "proxy.", env);
    }
  }
  const dockerSocket = checker.string("dockerSocket", news.dockerSocket, {
    nonEmpty: true,
    max: 107,
    pattern: SAFE_ABSOLUTE_PATH,
    patternText: "must be an absolute path (letters, digits, '.', '_', '+', '-', '/')",
  });
  if (dockerSocket !== undefined) inputs.dockerSocket = dockerSocket;
  const name = checker.string("name", news.name, { nonEmpty: true, max: 255 });
  inputs.name = name ?? (typeof inputs.host === "string" ? inputs.host : "");
  const description = checker.string("description", news.description, { max: 4096 });
  if (description !== undefined) inputs.description = description;
  return { inputs, failures: checker.failures };
}
