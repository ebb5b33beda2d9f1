/**
 * Long-context (> 200k tokens) prices: a synthetic transcript whose messages sit above and below the threshold, for
 * models that have tiers and models that do not, priced by habitat and by `ccusage daily --offline --json` (20.0.24,
 * run here, offline). Each day holds a different mix, so a wrong rule shows up as a day whose cost differs.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { indexSessions, openSessionIndex } from '../src/index.js';

const ccusage = join(import.meta.dirname, '..', 'node_modules', '.bin', 'ccusage');
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'habitat-tiers-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Msg {
  day: string;
  model: string;
  input?: number;
  output?: number;
  cacheRead?: number;
  cacheWrite?: number;
  /** the share of `cacheWrite` written for an hour (sets `usage.cache_creation`) */
  hour?: number;
}

let n = 0;
function line(m: Msg): string {
  n++;
  const usage: Record<string, unknown> = {
    input_tokens: m.input ?? 0,
    output_tokens: m.output ?? 0,
    cache_read_input_tokens: m.cacheRead ?? 0,
    cache_creation_input_tokens: m.cacheWrite ?? 0,
  };
  if (m.hour !== undefined)
    usage.cache_creation = {
      ephemeral_5m_input_tokens: (m.cacheWrite ?? 0) - m.hour,
      ephemeral_1h_input_tokens: m.hour,
    };
  return JSON.stringify({
    type: 'assistant',
    sessionId: 'tiers',
    uuid: `u-${n}`,
    parentUuid: n > 1 ? `u-${n - 1}` : null,
    timestamp: `${m.day}T10:${String(n % 60).padStart(2, '0')}:00.000Z`,
    cwd: '/work/tiers',
    requestId: `req_${n}`,
    message: {
      id: `msg_${n}`,
      model: m.model,
      role: 'assistant',
      type: 'message',
      content: [{ type: 'text', text: `answer ${n}` }],
      usage,
    },
  });
}

const SONNET4 = 'claude-sonnet-4-20250514';
const SONNET45 = 'claude-sonnet-4-5-20250929';

// One day per question about the rule.
const MESSAGES: Msg[] = [
  // each kind alone above 200k, on a model with tiers
  { day: '2026-03-01', model: SONNET4, input: 300_000 },
  { day: '2026-03-01', model: SONNET4, output: 250_000 },
  { day: '2026-03-02', model: SONNET45, cacheRead: 450_000, input: 12 },
  { day: '2026-03-02', model: SONNET45, cacheWrite: 260_000 },
  // the threshold is per message: two messages of 150k on one day stay at the base price
  { day: '2026-03-03', model: SONNET4, input: 150_000 },
  { day: '2026-03-03', model: SONNET4, input: 150_000 },
  // and per token kind: 150k input + 100k cache read (250k of context) stays at the base price
  { day: '2026-03-04', model: SONNET4, input: 150_000, cacheRead: 100_000, output: 900 },
  // exactly 200k is below; 200,001 is one token above
  { day: '2026-03-05', model: SONNET45, input: 200_000 },
  { day: '2026-03-05', model: SONNET45, output: 200_001 },
  // 1-hour cache writes: their own threshold, at twice the (tiered) input price; the 5-minute share apart
  { day: '2026-03-06', model: SONNET4, cacheWrite: 300_000, hour: 250_000 },
  { day: '2026-03-06', model: SONNET45, cacheWrite: 420_000, hour: 210_000 },
  // models without tiers are not tiered above 200k
  { day: '2026-03-07', model: 'claude-sonnet-4-6', input: 300_000, cacheRead: 500_000 },
  { day: '2026-03-07', model: 'claude-opus-4-7', input: 300_000, output: 220_000 },
  { day: '2026-03-07', model: 'claude-opus-4-1-20250805', cacheWrite: 240_000 },
  // small messages beside big ones on a tiered model
  { day: '2026-03-08', model: SONNET45, input: 3, output: 500, cacheRead: 40_000, cacheWrite: 2_000 },
  {
    day: '2026-03-08',
    model: SONNET45,
    input: 5,
    output: 1_200,
    cacheRead: 380_000,
    cacheWrite: 230_000,
    hour: 0,
  },
];

test("per-day cost above and below 200k tokens equals ccusage's (tiers per message and token kind)", () => {
  const home = join(dir, 'claude');
  mkdirSync(join(home, 'projects', '-work-tiers'), { recursive: true });
  writeFileSync(join(home, 'projects', '-work-tiers', 'tiers.jsonl'), `${MESSAGES.map(line).join('\n')}\n`);

  const out = execFileSync(ccusage, ['daily', '--offline', '--json'], {
    env: { PATH: process.env.PATH, CLAUDE_CONFIG_DIR: home, HOME: join(dir, 'nohome'), TZ: 'UTC' },
  });
  const theirs = (JSON.parse(out.toString()) as { daily: Array<{ period: string; totalCost: number }> })
    .daily;
  expect(theirs.map((d) => d.period)).toEqual([...new Set(MESSAGES.map((m) => m.day))]);

  const db = join(dir, 'tiers.db');
  indexSessions({ dbPath: db, sources: { claude: [home], defaults: false } });
  const ix = openSessionIndex(db);
  const ours = new Map(
    ix.stats({ by: 'day', timezone: 'UTC', source: 'claude' }).map((d) => [d.key, d.costUsd]),
  );
  ix.close();

  // habitat rounds a cost to a millionth of a dollar
  const off = theirs
    .map((d) => [d.period, ours.get(d.period) ?? Number.NaN, d.totalCost] as const)
    .filter(([, mine, cc]) => !(Math.abs(mine - cc) <= 2e-6));
  expect(off).toEqual([]);
});
