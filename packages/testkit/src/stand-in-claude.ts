// A stand-in `claude` for scheduler tests: on PATH, it plays recorded Claude Code stream-json (the real
// limit streams in fixtures/limits) one scripted step per invocation, and records every invocation's
// argv and stdin. Fast and deterministic where the real binary would need a model server per run.
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { testdir } from './fixtures.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/limits');

/** A recorded Claude Code stream (see fixtures/limits/README.md). */
export function limitFixture(name: string): string {
  return path.join(FIXTURES, `${name}.jsonl`);
}

/** One invocation: replay a fixture (its resets moved to `resetsAt`, epoch seconds), or succeed. */
export type StandInStep =
  | { fixture: string; resetsAt?: number; exitCode?: number; sleepMs?: number }
  | { success: string; costUsd?: number; sleepMs?: number };

export interface StandInCall {
  argv: string[];
  stdin: string;
  /** epoch ms when the process started */
  at: number;
  configDir: string | undefined;
}

export interface StandInClaude {
  /** put first on the agent's PATH */
  binDir: string;
  /** the agent needs HABITAT_STAND_IN=<this> in its env */
  controlDir: string;
  /** replace the script (steps are consumed in order; the last repeats) */
  script(steps: StandInStep[]): void;
  calls(): StandInCall[];
}

const PROGRAM = String.raw`
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const at = Date.now();
const dir = process.env.HABITAT_STAND_IN;
const steps = JSON.parse(fs.readFileSync(path.join(dir, 'script.json'), 'utf8'));
const counter = path.join(dir, 'n');
const n = fs.existsSync(counter) ? Number(fs.readFileSync(counter, 'utf8')) : 0;
fs.writeFileSync(counter, String(n + 1));
const step = steps[Math.min(n, steps.length - 1)];
let stdin = '';
try { stdin = fs.readFileSync(0, 'utf8'); } catch {}
const argv = process.argv.slice(2);
fs.appendFileSync(path.join(dir, 'calls.jsonl'), JSON.stringify({ argv, stdin, at, configDir: process.env.CLAUDE_CONFIG_DIR }) + '\n');
const resumeAt = argv.indexOf('--resume');
const session = resumeAt >= 0 ? argv[resumeAt + 1] : crypto.randomUUID();
const out = (lines) => fs.writeSync(1, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n');
setTimeout(() => {
  if (step.fixture) {
    let text = fs.readFileSync(path.join(${JSON.stringify(FIXTURES)}, step.fixture + '.jsonl'), 'utf8');
    if (step.resetsAt) {
      const base = Number((/"resetsAt":(\d+)/.exec(text) || [])[1]);
      if (base) text = text.replace(/"resetsAt":(\d+)/g, (_, v) => '"resetsAt":' + (Number(v) - base + step.resetsAt));
      text = text.replace(/usage limit reached\|(\d+)/g, 'usage limit reached|' + step.resetsAt);
    }
    fs.writeSync(1, text);
    process.exitCode = step.exitCode ?? 1;
  } else {
    const usage = { input_tokens: 1200, output_tokens: 300, cache_read_input_tokens: 5000, cache_creation_input_tokens: 100 };
    out([
      { type: 'system', subtype: 'init', session_id: session, model: 'claude-sonnet-4-5', cwd: process.cwd() },
      { type: 'assistant', message: { model: 'claude-sonnet-4-5', content: [{ type: 'text', text: step.success }] }, session_id: session },
      { type: 'result', subtype: 'success', is_error: false, num_turns: 1, result: step.success, session_id: session, total_cost_usd: step.costUsd ?? 0.05, usage },
    ]);
  }
}, step.sleepMs ?? 0);
`;

/** Install a stand-in `claude` in a fresh bin dir, scripted by `steps`. */
export function standInClaude(steps: StandInStep[] = [{ success: 'done' }]): StandInClaude {
  const binDir = testdir({}, 'habitat-stand-in-bin-');
  const controlDir = testdir({}, 'habitat-stand-in-');
  const bin = path.join(binDir, 'claude');
  writeFileSync(bin, `#!${process.execPath}\n${PROGRAM}`);
  chmodSync(bin, 0o755);
  const script = (s: StandInStep[]) => writeFileSync(path.join(controlDir, 'script.json'), JSON.stringify(s));
  script(steps);
  return {
    binDir,
    controlDir,
    script,
    calls: () => {
      const file = path.join(controlDir, 'calls.jsonl');
      if (!existsSync(file)) return [];
      return readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as StandInCall);
    },
  };
}
