// The lean Docker Engine client (docker-engine.ts): the stream framing, which addresses it serves, and a real
// container on the real engine — stdin written through the hijacked attach, stdout and stderr told apart, the
// exit status from a wait taken before the start, the engine's own error message for a missing image.
import { PassThrough } from 'node:stream';
import { buildTestImage, requireDockerInCI } from '@habitat/testkit';
import { describe, expect, test } from 'vitest';
import { demultiplex, EngineError, engineAt, engineSocket } from '../src/docker-engine.js';

const frame = (stream: 1 | 2, text: string) => {
  const body = Buffer.from(text);
  const head = Buffer.alloc(8);
  head[0] = stream;
  head.writeUInt32BE(body.length, 4);
  return Buffer.concat([head, body]);
};

test('frames are split into stdout and stderr whatever the chunk boundaries', async () => {
  const wire = Buffer.concat([
    frame(1, 'out one\n'),
    frame(2, 'err one\n'),
    frame(1, ''),
    frame(1, 'out two'),
  ]);
  for (const size of [1, 3, 8, 9, 1000]) {
    const stream = new PassThrough();
    const got: string[] = [];
    const ended = demultiplex(stream, (which, chunk) => got.push(`${which}:${chunk}`));
    for (let i = 0; i < wire.length; i += size) stream.write(wire.subarray(i, i + size));
    stream.end();
    await ended;
    expect(got.join('|'), `chunks of ${size}`).toBe('stdout:out one\n|stderr:err one\n|stdout:out two');
  }
});

test('the lean client serves the default socket and unix:// addresses only', () => {
  expect(engineSocket({})).toBe('/var/run/docker.sock');
  expect(engineSocket({ DOCKER_HOST: 'unix:///run/user/1000/docker.sock' })).toBe(
    '/run/user/1000/docker.sock',
  );
  expect(engineSocket({ DOCKER_HOST: 'tcp://127.0.0.1:2375' })).toBeUndefined();
  expect(engineSocket({ DOCKER_HOST: 'ssh://me@host' })).toBeUndefined();
});

const docker = await requireDockerInCI();
const socket = engineSocket();

describe.skipIf(!docker || !socket)('on the real engine', () => {
  const engine = engineAt(socket!);

  test('stdin in, stdout and stderr apart, the exit status of a wait taken before the start', {
    timeout: 60_000,
  }, async () => {
    const image = await buildTestImage();
    const { Id: id } = await engine.call<{ Id: string }>('POST', '/containers/create', {
      Image: image,
      Cmd: ['sh', '-c', 'cat; echo to-stderr >&2; exit 7'],
      OpenStdin: true,
      StdinOnce: true,
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Labels: { 'habitat.test': 'docker-engine' },
      HostConfig: { NetworkMode: 'none' },
    });
    try {
      const stream = await engine.attach(id, true);
      const out: Record<string, string> = { stdout: '', stderr: '' };
      const ended = demultiplex(stream, (which, chunk) => (out[which] += chunk.toString()));
      const { exited } = await engine.waitNextExit(id);
      await engine.call('POST', `/containers/${id}/start`);
      stream.end('the prompt\n');
      expect(await exited).toBe(7);
      await ended;
      expect(out).toEqual({ stdout: 'the prompt\n', stderr: 'to-stderr\n' });
    } finally {
      await engine.call('DELETE', `/containers/${id}?force=1`);
    }
  });

  test("a missing image is the engine's 404 with its message", async () => {
    const error = await engine
      .call('POST', '/containers/create', { Image: 'habitat-no-such-image:nope' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineError);
    expect(error).toMatchObject({ statusCode: 404, message: expect.stringMatching(/No such image/i) });
  });
});
