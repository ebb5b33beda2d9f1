// What a read-only command loads: only the modules it uses (issue 17). Checked on the built CLI with a
// module-load hook, and, for what is bundled, with the bundle's metafile (which sources each chunk holds).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { testdir } from '@habitat/testkit';
import { expect, test } from 'vitest';

const DIST = path.resolve(__dirname, '../dist');
const CLI = path.join(DIST, 'index.js');
const HOOK = path.resolve(__dirname, 'fixtures/record-loads.mjs');
const metafile = JSON.parse(readFileSync(path.join(DIST, 'metafile-esm.json'), 'utf8')) as {
  outputs: Record<string, { inputs: Record<string, unknown> }>;
};

/** Run a command; the modules it loaded: files outside the bundle, and the sources inside the chunks it loaded. */
function loads(cwd: string, env: Record<string, string>, ...args: string[]): string[] {
  const record = path.join(cwd, `loads-${args.join('-')}.txt`);
  const run = spawnSync(process.execPath, ['--import', HOOK, CLI, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ...env, NO_COLOR: '1', HABITAT_TEST_LOADS: record },
  });
  expect(run.status, `${args.join(' ')}: ${run.stderr}`).toBe(0);
  const urls = readFileSync(record, 'utf8').split('\n');
  const out: string[] = [];
  for (const url of urls) {
    if (!url.startsWith('file:')) continue;
    const file = new URL(url).pathname;
    const chunk = path.relative(path.dirname(DIST), file);
    const inputs = file.startsWith(DIST) ? metafile.outputs[chunk]?.inputs : undefined;
    out.push(...(inputs ? Object.keys(inputs) : [file]));
  }
  return out;
}

const HEAVY =
  /node_modules\/(\.pnpm\/)?[^/]*?(zod|yaml|dockerode|@modelcontextprotocol|pino|chokidar|ink|react)[@/]/;

test('help, version, status, list, next and history load neither YAML, zod, Docker, MCP, pino nor the daemon', () => {
  const root = testdir({
    'habitat.yaml': 'defaults: { timeout: 5m }\n',
    'agents/hello.yaml': 'run: { command: [echo, hi] }\nschedule: { every: 1h }\n',
  });
  const env = { HOME: root, HABITAT_CACHE_DIR: path.join(root, 'cache') };
  expect(
    spawnSync(process.execPath, [CLI, 'up', '--once'], { cwd: root, env: { ...process.env, ...env } }).status,
  ).toBe(0);
  for (const args of [['--help'], ['--version'], ['status'], ['list'], ['next'], ['history']]) {
    const modules = loads(root, env, ...args);
    expect(
      modules.filter((m) => HEAVY.test(m)),
      args.join(' '),
    ).toEqual([]);
    expect(
      modules.filter((m) => /scheduler\/src\/daemon\.ts|runner\/src\/(start-run|docker|local)\.ts/.test(m)),
      args.join(' '),
    ).toEqual([]);
  }
});

test('the built --help is the live help', () => {
  const built = spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' });
  const live = spawnSync(process.execPath, [CLI, '--help'], {
    encoding: 'utf8',
    env: { ...process.env, HABITAT_FULL_HELP: '1', NO_COLOR: '1' },
  });
  expect(built.status).toBe(0);
  expect(built.stdout).toBe(live.stdout);
  expect(built.stdout).toContain('sessions');
});
