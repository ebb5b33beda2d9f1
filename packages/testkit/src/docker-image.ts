// The Docker test image, built without a registry by the same recipe users run (`habitat image build`).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { claudeBin } from './claude.js';

const run = promisify(execFile);
export const TEST_IMAGE = 'habitat-test:latest';

/** Does a Docker engine answer? `reason` says why not, for a visible skip. */
export async function dockerAvailable(): Promise<{ ok: boolean; reason?: string }> {
  try {
    await run('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 10_000 });
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: `no Docker engine answers (${(error as Error).message.split('\n')[0]})` };
  }
}

/** In CI (CI=true or HABITAT_REQUIRE_DOCKER=1) a missing engine is a failure, not a skip. */
export async function requireDockerInCI(): Promise<boolean> {
  const { ok, reason } = await dockerAvailable();
  if (!ok && (process.env.CI === 'true' || process.env.HABITAT_REQUIRE_DOCKER === '1')) {
    throw new Error(`Docker is required in CI: ${reason}`);
  }
  if (!ok) console.warn(`skipping Docker tests: ${reason}`);
  return ok;
}

/** The built habitat CLI of this checkout (the recipe of the agent image lives in `habitat image build`). */
const CLI = path.resolve(import.meta.dirname, '../../../apps/cli/dist/index.js');

/**
 * Build (once; cached by the recipe's key in the image's env) the test image: the very `habitat-agent`
 * image users build, made by `habitat image build` (Node, the Claude Code CLI, the habitat CLI, bash, git,
 * the non-root user `agent`, uid 1000), with the testkit's claude binary. Needs the CLI built first
 * (`pnpm turbo run build`) and `/bin/busybox` from Debian's busybox-static.
 */
export async function buildTestImage(options: { tag?: string } = {}): Promise<string> {
  const tag = options.tag ?? TEST_IMAGE;
  if (!existsSync(CLI))
    throw new Error(`the test image is built by the habitat CLI: build it first (${CLI} is missing)`);
  await run(
    process.execPath,
    [CLI, 'image', 'build', '--tag', tag, '--claude', claudeBin(), '--if-changed'],
    {
      maxBuffer: 16 * 1024 * 1024,
      timeout: 600_000,
    },
  );
  return tag;
}
