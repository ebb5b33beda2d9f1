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
  return u[2] ? (costOf(u[2], { input: u[3], output: u[4], cacheRead: u[5], cacheCreation: u[6] }) ?? 0) : 0;
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
 * "Maybe seen" for usage keys on a cold build, in constant memory (a Bloom filter of 32 Mbit, 3 probes): a key it
 * has not seen is certainly new and needs no look in the database; a false "maybe" (about 0.1% at a million keys)
 * only costs that look.
 */
export class KeyFilter {
  private readonly bits = new Uint32Array(1 << 20);

  add(key: string): void {
    const [a, b] = hashes(key);
    for (let i = 0; i < 3; i++) {
      const bit = ((a + i * b) >>> 7) & 0x1ffffff;
      this.bits[bit >>> 5] = (this.bits[bit >>> 5] as number) | (1 << (bit & 31));
    }
  }

  has(key: string): boolean {
    const [a, b] = hashes(key);
    for (let i = 0; i < 3; i++) {
      const bit = ((a + i * b) >>> 7) & 0x1ffffff;
      if (((this.bits[bit >>> 5] as number) & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }
}

/** Two FNV-1a hashes of a string (different offsets), for double hashing. */
function hashes(s: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  return [a >>> 0, (b >>> 0) | 1];
}
