import { createHash, hash, randomBytes } from 'node:crypto';
import { constantTimeEqual } from '@gatehouse/domain';

/**
 * Credentials Gatehouse mints: API keys (`gh_<keyId>_<secret>`), invitation tokens
 * (`ghi_<invitationId>_<secret>`) and invite-link tokens (`ghl_<linkId>_<secret>`). The prefix makes a leaked key recognizable to secret
 * scanners; the id lets us find the record without a lookup by secret; only the
 * SHA-256 of the secret is stored (the secret has 256 bits of entropy, so a slow hash
 * would add nothing but latency on the hot path).
 */

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

function base32(bytes: Buffer): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

// crypto.hash: one call, no Hash object; about 4× faster than createHash for a key-sized input (every key check hashes one).
export const sha256Hex = (value: string): string => hash('sha256', value, 'hex');

export function randomId(bytes = 10): string {
  return base32(randomBytes(bytes));
}

/** A stable id from a seed: an idempotent retry of a create must name the same new thing. */
export function derivedId(seed: string, bytes = 10): string {
  return base32(createHash('sha256').update(seed).digest().subarray(0, bytes));
}

/** gh: API key; ghi: invitation token; ghl: invite link token. */
export type CredentialPrefix = 'gh' | 'ghi' | 'ghl';

export interface MintedCredential {
  id: string;
  /** The whole credential, shown to the caller once. */
  token: string;
  secretHash: string;
}

export function mintCredential(prefix: CredentialPrefix, id: string): MintedCredential {
  const secret = randomBytes(32).toString('base64url');
  return { id, token: `${prefix}_${id}_${secret}`, secretHash: sha256Hex(secret) };
}

export interface ParsedCredential {
  prefix: CredentialPrefix;
  id: string;
  secretHash: string;
}

const TOKEN = /^(gh|ghi|ghl)_([a-z2-7]{8,64})_([A-Za-z0-9_-]{20,128})$/;

/** Parses a presented credential; null when it is not one of ours. */
export function parseCredential(token: string): ParsedCredential | null {
  const m = TOKEN.exec(token);
  if (!m) return null;
  return { prefix: m[1] as CredentialPrefix, id: m[2], secretHash: sha256Hex(m[3]) };
}

/** A SHA-256 digest in hex, as sha256Hex writes it. */
const DIGEST = /^[0-9a-f]{64}$/;

/**
 * Whether two of our SHA-256 hex digests are equal, in time independent of where they
 * differ: the domain's constantTimeEqual over the hex strings. Same guarantee as
 * timingSafeEqual over decoded buffers, without two Buffers and a native call on every
 * key-authenticated request (that was ~5% of an HTTP check's CPU).
 */
export function hashesEqual(a: string, b: string): boolean {
  return DIGEST.test(a) && DIGEST.test(b) && constantTimeEqual(a, b);
}
