/**
 * Byte fixtures with no imports, shared by the test suite (through
 * `_util.ts`) and by `lossy/peer.ts`, which runs with `--no-config` and so
 * cannot load `_util.ts`'s import-map dependencies.
 *
 * @module
 */

/** Deterministic pseudo-random bytes (xorshift), reproducible from `seed`. */
export function pseudoRandomBytes(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Hex sha256 of bytes. */
export async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
