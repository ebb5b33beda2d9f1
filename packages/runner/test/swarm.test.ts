// The Swarm backend on a real single-node swarm (CI starts one on loopback, see .ci/run), with the
// locally built test image.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildTestImage, requireDockerInCI, testdir } from '@habitat/testkit';
import { afterAll, describe, expect, test } from 'vitest';
import { docker } from '../src/docker.js';
import {
  coordinatorId,
  type RunEvent,
  settleSwarm,
  startRun as startRunOf,
  swarmBackend,
} from '../src/index.js';
import { taskCommand } from '../src/swarm.js';
import { agentWith, sh } from './helpers.js';

const dockerUp = await requireDockerInCI();
const swarmState = dockerUp
  ? execFileSync('docker', ['info', '--format', '{{.Swarm.LocalNodeState}}'], { encoding: 'utf8' }).trim()
  : '';
const swarm = swarmState === 'active';
if (dockerUp && !swarm) {
  if (process.env.CI === 'true' || process.env.HABITAT_REQUIRE_SWARM === '1')
    throw new Error(
      `a swarm is required in CI (docker swarm init --advertise-addr 127.0.0.1 ...); state: ${swarmState}`,
    );
  console.warn(`skipping swarm tests: this engine is not in a swarm (${swarmState})`);
}

const iso = (image: string, extra: Record<string, unknown> = {}) => ({
  backend: 'swarm' as const,
  image,
  network: 'host',
  user: '1000:1000',
  memoryBytes: 256 * 1024 ** 2,
  cpus: 0.5,
  pids: 128,
  ...extra,
});
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const dockerOut = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8' }).trim();
const stateDirs: string[] = [];
/** Every service the tests' runs had, to check that no task of theirs is left either. */
const services = new Set<string>();
const startRun: typeof startRunOf = (agent, options) => {
  const handle = startRunOf(agent, options);
  handle.on((e) => e.type === 'started' && e.ref && services.add(e.ref));
  return handle;
};
async function tasksLeft(): Promise<string[]> {
  const all = (await (await docker()).listTasks()) as Array<{ ID: string; ServiceID: string }>;
  return all.filter((t) => services.has(t.ServiceID)).map((t) => t.ID);
}
const newState = () => {
  const dir = testdir();
  stateDirs.push(dir);
  return dir;
};
/** Everything habitat's swarm backend leaves for one coordinator: services, secrets, task containers. */
function leftovers(stateDir: string): string {
  const label = `label=habitat.coordinator=${coordinatorId(stateDir)}`;
  return [
    dockerOut('service', 'ls', '-q', '--filter', label),
    dockerOut('secret', 'ls', '-q', '--filter', label),
  ]
    .filter(Boolean)
    .join('\n');
}
const containersOf = (runId: string) =>
  dockerOut('ps', '-aq', '--filter', `label=habitat.swarm.run=${runId}`);

describe.skipIf(!swarm)('swarm backend', () => {
  afterAll(async () => {
    await settleSwarm();
    // Nothing left behind on any path (and nothing of ours if an assertion failed half-way).
    const left = stateDirs.map(leftovers).filter(Boolean);
    for (const dir of stateDirs) {
      const label = `label=habitat.coordinator=${coordinatorId(dir)}`;
      for (const id of dockerOut('service', 'ls', '-q', '--filter', label).split('\n').filter(Boolean))
        execFileSync('docker', ['service', 'rm', id]);
    }
    expect(left).toEqual([]);
    expect(services.size).toBeGreaterThan(0);
    expect(await tasksLeft()).toEqual([]);
  });

  test('exit code and live output: a replicated-job service, followed while it runs, then removed', {
    timeout: 120_000,
  }, async () => {
    const image = await buildTestImage();
    const stateDir = newState();
    const handle = startRun(
      agentWith({
        name: 'swarmy',
        run: sh('echo hello; sleep 1.5; echo bye >&2; exit 3'),
        isolation: iso(image),
      }),
      { stateDir },
    );
    let firstOutput = 0;
    let service: string | undefined;
    let spec: Record<string, unknown> | undefined;
    handle.on((e: RunEvent) => {
      if (e.type === 'started') service = e.ref;
      if (e.type === 'output' && e.text.includes('hello') && !firstOutput) {
        firstOutput = Date.now();
        spec = JSON.parse(dockerOut('service', 'inspect', service!))[0].Spec;
      }
    });
    const result = await handle.result;
    const ended = Date.now();
    expect(result.status).toBe('failed');
    expect(result.exitCode).toBe(3);
    expect(result.backend).toBe('swarm');
    // Live: the first line arrived while the task was still sleeping.
    expect(ended - firstOutput).toBeGreaterThan(1000);
    const log = readFileSync(result.logPath, 'utf8');
    expect(log).toContain('hello');
    expect(log).toContain('bye');
    expect(spec).toMatchObject({
      Labels: {
        'habitat.agent': 'swarmy',
        'habitat.run': result.runId,
        'habitat.coordinator': coordinatorId(stateDir),
      },
      Mode: { ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 1 } },
      TaskTemplate: {
        RestartPolicy: { Condition: 'none' },
        ContainerSpec: { User: '1000:1000', ReadOnly: true, CapabilityDrop: ['ALL'] },
        Resources: { Limits: { MemoryBytes: 256 * 1024 ** 2, NanoCPUs: 5e8, Pids: 128 } },
      },
    });
    await settleSwarm();
    expect(leftovers(stateDir)).toBe('');
    expect(containersOf(result.runId)).toBe('');
  });

  test('a wake request written in the task reaches the result (the run dir is mounted)', {
    timeout: 120_000,
  }, async () => {
    const image = await buildTestImage();
    const stateDir = newState();
    const result = await startRun(
      agentWith({ run: sh('printf "2h\\nmore to do\\n" > "$HABITAT_WAKE_FILE"'), isolation: iso(image) }),
      { stateDir },
    ).result;
    expect(result.status, JSON.stringify(result.error)).toBe('succeeded');
    expect(result.wakeReason).toBe('more to do');
    expect(Date.parse(result.wakeAt!) - Date.parse(result.endedAt)).toBeGreaterThan(100 * 60_000);
    await settleSwarm();
    expect(leftovers(stateDir)).toBe('');
  });

  test('file and env credentials arrive as 0400 secrets for the agent uid; no value in the service spec', {
    timeout: 120_000,
  }, async () => {
    const image = await buildTestImage();
    const stateDir = newState();
    const token = 'swarm-file-token-0123456789abcdef';
    const key = 'sk-ant-api03-swarmEnvKey0123456789abcdefXYZ';
    const dir = testdir({ token: `${token}\n`, 'key.env': `ANTHROPIC_API_KEY=${key}\n` });
    const agent = agentWith({
      name: 'secretive',
      run: sh(
        [
          'stat -c "file=%a:%u" /run/secrets/token',
          // compared by hash, so the values are not in the command (and so not in the spec) either
          `[ "$(sha256sum < /run/secrets/token | cut -c1-64)" = "${sha(`${token}\n`)}" ] && echo file-ok`,
          `[ "$(printf %s "$ANTHROPIC_API_KEY" | sha256sum | cut -c1-64)" = "${sha(key)}" ] && echo env-ok`,
          'echo "leak=$ANTHROPIC_API_KEY"',
          'sleep 1.5',
        ].join('; '),
      ),
      isolation: iso(image),
      credentials: [
        {
          name: 'token',
          source: { kind: 'file', path: path.join(dir, 'token') },
          as: 'file',
          envName: 'TOKEN',
        },
        {
          name: 'anthropic',
          source: { kind: 'file', path: path.join(dir, 'key.env') },
          as: 'env',
          envName: 'ANTHROPIC_API_KEY',
        },
      ],
    });
    const handle = startRun(agent, { stateDir });
    let inspected = '';
    let secrets = '';
    handle.on((e) => {
      if (e.type === 'started' && e.ref) {
        inspected = dockerOut('service', 'inspect', e.ref);
        secrets = dockerOut(
          'secret',
          'ls',
          '--filter',
          `label=habitat.coordinator=${coordinatorId(stateDir)}`,
          '--format',
          '{{.Name}}',
        );
      }
    });
    const result = await handle.result;
    expect(result.status, JSON.stringify(result.error)).toBe('succeeded');
    const log = readFileSync(result.logPath, 'utf8');
    expect(log).toContain('file=400:1000');
    expect(log).toContain('file-ok');
    expect(log).toContain('env-ok');
    expect(log).toContain('leak=[REDACTED:anthropic]');
    expect(log).not.toContain(key);
    expect(inspected).toContain('"Mode": 256');
    expect(inspected).not.toContain(key);
    expect(inspected).not.toContain(token);
    expect(secrets.split('\n')).toHaveLength(2);
    await settleSwarm();
    expect(leftovers(stateDir)).toBe('');
  });

  test('a timeout removes the service; nothing is left', { timeout: 120_000 }, async () => {
    const image = await buildTestImage();
    const stateDir = newState();
    const result = await startRun(
      agentWith({ run: sh('echo up; sleep 60'), isolation: iso(image), timeoutMs: 2500, graceMs: 1000 }),
      { stateDir },
    ).result;
    expect(result.status).toBe('timed-out');
    expect(readFileSync(result.logPath, 'utf8')).toContain('up');
    await settleSwarm();
    expect(leftovers(stateDir)).toBe('');
    expect(containersOf(result.runId)).toBe('');
  });

  test('cancel removes the service; nothing is left', { timeout: 120_000 }, async () => {
    const image = await buildTestImage();
    const stateDir = newState();
    const handle = startRun(agentWith({ run: sh('echo ready; sleep 60'), isolation: iso(image) }), {
      stateDir,
    });
    handle.on((e) => e.type === 'output' && e.text.includes('ready') && handle.cancel());
    const result = await handle.result;
    expect(result.status).toBe('cancelled');
    await settleSwarm();
    expect(leftovers(stateDir)).toBe('');
    expect(containersOf(result.runId)).toBe('');
  });

  test('a missing image is a clear RunError; nothing is left', {
    timeout: 60_000,
  }, async () => {
    const stateDir = newState();
    const result = await startRun(agentWith({ run: sh('true'), isolation: iso('habitat-no-such-image:1') }), {
      stateDir,
    }).result;
    expect(result.status).toBe('error-before-start');
    expect(result.error?.code).toBe('image-missing');
    expect(result.error?.message).toContain(
      '"habitat-no-such-image:1" is neither on this swarm manager nor in a registry',
    );
    await settleSwarm();
    expect(leftovers(stateDir)).toBe('');
  });

  test('an unsatisfiable placement constraint is a clear RunError; nothing is left', {
    timeout: 60_000,
  }, async () => {
    const image = await buildTestImage();
    const stateDir = newState();
    const result = await startRun(
      agentWith({
        run: sh('true'),
        isolation: iso(image, { placement: ['node.labels.habitat-test==nowhere'] }),
      }),
      { stateDir },
    ).result;
    expect(result.error?.code).toBe('unschedulable');
    expect(result.error?.message).toMatch(/no suitable node/);
    await settleSwarm();
    expect(leftovers(stateDir)).toBe('');
  });

  test('a live run is found by its labels (what a restarted coordinator adopts)', {
    timeout: 120_000,
  }, async () => {
    const image = await buildTestImage();
    const stateDir = newState();
    const handle = startRun(
      agentWith({ name: 'adoptee', run: sh('echo first; sleep 2; echo last'), isolation: iso(image) }),
      { stateDir },
    );
    await new Promise<void>((resolve) => handle.on((e) => e.type === 'output' && resolve()));
    const live = await swarmBackend.findLive({ stateDir });
    expect(live).toEqual([
      expect.objectContaining({ backend: 'swarm', agent: 'adoptee', runId: handle.runId }),
    ]);
    expect((await handle.result).status).toBe('succeeded');
    await settleSwarm();
    expect(await swarmBackend.findLive({ stateDir })).toEqual([]);
  });

  test("exactly once: a run already on the swarm is followed, not started twice; a finished run's repeat is removed", {
    timeout: 120_000,
  }, async () => {
    const image = await buildTestImage();
    const stateDir = newState();
    const runId = '01JREPEATEDRUN0000000000AA';
    const labels = (id: string) => [
      ...['--label', `habitat.run=${id}`, '--label', 'habitat.agent=repeat'],
      ...[
        '--label',
        `habitat.coordinator=${coordinatorId(stateDir)}`,
        '--label',
        `habitat.stateDir=${stateDir}`,
      ],
    ];
    // The way habitat starts a task (its prelude), as a crashed coordinator would have left it.
    const create = (name: string, id: string, script: string) =>
      dockerOut(
        ...['service', 'create', '--detach', '--quiet', '--no-resolve-image', '--name', name],
        ...['--mode', 'replicated-job', '--restart-condition', 'none', '--network', 'host'],
        ...labels(id),
        image,
        ...taskCommand(['sh', '-c', script], id, [], undefined),
      );
    // A coordinator that crashed after creating the service and retries the same run id.
    const existing = create(
      `habitat-repeat-${runId.toLowerCase()}`,
      runId,
      'echo from-the-first-start; sleep 1',
    );
    services.add(existing);
    const result = await startRun(
      agentWith({ name: 'repeat', run: sh('echo second-start'), isolation: iso(image) }),
      {
        stateDir,
        runId,
      },
    ).result;
    expect(result.status).toBe('succeeded');
    expect(result.warnings.join('\n')).toMatch(/already on the swarm .*followed, not started twice/);
    const log = readFileSync(result.logPath, 'utf8');
    expect(log).toContain('from-the-first-start');
    expect(log).not.toContain('second-start');
    // A job for a run the coordinator's record has as finished (a manager that started it again).
    const repeat = create('habitat-repeat-done', '01JDONERUN00000000000000BB', 'sleep 30');
    services.add(repeat);
    const notes = await swarmBackend.cleanup({ stateDir, openRunIds: new Set() });
    expect(notes.join('\n')).toMatch(
      /already recorded as finished, so it is a repeated start and not counted/,
    );
    await settleSwarm();
    expect(leftovers(stateDir)).toBe('');
  });
});
