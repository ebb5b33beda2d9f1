// Relative paths: in an agent file against that file's directory (repo and credentials alike), in
// habitat.yaml against habitat.yaml's directory; a missing one says which base was used.
import path from 'node:path';
import { expect, test } from 'vitest';
import { loadCoordinator, parseEnvFile, readCredential } from '../src/index.js';
import { coordinator } from './helpers.js';

test("an agent file's credentials resolve against the file's directory, habitat.yaml's against its own", async () => {
  const root = coordinator({
    'habitat.yaml': 'defaults:\n  credentials:\n    - { name: shared, from: secrets/shared.env }\n',
    'secrets/shared.env': 'SHARED=1\n',
    'agents/feed.yaml':
      'repo: ../habitats/feed\nrun: { command: [echo] }\ncredentials:\n  - { name: own, from: feed.env }\n',
    'agents/feed.env': 'OWN=2\n',
    'habitats/feed/CLAUDE.md': '',
  });
  const c = await loadCoordinator(root);
  expect(c.diagnostics).toEqual([]);
  const agent = c.agents.find((a) => a.name === 'feed')!;
  expect(agent.repo).toMatchObject({ path: path.join(root, 'habitats/feed') });
  expect(agent.credentials.map((x) => [x.name, x.source])).toEqual([
    ['shared', { kind: 'file', path: path.join(root, 'secrets/shared.env') }],
    ['own', { kind: 'file', path: path.join(root, 'agents/feed.env') }],
  ]);
});

test('a missing credential or repo names the base directory it was resolved against', async () => {
  const root = coordinator({
    'agents/a.yaml':
      'repo: ../nowhere\nrun: { command: [echo] }\ncredentials: [{ name: x, from: nope.env }]\n',
  });
  const messages = (await loadCoordinator(root)).diagnostics.map((d) => d.message);
  expect(messages).toContainEqual(
    expect.stringContaining(`agent file's directory, ${path.join(root, 'agents')}`),
  );
  expect(messages.filter((m) => m.includes("agent file's directory"))).toHaveLength(2);
});

test('.env credentials: inline comments, quotes and export, by Node’s parser', async () => {
  expect(parseEnvFile('KEY=xyz # note\nQ="a # b" # c\nexport E=1\n')).toEqual({
    KEY: 'xyz',
    Q: 'a # b',
    E: '1',
  });
  const root = coordinator({ 'k.env': 'TOKEN=abcd1234 # the staging token\n' });
  const values = await readCredential({
    name: 'k',
    source: { kind: 'file', path: path.join(root, 'k.env') },
    as: 'env',
    envName: 'K',
  });
  expect(values.env).toEqual({ TOKEN: 'abcd1234' });
});
