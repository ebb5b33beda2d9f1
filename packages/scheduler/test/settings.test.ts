// A typo in habitat.yaml never changes isolation: the daemon keeps its last good settings, loudly.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from 'vitest';
import { startDaemon } from '../src/index.js';

function fleet(settings: string): string {
  const root = mkdtempSync(path.join(tmpdir(), 'habitat-settings-'));
  mkdirSync(path.join(root, 'agents'));
  writeFileSync(path.join(root, 'habitat.yaml'), settings);
  writeFileSync(path.join(root, 'agents', 'boxed.yaml'), 'run: { command: ["true"] }\nschedule: manual\n');
  return root;
}

const GOOD = 'defaults:\n  isolation: { backend: docker, image: habitat-test:latest }\n';
const TYPO = 'defaults:\n  isolation: { backend: docker, image: habitat-test:latest }\nmaxConcurentRuns: 2\n';

test('a broken habitat.yaml on reload keeps the last good settings and says so', async () => {
  const root = fleet(GOOD);
  const daemon = await startDaemon({ root, watch: false, socket: false });
  try {
    expect(daemon.status().agents.map((a) => [a.agent, a.backend])).toEqual([['boxed', 'docker']]);
    writeFileSync(path.join(root, 'habitat.yaml'), TYPO);
    await daemon.reload();
    const status = daemon.status();
    // the agent is still the docker one: the typo did not drop `defaults:`
    expect(status.agents.map((a) => [a.agent, a.backend])).toEqual([['boxed', 'docker']]);
    expect(status.daemon.problem).toMatch(/habitat\.yaml is broken: the daemon keeps its last good settings/);
    expect(status.diagnostics.map((d) => d.path)).toContain('maxConcurentRuns');
    writeFileSync(path.join(root, 'habitat.yaml'), GOOD);
    await daemon.reload();
    expect(daemon.status().daemon.problem).toBeUndefined();
  } finally {
    await daemon.stop(500);
  }
});

test('a broken habitat.yaml with no last good copy runs no agent at all', async () => {
  const root = fleet(TYPO);
  const daemon = await startDaemon({ root, watch: false, socket: false });
  try {
    const status = daemon.status();
    expect(status.agents).toEqual([]);
    expect(status.daemon.problem).toMatch(/no agent runs until it is fixed/);
  } finally {
    await daemon.stop(500);
  }
});
