// Shared by the chaos suite: real daemons (`habitat up` as a child process) on real coordinators, ground
// truth written by the agents themselves outside the state dir, and the figures every scenario reports.
import { type ChildProcess, spawn } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openStore, type RunRow } from '../src/index.js';

// HABITAT_CHAOS_CLI: another build's CLI (a baseline, for chaos/interleave.sh)
export const CLI =
  process.env.HABITAT_CHAOS_CLI ?? path.resolve(__dirname, '../../../apps/cli/dist/index.js');

export interface Fleet {
  root: string;
  stateDir: string;
  /** the agents' ground truth (outside the state dir) */
  truth: string;
}

export function fleet(agents: Record<string, string>, files: Record<string, string> = {}): Fleet {
  const root = mkdtempSync(path.join(tmpdir(), 'habitat-chaos-'));
  const truthDir = mkdtempSync(path.join(tmpdir(), 'habitat-chaos-truth-'));
  const truth = path.join(truthDir, 'truth.log');
  writeFileSync(truth, '');
  mkdirSync(path.join(root, 'agents'));
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), content.replaceAll('TRUTH', truth));
  }
  for (const [name, yaml] of Object.entries(agents))
    writeFileSync(path.join(root, 'agents', `${name}.yaml`), yaml.replaceAll('TRUTH', truth));
  return { root, stateDir: path.join(root, '.habitat'), truth };
}

export interface Up {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
}

export function up(root: string, env: Record<string, string> = {}, nodeArgs: string[] = []): Up {
  const child = spawn(process.execPath, [...nodeArgs, CLI, 'up', '--no-layers', '--grace', '20'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, HABITAT_LOG_FORMAT: 'json', ...env },
  });
  let err = '';
  child.stderr!.on('data', (c) => {
    err += c;
    if (err.length > 200_000) err = err.slice(-100_000);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, exited, stderr: () => err };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(fn: () => T | undefined | false, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await sleep(50);
  }
}

export function runsOf(stateDir: string): RunRow[] {
  if (!existsSync(path.join(stateDir, 'scheduler.db'))) return [];
  try {
    const store = openStore(stateDir, { readonly: true });
    try {
      return store.history(undefined, 100_000);
    } finally {
      store.close();
    }
  } catch {
    return [];
  }
}

export const socketUp = (stateDir: string) => existsSync(path.join(stateDir, 'habitat.sock'));

/** Files left under `<stateDir>/runs` (credential files, wake files): 0 once nothing is in flight. */
export function leftoverRunFiles(stateDir: string): number {
  const dir = path.join(stateDir, 'runs');
  let n = 0;
  const walk = (p: string) => {
    for (const e of readdirSync(p, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(p, e.name));
      else n++;
    }
  };
  if (existsSync(dir)) walk(dir);
  return n;
}

/** One line of ground truth: `<kind> <runId> <agent> <epoch ms>` written by the agent itself. */
export interface TruthLine {
  kind: string;
  runId: string;
  agent: string;
  at: number;
}

export function readTruth(file: string): TruthLine[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [kind, runId, agent, at] = l.split(' ');
      return { kind: kind!, runId: runId!, agent: agent!, at: Number(at) };
    });
}

/** The figures of a scenario; printed, and appended to $HABITAT_CHAOS_REPORT (JSON lines). */
export function report(scenario: string, figures: Record<string, number | string>): void {
  const line = { scenario, ...figures };
  const text = Object.entries(figures)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  process.stdout.write(`chaos ${scenario}: ${text}\n`);
  const file = process.env.HABITAT_CHAOS_REPORT ?? path.join(tmpdir(), 'habitat-chaos-report.jsonl');
  appendFileSync(file, `${JSON.stringify(line)}\n`);
}

/** The wake-up every chaos agent asks for at the end of its run. */
export const WAKE_MS = 2000;

/** Compare what the agents did with what the daemon recorded and planned. */
export function analyse(truth: TruthLine[], stateDir: string, horizon: number, toleranceMs: number) {
  const starts = new Map<string, TruthLine[]>();
  for (const t of truth.filter((l) => l.kind === 'start'))
    starts.set(t.runId, [...(starts.get(t.runId) ?? []), t]);
  const ends = new Map(truth.filter((l) => l.kind === 'end').map((t) => [t.runId, t]));
  const duplicates = [...starts.values()].reduce((n, list) => n + list.length - 1, 0);
  const rows = new Map(runsOf(stateDir).map((r) => [r.id, r]));
  let lostWakes = 0;
  let earlyWakes = 0;
  const byAgent = new Map<string, TruthLine[]>();
  for (const list of starts.values())
    for (const s of list) byAgent.set(s.agent, [...(byAgent.get(s.agent) ?? []), s]);
  for (const list of byAgent.values()) {
    list.sort((a, b) => a.at - b.at);
    for (const [i, s] of list.entries()) {
      const end = ends.get(s.runId);
      if (!end) continue;
      const next = list[i + 1];
      if (next && next.at < end.at + WAKE_MS - toleranceMs) earlyWakes++;
      if (!next && end.at + WAKE_MS < horizon) lostWakes++;
    }
  }
  const recordedWrong = [...ends.keys()].filter((id) => rows.get(id)?.status !== 'succeeded').length;
  const unfinished = [...starts.keys()].filter((id) => !ends.has(id)).length;
  return {
    executions: [...starts.values()].reduce((n, l) => n + l.length, 0),
    completed: ends.size,
    duplicates,
    lostWakes: lostWakes + earlyWakes,
    earlyWakes,
    recordedWrong,
    unfinished,
    recordedLost: [...rows.values()].filter((r) => r.status === 'lost').length,
  };
}

/** An agent running `script` (sh), planned hourly, waking itself, with a file credential. */
export const agentYaml = (script: string, extra = '') =>
  `run:\n  command:\n    - sh\n    - -c\n    - |\n${script
    .trim()
    .split('\n')
    .map((l) => `      ${l}`)
    .join(
      '\n',
    )}\nschedule: { every: 1h }\nwake: { mode: agent, min: 1s }\ncredentials:\n  - { name: tok, from: ../secret.txt, as: file }\n${extra}`;
