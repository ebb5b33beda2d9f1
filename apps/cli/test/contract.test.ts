// The --json contract against real output: a real fleet of local agents run by `up --once`, then every
// listing. Strict schemas: a snake_case key, an epoch number or a missing key fails. docs/json/ must match.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type {
  AddOutcome,
  Context,
  ExtractReport,
  KnowledgeHit,
  KnowledgeStats,
  Learning,
  Provenance,
  SyncReport,
} from '@habitat/knowledge';
import type { AccountReport } from '@habitat/scheduler';
import type { IndexReport, SearchHit, Session, SessionEvent, StatsRow } from '@habitat/sessions';
import { standInClaude, testdir, waitFor } from '@habitat/testkit';
import { expect, expectTypeOf, test } from 'vitest';
import type { z } from 'zod';
import type { Check } from '../src/commands/doctor.js';
import type { AgentJson, NextJson, RunJson, StatsJson, StatusJson, ValidateJson } from '../src/json.js';
import type {
  AccountJson,
  AddJson,
  ContextJson,
  ExtractJson,
  HitJson,
  IndexReportJson,
  KnowledgeStatsJson,
  LearningJson,
  ListedLearningJson,
  SearchJson,
  SessionDetailJson,
  SessionJson,
  SessionStatsJson,
  SyncReportJson,
} from '../src/json-data.js';
import { CONTRACT, jsonSchemaOf } from './json-contract.js';

const CLI = path.resolve(__dirname, '../dist/index.js');
const DOCS = path.resolve(__dirname, '../../../docs/json');
const REAL = path.resolve(__dirname, '../../../../shared/real-sessions');
const json = (root: string, ...args: string[]) => {
  const out = spawnSync(process.execPath, [CLI, ...args, '--json'], { cwd: root, encoding: 'utf8' });
  if (out.status !== 0 && out.stdout === '') throw new Error(`${args.join(' ')}: ${out.stderr}`);
  return { status: out.status, value: JSON.parse(out.stdout) as unknown, stderr: out.stderr };
};

test('the TypeScript types of the JSON output are the schemas', () => {
  expectTypeOf<RunJson>().toEqualTypeOf<z.infer<typeof CONTRACT.run>>();
  expectTypeOf<StatusJson>().toEqualTypeOf<z.infer<typeof CONTRACT.status>>();
  expectTypeOf<NextJson[]>().toEqualTypeOf<z.infer<typeof CONTRACT.next>>();
  expectTypeOf<StatsJson[]>().toEqualTypeOf<z.infer<typeof CONTRACT.stats>>();
  expectTypeOf<AgentJson[]>().toEqualTypeOf<z.infer<typeof CONTRACT.list>>();
  expectTypeOf<ValidateJson>().toEqualTypeOf<z.infer<typeof CONTRACT.validate>>();
  expectTypeOf<AccountJson[]>().toEqualTypeOf<z.infer<typeof CONTRACT.accounts>>();
  expectTypeOf<Check[]>().toEqualTypeOf<z.infer<typeof CONTRACT.doctor>>();
  expectTypeOf<SessionJson[]>().toEqualTypeOf<z.infer<(typeof CONTRACT)['sessions-list']>>();
  expectTypeOf<SearchJson>().toEqualTypeOf<z.infer<(typeof CONTRACT)['sessions-search']>>();
  expectTypeOf<SessionStatsJson[]>().toEqualTypeOf<z.infer<(typeof CONTRACT)['sessions-stats']>>();
  expectTypeOf<IndexReportJson>().toEqualTypeOf<z.infer<(typeof CONTRACT)['sessions-index']>>();
  expectTypeOf<SessionDetailJson>().toEqualTypeOf<z.infer<(typeof CONTRACT)['sessions-show']>>();
  expectTypeOf<AddJson>().toEqualTypeOf<z.infer<(typeof CONTRACT)['knowledge-add']>>();
  expectTypeOf<HitJson[]>().toEqualTypeOf<z.infer<(typeof CONTRACT)['knowledge-search']>>();
  expectTypeOf<ListedLearningJson[]>().toEqualTypeOf<z.infer<(typeof CONTRACT)['knowledge-list']>>();
  expectTypeOf<LearningJson>().toEqualTypeOf<z.infer<(typeof CONTRACT)['knowledge-show']>>();
  expectTypeOf<ContextJson>().toEqualTypeOf<z.infer<(typeof CONTRACT)['knowledge-context']>>();
  expectTypeOf<KnowledgeStatsJson>().toEqualTypeOf<z.infer<(typeof CONTRACT)['knowledge-stats']>>();
  expectTypeOf<ExtractJson[]>().toEqualTypeOf<z.infer<(typeof CONTRACT)['knowledge-extract']>>();
  expectTypeOf<SyncReportJson>().toEqualTypeOf<z.infer<(typeof CONTRACT)['knowledge-index']>>();
});

test('the JSON keeps every key the libraries have: a new library field must reach the contract too', () => {
  expectTypeOf<keyof SessionJson>().toEqualTypeOf<keyof Session>();
  expectTypeOf<keyof SessionDetailJson['events'][number]>().toEqualTypeOf<keyof SessionEvent>();
  expectTypeOf<keyof SearchJson['hits'][number]>().toEqualTypeOf<keyof SearchHit>();
  expectTypeOf<keyof SessionStatsJson>().toEqualTypeOf<keyof StatsRow>();
  expectTypeOf<keyof IndexReportJson>().toEqualTypeOf<keyof IndexReport>();
  expectTypeOf<keyof LearningJson>().toEqualTypeOf<keyof Learning>();
  expectTypeOf<keyof LearningJson['provenance'][number]>().toEqualTypeOf<keyof Provenance>();
  expectTypeOf<keyof HitJson>().toEqualTypeOf<keyof KnowledgeHit>();
  expectTypeOf<keyof AddJson>().toEqualTypeOf<keyof AddOutcome>();
  expectTypeOf<keyof ContextJson>().toEqualTypeOf<keyof Context>();
  expectTypeOf<keyof KnowledgeStatsJson>().toEqualTypeOf<keyof KnowledgeStats>();
  expectTypeOf<keyof ExtractJson>().toEqualTypeOf<keyof ExtractReport>();
  expectTypeOf<keyof SyncReportJson>().toEqualTypeOf<keyof SyncReport>();
  expectTypeOf<keyof AccountJson>().toEqualTypeOf<keyof AccountReport>();
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

test('sessions --json outputs keep to their schemas, on the real transcripts (fast path and full CLI alike)', () => {
  const root = testdir({ 'habitat.yaml': '' });
  const src = [
    '--no-defaults',
    '--claude-dir',
    path.join(REAL, 'claude'),
    '--codex-dir',
    path.join(REAL, 'codex'),
  ];
  const index = CONTRACT['sessions-index'].parse(json(root, 'sessions', 'index', ...src).value);
  expect(index.added).toBeGreaterThan(10);
  const list = CONTRACT['sessions-list'].parse(json(root, 'sessions', 'list', '-n', '500').value);
  expect(list.length).toBeGreaterThan(10);
  // the optional facts of a session are explicit nulls, never left out
  expect(list.some((s) => s.costUsd === null) && list.some((s) => s.costUsd !== null)).toBe(true);
  const fast = CONTRACT['sessions-search'].parse(json(root, 'sessions', 'search', 'error').value);
  expect(fast.hits.length).toBeGreaterThan(0);
  const full = spawnSync(process.execPath, [CLI, 'sessions', 'search', 'error', '--json'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, HABITAT_SESSIONS_FAST: '0' },
  });
  expect(JSON.parse(full.stdout)).toEqual(fast);
  expect(
    CONTRACT['sessions-search'].parse(json(root, 'sessions', 'search', 'zzqxv', 'qqwyz').value).mode,
  ).toBe('none');
  for (const by of ['day', 'model', 'source'])
    CONTRACT['sessions-stats'].parse(json(root, 'sessions', 'stats', '--by', by).value);
  // the busiest session, and one that started subagents
  const busiest = [...list].sort((a, b) => b.toolCalls - a.toolCalls)[0]!;
  const parent = list.find((s) => list.some((c) => c.parentId === s.id))!;
  for (const s of [busiest, parent]) {
    const show = CONTRACT['sessions-show'].parse(json(root, 'sessions', 'show', s.id).value);
    expect(show.session.id).toBe(s.id);
    expect(show.events.length).toBe(s.events);
    const exported = spawnSync(process.execPath, [CLI, 'sessions', 'export', s.id, '--format', 'json'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(JSON.parse(exported.stdout)).toEqual(show);
  }
  expect(
    CONTRACT['sessions-show'].parse(json(root, 'sessions', 'show', parent.id).value).subagents.length,
  ).toBeGreaterThan(0);
});

test('knowledge, accounts and doctor --json keep to their schemas; pause and resume answer with an ack', async () => {
  const resetsAt = Math.ceil(Date.now() / 1000) + 3600;
  const claude = standInClaude([{ fixture: 'five-hour-warning', resetsAt, exitCode: 0 }]);
  const root = testdir({
    'habitat.yaml': '',
    'prompts/task.md': 'upload the report to the uploads bucket',
    // IS_SANDBOX: the stand-in runs as root in CI, which a real claude accepts only in a sandbox
    'agents/writer.yaml': [
      'run: { claude: prompts/task.md }',
      'schedule: { every: 1h }',
      `env: { PATH: "${claude.binDir}:${process.env.PATH}", HABITAT_STAND_IN: "${claude.controlDir}", IS_SANDBOX: "1" }`,
      'credentials: [{ name: claude-login, env: HABITAT_TEST_OAUTH, envName: CLAUDE_CODE_OAUTH_TOKEN }]',
      'knowledge: { context: true, project: uploads }',
      '',
    ].join('\n'),
  });
  process.env.HABITAT_TEST_OAUTH = 'sk-ant-oat01-contract-test-token';
  const add = (text: string, ...flags: string[]) =>
    CONTRACT['knowledge-add'].parse(json(root, 'knowledge', 'add', text, ...flags).value);
  expect(
    add('The uploads bucket is in us-east-1; presign with that region.', '--project', 'uploads').outcome,
  ).toBe('added');
  const moved = add(
    'The uploads bucket moved from us-east-1 to eu-central-1; presign with eu-central-1.',
    '--project',
    'uploads',
  );
  expect(moved.outcome).toBe('conflict');
  expect(moved.conflicts.length).toBe(1);
  expect(
    add('The uploads bucket is in us-east-1; presign with that region.', '--project', 'uploads').outcome,
  ).toBe('merged');
  add('Org-wide: releases are cut on Tuesdays.', '--tags', 'release');

  const hits = CONTRACT['knowledge-search'].parse(
    json(root, 'knowledge', 'search', 'uploads', 'bucket', 'region').value,
  );
  expect(hits.some((h) => h.stale !== null)).toBe(true);
  const all = CONTRACT['knowledge-list'].parse(json(root, 'knowledge', 'list').value);
  expect(CONTRACT['knowledge-list'].parse(json(root, 'knowledge', 'list', '-n', '1').value)).toHaveLength(1);
  expect(all.find((l) => l.scope.kind === 'org')?.scope.name).toBeNull();
  // the contradicted one says so, as in search and the text listing
  expect(all.find((l) => l.body.includes('is in us-east-1'))?.stale).toMatchObject({ reason: 'newer' });
  expect(all.find((l) => l.body.includes('moved from'))?.stale).toBeNull();
  CONTRACT['knowledge-show'].parse(json(root, 'knowledge', 'show', all[0]!.id).value);
  CONTRACT['knowledge-context'].parse(
    json(root, 'knowledge', 'context', '--task', 'presign an uploads URL').value,
  );
  CONTRACT['knowledge-index'].parse(json(root, 'knowledge', 'index').value);
  // the fast path (no commander) and the full CLI print the same document
  const full = spawnSync(
    process.execPath,
    [CLI, 'knowledge', 'search', 'uploads', 'bucket', 'region', '--json'],
    {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, HABITAT_KNOWLEDGE_FAST: '0' },
    },
  );
  expect(JSON.parse(full.stdout)).toEqual(hits);
  // a retraction's reason is part of the learning's provenance
  const org = all.find((l) => l.scope.kind === 'org')!;
  spawnSync(process.execPath, [CLI, 'knowledge', 'retract', org.id, '--reason', 'releases moved'], {
    cwd: root,
  });
  const retracted = CONTRACT['knowledge-show'].parse(json(root, 'knowledge', 'show', org.id).value);
  expect(retracted.provenance.at(-1)).toMatchObject({ action: 'retracted', reason: 'releases moved' });

  // a claude run (the stand-in plays a five-hour warning): its brief is recorded, its account gets a window
  const up = json(root, 'up', '--once');
  const [run] = CONTRACT.history.parse(up.value);
  expect(run?.status, up.stderr).toBe('succeeded');
  const stats = CONTRACT['knowledge-stats'].parse(json(root, 'knowledge', 'stats').value);
  expect(stats.briefs).toBe(1);
  expect(stats.run).toBeNull();
  const one = CONTRACT['knowledge-stats'].parse(json(root, 'knowledge', 'stats', '--run', run!.runId).value);
  expect(one.run?.[0]?.runId).toBe(run!.runId);
  const [account] = CONTRACT.accounts.parse(json(root, 'accounts').value);
  expect(account?.windows.length).toBeGreaterThan(0);
  expect(account?.agents).toEqual(['writer']);
  // people read the reset in the local zone with its offset, or in UTC with --utc, like every other time
  const text = (...args: string[]) =>
    spawnSync(process.execPath, [CLI, 'accounts', ...args], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, TZ: 'Asia/Kolkata', NO_COLOR: '1' },
    }).stdout;
  expect(text()).toMatch(/resets \d{4}-\d\d-\d\d \d\d:\d\d\+05:30/);
  expect(text('--utc')).toMatch(/resets \d{4}-\d\d-\d\d \d\d:\d\dZ/);

  // extraction over the indexed sessions (the run's own session, ingested by up)
  CONTRACT['knowledge-extract'].parse(json(root, 'knowledge', 'extract', '--since', '1d').value);
  const doctor = json(root, 'doctor');
  expect(CONTRACT.doctor.parse(doctor.value).map((c) => c.check)).toContain('coordinator');

  // a live daemon answers pause and resume with an ack
  const daemon = spawn(process.execPath, [CLI, 'up', '--no-layers'], { cwd: root, stdio: 'ignore' });
  try {
    await waitFor(() => existsSync(path.join(root, '.habitat/habitat.sock')), { timeout: 15_000 });
    await waitFor(() => (json(root, 'status').value as StatusJson).daemon.live, { timeout: 15_000 });
    expect(CONTRACT.ack.parse(json(root, 'pause', 'writer').value)).toEqual({ ok: true });
    expect(CONTRACT.ack.parse(json(root, 'resume', 'writer').value)).toEqual({ ok: true });
  } finally {
    daemon.kill('SIGTERM');
    await new Promise((r) => daemon.once('exit', r));
  }
});
