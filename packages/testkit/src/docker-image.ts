// A Docker test image built without a registry: busybox-static, the glibc the claude binary links, bash (for Claude's Bash tool),
// the claude binary itself, and a non-root user `agent` (uid 1000).
import { execFile, execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { claudeBin } from './claude.js';

const run = promisify(execFile);
export const TEST_IMAGE = 'habitat-test:latest';
/** Bump when the recipe changes, so cached images are rebuilt. */
const RECIPE = 3;

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

function libsOf(binary: string): string[] {
  const out = execFileSync('ldd', [binary], { encoding: 'utf8' });
  return [...out.matchAll(/(\/\S+\.so[^\s]*)/g)].map((m) => m[1]!);
}

/**
 * Build (once; cached by a content key in the image's env) the test image. Needs `/bin/busybox` from
 * Debian's busybox-static.
 */
export async function buildTestImage(options: { tag?: string } = {}): Promise<string> {
  const tag = options.tag ?? TEST_IMAGE;
  const claude = claudeBin();
  const version = execFileSync(claude, ['--version'], { encoding: 'utf8' }).trim();
  const key = `${RECIPE}/${version}`.replace(/[^A-Za-z0-9./_-]/g, '_');
  try {
    const { stdout } = await run('docker', ['image', 'inspect', tag, '--format', '{{json .Config.Env}}']);
    if (stdout.includes(`HABITAT_TEST_IMAGE=${key}`)) return tag;
  } catch {
    // not built yet
  }
  const busybox = '/bin/busybox';
  if (!existsSync(busybox))
    throw new Error('the test image needs /bin/busybox: apt-get install busybox-static');
  const root = mkdtempSync(path.join(tmpdir(), 'habitat-image-'));
  try {
    for (const dir of [
      'bin',
      'etc',
      'tmp',
      'home/agent',
      'usr/local/bin',
      'lib64',
      'lib/x86_64-linux-gnu',
      'work',
      'run/secrets',
      'habitat',
    ]) {
      mkdirSync(path.join(root, dir), { recursive: true });
    }
    chmodSync(path.join(root, 'tmp'), 0o1777);
    copyFileSync(busybox, path.join(root, 'bin/busybox'));
    chmodSync(path.join(root, 'bin/busybox'), 0o755);
    const applets = execFileSync(busybox, ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
    for (const applet of applets)
      if (applet !== 'busybox') symlinkSync('busybox', path.join(root, 'bin', applet));
    copyFileSync(claude, path.join(root, 'usr/local/bin/claude'));
    chmodSync(path.join(root, 'usr/local/bin/claude'), 0o755);
    // Claude Code's Bash tool wants bash (busybox has none): Debian's, with the libraries it links.
    copyFileSync('/bin/bash', path.join(root, 'bin/bash'));
    chmodSync(path.join(root, 'bin/bash'), 0o755);
    for (const lib of new Set([...libsOf(claude), ...libsOf('/bin/bash')])) {
      const target = path.join(root, lib);
      mkdirSync(path.dirname(target), { recursive: true });
      copyFileSync(realpathSync(lib), target);
    }
    writeFileSync(
      path.join(root, 'etc/passwd'),
      'root:x:0:0:root:/root:/bin/sh\nagent:x:1000:1000:agent:/home/agent:/bin/sh\n',
    );
    writeFileSync(path.join(root, 'etc/group'), 'root:x:0:\nagent:x:1000:\n');
    execFileSync('chown', ['-R', '1000:1000', path.join(root, 'home/agent')]);
    const tar = `${root}.tar`;
    execFileSync('tar', ['-C', root, '-cf', tar, '.']);
    await run('docker', [
      'import',
      '--change',
      `ENV HABITAT_TEST_IMAGE=${key}`,
      '--change',
      'ENV PATH=/usr/local/bin:/bin',
      '--change',
      'ENV HOME=/home/agent',
      '--change',
      'ENV SHELL=/bin/bash',
      '--change',
      'USER 1000:1000',
      '--change',
      'WORKDIR /work',
      tar,
      tag,
    ]);
    rmSync(tar, { force: true });
    return tag;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
