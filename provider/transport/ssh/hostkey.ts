import { createHash } from "node:crypto";

/** A host key as seen on the wire. */
export interface SeenHostKey {
  /** `SHA256:…` as `ssh-keygen -lf` prints it. */
  fingerprint: string;
  /** `ssh-ed25519 AAAA…` (type and base64 blob, no comment). */
  publicKey: string;
}

/** Fingerprint of a raw SSH public key blob. */
export function fingerprintOfBlob(blob: Buffer): string {
  return "SHA256:" + createHash("sha256").update(blob).digest("base64").replace(/=+$/, "");
}

/** Describe a raw key blob from the SSH handshake. */
export function describeHostKey(blob: Buffer): SeenHostKey {
  let type = "unknown";
  if (blob.length >= 4) {
    const len = blob.readUInt32BE(0);
    if (len > 0 && len < 64 && blob.length >= 4 + len) type = blob.subarray(4, 4 + len).toString("ascii");
  }
  return { fingerprint: fingerprintOfBlob(blob), publicKey: `${type} ${blob.toString("base64")}` };
}

const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}=?$/;
const PUBLIC_KEY =
  /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com|ssh-dss)\s+([A-Za-z0-9+/]+={0,2})(\s+.*)?$/;

/**
 * Normalise a `hostKey` input (a public key line or a `SHA256:` fingerprint)
 * to its fingerprint. Returns undefined when the text is neither.
 */
export function hostKeyFingerprint(hostKey: string): string | undefined {
  const text = hostKey.trim();
  if (FINGERPRINT.test(text)) return text.replace(/=$/, "");
  const m = PUBLIC_KEY.exec(text);
  if (!m || !m[3]) return undefined;
  const blob = Buffer.from(m[3], "base64");
  const seen = describeHostKey(blob);
  // The type inside the blob must agree with the declared type.
  if (!seen.publicKey.startsWith(`${m[1]} `)) return undefined;
  return seen.fingerprint;
}

/** Host-key types an SSH client cannot negotiate (security-key types exist only for user keys in ssh2). */
export const UNNEGOTIABLE_HOST_KEY_TYPES = [
  "sk-ssh-ed25519@openssh.com",
  "sk-ecdsa-sha2-nistp256@openssh.com",
] as const;

/** The host-key type a public key line declares; undefined for a fingerprint or malformed text. */
export function hostKeyType(hostKey: string): string | undefined {
  const m = PUBLIC_KEY.exec(hostKey.trim());
  return m ? m[1] : undefined;
}

/**
 * The algorithms (ssh2 `algorithms.serverHostKey`) that make a server
 * present this key: a server with several host keys otherwise presents the
 * one the client prefers (ed25519). Undefined for a fingerprint (its type is
 * not known) and for types that cannot be negotiated.
 */
export function hostKeyAlgorithms(hostKey: string | undefined): string[] | undefined {
  const type = hostKey ? hostKeyType(hostKey) : undefined;
  switch (type) {
    case "ssh-rsa":
      return ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"];
    case "ssh-ed25519":
    case "ecdsa-sha2-nistp256":
    case "ecdsa-sha2-nistp384":
    case "ecdsa-sha2-nistp521":
    case "ssh-dss":
      return [type];
    default:
      return undefined;
  }
}
