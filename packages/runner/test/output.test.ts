import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { formsOf, type RunEvent, RunOutput, Scrubber, STDERR_MARK, startRun } from '../src/index.js';
import { agentWith, sh, tempDir } from './helpers.js';

const SECRET = 'sk-live-51HqLyjWDarjtT1zdp7dc';

describe('streaming scrubber', () => {
  test('holds back only an end that could start a secret form, and nothing after a plain line', () => {
    const s = new Scrubber([{ name: 'k', value: SECRET }]);
    expect(s.push(Buffer.from('hello world\n')).toString()).toBe('hello world\n');
    expect(s.pending).toBe(0);
    expect(s.push(Buffer.from('token: sk-li')).toString()).toBe('token: ');
    expect(s.pending).toBe(5);
    expect(s.push(Buffer.from(`${SECRET.slice(5)} done\n`)).toString()).toBe(
      'sk-li[REDACTED:k] done\n'.slice(5),
    );
    expect(s.pending).toBe(0);
  });

  test('a secret split at every position, in every form, is still replaced', () => {
    for (const form of formsOf(SECRET)) {
      const input = `a ${form} b\n`;
      for (let cut = 1; cut < input.length; cut++) {
        const s = new Scrubber([{ name: 'k', value: SECRET }]);
        const out = Buffer.concat([
          s.push(Buffer.from(input.slice(0, cut))),
          s.push(Buffer.from(input.slice(cut))),
          s.flush(),
        ]).toString();
        expect(out, `${form} cut at ${cut}`).toBe('a [REDACTED:k] b\n');
      }
    }
  });

  test('hex, URL-encoded, JSON-escaped and embedded base64 forms are caught', () => {
    const value = 'p@ss/w"rd+9a8b7c6d';
    const s = new Scrubber([{ name: 'k', value }]);
    const bytes = Buffer.from(value);
    const inputs = [
      bytes.toString('hex'),
      bytes.toString('hex').toUpperCase(),
      encodeURIComponent(value),
      JSON.stringify({ v: value }),
      bytes.toString('base64'),
      // the value inside a larger base64 blob, at each byte alignment
      ...[0, 1, 2].map((k) =>
        Buffer.concat([Buffer.from('xyz'.slice(0, k)), bytes, Buffer.from('tail')]).toString('base64'),
      ),
      ...[1, 2].map((k) => Buffer.concat([Buffer.from('xyz'.slice(0, k)), bytes]).toString('base64url')),
    ];
    for (const input of inputs) expect(s.scrubText(input), input).toContain('[REDACTED:k]');
    for (const input of inputs) expect(s.scrubText(input)).not.toContain(value);
  });
});

describe('run output', () => {
  const collect = (idleMs = 30) => {
    const dir = tempDir();
    const logPath = path.join(dir, 'run.log');
    const fd = openSync(logPath, 'a');
    const texts: string[] = [];
    const output = new RunOutput({
      logFd: fd,
      secrets: [{ name: 'k', value: SECRET }],
      streamJson: false,
      idleMs,
      onText: (stream, text) => texts.push(`${stream}:${text}`),
    });
    return { output, texts, log: () => readFileSync(logPath, 'utf8'), close: () => closeSync(fd) };
  };

  test('the log keeps each stream whole line by line, stderr lines marked', () => {
    const { output, log, close } = collect();
    output.push('stderr', Buffer.from('error: ups'));
    output.push('stdout', Buffer.from('line1\nli'));
    output.push('stderr', Buffer.from('tream returned 503\nsecond\n'));
    output.push('stdout', Buffer.from('ne2\n'));
    output.push('stdout', Buffer.from('no newline at the end'));
    output.end();
    close();
    expect(log()).toBe(
      `line1\n${STDERR_MARK}error: upstream returned 503\n${STDERR_MARK}second\nline2\nno newline at the end`,
    );
  });

  test('a held tail is released after the idle time when no secret follows', async () => {
    const { output, texts, close } = collect(30);
    output.push('stdout', Buffer.from('prompt> sk-l'));
    expect(texts.join('')).toBe('stdout:prompt> ');
    await new Promise((r) => setTimeout(r, 80));
    expect(texts.join('')).toBe('stdout:prompt> stdout:sk-l');
    output.end();
    close();
  });
});

describe('a run with credentials', () => {
  test('each line reaches listeners while the run is still going, and secrets split across writes are caught', async () => {
    const dir = tempDir();
    const cred = path.join(dir, 'api.env');
    writeFileSync(cred, `API_TOKEN=${SECRET}\n`);
    const half = SECRET.length >> 1;
    // The agent prints `first`, then waits until the test has heard it (the go file) before printing more, for
    // at most 10 s. A runner that held `first` back until the next output would be heard only after the wait:
    // the agent then says it gave up. No clock is compared, so a loaded machine cannot fail this.
    const go = path.join(dir, 'go');
    const agent = agentWith({
      run: sh(
        `echo first; i=0; while [ ! -e ${go} ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; [ -e ${go} ] && echo released || echo gave-up; printf 'key=${SECRET.slice(0, half)}'; printf '${SECRET.slice(half)}\\n'; echo 'oops' >&2`,
      ),
      credentials: [{ name: 'api', source: { kind: 'file', path: cred }, as: 'env', envName: 'API' }],
    });
    const handle = startRun(agent, { stateDir: tempDir() });
    handle.on((e: RunEvent) => {
      if (e.type === 'output' && e.text.includes('first')) writeFileSync(go, '');
    });
    const result = await handle.result;
    const log = readFileSync(result.logPath, 'utf8');
    // `first` arrived while the agent was still waiting, not with the output after it.
    expect(log).toContain('released\n');
    expect(log).not.toContain(SECRET.slice(half));
    expect(log).toContain('key=[REDACTED:api]\n');
    expect(log).toContain(`${STDERR_MARK}oops\n`);
  });
});
