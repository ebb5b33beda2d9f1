// ssh2 (dockerode's ssh:// transport) is an optional peer dependency of the CLI: it and its cpu-features have
// install scripts, and only an engine at an ssh:// DOCKER_HOST needs it. Without it, the run says what to install.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { testdir } from '@habitat/testkit';
import { expect, test } from 'vitest';

const CLI = path.resolve(__dirname, '../dist/index.js');
const HOOK = path.resolve(__dirname, '../../../packages/testkit/fixtures/not-installed.mjs');

test('a Docker agent on an ssh:// DOCKER_HOST without ssh2: the run fails before start and names the package to install', () => {
  const root = testdir({
    'repo/README': "the agent's own repo\n",
    'agents/boxed.yaml':
      'repo: ../repo\nrun: { command: ["true"] }\nisolation: { backend: docker, image: habitat-test:latest }\n',
  });
  const out = spawnSync(process.execPath, ['--import', HOOK, CLI, 'run', 'boxed'], {
    cwd: root,
    encoding: 'utf8',
    env: {
      ...process.env,
      HOME: root,
      NO_COLOR: '1',
      DOCKER_HOST: 'ssh://nobody@127.0.0.1:9',
      HABITAT_TEST_NOT_INSTALLED: 'ssh2',
    },
  });
  expect(out.status, out.stderr).toBe(1);
  expect(out.stderr).toMatch(/boxed error-before-start/);
  expect(out.stderr).toContain(
    'DOCKER_HOST is an ssh:// address, which needs the ssh2 package: install it next to habitat (npm install -g ssh2 for a global install, npm install ssh2 in the project that has @habitat/cli)',
  );
});
