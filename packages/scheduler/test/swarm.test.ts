// A Swarm run across a kill -9 of the daemon (`habitat up` as a real child process, a real
// single-node swarm, the locally built test image): found by its labels, followed to its end, its
// log completed, recorded once; nothing of it left on the swarm.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { fleet, runs, up as upWith, waitFor } from './up-harness.js';

const up = (root: string) => upWith(root, [], 'ignore');

/** Every task the swarm lists (the Docker API: the CLI cannot list tasks of removed services). */
function swarmTasks(): Promise<Array<{ ID: string; ServiceID: string }>> {
  return new Promise((resolve, reject) => {
    const req = http.get({ socketPath: '/var/run/docker.sock', path: '/v1.41/tasks' }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve(JSON.parse(body)));
    });
    req.on('error', reject);
  });
}

describe('Swarm runs across a kill -9', async () => {
  const { buildTestImage, requireDockerInCI } = await import('@habitat/testkit');
  const docker = await requireDockerInCI();
  const swarm =
    docker &&
    execFileSync('docker', ['info', '--format', '{{.Swarm.LocalNodeState}}'], { encoding: 'utf8' }).trim() ===
      'active';
  if (docker && !swarm && (process.env.CI === 'true' || process.env.HABITAT_REQUIRE_SWARM === '1'))
    throw new Error('a swarm is required in CI (see .ci/run)');
  test.skipIf(!swarm)(
    'a run in flight is adopted by its service labels, followed to its end and recorded once',
    { timeout: 180_000 },
    async () => {
      const image = await buildTestImage();
      const root = fleet({
        // A container never gets the coordinator root: the agent has a habitat repo of its own.
        boxed: `repo: ../habitats/boxed\nrun: { command: [sh, -c, "echo started; sleep 4; echo adopted-ok"] }\nschedule: { every: 1h }\nisolation: { backend: swarm, image: "${image}", network: host }\n`,
      });
      mkdirSync(path.join(root, 'habitats/boxed'), { recursive: true });
      const first = up(root);
      const running = await waitFor(
        () => runs(root).find((r) => r.status === 'running' && r.container_id),
        60_000,
      );
      first.kill('SIGKILL');
      up(root);
      const done = await waitFor(
        () => runs(root).find((r) => r.status !== 'running' && r.status !== 'queued'),
        60_000,
      );
      expect(done.status, done.error ?? '').toBe('succeeded');
      expect(runs(root)).toHaveLength(1);
      const log = readFileSync(done.log_path!, 'utf8');
      expect(log).toContain('started');
      expect(log).toContain('adopted-ok');
      // Nothing of it left on the swarm: the service (and with it its task) is gone.
      const service = running.container_id!;
      await waitFor(
        () =>
          execFileSync('docker', ['service', 'ls', '-q', '--filter', `id=${service}`], {
            encoding: 'utf8',
          }).trim() === '',
        20_000,
      );
      // and its task (Swarm reaps a stopped task a moment after it is marked for removal)
      const end = Date.now() + 20_000;
      let left = (await swarmTasks()).filter((t) => t.ServiceID === service);
      while (left.length > 0 && Date.now() < end) {
        await new Promise((r) => setTimeout(r, 200));
        left = (await swarmTasks()).filter((t) => t.ServiceID === service);
      }
      expect(left).toEqual([]);
    },
  );
});
