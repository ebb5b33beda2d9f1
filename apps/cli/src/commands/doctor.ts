// habitat doctor: what habitat needs, checked on this machine, each problem with its fix.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { homedir } from 'node:os';
import path from 'node:path';
import type { Coordinator } from '@habitat/config';
import type { Command } from 'commander';
import { resolveCoordinator } from '../coordinator.js';
import { pc, printJson, printLine, printTable } from '../output.js';

export type Status = 'ok' | 'warn' | 'fail' | 'skip';
export interface Check {
  check: string;
  status: Status;
  detail: string;
  /** what to do about it; null when there is nothing to do */
  fix: string | null;
}

const MIN_NODE = [22, 12] as const;

function nodeCheck(): Check {
  const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
  const ok = major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1]);
  return {
    check: 'node',
    status: ok ? 'ok' : 'fail',
    detail: `Node.js ${process.version}`,
    fix: ok ? null : `install Node.js ${MIN_NODE.join('.')} or newer (24 LTS recommended)`,
  };
}

/** The Docker engine's Unix socket: DOCKER_HOST=unix://... or the default. */
function dockerSocket(): string | undefined {
  const host = process.env.DOCKER_HOST;
  if (!host) return '/var/run/docker.sock';
  return host.startsWith('unix://') ? host.slice('unix://'.length) : undefined;
}

function dockerGet(socketPath: string, urlPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path: urlPath, timeout: 3000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

async function dockerChecks(coordinator: Coordinator | undefined): Promise<Check[]> {
  const agents = coordinator?.agents ?? [];
  const docker = agents.filter((a) => a.isolation.backend !== 'local');
  const needed = docker.length > 0;
  const socket = dockerSocket();
  if (!socket)
    return [
      {
        check: 'docker',
        status: needed ? 'warn' : 'skip',
        detail: `DOCKER_HOST=${process.env.DOCKER_HOST} is not a unix socket: not checked`,
        fix: null,
      },
    ];
  let info: { ServerVersion?: string; Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean } };
  try {
    const res = await dockerGet(socket, '/info');
    if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
    info = JSON.parse(res.body);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return [
      {
        check: 'docker',
        status: needed ? 'fail' : 'skip',
        detail: `${socket}: ${code === 'EACCES' ? 'permission denied' : code === 'ENOENT' ? 'no engine there' : (error as Error).message}${needed ? ` (${docker.length} agent${docker.length === 1 ? '' : 's'} use Docker)` : ' (no agent uses Docker)'}`,
        fix:
          code === 'EACCES'
            ? 'add this user to the docker group (sudo usermod -aG docker $USER, then log in again)'
            : 'start the Docker engine (sudo systemctl start docker), or set DOCKER_HOST',
      },
    ];
  }
  const checks: Check[] = [
    { check: 'docker', status: 'ok', detail: `engine ${info.ServerVersion ?? '?'} at ${socket}`, fix: null },
  ];
  const swarmAgents = agents.filter((a) => a.isolation.backend === 'swarm');
  const state = info.Swarm?.LocalNodeState ?? 'inactive';
  checks.push({
    check: 'swarm',
    status:
      swarmAgents.length === 0 ? 'skip' : state === 'active' && info.Swarm?.ControlAvailable ? 'ok' : 'fail',
    detail: `node ${state}${info.Swarm?.ControlAvailable ? ' (manager)' : ''}${swarmAgents.length ? `; ${swarmAgents.length} agent(s) use swarm` : ''}`,
    fix:
      swarmAgents.length > 0 && !(state === 'active' && info.Swarm?.ControlAvailable)
        ? 'run the daemon on a swarm manager (docker swarm init, or join as a manager)'
        : null,
  });
  for (const image of [...new Set(docker.map((a) => a.isolation.image))]) {
    const res = await dockerGet(socket, `/images/${encodeURIComponent(image)}/json`).catch(() => undefined);
    checks.push({
      check: 'image',
      status: res?.status === 200 ? 'ok' : 'fail',
      detail: `${image}${res?.status === 200 ? ' present' : ' not found'} (used by ${docker
        .filter((a) => a.isolation.image === image)
        .map((a) => a.name)
        .join(', ')})`,
      fix:
        res?.status === 200
          ? null
          : `habitat image build (for habitat-agent images), or docker pull ${image}`,
    });
  }
  return checks;
}

/** The claude binary local claude agents run, and how it will authenticate. */
function claudeChecks(coordinator: Coordinator | undefined): Check[] {
  const claudeAgents = (coordinator?.agents ?? []).filter((a) => a.run.kind === 'claude');
  const local = claudeAgents.filter((a) => a.isolation.backend === 'local');
  let version: string | undefined;
  try {
    version = execFileSync('claude', ['--version'], {
      encoding: 'utf8',
      timeout: 10_000,
      stdio: 'pipe',
    }).trim();
  } catch {
    version = undefined;
  }
  const checks: Check[] = [
    {
      check: 'claude',
      status: version ? 'ok' : local.length > 0 ? 'fail' : 'skip',
      detail: version
        ? `claude ${version}`
        : `not on PATH${local.length ? ` (${local.length} local claude agent(s) need it)` : ''}`,
      fix: version || local.length === 0 ? null : 'npm install -g @anthropic-ai/claude-code',
    },
  ];
  const credentialNames = claudeAgents.flatMap((a) => a.credentials.map((c) => c.envName));
  const mode = process.env.ANTHROPIC_API_KEY
    ? 'API key (ANTHROPIC_API_KEY in this environment)'
    : process.env.CLAUDE_CODE_OAUTH_TOKEN
      ? 'OAuth token (CLAUDE_CODE_OAUTH_TOKEN)'
      : credentialNames.some((n) => /ANTHROPIC_API_KEY|CLAUDE_CODE_OAUTH_TOKEN/.test(n))
        ? 'from the agents’ credentials'
        : existsSync(
              path.join(
                process.env.CLAUDE_CONFIG_DIR ?? path.join(homedir(), '.claude'),
                '.credentials.json',
              ),
            )
          ? 'subscription login (~/.claude/.credentials.json)'
          : undefined;
  checks.push({
    check: 'claude auth',
    status: mode ? 'ok' : claudeAgents.length > 0 ? 'warn' : 'skip',
    detail: mode ?? 'no API key, OAuth token or login found',
    fix:
      mode || claudeAgents.length === 0
        ? null
        : 'give claude agents a credential with ANTHROPIC_API_KEY (or CLAUDE_CODE_OAUTH_TOKEN from `claude setup-token`)',
  });
  return checks;
}

function stateChecks(stateDir: string): Check[] {
  if (!existsSync(stateDir))
    return [{ check: 'state dir', status: 'ok', detail: `${stateDir} (not created yet)`, fix: null }];
  const mode = statSync(stateDir).mode & 0o777;
  // Search (x) alone is what the daemon itself sets (0711): a run's user passes through to its own run dir
  // but cannot list or read anything. Read or write for others is what exposes transcripts and logs.
  const open = (mode & 0o066) !== 0;
  return [
    {
      check: 'state dir',
      status: open ? 'warn' : 'ok',
      detail: `${stateDir} mode ${mode.toString(8).padStart(4, '0')}${open ? ': other users can read it' : ''}`,
      fix: open ? `chmod 711 ${stateDir} (it holds transcripts and run logs)` : null,
    },
  ];
}

function socketCheck(stateDir: string): Promise<Check> {
  const socket = path.join(stateDir, 'habitat.sock');
  if (!existsSync(socket))
    return Promise.resolve({ check: 'daemon', status: 'ok', detail: 'not running (no socket)', fix: null });
  return new Promise((resolve) => {
    const s = connect(socket);
    s.setTimeout(1000, () => s.destroy(new Error('timed out')));
    s.once('connect', () => {
      s.end();
      resolve({ check: 'daemon', status: 'ok', detail: `up (${socket})`, fix: null });
    });
    s.once('error', (error: NodeJS.ErrnoException) =>
      resolve({
        check: 'daemon',
        status: error.code === 'ECONNREFUSED' ? 'warn' : 'fail',
        detail: `${socket}: ${error.code === 'EACCES' ? 'permission denied' : error.code === 'ECONNREFUSED' ? 'a stale socket, no daemon behind it' : error.message}`,
        fix:
          error.code === 'EACCES'
            ? 'run habitat as the user that runs the daemon'
            : error.code === 'ECONNREFUSED'
              ? 'start the daemon: habitat up (it replaces the stale socket)'
              : null,
      }),
    );
  });
}

export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description(
      'check this machine and coordinator: Node, Docker/Swarm, images, claude and its auth, state, daemon',
    )
    .option('--json', 'print the checks as JSON')
    .addHelpText(
      'after',
      '\nExit 1 if any check fails (warnings do not).\n\nExamples:\n  habitat doctor\n  habitat -C ~/fleet doctor --json | jq \'.[] | select(.status != "ok")\'',
    )
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const checks: Check[] = [nodeCheck()];
      let coordinator: Coordinator | undefined;
      try {
        const root = resolveCoordinator((cmd.optsWithGlobals() as { dir?: string }).dir);
        const { loadCoordinator } = await import('@habitat/config');
        coordinator = await loadCoordinator(root);
        const errors = coordinator.diagnostics.filter((d) => d.severity === 'error').length;
        checks.push({
          check: 'coordinator',
          status: errors ? 'fail' : 'ok',
          detail: `${root}: ${coordinator.agents.length} valid agent(s)${errors ? `, ${errors} error(s)` : ''}`,
          fix: errors ? 'habitat validate (each problem with its file, line and fix)' : null,
        });
      } catch (error) {
        checks.push({
          check: 'coordinator',
          status: 'fail',
          detail: (error as Error).message.split(':')[0]!,
          fix: 'habitat init, or -C <dir> / HABITAT_DIR',
        });
      }
      checks.push(...(await dockerChecks(coordinator)), ...claudeChecks(coordinator));
      if (coordinator) {
        checks.push(...stateChecks(coordinator.settings.stateDir));
        checks.push(await socketCheck(coordinator.settings.stateDir));
      }
      if (checks.some((c) => c.status === 'fail')) process.exitCode = 1;
      if (opts.json) return printJson(checks);
      const mark = {
        ok: pc.green('ok'),
        warn: pc.yellow('warn'),
        fail: pc.red('FAIL'),
        skip: pc.dim('skip'),
      };
      printTable(
        ['check', 'status', 'detail', 'fix'],
        checks.map((c) => [c.check, mark[c.status], c.detail, c.fix ?? '']),
      );
      const failed = checks.filter((c) => c.status === 'fail').length;
      printLine(failed ? `${failed} problem(s) to fix` : 'everything habitat needs is in place');
    });
}
