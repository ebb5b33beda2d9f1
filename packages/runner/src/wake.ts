import { readFile } from 'node:fs/promises';
import { parseDuration, type WakePolicy } from '@habitat/config';

export interface WakeRequest {
  wakeAt?: Date;
  reason?: string;
  warning?: string;
}

/**
 * Read what an agent wrote to `HABITAT_WAKE_FILE`: an ISO time or a duration (`46m`) on the first line,
 * an optional reason on the second. Relative durations count from `now` (the end of the run). Bad
 * content is a warning, never a crash; the agent's wake policy clamps the time.
 */
export function parseWakeRequest(content: string, now: Date, policy?: WakePolicy): WakeRequest {
  const [first = '', ...rest] = content.split(/\r?\n/);
  const spec = first.trim();
  const reason = rest.join(' ').trim() || undefined;
  if (spec === '') return {};
  let wakeAt: Date | undefined;
  if (/^\d{4}-\d{2}-\d{2}/.test(spec)) {
    const t = Date.parse(spec);
    if (!Number.isNaN(t)) wakeAt = new Date(t);
  } else {
    try {
      wakeAt = new Date(now.getTime() + parseDuration(spec));
    } catch {
      // reported below
    }
  }
  if (!wakeAt) {
    return {
      warning: `wake file: "${spec.slice(0, 80)}" is neither an ISO time nor a duration like 46m; ignored`,
    };
  }
  if (policy?.mode === 'ignore') {
    return { warning: 'wake file: this agent\'s wake policy is "ignore"; request ignored' };
  }
  if (policy) {
    const min = now.getTime() + policy.minMs;
    const max = now.getTime() + policy.maxMs;
    if (wakeAt.getTime() < min || wakeAt.getTime() > max) {
      const clamped = new Date(Math.min(max, Math.max(min, wakeAt.getTime())));
      return {
        wakeAt: clamped,
        ...(reason ? { reason } : {}),
        warning: `wake file: ${wakeAt.toISOString()} is outside the agent's wake policy; using ${clamped.toISOString()}`,
      };
    }
  }
  return { wakeAt, ...(reason ? { reason } : {}) };
}

/** Read and parse a wake file; a missing file means no request. */
export async function readWakeRequest(file: string, now: Date, policy?: WakePolicy): Promise<WakeRequest> {
  let content: string;
  try {
    content = await readFile(file, 'utf8');
  } catch {
    return {};
  }
  return parseWakeRequest(content.slice(0, 4096), now, policy);
}
