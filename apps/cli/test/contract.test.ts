// The --json contract against real output: a real fleet of local agents run by `up --once`, then every
// listing. Strict schemas: a snake_case key, an epoch number or a missing key fails. docs/json/ must match.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { testdir } from '@habitat/testkit';
import { expect, expectTypeOf, test } from 'vitest';
import type { z } from 'zod';
import type { AgentJson, NextJson, RunJson, StatsJson, StatusJson, ValidateJson } from '../src/json.js';
import { CONTRACT, jsonSchemaOf } from './json-contract.js';

const CLI = path.resolve(__dirname, '../dist/index.js');
const DOCS = path.resolve(__dirname, '../../../docs/json');
const json = (root: string, ...args: string[]) => {
  const out = spawnSync(process.execPath, [CLI, ...args, '--json'], { cwd: root, encoding: 'utf8' });
  return { status: out.status, value: JSON.parse(out.stdout) as unknown, stderr: out.stderr };
};

test('the TypeScript types of the JSON output are the schemas', () => {
  expectTypeOf<RunJson>().toEqualTypeOf<z.infer<typeof CONTRACT.run>>();
  expectTypeOf<StatusJson>().toEqualTypeOf<z.infer<typeof CONTRACT.status>>();
  expectTypeOf<NextJson[]>().toEqualTypeOf<z.infer<typeof CONTRACT.next>>();
  expectTypeOf<StatsJson[]>().toEqualTypeOf<z.infer<typeof CONTRACT.stats>>();
  expectTypeOf<AgentJson[]>().toEqualTypeOf<z.infer<typeof CONTRACT.list>>();
  expectTypeOf<ValidateJson>().toEqualTypeOf<z.infer<typeof CONTRACT.validate>>();
});

test('docs/json/ holds the current schema of every output', () => {
  for (const name of Object.keys(CONTRACT) as (keyof typeof CONTRACT)[]) {
    const file = path.join(DOCS, `${name}.schema.json`);
    const want = `${JSON.stringify(jsonSchemaOf(name), null, 2)}\n`;
    if (process.env.HABITAT_WRITE_JSON_SCHEMAS) writeFileSync(file, want);
    expect(
      readFileSync(file, 'utf8'),
      `${file} is stale: HABITAT_WRITE_JSON_SCHEMAS=1 pnpm vitest run test/contract.test.ts`,
    ).toBe(want);
  }
});

test('every --json output keeps to its schema; a signalled agent shows its signal', () => {
  const root = testdir({
    'habitat.yaml': '',
    'agents/ok.yaml': 'run: { command: [sh, -c, "echo fine"] }\nschedule: { every: 1h }\n',
    'agents/three.yaml': 'run: { command: [sh, -c, "exit 3"] }\nschedule: { every: 1h }\n',
    'agents/sig.yaml': 'run: { command: [sh, -c, "kill -TERM $$"] }\nschedule: { every: 1h }\n',
    'agents/later.yaml': 'run: { command: [echo] }\nschedule: manual\n',
  });
  const up = json(root, 'up', '--once', '--no-layers');
  expect(up.status, up.stderr).toBe(1);
  const runs = CONTRACT.history.parse(up.value);
  const by = Object.fromEntries(runs.map((r) => [r.agent, r]));
  expect(by.ok).toMatchObject({ status: 'succeeded', exitCode: 0, signal: null });
  expect(by.three).toMatchObject({ status: 'failed', exitCode: 3 });
  expect(by.sig).toMatchObject({ exitCode: null, signal: 'SIGTERM' });

  const history = CONTRACT.history.parse(json(root, 'history').value);
  expect(history.map((r) => r.runId).sort()).toEqual(runs.map((r) => r.runId).sort());
  expect(history.find((r) => r.agent === 'sig')?.signal).toBe('SIGTERM');
  const status = CONTRACT.status.parse(json(root, 'status').value);
  expect(status.agents.find((a) => a.agent === 'three')?.lastRun?.exitCode).toBe(3);
  CONTRACT.next.parse(json(root, 'next').value);
  CONTRACT.stats.parse(json(root, 'stats').value);
  const list = CONTRACT.list.parse(json(root, 'list').value);
  // list's next is the daemon's plan once there is one, the same as status says
  const ok = list.find((a) => a.name === 'ok')!;
  expect(ok.nextSource).toBe('plan');
  expect(ok.next).toBe(status.agents.find((a) => a.agent === 'ok')?.nextAt);
  expect(list.find((a) => a.name === 'later')).toMatchObject({ next: null, nextSource: null });
  expect(CONTRACT.validate.parse(json(root, 'validate').value).valid).toBe(true);
});
