// Issue 14's keys: rateLimit resume/margin/prompt/pace, priority, notify (merged), http.
import { describe, expect, test } from 'vitest';
import { loadCoordinator } from '../src/index.js';
import { coordinator } from './helpers.js';

describe('pacing, notification and HTTP keys', () => {
  test('resolve with defaults, and habitat.yaml notifications come before the agent own', async () => {
    const root = coordinator({
      'habitat.yaml':
        'http: { listen: "127.0.0.1:7070" }\nnotify:\n  - { webhook: "http://127.0.0.1:9/hook", on: [failed] }\n',
      'agents/a.yaml': [
        'run: { command: [echo] }',
        'priority: low',
        'rateLimit: { resume: true, margin: 2m, pace: 0.9 }',
        'notify:',
        '  - { command: [notify-send, habitat], after: 5 }',
      ].join('\n'),
      'agents/b.yaml': 'run: { command: [echo] }\n',
    });
    const { agents, settings, diagnostics } = await loadCoordinator(root);
    expect(diagnostics).toEqual([]);
    expect(settings.http).toEqual({ listen: '127.0.0.1:7070', public: false });
    const [a, b] = agents;
    expect(a!.priority).toBe('low');
    expect(a!.rateLimit).toMatchObject({ resume: true, marginMs: 120_000, pace: 0.9 });
    expect(a!.rateLimit.prompt).toMatch(/usage limit/);
    expect(a!.notify).toEqual([
      { kind: 'webhook', url: 'http://127.0.0.1:9/hook', on: ['failed'], after: 3 },
      {
        kind: 'command',
        command: ['notify-send', 'habitat'],
        on: [
          'failed',
          'rate-limited',
          'recovered',
          'lost',
          'timed-out',
          'needs-attention',
          'disk-full',
          'disk-recovered',
        ],
        after: 5,
      },
    ]);
    expect(b!.priority).toBe('normal');
    expect(b!.rateLimit).toMatchObject({ resume: false, marginMs: 300_000 });
    expect(b!.notify).toHaveLength(1);
  });

  test('a notification with neither webhook nor command, a bad event and a bad pace are diagnosed', async () => {
    const root = coordinator({
      'agents/a.yaml': [
        'run: { command: [echo] }',
        'rateLimit: { pace: 1.5 }',
        'notify:',
        '  - { on: [failed] }',
        '  - { webhook: "ftp://x", on: [exploded] }',
      ].join('\n'),
    });
    const { diagnostics } = await loadCoordinator(root);
    const paths = diagnostics.map((d) => `${d.line}:${d.path}`);
    expect(paths).toEqual(
      expect.arrayContaining(['2:rateLimit.pace', '4:notify[0]', '5:notify[1].webhook', '5:notify[1].on[0]']),
    );
    expect(diagnostics.find((d) => d.path === 'notify[0]')!.hint).toContain('webhook');
  });
});
