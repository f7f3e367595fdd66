/**
 * Finds PEM private keys in user-data, including the encodings cloud-init accepts: a base64 field
 * (aws userDataBase64, launch template / Azure customData), gzip, and base64 blocks inside the document
 * (`write_files` with `encoding: b64` / `gz+b64`, MIME parts). Public keys and certificates pass.
 */
import { gunzipSync } from "node:zlib";

const PRIVATE_KEY_MARKER = /-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY-----/;
/**
 * A base64 run of at least 40 characters, possibly wrapped over indented lines (YAML, MIME); a
 * continuation line must be base64 to its end, so the next YAML key is not swallowed.
 */
const BASE64_BLOCK = /[A-Za-z0-9+/]{40,}={0,2}(?:[ \t]*\r?\n[ \t]*[A-Za-z0-9+/]{4,}={0,2}(?=[ \t]*(?:\r?\n|$)))*/g;
/** How many layers of encoding to look through (base64 field -> gzip -> embedded b64 file). */
const MAX_DEPTH = 3;

export interface PrivateKeyFinding {
  /** The key's PEM header, e.g. `-----BEGIN OPENSSH PRIVATE KEY-----`. */
  header: string;
  /** Encodings peeled off to find it, outermost first (empty = plain text). */
  encodings: string[];
}

/**
 * Looks for a private key in `value`. `base64` says the whole field is base64 (as the provider expects it).
 * Returns the first finding, or undefined.
 */
export function findPrivateKey(value: string, options: { base64?: boolean } = {}): PrivateKeyFinding | undefined {
  if (options.base64) {
    const decoded = decodeBase64(value);
    if (decoded !== undefined) {
      const found = search(decoded, MAX_DEPTH - 1);
      if (found) return { header: found.header, encodings: ["base64 field", ...found.encodings] };
    }
  }
  return search(Buffer.from(value, "utf8"), MAX_DEPTH);
}

function search(bytes: Buffer, depth: number): PrivateKeyFinding | undefined {
  if (isGzip(bytes)) {
    const inflated = gunzip(bytes);
    if (!inflated || depth === 0) return undefined;
    const found = search(inflated, depth - 1);
    return found && { header: found.header, encodings: ["gzip", ...found.encodings] };
  }
  const text = bytes.toString("utf8");
  const match = PRIVATE_KEY_MARKER.exec(text);
  if (match) return { header: match[0], encodings: [] };
  if (depth === 0) return undefined;
  for (const block of text.match(BASE64_BLOCK) ?? []) {
    const decoded = decodeBase64(block);
    if (!decoded) continue;
    const found = search(decoded, depth - 1);
    if (found) return { header: found.header, encodings: ["embedded base64", ...found.encodings] };
  }
  return undefined;
}

function decodeBase64(text: string): Buffer | undefined {
  const compact = text.replace(/\s+/g, "");
  if (compact.length === 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) return undefined;
  return Buffer.from(compact, "base64");
}

function isGzip(bytes: Buffer): boolean {
  return bytes.length > 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function gunzip(bytes: Buffer): Buffer | undefined {
  try {
    return gunzipSync(bytes);
  } catch {
    return undefined;
  }
}
