// dockerode is an optional peer dependency (it brings gRPC, protobufjs and ssh2, with install scripts): the
// engine's Unix socket needs none of it; an engine elsewhere says what to install. Run in a child process whose
// module resolution fails for dockerode as an install without it does.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { dockerAvailable } from '@habitat/testkit';
import { expect, test } from 'vitest';

const RUNNER = path.resolve(__dirname, '../dist/index.js');
const HOOK = path.resolve(__dirname, '../../testkit/fixtures/not-installed.mjs');
const docker = (await dockerAvailable()).ok;

function withoutDockerode(code: string, env: Record<string, string | undefined>) {
  const out = spawnSync(
    process.execPath,
    [
      '--import',
      HOOK,
      '--input-type=module',
      '-e',
      `const m = await import(${JSON.stringify(RUNNER)});\n${code}`,
    ],
    { encoding: 'utf8', env: { ...process.env, HABITAT_TEST_NOT_INSTALLED: 'dockerode', ...env } },
  );
  return { status: out.status, stdout: out.stdout.trim(), stderr: out.stderr };
}

test('an engine at a tcp:// address without dockerode: the error says to install it', () => {
  const out = withoutDockerode(
    'await m.findRunContainers().then(() => console.log("listed"), (e) => console.log(e.code, e.message));',
    { DOCKER_HOST: 'tcp://127.0.0.1:9' },
  );
  expect(out.stdout).toBe(
    "docker-unavailable the engine at DOCKER_HOST=tcp://127.0.0.1:9 is reached through the dockerode package, which is not installed: run `npm install dockerode` next to @habitat/runner (the engine's Unix socket needs nothing more)",
  );
});

test.skipIf(!docker)(
  "the engine's Unix socket without dockerode: ping and the labelled-container listing work",
  () => {
    const out = withoutDockerode(
      'console.log(await m.dockerAvailable(), Array.isArray(await m.findRunContainers({ stateDir: "/nonexistent" })));',
      { DOCKER_HOST: undefined },
    );
    expect(out.stdout, out.stderr).toBe('true true');
  },
);
