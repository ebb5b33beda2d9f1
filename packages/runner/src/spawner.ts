// The coordinator's side of the spawner process (spawner-child.ts): one small node process, started on first
// use, that forks local runs so the coordinator's event loop never does. A coordinator (the scheduler daemon)
// opts in with `useSpawner()`; without it — `habitat run`, tests, `HABITAT_SPAWNER=0` — local runs fork
// in-process as before. The spawner dying is noticed (its exit and the end of its channel) and the next start
// forks a new one; what was in flight on the dead one is settled by local.ts (never started twice).
import { type ChildProcess, spawn } from 'node:child_process';
import { SPAWNER_SOURCE } from './spawner-child.js';

export interface SpawnRequest {
  runDir: string;
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  stdin?: string;
  uid?: number;
  gid?: number;
}

/** The spawner's answer to a start; `lost`: it died before answering (the run may or may not have forked). */
export type SpawnReply =
  | { op: 'spawned'; pid: number; attached: () => void }
  | { op: 'error'; code?: string; message: string }
  | { op: 'nofifo' }
  | { op: 'lost' };

/** How a spawned run's wrapper ended; `lost`: the spawner died first (the run goes on without it). */
export type SpawnExit = { code: number | null; signal: string | null } | 'lost';

export interface SpawnerEvent {
  event: 'spawner.started' | 'spawner.died';
  pid: number;
  /** spawner.died: its exit code or signal, and how many starts and runs it had */
  code?: number | null;
  signal?: string | null;
  starting?: number;
  running?: number;
}

interface Entry {
  reply?: (r: SpawnReply) => void;
  exit: (e: SpawnExit) => void;
}

interface Generation {
  child: ChildProcess;
  entries: Map<number, Entry>;
}

type Message =
  | { op: 'ready'; pid: number }
  | { op: 'spawned'; id: number; pid: number }
  | { op: 'error'; id: number; code?: string; message: string }
  | { op: 'nofifo'; id: number }
  | { op: 'removed'; id: number }
  | { op: 'exit'; id: number; code: number | null; signal: string | null };

export class Spawner {
  private gen: Generation | undefined;
  private nextId = 1;
  private closed = false;

  constructor(private readonly onEvent?: (e: SpawnerEvent) => void) {}

  /** The live spawner's pid (undefined before the first start, or after it died). */
  get pid(): number | undefined {
    return this.gen?.child.pid;
  }

  /** Ask for one run's start; `onExit` hears how its wrapper ended. */
  start(request: SpawnRequest, onExit: (e: SpawnExit) => void): Promise<SpawnReply> {
    if (this.closed) return Promise.resolve({ op: 'lost' });
    const gen = this.ensure();
    const id = this.nextId++;
    return new Promise<SpawnReply>((resolve) => {
      gen.entries.set(id, { reply: resolve, exit: onExit });
      this.ref(gen);
      // A closed channel fails the send; the spawner's death then settles the entry (`lost`).
      gen.child.send({ op: 'start', id, ...request }, () => {});
    });
  }

  /**
   * Remove `paths` (recursively) in the spawner: a run dir the agent filled would otherwise be walked on the
   * coordinator's loop. Resolves false when the spawner died first (the caller removes them itself).
   */
  remove(paths: string[]): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    const gen = this.ensure();
    const id = this.nextId++;
    return new Promise<boolean>((resolve) => {
      gen.entries.set(id, { reply: (r) => resolve(r.op !== 'lost'), exit: () => {} });
      this.ref(gen);
      gen.child.send({ op: 'remove', id, paths }, () => {});
    });
  }

  /** Stop the spawner (its runs go on: they are detached). */
  close(): void {
    this.closed = true;
    if (this.gen?.child.connected) this.gen.child.disconnect();
  }

  private ensure(): Generation {
    if (this.gen) return this.gen;
    const env = { ...process.env };
    delete env.NODE_OPTIONS; // the coordinator's flags (a profiler, a heap size) are not for this process
    const child = spawn(
      process.execPath,
      ['--max-semi-space-size=1', '--max-old-space-size=64', '-e', SPAWNER_SOURCE],
      { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], env },
    );
    const gen: Generation = { child, entries: new Map() };
    this.gen = gen;
    child.on('message', (m: Message) => this.onMessage(gen, m));
    child.on('error', () => {}); // a failed fork ends in 'exit' too
    // Dead once it has exited and its channel is read to the end (a reply sent just before it died counts).
    let status: { code: number | null; signal: string | null } | undefined;
    let disconnected = !child.connected;
    const settle = () => {
      if (status && disconnected) this.onDeath(gen, status);
    };
    child.once('exit', (code, signal) => {
      status = { code, signal };
      settle();
    });
    child.once('disconnect', () => {
      disconnected = true;
      settle();
    });
    this.ref(gen);
    return gen;
  }

  /** Keep the coordinator's loop alive while a start or a run is out with the spawner, not longer. */
  private ref(gen: Generation): void {
    const busy = gen.entries.size > 0;
    if (busy) {
      gen.child.ref();
      gen.child.channel?.ref();
    } else {
      gen.child.unref();
      gen.child.channel?.unref();
    }
  }

  private onMessage(gen: Generation, m: Message): void {
    if (m.op === 'ready') {
      this.onEvent?.({ event: 'spawner.started', pid: m.pid });
      return;
    }
    const entry = gen.entries.get(m.id);
    if (!entry) return;
    if (m.op === 'spawned') {
      const reply = entry.reply;
      entry.reply = undefined;
      reply?.({
        op: 'spawned',
        pid: m.pid,
        attached: () => gen.child.send({ op: 'attached', id: m.id }, () => {}),
      });
      return;
    }
    gen.entries.delete(m.id);
    this.ref(gen);
    if (m.op === 'exit') entry.exit({ code: m.code, signal: m.signal });
    else
      entry.reply?.(m.op === 'error' ? { op: 'error', code: m.code, message: m.message } : { op: 'nofifo' });
  }

  private onDeath(gen: Generation, status: { code: number | null; signal: string | null }): void {
    if (this.gen === gen) this.gen = undefined;
    const entries = [...gen.entries.values()];
    gen.entries.clear();
    if (!this.closed || entries.length > 0)
      this.onEvent?.({
        event: 'spawner.died',
        pid: gen.child.pid ?? 0,
        code: status.code,
        signal: status.signal,
        starting: entries.filter((e) => e.reply).length, // (removals among them)
        running: entries.filter((e) => !e.reply).length,
      });
    for (const e of entries) e.reply ? e.reply({ op: 'lost' }) : e.exit('lost');
  }
}

let shared: { spawner: Spawner; users: number } | undefined;

/**
 * Local runs of this process fork through a spawner process from now on (until every `useSpawner()` caller
 * has called the release it returns). `HABITAT_SPAWNER=0` keeps them in-process.
 */
export function useSpawner(onEvent?: (e: SpawnerEvent) => void): () => void {
  if (process.env.HABITAT_SPAWNER === '0') return () => {};
  shared ??= { spawner: new Spawner(onEvent), users: 0 };
  shared.users++;
  let released = false;
  return () => {
    if (released || !shared) return;
    released = true;
    if (--shared.users === 0) {
      shared.spawner.close();
      shared = undefined;
    }
  };
}

/** The spawner local runs fork through, if one is in use. */
export function activeSpawner(): Spawner | undefined {
  return shared?.spawner;
}
