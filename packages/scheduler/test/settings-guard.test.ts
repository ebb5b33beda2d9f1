// The last good copy of habitat.yaml: written whole (aside, then renamed), nothing left beside it.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { testdir } from '@habitat/testkit';
import { expect, test } from 'vitest';
import { LAST_GOOD_SETTINGS, loadGuarded } from '../src/settings-guard.js';

test('a clean habitat.yaml is remembered as the last good copy, with no temporary file left', async () => {
  const settings = 'maxConcurrentRuns: 2\n';
  const root = testdir({ 'habitat.yaml': settings, 'agents/a.yaml': 'run: { command: ["true"] }\n' });
  const stateDir = path.join(root, 'state');
  await loadGuarded(root, stateDir);
  expect(readdirSync(stateDir)).toEqual([LAST_GOOD_SETTINGS]);
  expect(readFileSync(path.join(stateDir, LAST_GOOD_SETTINGS), 'utf8')).toBe(settings);
});
