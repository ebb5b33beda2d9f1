import { Cron } from 'croner';
import { formatDuration } from './duration.js';
import type { Schedule } from './types.js';

/** Why a cron expression is invalid, in words a person can act on; undefined when it is valid. */
export function cronProblem(expression: string): string | undefined {
  try {
    new Cron(expression, { paused: true });
    return undefined;
  } catch (error) {
    const raw = (error as Error).message.replace(/^CronPattern:\s*/, '');
    const fields = expression.trim().split(/\s+/);
    if (fields.length < 5 || fields.length > 7) {
      return `it has ${fields.length} field${fields.length === 1 ? '' : 's'}; a cron expression has 5 (minute hour day-of-month month day-of-week)`;
    }
    // croner names the failing part; add the allowed range people expect.
    const ranges: [RegExp, string][] = [
      [/minute|\(60\)/i, 'minutes are 0-59'],
      [/hour|\(24\)/i, 'hours are 0-23'],
      [/day of month|\(31\)/i, 'days of the month are 1-31'],
      [/month|\(12\)/i, 'months are 1-12'],
      [/day of week|\(7\)/i, 'days of the week are 0-7 (0 and 7 are Sunday)'],
    ];
    for (const [pattern, range] of ranges) if (pattern.test(raw)) return range;
    return raw;
  }
}

/** True when `zone` is an IANA time zone this Node knows. */
export function isValidTimezone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * The first fire time strictly after `after`, without jitter; undefined for manual schedules (or a cron
 * that never fires again). DST is croner's: a time skipped by spring-forward fires at the next valid
 * minute, a repeated fall-back hour fires once.
 */
export function nextFireTime(schedule: Schedule, after: Date): Date | undefined {
  switch (schedule.kind) {
    case 'manual':
      return undefined;
    case 'every':
      return new Date(after.getTime() + schedule.everyMs);
    case 'cron': {
      const cron = new Cron(schedule.cron, {
        paused: true,
        ...(schedule.timezone ? { timezone: schedule.timezone } : {}),
      });
      return cron.nextRun(after) ?? undefined;
    }
  }
}

/**
 * A deterministic jitter in [0, jitterMs) for one agent's slot: spreads agents that share a schedule
 * without making a slot's time change across daemon restarts.
 */
export function jitterFor(agentName: string, slot: Date | number, jitterMs: number): number {
  if (jitterMs <= 0) return 0;
  // node:crypto on first use: loading it costs every command's start-up a few milliseconds.
  const digest = process
    .getBuiltinModule('node:crypto')
    .createHash('sha1')
    .update(`${agentName}@${+slot}`)
    .digest();
  return digest.readUInt32BE(0) % Math.floor(jitterMs);
}

/** A schedule in plain English: "every 6h", "cron 0 * * * * (Europe/Berlin)", "manual". */
export function describeSchedule(schedule: Schedule): string {
  switch (schedule.kind) {
    case 'manual':
      return 'manual (runs only when triggered)';
    case 'every':
      return `every ${formatDuration(schedule.everyMs)}${jitterText(schedule.jitterMs)}`;
    case 'cron': {
      const zone = schedule.timezone ? ` (${schedule.timezone})` : '';
      return `${describeCron(schedule.cron)}${zone}${jitterText(schedule.jitterMs)}`;
    }
  }
}

function jitterText(jitterMs: number): string {
  return jitterMs > 0 ? `, jitter up to ${formatDuration(jitterMs)}` : '';
}

/** Words for the common cron shapes; anything else is shown as the expression itself. */
function describeCron(expression: string): string {
  const [minute, hour, dom, month, dow, ...rest] = expression.trim().split(/\s+/);
  if (rest.length > 0 || !minute || !hour || !dom || !month || !dow) return `cron "${expression}"`;
  const everyDay = dom === '*' && month === '*' && dow === '*';
  const num = (s: string) => /^\d+$/.test(s);
  const step = (s: string) => /^\*\/(\d+)$/.exec(s)?.[1];
  if (everyDay && minute === '*' && hour === '*') return 'every minute';
  if (everyDay && step(minute) && hour === '*') return `every ${step(minute)} minutes`;
  if (everyDay && num(minute) && hour === '*') return `hourly at minute ${minute}`;
  if (everyDay && num(minute) && step(hour)) return `every ${step(hour)} hours at minute ${minute}`;
  const time = num(minute) && num(hour) ? `${hour.padStart(2, '0')}:${minute.padStart(2, '0')}` : undefined;
  if (time && everyDay) return `daily at ${time}`;
  const days = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
  if (time && dom === '*' && month === '*' && num(dow)) return `${days[Number(dow)] ?? dow}s at ${time}`;
  if (time && dom === '*' && month === '*' && dow === '1-5') return `weekdays at ${time}`;
  if (time && num(dom) && month === '*' && dow === '*') return `monthly on day ${dom} at ${time}`;
  return `cron "${expression}"`;
}
