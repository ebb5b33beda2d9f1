// The whole local backend suite again, with the runs forked by a spawner process (as the daemon does) rather
// than by this process: same output, exit codes, timeouts, group kills, marks.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { useSpawner } from '../src/index.js';
import { activeSpawner } from '../src/spawner.js';
import './local.test.js';

let release: () => void;
beforeAll(() => {
  release = useSpawner();
});
afterAll(() => release());

test('the runs above went through the spawner', () => {
  expect(activeSpawner()?.pid).toBeGreaterThan(0);
});
