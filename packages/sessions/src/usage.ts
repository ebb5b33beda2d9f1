/**
 * One API message is written as several lines while it streams (its `output_tokens` grow, often 1 on the first
 * line), copied into subagent files and `progress` records, and replayed by sidechains. Count each message once,
 * with the usage ccusage (20.x, `rust/adapters/claude/src/daily.rs`) keeps: lines are the same message when they
 * share message id + request id (or, without a request id, message id + session, + time unless the id is an
 * Anthropic `msg_…` id), or the same message id in the same session where one of them is a sidechain copy. Of two,
 * the main-chain line wins over a sidechain copy, then the larger token total, then the larger cost; ties keep the
 * first seen.
 */
import { costOf } from './prices.js';
import type { UsageTuple } from './writer.js';

export function usageTotal(u: UsageTuple): number {
  return u[3] + u[4] + u[5] + u[6];
}

function costOfTuple(u: UsageTuple): number {
  return u[2]
    ? (costOf(u[2], {
        input: u[3],
        output: u[4],
        cacheRead: u[5],
        cacheCreation: u[6],
        cacheCreation1h: u[9],
      }) ?? 0)
    : 0;
}

/** `candidate` should replace `existing` as the one line counted for their message. */
export function replaces(candidate: UsageTuple, existing: UsageTuple): boolean {
  if (candidate[8] !== existing[8]) return existing[8] === 1;
  const a = usageTotal(candidate);
  const b = usageTotal(existing);
  if (a !== b) return a > b;
  return costOfTuple(candidate) > costOfTuple(existing);
}

/** The messages of one file, each kept once (in memory: a file's messages). */
export class UsageSet {
  private readonly entries: UsageTuple[] = [];
  private readonly byKey = new Map<string, number>();
  private readonly byReplay = new Map<string, number[]>();

  add(u: UsageTuple): void {
    const key = u[0] as string;
    let index = this.byKey.get(key);
    if (index === undefined && u[7] !== null) {
      for (const i of this.byReplay.get(u[7]) ?? [])
        if (u[8] === 1 || (this.entries[i] as UsageTuple)[8] === 1) {
          index = i;
          break;
        }
    }
    if (index === undefined) {
      index = this.entries.length;
      this.entries.push(u);
    } else if (replaces(u, this.entries[index] as UsageTuple)) this.entries[index] = u;
    if (!this.byKey.has(key)) this.byKey.set(key, index);
    if (u[7] !== null) {
      const list = this.byReplay.get(u[7]);
      if (!list) this.byReplay.set(u[7], [index]);
      else if (!list.includes(index)) list.push(index);
    }
  }

  values(): UsageTuple[] {
    return this.entries;
  }
}

/**
 * A usage key's 64-bit hash as two 32-bit halves (cyrb53's two multiply-xor lanes and final mix, both lanes kept
 * whole), `seed` telling the kinds of key apart. The index stores it in place of the key text (`usage_keys.hash`).
 *
 * Why a collision does not matter in practice: keys are message + request ids the API hands out, not chosen by an
 * adversary, and two keys that differ in one character never collide (each lane is a bijection per character and
 * the final mix is invertible). Taking the hash as uniform over 2^64, n keys collide with probability at most
 * n^2 / 2^65: about 3e-8 for a million keys (two per API message, ~2.5 GB of Claude logs). A collision would make
 * two messages one (the larger kept), i.e. one message's tokens missing from a total.
 */
export function keyHash(s: string, seed: number): [number, number] {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return [h1 >>> 0, h2 >>> 0];
}

/** The two halves as the signed 64-bit integer SQLite stores. */
export function keyInt([hi, lo]: [number, number]): bigint {
  return BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo));
}

/**
 * "Maybe seen" for usage keys on a cold build, in constant memory (a Bloom filter of 32 Mbit, 3 probes over the
 * key's hash): a key it has not seen is certainly new and needs no look in the database; a false "maybe" (about
 * 0.1% at a million keys) only costs that look.
 */
export class KeyFilter {
  private readonly bits = new Uint32Array(1 << 20);

  add([a, b]: [number, number]): void {
    const step = b | 1;
    for (let i = 0; i < 3; i++) {
      const bit = ((a + i * step) >>> 7) & 0x1ffffff;
      this.bits[bit >>> 5] = (this.bits[bit >>> 5] as number) | (1 << (bit & 31));
    }
  }

  has([a, b]: [number, number]): boolean {
    const step = b | 1;
    for (let i = 0; i < 3; i++) {
      const bit = ((a + i * step) >>> 7) & 0x1ffffff;
      if (((this.bits[bit >>> 5] as number) & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }
}
