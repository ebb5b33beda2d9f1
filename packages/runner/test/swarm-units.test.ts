// Pure parts of the swarm backend: the task prelude and the log frame reader.
import { spawnSync } from 'node:child_process';
import { expect, test } from 'vitest';
import { exitMarker, FrameReader, taskCommand } from '../src/swarm.js';

test('the task prelude runs the agent, reports its exit code on stderr and waits to be collected', () => {
  const [sh, flag, script, name, ...cmd] = taskCommand(['sh', '-c', 'echo out; exit 7'], 'R1', [], undefined);
  expect([sh, flag, name]).toEqual(['/bin/sh', '-c', 'habitat']);
  // Run it with a short hold so the test ends.
  const held = script!.replace(/exec sleep \d+/, 'exec true');
  const run = spawnSync('sh', ['-c', held, 'habitat', ...cmd], { encoding: 'utf8' });
  expect(run.stdout).toBe('out\n');
  expect(run.stderr).toBe(`${exitMarker('R1')}7\n`);
});

test('the frame reader splits multiplexed frames and reads the task id from the details', () => {
  const frames: string[] = [];
  const reader = new FrameReader((stream, task, bytes) => frames.push(`${stream}|${task}|${bytes}`));
  const frame = (type: number, text: string) => {
    const payload = Buffer.from(text);
    const head = Buffer.alloc(8);
    head[0] = type;
    head.writeUInt32BE(payload.length, 4);
    return Buffer.concat([head, payload]);
  };
  const all = Buffer.concat([
    frame(1, 'com.docker.swarm.node.id=n,com.docker.swarm.service.id=s,com.docker.swarm.task.id=t1 hello\n'),
    frame(2, 'com.docker.swarm.task.id=t2,x=y oops\n'),
  ]);
  reader.push(all.subarray(0, 11));
  reader.push(all.subarray(11));
  expect(frames).toEqual(['stdout|t1|hello\n', 'stderr|t2|oops\n']);
});
