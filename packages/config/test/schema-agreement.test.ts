// The shipped JSON Schemas say what `habitat validate` says: the same agent files pass and fail in an editor
// (ajv, draft 2020-12) as in the loader, including durations and "exactly one of" run and schedule keys.
import { readFileSync, writeFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { agentJsonSchema, loadCoordinator, settingsJsonSchema } from '../src/index.js';
import { coordinator } from './helpers.js';

const FILES = { 'agent.schema.json': agentJsonSchema, 'habitat.schema.json': settingsJsonSchema };

test('the shipped schema files are the generated ones, with an $id', () => {
  for (const [file, make] of Object.entries(FILES)) {
    const url = new URL(`../${file}`, import.meta.url);
    const want = `${JSON.stringify(make(), null, 2)}\n`;
    if (process.env.HABITAT_WRITE_SCHEMAS) writeFileSync(url, want);
    expect(
      readFileSync(url, 'utf8'),
      `${file} is stale: HABITAT_WRITE_SCHEMAS=1 pnpm vitest run test/schema-agreement.test.ts`,
    ).toBe(want);
    expect(make().$id).toMatch(new RegExp(`/${file.replace('.', '\\.')}$`));
  }
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  expect(pkg.files).toEqual(expect.arrayContaining(['agent.schema.json', 'habitat.schema.json']));
  expect(pkg.exports['./agent.schema.json']).toBe('./agent.schema.json');
});

const AGENTS: [string, string][] = [
  ['ok', 'run: { command: [echo] }\nschedule: { every: 1h30m }\ntimeout: 30m\n'],
  ['ok', 'run: { claude: prompts/main.md }\nschedule: manual\ntimeout: 90\n'],
  ['ok', 'run: { script: run.sh }\nschedule: { cron: "0 * * * *", timezone: Europe/Berlin, jitter: 2m }\n'],
  ['ok', 'run: { command: [echo] }\nisolation: { memory: 2g }\nretry: { max: 2, backoff: 5M }\n'],
  ['bad', 'run: { command: [echo] }\ntimeout: 30 minutes\n'],
  ['bad', 'run: { command: [echo] }\ntimeout: soon\n'],
  ['bad', 'run: { command: [echo], script: x.sh }\n'],
  ['bad', 'run: {}\n'],
  ['bad', 'run: { command: [echo] }\nschedule: { every: 1h, cron: "0 * * * *" }\n'],
  ['bad', 'run: { command: [echo] }\nschedule: { timezone: UTC }\n'],
  ['bad', 'run: { command: [echo] }\nschedul: { every: 1h }\n'],
  ['bad', 'run: { command: [echo] }\ncredentials: [{ name: x }]\n'],
  ['bad', 'run: { command: [echo] }\ncredentials: [{ name: x, from: a.env, env: A }]\n'],
  ['bad', 'run: { command: [echo] }\nisolation: { memory: lots }\n'],
];

describe('an editor and habitat validate agree on agent files', () => {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  const check = ajv.compile(agentJsonSchema());
  test.each(AGENTS)('%s: %s', async (expected, text) => {
    const root = coordinator({
      'agents/a.yaml': text,
      'run.sh': '',
      'prompts/main.md': '',
      'a.env': 'A=1\n',
    });
    // Files on disk are the loader's business, not the schema's: only schema-level problems count here.
    // Nor is who runs the coordinator (a claude agent is refused under root).
    const problems = (await loadCoordinator(root)).diagnostics.filter(
      (d) =>
        !['missing-file', 'missing-credential'].includes(d.code) && !d.message.includes('would run as root'),
    );
    const editor = check(parse(text));
    expect(problems.length === 0 ? 'ok' : 'bad').toBe(expected);
    expect(editor ? 'ok' : 'bad', JSON.stringify(check.errors?.slice(0, 2))).toBe(expected);
  });
});
