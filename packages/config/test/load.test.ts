import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { agentJsonSchema, formatDiagnostic, loadCoordinator } from '../src/index.js';
import type { Diagnostic } from '../src/types.js';
import { coordinator } from './helpers.js';

async function diagnosticsOf(content: string, extra: Record<string, string> = {}): Promise<Diagnostic[]> {
  const root = coordinator({ 'agents/a.yaml': content, ...extra });
  return (await loadCoordinator(root)).diagnostics;
}

const one = async (content: string, extra?: Record<string, string>) => {
  const list = await diagnosticsOf(content, extra);
  expect(list).toHaveLength(1);
  return list[0]!;
};

describe('diagnostics name the file, line, column, key path and the fix', () => {
  test('invalid cron is checked by croner and says which field is out of range', async () => {
    const d = await one('run:\n  command: [echo]\nschedule:\n  cron: "*/61 * * * *"\n');
    expect(d).toMatchObject({ code: 'invalid-cron', line: 4, column: 9, path: 'schedule.cron' });
    expect(d.message).toBe('"*/61 * * * *" is not a valid cron expression: minutes are 0-59');
    expect(formatDiagnostic(d, { cwd: path.dirname(path.dirname(d.file)) })).toMatch(
      /^agents\/a\.yaml:4:9 schedule\.cron\n {2}error "\*\/61/,
    );
  });

  test('an unknown key suggests the nearest known one', async () => {
    const d = await one('run:\n  command: [echo]\nschedul:\n  every: 1h\n');
    expect(d).toMatchObject({ code: 'unknown-key', line: 3, column: 1, path: 'schedul' });
    expect(d.message).toBe('unknown key "schedul" (did you mean "schedule"?)');
  });

  test('an unknown nested key is found at its own position', async () => {
    const d = await one('run:\n  command: [echo]\nisolation:\n  backend: local\n  memroy: 2g\n');
    expect(d).toMatchObject({ code: 'unknown-key', line: 5, column: 3, path: 'isolation.memroy' });
    expect(d.message).toContain('did you mean "memory"');
  });

  test('YAML syntax errors point at the broken spot', async () => {
    const d = await one('run:\n  command: [echo\nschedule: manual\n');
    expect(d.code).toBe('yaml-syntax');
    expect(d.line).toBeGreaterThan(1);
    expect(d.message).toMatch(/^YAML syntax error: /);
  });

  test('a "[" or "{" never closed is named where it was opened, with the missing bracket as the fix', async () => {
    // yaml gives up at the "}" of the outer mapping (column 23) and speaks of indentation
    const inline = await one('run: { command: [echo }\nschedule: manual\n');
    expect(inline).toMatchObject({ code: 'yaml-syntax', line: 1, column: 17 });
    expect(inline.message).toBe('YAML syntax error: the list opened with "[" here is never closed (no "]")');
    expect(inline.hint).toMatch(/add the missing "\]" at the end of the list/);
    expect(inline.hint).not.toMatch(/indentation/);
    // yaml names the next line; the list starts on line 2
    expect(await one('run:\n  command: [echo, hi\nschedule: manual\n')).toMatchObject({
      line: 2,
      column: 12,
    });
    // a mapping; brackets inside quotes and comments do not count
    const map = await one('run: { command: ["[x", \'{y\'] # [z\nschedule: manual\n');
    expect(map).toMatchObject({ line: 1, column: 6 });
    expect(map.message).toMatch(/the mapping opened with "\{" here is never closed \(no "\}"\)/);
  });

  test('wrong types say what was expected and what was given', async () => {
    const d = await one('run:\n  command: echo\n');
    expect(d).toMatchObject({ code: 'invalid-type', path: 'run.command', line: 2, column: 12 });
    expect(d.message).toBe('expected array, got the string "echo"');
  });

  test('a missing run is reported as a missing key', async () => {
    const d = await one('schedule: manual\n');
    expect(d).toMatchObject({ code: 'missing-key', path: 'run' });
  });

  test('unparseable durations', async () => {
    const d = await one('run:\n  command: [echo]\nschedule: { every: 5 minutes }\n');
    expect(d).toMatchObject({ code: 'invalid-duration', path: 'schedule.every', line: 3, column: 20 });
  });

  test('unknown IANA time zones', async () => {
    const d = await one('run:\n  command: [echo]\nschedule: { cron: "0 * * * *", timezone: Mars/Base }\n');
    expect(d).toMatchObject({ code: 'invalid-timezone', path: 'schedule.timezone' });
    expect(d.message).toContain('"Mars/Base"');
  });

  test('missing prompt and script files, relative to the habitat repo', async () => {
    // IS_SANDBOX: under a root coordinator (CI) the agent would otherwise also be refused as root.
    const prompt = await one(
      'repo: ../h\nrun:\n  claude: { prompt: prompts/nope.md }\nenv: { IS_SANDBOX: "1" }\n',
      {
        'h/CLAUDE.md': '',
      },
    );
    expect(prompt).toMatchObject({ code: 'missing-file', path: 'run.claude.prompt', line: 3 });
    const script = await one('repo: ../h\nrun:\n  script: scripts/nope.sh\n', { 'h/CLAUDE.md': '' });
    expect(script).toMatchObject({ code: 'missing-file', path: 'run.script' });
    const repo = await one('repo: ../nowhere\nrun:\n  command: [echo]\n');
    expect(repo).toMatchObject({ code: 'missing-file', path: 'repo' });
  });

  test('credential sources that do not exist, without leaking anything', async () => {
    const list = await diagnosticsOf(
      'run:\n  command: [echo]\ncredentials:\n  - { name: gh, from: secrets/gh.env }\n  - { name: k, env: HABITAT_TEST_SURELY_UNSET }\n',
    );
    expect(list.map((d) => [d.code, d.path])).toEqual([
      ['missing-credential', 'credentials[0].from'],
      ['missing-credential', 'credentials[1].env'],
    ]);
  });

  test('duplicate agent names from .yaml and .yml', async () => {
    const root = coordinator({
      'agents/a.yaml': 'run: { command: [echo] }\n',
      'agents/a.yml': 'run: { command: [echo] }\n',
    });
    const c = await loadCoordinator(root);
    expect(c.agents.map((a) => a.name)).toEqual(['a']);
    expect(c.diagnostics).toHaveLength(1);
    expect(c.diagnostics[0]).toMatchObject({
      code: 'duplicate-agent',
      file: path.join(root, 'agents/a.yml'),
    });
  });

  test('run takes exactly one of claude, script, command', async () => {
    const d = await one('run:\n  command: [echo]\n  script: x.sh\n');
    expect(d.message).toContain('exactly one of claude, script or command');
  });
});

test('a dozen differently broken files give one diagnostic each, and the valid agents still load', async () => {
  const broken: Record<string, string> = {
    'agents/cron.yaml': 'run: { command: [echo] }\nschedule: { cron: "*/61 * * * *" }\n',
    'agents/typo.yaml': 'run: { command: [echo] }\nschedul: { every: 1h }\n',
    'agents/syntax.yaml': 'run:\n  command: [echo\n',
    'agents/type.yaml': 'run: { command: echo }\n',
    'agents/duration.yaml': 'run: { command: [echo] }\ntimeout: soon\n',
    'agents/tz.yaml': 'run: { command: [echo] }\nschedule: { cron: "0 * * * *", timezone: Nowhere/Land }\n',
    'agents/script.yaml': 'run: { script: missing.sh }\n',
    'agents/cred.yaml': 'run: { command: [echo] }\ncredentials: [{ name: x, from: nope.env }]\n',
    'agents/enum.yaml': 'run: { command: [echo] }\noverlap: sometimes\n',
    'agents/norun.yaml': 'schedule: manual\n',
    'agents/empty.yaml': '',
    'agents/dup.yml': 'run: { command: [echo] }\n',
    'agents/dup.yaml': 'run: { command: [echo] }\n',
    'agents/good.yaml': 'run: { command: [echo, ok] }\nschedule: { every: 6h }\n',
  };
  const c = await loadCoordinator(coordinator(broken));
  expect(c.agents.map((a) => a.name)).toEqual(['dup', 'good']);
  const files = c.diagnostics.map((d) => path.basename(d.file)).sort();
  expect(files).toEqual(
    Object.keys(broken)
      .map((f) => path.basename(f))
      .filter((f) => f !== 'good.yaml' && f !== 'dup.yaml')
      .sort(),
  );
  for (const d of c.diagnostics) expect(d.message.length).toBeGreaterThan(10);
});

test('habitat.yaml defaults merge under every agent; the agent file wins', async () => {
  const root = coordinator({
    'habitat.yaml':
      'stateDir: state\nmaxConcurrentRuns: 2\ndefaults:\n  timeout: 5m\n  isolation: { backend: docker, image: img:1, memory: 1g }\n  retry: { max: 3 }\n',
    'agents/a.yaml': 'run: { command: [echo] }\nisolation: { image: img:2 }\ntimeout: 2m\n',
  });
  const c = await loadCoordinator(root);
  const a = c.agents[0]!;
  expect(c.settings.stateDir).toBe(path.join(root, 'state'));
  expect(c.settings.maxConcurrentRuns).toBe(2);
  expect(a.timeoutMs).toBe(120_000);
  expect(a.isolation).toMatchObject({ backend: 'docker', image: 'img:2', memoryBytes: 1024 ** 3 });
  expect(a.retry.max).toBe(3);
  expect(a.repo).toEqual({ kind: 'path', path: root });
});

test('a resolved claude agent gets the unattended defaults', async () => {
  const root = coordinator({
    'h/prompts/p.md': 'do it',
    'agents/c.yaml':
      'repo: ../h\nrun:\n  claude: prompts/p.md\nschedule: { cron: "0 * * * *", timezone: Europe/Berlin, jitter: 2m }\nwake: agent\nisolation: { user: nobody }\n',
  });
  const [agent] = (await loadCoordinator(root)).agents;
  expect(agent!.run).toEqual({
    kind: 'claude',
    prompt: 'prompts/p.md',
    args: [],
    outputFormat: 'stream-json',
    skipPermissions: true,
  });
  expect(agent!.schedule).toEqual({
    kind: 'cron',
    cron: '0 * * * *',
    timezone: 'Europe/Berlin',
    jitterMs: 120_000,
  });
  expect(agent!.repo).toEqual({ kind: 'path', path: path.join(root, 'h') });
});

test('the committed JSON Schema is the one generated from the zod schema', () => {
  const committed = JSON.parse(readFileSync(new URL('../agent.schema.json', import.meta.url), 'utf8'));
  expect(committed).toEqual(agentJsonSchema());
});

describe('claude agents never run as root', () => {
  const claude = 'repo: ../h\nrun:\n  claude: { prompt: p.md }\n';
  const files = { 'h/p.md': 'do it\n' };

  test('an explicit root user is refused, on the host and in a container', async () => {
    for (const backend of ['local', 'docker']) {
      const d = await one(`${claude}isolation: { backend: ${backend}, user: "0:0" }\n`, files);
      expect(d).toMatchObject({ code: 'invalid-value', path: 'isolation.user', line: 4 });
      expect(d.message).toContain('would run as root (isolation.user is 0:0)');
    }
  });

  test.runIf(process.getuid?.() === 0)(
    'a container runs as the repo owner by default: a root-owned repo is refused, an explicit user wins',
    async () => {
      const d = await one(`${claude}isolation: { backend: docker }\n`, files);
      expect(d.message).toContain('is owned by root, and a container runs as the repo');
      expect(d.hint).toContain('set isolation.user');
      expect(
        await diagnosticsOf(`${claude}isolation: { backend: docker, user: "1000:1000" }\n`, files),
      ).toEqual([]);
    },
  );

  test.runIf(process.getuid?.() === 0)(
    'a local claude agent under a root coordinator is refused with the fix, unless it cannot hit the refusal',
    async () => {
      const d = await one(claude, files);
      expect(d).toMatchObject({ code: 'invalid-value', path: 'isolation.user', line: 1 });
      expect(d.message).toBe(
        'this claude agent would run as root (the coordinator runs as root, and a local agent runs as the coordinator by default); Claude Code refuses --dangerously-skip-permissions as root',
      );
      expect(d.hint).toContain('set isolation.user');
      // A named user, no --dangerously-skip-permissions, or Claude's own sandbox switch: nothing to refuse.
      for (const extra of ['isolation: { backend: local, user: nobody }\n', 'env: { IS_SANDBOX: "1" }\n'])
        expect(await diagnosticsOf(`${claude}${extra}`, files)).toEqual([]);
      expect(
        await diagnosticsOf('repo: ../h\nrun:\n  claude: { prompt: p.md, skipPermissions: false }\n', files),
      ).toEqual([]);
      // A script agent as root is nobody's business but the operator's.
      expect(await diagnosticsOf('repo: ../h\nrun:\n  command: ["true"]\n', files)).toEqual([]);
    },
  );
});

test('a container agent whose repo holds the coordinator is named at validate time, with the fix; it still loads', async () => {
  const root = coordinator({
    'agents/boxed.yaml': 'run: { command: ["true"] }\nisolation: { backend: docker, image: img:1 }\n',
    'agents/own.yaml':
      'repo: ../habitats/own\nrun: { command: ["true"] }\nisolation: { backend: docker, image: img:1 }\n',
    'agents/here.yaml': 'run: { command: ["true"] }\n',
    'habitats/own/README.md': 'its own repo\n',
  });
  const c = await loadCoordinator(root);
  expect(c.agents.map((a) => a.name).sort()).toEqual(['boxed', 'here', 'own']);
  expect(c.diagnostics).toEqual([
    expect.objectContaining({
      severity: 'warning',
      file: path.join(root, 'agents/boxed.yaml'),
      line: 1,
      path: 'repo',
      message: expect.stringContaining(`docker agent's repo ${root} holds the coordinator`),
      hint: 'give the agent its own habitat repo, e.g. repo: ../habitats/boxed (`habitat new agent boxed` makes one)',
    }),
  ]);
  // a repo: key that names the coordinator is pointed at
  const explicit = await one(
    'repo: ..\nrun: { command: ["true"] }\nisolation: { backend: swarm, image: img:1 }\n',
  );
  expect(explicit).toMatchObject({ severity: 'warning', line: 1, column: 7, path: 'repo' });
});
