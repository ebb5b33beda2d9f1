// The validated snapshot behind loadCoordinator/loadSettings: same answers as a full validation, and never
// an answer from before a change to anything the validation looked at.
import { createHook } from 'node:async_hooks';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadCoordinator, loadSettings } from '../src/index.js';
import { coordinator } from './helpers.js';

const cache = mkdtempSync(path.join(tmpdir(), 'habitat-cache-'));
const saved = process.env.HABITAT_CACHE_DIR;
beforeAll(() => {
  process.env.HABITAT_CACHE_DIR = cache;
});
afterAll(() => {
  if (saved === undefined) delete process.env.HABITAT_CACHE_DIR;
  else process.env.HABITAT_CACHE_DIR = saved;
});

const FILES = {
  'habitat.yaml': 'maxConcurrentRuns: 3\ndefaults: { timeout: 5m }\n',
  'agents/good.yaml': 'run: { command: [echo, ok] }\nschedule: { every: 6h }\n',
  'agents/typo.yaml': 'run: { command: [echo] }\nschedul: { every: 1h }\n',
  'agents/script.yaml': 'run: { script: run.sh }\n',
  'agents/cred.yaml':
    'run: { command: [echo] }\ncredentials: [{ name: t, env: HABITAT_SNAPSHOT_TEST_TOKEN }]\n',
};

/** Mark the snapshot on disk, so a test can tell whether an answer came from it. */
function markSnapshot(): void {
  const dir = path.join(cache, 'config');
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.agents.json'))) {
    const file = path.join(dir, f);
    const snap = JSON.parse(readFileSync(file, 'utf8'));
    for (const a of snap.coordinator.agents) a.description = 'from the snapshot';
    writeFileSync(file, JSON.stringify(snap));
  }
}
const fromSnapshot = (c: Awaited<ReturnType<typeof loadCoordinator>>) =>
  c.agents.some((a) => a.description === 'from the snapshot');

test('a second load answers from the snapshot with the same agents and every diagnostic', async () => {
  const root = coordinator(FILES);
  const first = await loadCoordinator(root);
  expect(first.agents.map((a) => a.name)).toEqual(['good']);
  expect(first.diagnostics.map((d) => `${path.basename(d.file)} ${d.code}`).sort()).toEqual([
    'cred.yaml missing-credential',
    'script.yaml missing-file',
    'typo.yaml unknown-key',
  ]);
  const second = await loadCoordinator(root);
  expect(second).toEqual(first);
  markSnapshot();
  expect(fromSnapshot(await loadCoordinator(root))).toBe(true);
  // validate asks for a full validation
  expect(fromSnapshot(await loadCoordinator(root, { fresh: true }))).toBe(false);
  expect((await loadSettings(root)).settings.maxConcurrentRuns).toBe(3);
});

test('an edit of the same size, a new agent file, a created file or a set variable is seen at once', async () => {
  const root = coordinator(FILES);
  await loadCoordinator(root);
  markSnapshot();
  writeFileSync(
    path.join(root, 'agents/good.yaml'),
    'run: { command: [echo, ok] }\nschedule: { every: 7h }\n',
  );
  const edited = await loadCoordinator(root);
  expect(fromSnapshot(edited)).toBe(false);
  expect(edited.agents.find((a) => a.name === 'good')?.schedule).toMatchObject({ everyMs: 7 * 3600_000 });

  writeFileSync(path.join(root, 'agents/new.yaml'), 'run: { command: [echo] }\n');
  expect((await loadCoordinator(root)).agents.map((a) => a.name)).toEqual(['good', 'new']);

  writeFileSync(path.join(root, 'run.sh'), '#!/bin/sh\n');
  expect((await loadCoordinator(root)).agents.map((a) => a.name)).toEqual(['good', 'new', 'script']);

  process.env.HABITAT_SNAPSHOT_TEST_TOKEN = 'x';
  try {
    const withToken = await loadCoordinator(root);
    expect(withToken.agents.map((a) => a.name)).toEqual(['cred', 'good', 'new', 'script']);
    expect(withToken.diagnostics.map((d) => d.code)).toEqual(['unknown-key']);
  } finally {
    delete process.env.HABITAT_SNAPSHOT_TEST_TOKEN;
  }
  expect((await loadCoordinator(root)).diagnostics.map((d) => d.code).sort()).toEqual([
    'missing-credential',
    'unknown-key',
  ]);

  writeFileSync(path.join(root, 'habitat.yaml'), 'maxConcurrentRuns: 9\ndefaults: { timeout: 5m }\n');
  expect((await loadSettings(root)).settings.maxConcurrentRuns).toBe(9);
  expect((await loadCoordinator(root)).settings.maxConcurrentRuns).toBe(9);
});

test('HABITAT_NO_CONFIG_CACHE=1 always validates in full', async () => {
  const root = coordinator(FILES);
  await loadCoordinator(root);
  markSnapshot();
  process.env.HABITAT_NO_CONFIG_CACHE = '1';
  try {
    expect(fromSnapshot(await loadCoordinator(root))).toBe(false);
  } finally {
    delete process.env.HABITAT_NO_CONFIG_CACHE;
  }
});

test('a snapshot hit reads habitat.yaml without async file I/O (it would start the thread pool: ms of start-up)', async () => {
  const root = coordinator({ 'habitat.yaml': 'maxConcurrentRuns: 5\n' });
  const first = await loadSettings(root);
  const types: string[] = [];
  const hook = createHook({ init: (_id, type) => void types.push(type) }).enable();
  const second = await loadSettings(root);
  hook.disable();
  expect(second).toEqual(first);
  expect(second.settings.maxConcurrentRuns).toBe(5);
  // an async read of the file shows as a FILEHANDLE / FSREQPROMISE / FSREQCALLBACK resource
  expect(types.filter((t) => t.startsWith('FS') || t === 'FILEHANDLE')).toEqual([]);
});

test('a habitat.yaml that is a FIFO or too large is never cached and gets its diagnostic, without blocking', async () => {
  const fifoRoot = coordinator({});
  execFileSync('mkfifo', [path.join(fifoRoot, 'habitat.yaml')]);
  for (let i = 0; i < 2; i++) {
    const loaded = await loadSettings(fifoRoot);
    expect(loaded.diagnostics.map((d) => d.code)).toEqual(['missing-file']);
  }
  const bigRoot = coordinator({ 'habitat.yaml': `# ${'x'.repeat(300 * 1024)}\n` });
  for (let i = 0; i < 2; i++)
    expect((await loadSettings(bigRoot)).diagnostics.map((d) => d.code)).toEqual(['file-too-large']);
  // a missing file is the defaults, cached like any other
  const none = coordinator({});
  const defaults = await loadSettings(none);
  expect(defaults.diagnostics).toEqual([]);
  expect(await loadSettings(none)).toEqual(defaults);
});
