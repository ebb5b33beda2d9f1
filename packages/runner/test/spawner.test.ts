// The spawner process dying (a kill -9 of it alone): noticed, restarted for the next run; a run it had forked
// goes on and is recorded from its wrapper's marks; a start it had in flight either ran once or not at all.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type SpawnerEvent, startRun, useSpawner } from '../src/index.js';
import { activeSpawner } from '../src/spawner.js';
import { agentWith, sh, tempDir } from './helpers.js';

const events: SpawnerEvent[] = [];
let release: () => void;
beforeAll(() => {
  release = useSpawner((e) => events.push(e));
});
afterAll(() => release());

const spawnerPid = async (): Promise<number> => {
  // the first start forks it
  if (!activeSpawner()?.pid) await startRun(agentWith({ run: sh('true') }), { stateDir: tempDir() }).result;
  return activeSpawner()!.pid!;
};

describe('the spawner process killed', () => {
  test('with a run going: the run ends as its wrapper recorded, and the next run gets a new spawner', async () => {
    const stateDir = tempDir();
    const gate = path.join(stateDir, 'gate');
    const handle = startRun(
      agentWith({ run: sh(`echo before; while [ ! -e ${gate} ]; do sleep 0.02; done; echo after; exit 4`) }),
      { stateDir },
    );
    let text = '';
    for await (const e of handle.events) {
      if (e.type === 'output') text += e.text;
      if (text.includes('before') && !text.includes('killed')) {
        text += '(killed)';
        const old = activeSpawner()!.pid!;
        process.kill(old, 'SIGKILL');
        // the run goes on without it
        await new Promise((r) => setTimeout(r, 200));
        writeFileSync(gate, '');
      }
    }
    const result = await handle.result;
    expect(result.exitCode).toBe(4);
    expect(result.status).toBe('failed');
    expect(text).toContain('after');
    expect(result.warnings.join('\n')).toMatch(/spawner process died while this run was going/);
    expect(events.some((e) => e.event === 'spawner.died' && e.running === 1)).toBe(true);

    const next = await startRun(agentWith({ run: sh('echo again') }), { stateDir }).result;
    expect(next).toMatchObject({ status: 'succeeded', exitCode: 0, warnings: [] });
    expect(events.filter((e) => e.event === 'spawner.started').length).toBeGreaterThanOrEqual(2);
  });

  test('with starts in flight: each run either ran exactly once or failed to start, clearly', async () => {
    const stateDir = tempDir();
    const counter = path.join(stateDir, 'counter');
    writeFileSync(counter, '');
    const outcomes: string[] = [];
    let ran = 0;
    for (let round = 0; round < 12; round++) {
      const pid = await spawnerPid();
      const handle = startRun(agentWith({ run: sh(`echo ${round} >> ${counter}; echo ran`) }), { stateDir });
      // kill it at a different moment each round: before the request, during the fork, after the reply
      setTimeout(() => process.kill(pid, 'SIGKILL'), round * 2);
      console.log('round', round, pid);
      const result = await handle.result;
      console.log('result', round, result.status, result.error, result.warnings);
      if (result.status === 'error-before-start') {
        expect(result.error?.message).toMatch(
          /spawner process died while starting this run: it was not started/,
        );
        outcomes.push('not started');
      } else {
        expect(result).toMatchObject({ status: 'succeeded', exitCode: 0 });
        ran++;
        outcomes.push('ran');
      }
      await new Promise((r) => setTimeout(r, 30));
    }
    const lines = readFileSync(counter, 'utf8').split('\n').filter(Boolean);
    // never twice, and never a run that went unrecorded
    expect(new Set(lines).size).toBe(lines.length);
    expect(lines.length).toBe(ran);
    console.log(`spawner killed with a start in flight, 12 rounds: ${outcomes.join(', ')}`);
  });
});
