// habitat image build: the `habitat-agent` image the README and templates name, built offline (no registry,
// no Dockerfile base image): a root filesystem assembled from this machine's binaries and imported with
// `docker import`. Node (this one), the Claude Code CLI, the habitat CLI (so `habitat wake` / `habitat learn`
// work inside), bash, git, busybox for the basic tools, CA certificates, and a non-root user `agent`
// (uid 1000). The testkit builds its Docker test image with this same command (docs/agent-image.md).
import { execFile, execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Command } from 'commander';
import { CliError, printLine } from '../output.js';

const run = promisify(execFile);
/** Bump when the recipe changes: the image's HABITAT_IMAGE key then differs and `--if-changed` rebuilds. */
const RECIPE = 1;

export interface ImageOptions {
  tag: string;
  /** the Claude Code binary (default: `claude` on PATH, or @anthropic-ai/claude-code next to this CLI) */
  claude?: string;
  /** skip the build when an image with the same recipe key exists */
  ifChanged?: boolean;
}

function findClaude(explicit?: string): string {
  if (explicit) return realpathSync(explicit);
  for (const base of [process.cwd(), import.meta.dirname]) {
    try {
      const pkg = path.dirname(
        createRequire(path.join(base, 'x.js')).resolve('@anthropic-ai/claude-code/package.json'),
      );
      const bin = path.join(pkg, 'bin', 'claude.exe');
      if (existsSync(bin)) return realpathSync(bin);
    } catch {
      // not installed there
    }
  }
  try {
    return realpathSync(execFileSync('sh', ['-c', 'command -v claude'], { encoding: 'utf8' }).trim());
  } catch {
    throw new CliError(
      'no Claude Code CLI found (on PATH, or @anthropic-ai/claude-code next to habitat): install it (npm install -g @anthropic-ai/claude-code), or pass --claude <path>',
      1,
      'no-claude',
    );
  }
}

/** The habitat CLI with its production dependencies, as a directory (`pnpm deploy` in a checkout). */
export async function habitatTree(
  into: string,
  env: NodeJS.ProcessEnv = process.env,
  pkgDir = path.resolve(import.meta.dirname, '..'), // the bundle is in dist/
): Promise<void> {
  const workspace = path.resolve(pkgDir, '../..');
  if (existsSync(path.join(workspace, 'pnpm-workspace.yaml'))) {
    await run('pnpm', ['--filter', '@habitat/cli', 'deploy', '--prod', '--offline', into], {
      cwd: workspace,
      env,
      maxBuffer: 64 * 1024 * 1024,
    }).catch((error: unknown) => {
      throw deployFailed(error, env);
    });
    return;
  }
  // An installed CLI: its package directory already holds dist/ and node_modules/.
  await run('cp', ['-a', pkgDir, into]);
}

/**
 * `pnpm deploy --offline` takes every dependency from this user's pnpm store: under another HOME than the one
 * `scripts/setup.sh` ran with, that store is empty and pnpm's answer is a page of its own output. Say what it
 * means and what to do.
 */
function deployFailed(error: unknown, env: NodeJS.ProcessEnv): CliError {
  const e = error as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
  if (e.code === 'ENOENT')
    return new CliError(
      'habitat image build packs habitat with pnpm, which is not on PATH: run `source scripts/env.sh` in the checkout first',
      1,
      'no-pnpm',
    );
  const raw = `${e.stdout ?? ''}\n${e.stderr ?? ''}`;
  const text = raw.replace(/\s*\n\s*/g, ' ');
  const missing = offlineMetaMissing(raw);
  if (missing)
    return new CliError(
      `habitat image build packs habitat's dependencies from this user's pnpm store (offline), and it has none of them (${missing.pkg} is not in ${missing.mirror}): run \`bash scripts/setup.sh\` once as this user${env.HOME ? ` (HOME=${env.HOME})` : ''}, or build the image with the HOME setup.sh ran with`,
      1,
      'pnpm-store-empty',
    );
  const code = /ERR_PNPM_\w+[^.]*/.exec(text)?.[0];
  return new CliError(
    `habitat image build: \`pnpm deploy\` of the habitat CLI failed: ${code ?? (e.stderr ?? '').trim().split('\n').at(-1) ?? e.message}`,
    1,
    'pnpm-deploy-failed',
  );
}

/**
 * The package and metadata file of pnpm's `ERR_PNPM_NO_OFFLINE_META`. pnpm wraps its error box at 80 columns,
 * inside the path too (`mirror /` then `tmp/...` on the next line, depending on the package name's length), so
 * the path is read up to its `.jsonl` with the line breaks and their indentation taken out.
 */
export function offlineMetaMissing(output: string): { pkg: string; mirror: string } | undefined {
  const m =
    /ERR_PNPM_NO_OFFLINE_META: Failed to resolve (\S+)\s+in\s+package\s+mirror\s+(\S[\s\S]*?\.jsonl)/.exec(
      output,
    );
  if (m) return { pkg: m[1]!, mirror: m[2]!.replace(/\s*\n\s*/g, '') };
  const bare = /ERR_PNPM_NO_OFFLINE_META: Failed to resolve (\S+)\s+in\s+package\s+mirror\s+(\S+)/.exec(
    output,
  );
  return bare ? { pkg: bare[1]!, mirror: bare[2]! } : undefined;
}

/** Shared libraries an ELF file links (empty for scripts and static binaries). */
function libsOf(file: string): string[] {
  try {
    const out = execFileSync('ldd', [file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return [...out.matchAll(/(\/\S+\.so[^\s]*)/g)].map((m) => m[1]!);
  } catch {
    return [];
  }
}

/**
 * A Docker image reference (`[host[:port]/]name[:tag]`, the name lowercase), checked before a build that takes a
 * while: `docker import` would refuse it only at the end.
 */
const REFERENCE =
  /^(?:[a-zA-Z0-9.-]+(?::\d+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?$/;

/** The docker CLI's answer, or a CliError with its own message (not the whole command line). */
async function docker(args: string[], what: string): Promise<string> {
  try {
    return (await run('docker', args, { maxBuffer: 16 * 1024 * 1024 })).stdout;
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT')
      throw new CliError(
        'habitat image build runs the docker CLI (docker import), which is not on PATH: install it (Debian: apt-get install docker.io)',
        1,
        'no-docker-cli',
      );
    const reason = (e.stderr ?? '').trim() || e.message;
    throw new CliError(`${what}: ${reason}`, 1, 'docker-failed');
  }
}

export async function buildAgentImage(
  options: ImageOptions,
  progress: (line: string) => void = () => {},
): Promise<{ tag: string; built: boolean }> {
  if (!REFERENCE.test(options.tag))
    throw new CliError(
      `"${options.tag}" is not an image tag Docker takes: [registry/]name[:tag], the name in lowercase letters, digits and . _ - (e.g. habitat-agent:dev)`,
      2,
      'usage',
    );
  // before the minute of assembling the root filesystem: an engine that does not answer fails now
  await docker(['version', '--format', '{{.Server.Version}}'], 'no Docker engine answers');
  const claude = findClaude(options.claude);
  const claudeVersion = execFileSync(claude, ['--version'], { encoding: 'utf8' }).trim();
  const cliVersion = (
    JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../package.json'), 'utf8')) as {
      version: string;
    }
  ).version;
  const key = `${RECIPE}/node-${process.version}/claude-${claudeVersion}/habitat-${cliVersion}`.replace(
    /[^A-Za-z0-9./_-]/g,
    '_',
  );
  if (options.ifChanged) {
    const env = await run('docker', [
      'image',
      'inspect',
      options.tag,
      '--format',
      '{{json .Config.Env}}',
    ]).catch(() => undefined);
    if (env?.stdout.includes(`HABITAT_IMAGE=${key}`)) return { tag: options.tag, built: false };
  }
  progress(
    `building ${options.tag} from this machine: node ${process.version}, claude ${claudeVersion}, habitat ${cliVersion} (about 600 MB, a minute or so)`,
  );
  const busybox = '/bin/busybox';
  if (!existsSync(busybox))
    throw new CliError(
      'the image needs a static busybox at /bin/busybox (Debian: apt-get install busybox-static)',
      1,
      'no-busybox',
    );
  const gitExec = execFileSync('git', ['--exec-path'], { encoding: 'utf8' }).trim();
  const root = mkdtempSync(path.join(tmpdir(), 'habitat-image-'));
  try {
    for (const dir of [
      'bin',
      'etc/ssl/certs',
      'tmp',
      'home/agent',
      'usr/local/bin',
      'usr/bin',
      'opt',
      'work',
      'run/secrets',
      'habitat/run',
      'habitat/claude',
    ])
      mkdirSync(path.join(root, dir), { recursive: true });
    chmodSync(path.join(root, 'tmp'), 0o1777);
    const elves: string[] = [];
    const put = (from: string, to: string, mode = 0o755) => {
      mkdirSync(path.dirname(path.join(root, to)), { recursive: true });
      copyFileSync(from, path.join(root, to));
      chmodSync(path.join(root, to), mode);
      elves.push(from);
    };
    // busybox for sh and the basic tools
    put(busybox, 'bin/busybox');
    for (const applet of execFileSync(busybox, ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean))
      if (applet !== 'busybox') symlinkSync('busybox', path.join(root, 'bin', applet));
    // bash (Claude's Bash tool), node, claude, git with its helpers
    put('/bin/bash', 'bin/bash');
    put(process.execPath, 'usr/local/bin/node');
    put(claude, 'usr/local/bin/claude');
    put(realpathSync('/usr/bin/git'), 'usr/bin/git');
    mkdirSync(path.dirname(path.join(root, gitExec)), { recursive: true });
    await run('cp', ['-a', gitExec, path.join(root, gitExec)]);
    for (const f of execFileSync('find', [gitExec, '-type', 'f', '-perm', '-u+x'], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean))
      elves.push(f);
    mkdirSync(path.join(root, 'usr/share'), { recursive: true });
    if (existsSync('/usr/share/git-core'))
      await run('cp', ['-a', '/usr/share/git-core', path.join(root, 'usr/share/git-core')]);
    for (const lib of new Set(elves.flatMap(libsOf))) {
      const target = path.join(root, lib);
      if (existsSync(target)) continue;
      mkdirSync(path.dirname(target), { recursive: true });
      copyFileSync(realpathSync(lib), target);
    }
    if (existsSync('/etc/ssl/certs/ca-certificates.crt'))
      copyFileSync(
        '/etc/ssl/certs/ca-certificates.crt',
        path.join(root, 'etc/ssl/certs/ca-certificates.crt'),
      );
    // the habitat CLI
    await habitatTree(path.join(root, 'opt/habitat'));
    writeFileSync(
      path.join(root, 'usr/local/bin/habitat'),
      '#!/bin/sh\nexec node /opt/habitat/dist/index.js "$@"\n',
      { mode: 0o755 },
    );
    writeFileSync(
      path.join(root, 'etc/passwd'),
      'root:x:0:0:root:/root:/bin/sh\nagent:x:1000:1000:agent:/home/agent:/bin/bash\n',
    );
    writeFileSync(path.join(root, 'etc/group'), 'root:x:0:\nagent:x:1000:\n');
    execFileSync('chown', ['-R', '1000:1000', path.join(root, 'home/agent')]);
    const tar = `${root}.tar`;
    execFileSync('tar', ['-C', root, '-cf', tar, '.']);
    try {
      await docker(
        [
          'import',
          ...['--change', `ENV HABITAT_IMAGE=${key}`],
          ...['--change', 'ENV PATH=/usr/local/bin:/usr/bin:/bin'],
          ...['--change', 'ENV HOME=/home/agent'],
          ...['--change', 'ENV SHELL=/bin/bash'],
          ...['--change', 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt'],
          ...['--change', 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt'],
          ...['--change', 'USER 1000:1000'],
          ...['--change', 'WORKDIR /work'],
          tar,
          options.tag,
        ],
        `docker import of ${options.tag} failed`,
      );
    } finally {
      rmSync(tar, { force: true });
    }
    return { tag: options.tag, built: true };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

export function registerImageCommands(program: Command): void {
  const image = program.command('image').description('the habitat-agent Docker image');
  image
    .command('build')
    .description(
      'build the agent image offline from this machine: node, claude, habitat, bash, git, user agent (1000)',
    )
    .option('-t, --tag <tag>', 'image tag', 'habitat-agent:latest')
    .option('--claude <path>', 'the Claude Code binary to put in it')
    .option(
      '--if-changed',
      'do nothing when an image with the same recipe, node, claude and habitat versions exists',
    )
    .action(async (opts: { tag: string; claude?: string; ifChanged?: boolean }) => {
      const { tag, built } = await buildAgentImage(
        {
          tag: opts.tag,
          ...(opts.claude ? { claude: opts.claude } : {}),
          ...(opts.ifChanged ? { ifChanged: true } : {}),
        },
        (line) => process.stderr.write(`habitat: ${line}\n`),
      );
      printLine(built ? `built ${tag}` : `${tag} is up to date`);
    });
}
