// Table widths: the tables' own `…` (a cut cell, a shortened project path) is measured without string-width, whose
// Intl.Segmenter and Unicode regexes cost ~60 ms of a `sessions list` (issue 17's start-up goal); any other
// non-ASCII text still goes to string-width. Checked on the built CLI by counting Intl.Segmenter constructions.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { testdir } from '@habitat/testkit';
import realWidth from 'string-width';
import { expect, test } from 'vitest';
import { stringWidth } from '../src/output.js';

const CLI = path.resolve(__dirname, '../dist/index.js');
const FIXTURE = path.resolve(__dirname, '../../../packages/testkit/fixtures/session.jsonl');

test('the width of text with `…` and of other non-ASCII text is what string-width says', () => {
  for (const text of [
    '',
    'abc',
    'ab…',
    '…/habitat-bench-startup-M5Jnpo',
    '……',
    '日本語',
    'a…日',
    'é',
    'e\u0301',
    '👍',
    'x\u200b',
  ])
    expect(stringWidth(text), JSON.stringify(text)).toBe(realWidth(text));
});

/** `sessions list` (fast path and full CLI) on one session; how many Intl.Segmenters the process built. */
function segmentersFor(cwd: string, title: string, fast: boolean): { out: string; segmenters: number } {
  const root = testdir({ 'habitat.yaml': '' });
  const text = readFileSync(FIXTURE, 'utf8')
    .replaceAll('/tmp/habitat-test-u21pnZ', cwd)
    .replaceAll('summarise the notes', title);
  mkdirSync(path.join(root, 'claude/projects/p'), { recursive: true });
  writeFileSync(path.join(root, 'claude/projects/p/session.jsonl'), text);
  const probe = path.join(root, 'probe.mjs');
  // counts constructions; written at exit
  writeFileSync(
    probe,
    `import { writeFileSync } from 'node:fs';
let n = 0;
const Base = Intl.Segmenter;
Intl.Segmenter = class extends Base { constructor(...a) { super(...a); n++; } };
process.on('exit', () => writeFileSync(${JSON.stringify(path.join(root, 'segmenters'))}, String(n)));
`,
  );
  const env = { ...process.env, HOME: root, HABITAT_CACHE_DIR: path.join(root, 'cache'), NO_COLOR: '1' };
  const sources = ['--no-defaults', '--claude-dir', path.join(root, 'claude')];
  const index = spawnSync(process.execPath, [CLI, 'sessions', 'index', ...sources], {
    cwd: root,
    env,
    encoding: 'utf8',
  });
  expect(index.status, index.stderr).toBe(0);
  // the first read writes the settings snapshot, which the fast path needs
  expect(spawnSync(process.execPath, [CLI, 'sessions', 'list', ...sources], { cwd: root, env }).status).toBe(
    0,
  );
  const list = spawnSync(process.execPath, ['--import', probe, CLI, 'sessions', 'list', ...sources], {
    cwd: root,
    env: { ...env, HABITAT_SESSIONS_FAST: fast ? '1' : '0' },
    encoding: 'utf8',
  });
  expect(list.status, list.stderr).toBe(0);
  return { out: list.stdout, segmenters: Number(readFileSync(path.join(root, 'segmenters'), 'utf8')) };
}

test.each([true, false])(
  'sessions list of a shortened project path builds no Intl.Segmenter (fast path: %s)',
  (fast) => {
    const cwd = '/tmp/a-project-directory-with-a-rather-long-name/service';
    const shortened = segmentersFor(cwd, 'summarise the notes', fast);
    expect(shortened.out).toContain('…th-a-rather-long-name/service');
    expect(shortened.out).toContain('summarise the notes');
    expect(shortened.segmenters).toBe(0);
    // the probe sees string-width when a cell needs it (a CJK title): the check above can fail
    const cjk = segmentersFor(cwd, '要約してください', fast);
    expect(cjk.out).toContain('要約してください');
    expect(cjk.segmenters).toBeGreaterThan(0);
  },
  60_000,
);
