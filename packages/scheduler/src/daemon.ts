// The coordinator daemon: fires agents on their schedules and wake requests, never twice and never
// forgetting one, within overlap and concurrency limits, and tells subscribers what happens.
import { EventEmitter } from 'node:events';
import { closeSync, existsSync, openSync } from 'node:fs';
import path from 'node:path';
import { type AgentConfig, type Coordinator, type Diagnostic, readCredentialValues } from '@habitat/config';
import {
  allBackends,
  type BackendExit,
  backendFor,
  type LiveRun,
  type RunHandle,
  RunOutput,
  type RunResult,
  resultBeforeStart,
  runPaths,
  type StartRunOptions,
  startRun,
  sweepRunFiles,
  useSpawner,
  writeResultRecord,
} from '@habitat/runner';
import type { Logger } from 'pino';
import { ulid } from 'ulid';
import { type AccountReport, Accounts, accountOf } from './accounts.js';
import { checkCapacity } from './capacity.js';
import { type Checkpointer, startCheckpointer } from './checkpointer.js';
import { SchedulerError } from './errors.js';
import { checkListen, type HttpServer, serveHttp } from './http.js';
import { acquireLock } from './lock.js';
import { Notifier, type NotifierOptions } from './notify.js';
import {
  credentialKeys,
  initialPlan,
  isAccountLimit,
  planAfterFire,
  planAfterRun,
  slotAfter,
  slotsBetween,
} from './plan.js';
import {
  appendLeftoverOutput,
  findRunLog,
  leftoverLearnings,
  leftoverWake,
  readRecord,
  removeRunDir,
  sweepRunDirs,
} from './recovery.js';
import { RESUME_TRIGGER, Resumes } from './resume.js';
import { loadGuarded } from './settings-guard.js';
import { type DaemonServer, serveControl } from './socket.js';
import { checkSocketPath, freeBytes, isStorageFull, MIN_FREE_BYTES, secureStateDir } from './state-dir.js';
import { type AgentStats, buildStatus, computeStats, type StatusReport } from './status.js';
import { DB_FILE, openStore, type PlanRow, type RunRow, type Store } from './store.js';
import { type CoordinatorWatch, watchCoordinator } from './watch-coordinator.js';

/** Starts one run; the default is `@habitat/runner`'s `startRun`. */
export type Launcher = (agent: AgentConfig, options: StartRunOptions) => RunHandle;

export interface DaemonOptions {
  /** the coordinator root */
  root: string;
  logger?: Logger;
  launch?: Launcher;
  /** run what is due now, wait for it, and stop (no socket, no watcher) */
  once?: boolean;
  /** serve the control socket (default: true unless `once`) */
  socket?: boolean;
  /** hot-reload agents/*.yaml (default: true unless `once`) */
  watch?: boolean;
  /** how long a graceful stop lets runs finish before cancelling them */
  graceMs?: number;
  now?: () => number;
  /** extra options for every run (e.g. a knowledge prelude), computed per agent */
  runOptions?: (
    agent: AgentConfig,
    run: { runId: string },
  ) => Promise<Partial<StartRunOptions>> | Partial<StartRunOptions>;
  /** serve the HTTP API (default: habitat.yaml's `http`, never with `once`) */
  http?: { listen: string; public?: boolean };
  /** how a line for people is printed (the public HTTP bind warning) */
  warn?: (message: string) => void;
  /** notification delivery tuning (tests shorten the back-off) */
  notify?: NotifierOptions;
}

/** An event on the daemon's stream (and its socket's `subscribe`). */
export interface DaemonEvent {
  event: string;
  time: string;
  [key: string]: unknown;
}

const MAX_TIMER_MS = 60 * 60_000;
/** How often a daemon on a full disk checks for space again. */
const DISK_RETRY_MS = 2000;
/** Slots this far in the past at start-up are "missed" (anything closer is just due). */
const MISSED_AFTER_MS = 1000;
/** How long after its creation a container a killed daemon left `created` may still start. */
const SETTLE_CREATED_MS = 5000;

export class Daemon extends EventEmitter {
  readonly startedAt = new Date();
  private agents = new Map<string, AgentConfig>();
  private diagnostics: Diagnostic[] = [];
  private plans = new Map<string, PlanRow>();
  /** runs in flight: started here (`handle`) or adopted from a previous daemon (`cancel`) */
  private readonly running = new Map<
    string,
    { handle?: RunHandle; cancel?: (why: string) => void; agent: string; done: Promise<void> }
  >();
  private readonly queue: RunRow[] = [];
  private timer: NodeJS.Timeout | undefined;
  private watcher: CoordinatorWatch | undefined;
  private server: DaemonServer | undefined;
  private stopping = false;
  private starting: Promise<void> | undefined;
  private stopped: Promise<void> | undefined;
  private reloadTimer: NodeJS.Timeout | undefined;
  private releaseLock: (() => void) | undefined;
  private releaseSpawner: (() => void) | undefined;
  private checkpointer: Checkpointer | undefined;
  /** set while the disk is full: nothing starts, finished runs wait in `unrecorded` */
  private degraded: { since: number; message: string } | undefined;
  private readonly unrecorded: [string, RunResult][] = [];
  private recoverTimer: NodeJS.Timeout | undefined;
  /** when the disk-full notification went out (undefined: none pending recovery) */
  private diskFullSince: number | undefined;
  /** set while habitat.yaml is broken (the last good settings are in use, or no agent is) */
  private settingsProblem: string | undefined;
  /** backends that did not answer during reconciliation: none of their runs is started again */
  private readonly unreachable = new Set<string>();
  private settings!: Coordinator['settings'];
  store!: Store;
  private readonly now: () => number;
  // Issue 14: resume after the limit, accounts and pacing, notifications, the HTTP API.
  private resumes!: Resumes;
  private accountBook!: Accounts;
  private notifier!: Notifier;
  private http: HttpServer | undefined;

  constructor(private readonly options: DaemonOptions) {
    super();
    this.setMaxListeners(0);
    this.now = options.now ?? Date.now;
  }

  get stateDir(): string {
    return this.settings.stateDir;
  }

  /** the HTTP API's address, when it is served */
  get httpUrl(): string | undefined {
    return this.http?.url;
  }

  get socketPath(): string {
    return path.join(this.settings.stateDir, 'habitat.sock');
  }

  /**
   * Lock the state dir, load agents, reconcile what a previous daemon left, and start firing. A `stop()`
   * during start-up (SIGTERM the moment `habitat up` began) lets the step in progress finish — reconciling is
   * never cut in half — then serves nothing, fires nothing and resolves; `stop()` does the rest.
   */
  start(): Promise<void> {
    if (this.stopping) return Promise.resolve();
    this.starting ??= this.startUnguarded();
    return this.starting;
  }

  private async startUnguarded(): Promise<void> {
    const { coordinator, settingsProblem } = await loadGuarded(this.options.root);
    this.settings = coordinator.settings;
    this.settingsProblem = settingsProblem;
    if (this.options.socket ?? !this.options.once) checkSocketPath(this.socketPath);
    const http = this.options.http ?? this.settings.http;
    if (http && !this.options.once) checkListen(http); // a bad --http fails before anything starts
    if (this.stopping) return;
    secureStateDir(this.stateDir);
    this.releaseLock = await acquireLock(this.stateDir);
    // Local runs fork in a spawner process, off this event loop (runner spawner.ts); a one-off run forks here.
    if (!this.options.once)
      // (as spawnerPid: the log line's own pid is the coordinator's, and a second "pid" key hid it)
      this.releaseSpawner = useSpawner(({ pid, ...e }) =>
        this.log(e.event === 'spawner.died' ? 'warn' : 'info', { ...e, spawnerPid: pid }, e.event),
      );
    try {
      if (this.stopping) return;
      // Before the store: a disk too full to open it is notified too (unrecorded).
      this.notifier = new Notifier(undefined, {
        ...this.options.notify,
        ...(this.options.logger ? { logger: this.options.logger } : {}),
      });
      const store = await this.openStoreWhenPossible(coordinator.agents);
      if (!store) return; // stopped while waiting for space
      this.store = store;
      // WAL checkpoints (fsyncs) in a child process, not inside a commit on this loop (checkpointer.ts)
      if (!this.options.once)
        this.checkpointer = startCheckpointer(store.db, path.join(this.stateDir, DB_FILE), {
          onError: (error) =>
            this.log(
              'warn',
              { event: 'daemon.checkpointer-failed' },
              `WAL checkpoints back on the loop: ${error.message}`,
            ),
        });
      this.notifier.attach(this.store.db);
      this.plans = new Map(this.store.plans().map((p) => [p.agent, p]));
      this.resumes = new Resumes(this.store.db);
      this.accountBook = new Accounts(this.store.db);
      this.apply(coordinator);
      for (;;) {
        try {
          await this.reconcile();
          break;
        } catch (error) {
          if (!isStorageFull(error)) throw error;
          this.queue.length = 0; // reconcile queues them again
          if (this.stopping) return;
          const message = `the disk holding ${this.stateDir} is full: waiting`;
          this.log('error', { event: 'daemon.disk-full' }, message);
          this.notifyDisk(true, message);
          await new Promise((r) => setTimeout(r, DISK_RETRY_MS));
        }
      }
      this.notifyDisk(false);
      if (this.stopping) return; // adopted runs are followed; stop() waits for them
      // HTTP first: a port in use fails the start with nothing else listening yet.
      if (http && !this.options.once)
        this.http = await serveHttp(this, {
          ...http,
          ...(this.options.warn ? { warn: this.options.warn } : {}),
        });
      // Watch before serving: once the socket answers, an agent file written next is seen. Files that
      // changed between the first load and the watcher's initial scan are picked up by one quiet reload.
      if (this.options.watch ?? !this.options.once) await this.watchAgents();
      if (this.stopping) return;
      if (this.options.socket ?? !this.options.once) this.server = await serveControl(this, this.socketPath);
      // The logger's own `pid` says which process this is: no second `pid` key in the line.
      this.log(
        'info',
        { event: 'daemon.started', agents: this.agents.size, socket: this.server ? this.socketPath : null },
        `daemon started: ${this.agents.size} agent${this.agents.size === 1 ? '' : 's'}${this.server ? `, socket ${this.socketPath}` : ''}`,
      );
      if (this.settingsProblem) this.log('error', { event: 'settings.invalid' }, this.settingsProblem);
      if (!this.options.once) this.warnIfOverloaded();
      this.tick();
      this.pump(); // runs a previous daemon left queued start now, not at the next fire
    } catch (error) {
      // Let go of what it opened too: a watcher or socket left open kept a failed `up` alive without its lock.
      await this.watcher?.close().catch(() => {});
      await this.server?.close();
      await this.http?.close();
      void this.checkpointer?.stop();
      this.releaseSpawner?.();
      this.releaseLock?.();
      throw error;
    }
  }

  /** Open the state DB; while the disk is full, keep trying (and saying so) instead of exiting. */
  private async openStoreWhenPossible(agents: AgentConfig[]): Promise<Store | undefined> {
    let warned = 0;
    for (;;) {
      if (this.stopping) return undefined;
      try {
        return openStore(this.stateDir, { check: true }); // damage is caught here, before planning from it
      } catch (error) {
        if (!isStorageFull(error)) throw error;
        if (this.now() - warned > 60_000) {
          warned = this.now();
          const message = `the disk holding ${this.stateDir} is full: waiting for space before starting`;
          this.log('error', { event: 'daemon.disk-full', stateDir: this.stateDir }, message);
          this.notifyDisk(true, message, agents);
        }
        await new Promise((r) => setTimeout(r, DISK_RETRY_MS));
      }
    }
  }

  /** The disk filled up: say so everywhere, start nothing, and check again shortly. */
  private degrade(what: string, error: unknown): void {
    const message = `cannot record ${what}: the disk holding ${this.stateDir} is full (${(error as { code?: string }).code ?? 'error'}); no run starts until there is space`;
    if (!this.degraded) {
      this.degraded = { since: this.now(), message };
      this.log('error', { event: 'daemon.degraded', reason: 'disk-full' }, message);
      this.publish('daemon.degraded', { reason: 'disk-full', message });
      this.notifyDisk(true, message);
    }
    if (!this.recoverTimer && !this.stopping) {
      this.recoverTimer = setTimeout(() => {
        this.recoverTimer = undefined;
        this.recover();
      }, DISK_RETRY_MS);
      this.recoverTimer.unref?.();
    }
  }

  /** Notify `disk-full` once per episode, and `disk-recovered` when it ends. */
  private notifyDisk(full: boolean, reason = '', agents = [...this.agents.values()]): void {
    if (full === (this.diskFullSince !== undefined)) return;
    const since = this.diskFullSince;
    this.diskFullSince = full ? this.now() : undefined;
    this.notifier.daemonEvent(full ? 'disk-full' : 'disk-recovered', agents, {
      stateDir: this.stateDir,
      reason: full ? reason : new Date(since!).toISOString(),
    });
  }

  /** Record what could not be recorded, and go back to normal once writes succeed again. */
  private recover(): void {
    if (this.stopping) return;
    try {
      if (freeBytes(this.stateDir) < MIN_FREE_BYTES)
        throw Object.assign(new Error('low'), { code: 'ENOSPC' });
      while (this.unrecorded.length > 0) {
        const [name, result] = this.unrecorded[0]!;
        this.finish(name, result, true);
        this.unrecorded.shift();
      }
      this.store.probeWrite();
    } catch (error) {
      if (!isStorageFull(error)) throw error;
      this.degrade('the state', error);
      return;
    }
    if (this.degraded) {
      this.log('info', { event: 'daemon.recovered' }, 'disk space is back: runs start again');
      this.publish('daemon.recovered', { since: new Date(this.degraded.since).toISOString() });
      this.degraded = undefined;
      this.notifyDisk(false);
    }
    this.tick();
    this.pump();
  }

  /** Run what is due now (including agents never run before and missed slots), and wait for all of it. */
  async runOnce(): Promise<RunResult[]> {
    const results: RunResult[] = [];
    const off = this.onEvent((e) => {
      if (e.event === 'run.finished') results.push(e.result as RunResult);
    });
    if (this.timer) clearTimeout(this.timer);
    await this.idle();
    off();
    return results;
  }

  /** Resolves when nothing is running or queued. */
  async idle(): Promise<void> {
    while (this.running.size > 0 || this.queue.length > 0) {
      await Promise.race([...this.running.values()].map((r) => r.done));
      await new Promise((r) => setImmediate(r));
    }
  }

  onEvent(listener: (event: DaemonEvent) => void): () => void {
    this.on('event', listener);
    return () => this.off('event', listener);
  }

  private publish(event: string, data: Record<string, unknown> = {}): void {
    this.emit('event', { event, time: new Date(this.now()).toISOString(), ...data } satisfies DaemonEvent);
  }

  private log(level: 'info' | 'warn' | 'error', obj: Record<string, unknown>, msg: string): void {
    this.options.logger?.[level](obj, msg);
  }

  // ---- agents and hot reload ------------------------------------------------------------------

  /** Take a freshly loaded coordinator: new agents planned, changed ones replaced, broken ones kept as they were. */
  private apply(coordinator: Coordinator): void {
    const now = this.now();
    const brokenFiles = new Set(
      coordinator.diagnostics.filter((d) => d.severity === 'error').map((d) => d.file),
    );
    const next = new Map<string, AgentConfig>();
    for (const agent of coordinator.agents) next.set(agent.name, agent);
    for (const [name, old] of this.agents) {
      // A broken file keeps its last good version.
      if (!next.has(name) && brokenFiles.has(old.file) && existsSync(old.file)) next.set(name, old);
    }
    for (const [name, agent] of next) {
      const before = this.agents.get(name);
      let plan = this.plans.get(name);
      if (!plan) {
        plan = initialPlan(agent, now);
        this.savePlan(plan);
      } else if (
        before &&
        JSON.stringify(before.schedule) !== JSON.stringify(agent.schedule) &&
        plan.next_reason === 'schedule'
      ) {
        const slot = slotAfter(agent, now);
        this.savePlan(
          slot
            ? { ...plan, next_at: slot.fireAt, slot_at: slot.slotAt, next_reason: 'schedule' }
            : { ...plan, next_at: null, slot_at: null, next_reason: 'manual' },
        );
      }
      if (!before || JSON.stringify(before) !== JSON.stringify(agent))
        this.publish('agent.loaded', { agent: name });
    }
    for (const name of this.agents.keys()) {
      if (!next.has(name)) {
        this.plans.delete(name);
        this.store.deletePlan(name);
        this.publish('agent.removed', { agent: name });
      }
    }
    this.agents = next;
    this.diagnostics = coordinator.diagnostics;
    if (coordinator.diagnostics.length > 0)
      this.publish('agent.invalid', { diagnostics: coordinator.diagnostics });
  }

  private async watchAgents(): Promise<void> {
    this.watcher = await watchCoordinator(this.settings.root, this.settings.agentsDir, () => {
      clearTimeout(this.reloadTimer);
      this.reloadTimer = setTimeout(() => void this.reload(), 50);
    });
    const { coordinator } = await loadGuarded(this.options.root, this.stateDir);
    if (JSON.stringify(coordinator.agents) !== JSON.stringify([...this.agents.values()])) await this.reload();
  }

  /** Re-read agents/*.yaml now (the watcher calls this; tests and `SIGHUP` may too). */
  async reload(): Promise<void> {
    if (this.stopping) return;
    const { coordinator, settingsProblem } = await loadGuarded(this.options.root, this.stateDir);
    if (settingsProblem && settingsProblem !== this.settingsProblem) {
      this.log('error', { event: 'settings.invalid' }, settingsProblem);
      this.publish('settings.invalid', { message: settingsProblem });
    }
    this.settingsProblem = settingsProblem;
    this.apply(coordinator);
    this.log(
      'info',
      { event: 'daemon.reloaded', agents: this.agents.size, diagnostics: coordinator.diagnostics.length },
      'agents reloaded',
    );
    this.warnIfOverloaded();
    this.tick();
  }

  /** Say so when the schedules ask for more run time than maxConcurrentRuns gives (capacity.ts). */
  private warnIfOverloaded(): void {
    const { estimate, warning } = checkCapacity(
      this.store,
      [...this.agents.values()],
      this.settings.maxConcurrentRuns,
      this.now(),
    );
    if (!warning) return;
    this.log('warn', { event: 'daemon.overloaded', ...estimate }, warning);
    this.publish('daemon.overloaded', { ...estimate, message: warning });
  }

  // ---- planning and firing --------------------------------------------------------------------

  private savePlan(plan: PlanRow): void {
    this.plans.set(plan.agent, plan);
    this.store.upsertPlan(plan);
  }

  /** Fire everything due, then sleep until the next thing is. Never throws: it runs from timers. */
  private tick(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.stopping) return;
    if (this.degraded) return; // recover() ticks again once writes succeed
    try {
      this.tickUnguarded();
    } catch (error) {
      if (isStorageFull(error)) this.degrade('a fire', error);
      else {
        this.log('error', { event: 'daemon.tick-failed', err: error }, (error as Error).message);
        this.timer = setTimeout(() => this.tick(), DISK_RETRY_MS);
      }
    }
  }

  private tickUnguarded(): void {
    const now = this.now();
    this.handleMissed(now, 'while the coordinator was not running (stopped or blocked)', true);
    this.store.clearCredentialPauses(now);
    const pauses = new Map(this.store.credentialPauses().map((p) => [p.credential, p]));
    let nextAt = Number.POSITIVE_INFINITY;
    for (const [name, plan] of this.plans) {
      const agent = this.agents.get(name);
      if (!agent || plan.paused || plan.next_at === null) continue;
      // Not due yet: only its time counts (this loop runs on every fire and every finish, over every agent).
      if (plan.next_at > now) {
        nextAt = Math.min(nextAt, plan.next_at);
        continue;
      }
      // A limit on a shared credential holds every agent that uses it until it resets.
      const held = credentialKeys(agent)
        .map((k) => pauses.get(k))
        .filter((p) => p !== undefined && p.until > now);
      const until = Math.max(plan.next_at, ...held.map((p) => p!.until));
      if (until > plan.next_at && plan.next_at <= now) {
        if (plan.next_reason === 'schedule' && plan.slot_at !== null) {
          this.store.skip(
            name,
            plan.slot_at,
            `credential paused until ${new Date(until).toISOString()}`,
            now,
          );
        }
        this.savePlan({ ...plan, next_at: until, next_reason: 'rate-limit', slot_at: null });
        this.publish('credential.paused', { agent: name, until: new Date(until).toISOString() });
        nextAt = Math.min(nextAt, until);
        continue;
      }
      if (plan.next_at <= now) {
        const deferredUntil = this.defer(agent, plan, now);
        if (deferredUntil !== undefined) {
          nextAt = Math.min(nextAt, deferredUntil);
          continue;
        }
        this.fire(agent, plan, now);
      }
      const after = this.plans.get(name)?.next_at;
      if (after !== null && after !== undefined) nextAt = Math.min(nextAt, after);
    }
    if (this.options.once) return;
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, nextAt - this.now()));
    if (Number.isFinite(delay)) this.timer = setTimeout(() => this.tick(), delay);
  }

  private triggerOf(plan: PlanRow): string {
    switch (plan.next_reason) {
      case 'wake':
      case 'rate-limit':
        return 'wake';
      case 'retry':
        return 'retry';
      case 'missed':
        return 'missed';
      case 'resume':
        return RESUME_TRIGGER;
      default:
        return 'schedule';
    }
  }

  /** One fire: record the run (queued) and move the plan on in one transaction, then start what may start. */
  private fire(
    agent: AgentConfig,
    plan: PlanRow,
    now: number,
    trigger = this.triggerOf(plan),
  ): string | undefined {
    const runId = ulid(now);
    let queued: RunRow | undefined;
    this.store.transaction(() => {
      const moved = planAfterFire(agent, plan, now);
      this.savePlan(moved);
      if (['wake', 'rate-limit', 'resume'].includes(plan.next_reason)) this.store.deleteWake(agent.name);
      const reason = this.overlapBlocks(agent);
      if (reason) {
        this.store.skip(agent.name, plan.slot_at ?? plan.next_at ?? now, reason, now);
        this.publish('slot.skipped', {
          agent: agent.name,
          slot: new Date(plan.slot_at ?? now).toISOString(),
          reason,
        });
        return;
      }
      this.store.insertRun({ id: runId, agent: agent.name, trigger, status: 'queued', queued_at: now });
      queued = this.store.run(runId);
    });
    if (!queued) return undefined;
    this.queue.push(queued);
    this.publish('run.queued', { agent: agent.name, runId, trigger });
    this.pump();
    return runId;
  }

  /** Why the agent's overlap policy refuses another run now, if it does. */
  private overlapBlocks(agent: AgentConfig): string | undefined {
    const running = [...this.running.values()].filter((r) => r.agent === agent.name).length;
    const queued = this.queue.filter((r) => r.agent === agent.name).length;
    const { mode, max } = agent.overlap;
    if (mode === 'skip' && running + queued > 0)
      return 'overlap: the previous run is still going (overlap: skip)';
    if (mode === 'queue' && queued > 0) return 'overlap: a run is already queued (overlap: queue)';
    if (mode === 'allow' && running + queued >= max)
      return `overlap: ${max} runs already going (overlap: allow, max ${max})`;
    return undefined;
  }

  /** Start queued runs in order, within the global cap and each agent's own limit. */
  private pump(): void {
    if (this.stopping || this.degraded) return;
    if (this.queue.length > 0 && freeBytes(this.stateDir) < MIN_FREE_BYTES) {
      this.degrade('new runs', Object.assign(new Error('low on space'), { code: 'ENOSPC' }));
      return;
    }
    try {
      this.pumpUnguarded();
    } catch (error) {
      if (isStorageFull(error)) this.degrade('a run start', error);
      else throw error;
    }
  }

  private pumpUnguarded(): void {
    for (let i = 0; i < this.queue.length && this.running.size < this.settings.maxConcurrentRuns; ) {
      const row = this.queue[i]!;
      const agent = this.agents.get(row.agent);
      if (!agent) {
        this.queue.splice(i, 1);
        this.store.finishRun(row.id, { status: 'cancelled' }, 'the agent was removed before its run started');
        continue;
      }
      const mine = [...this.running.values()].filter((r) => r.agent === row.agent).length;
      if (mine >= (agent.overlap.mode === 'allow' ? agent.overlap.max : 1)) {
        i++;
        continue;
      }
      // A run queued before its credential was paused (by another agent's limit) waits for the reset instead.
      const heldUntil = this.credentialHold(agent);
      if (heldUntil !== undefined && row.trigger !== 'manual' && row.trigger !== 'http') {
        this.queue.splice(i, 1);
        const until = new Date(heldUntil).toISOString();
        this.store.transaction(() => {
          this.store.finishRun(
            row.id,
            { status: 'cancelled' },
            `not started: its credential is paused until ${until}`,
          );
          const plan = this.plans.get(agent.name);
          if (plan && (plan.next_at === null || plan.next_at < heldUntil)) {
            this.savePlan({ ...plan, next_at: heldUntil, next_reason: 'rate-limit', slot_at: null });
          }
        });
        this.publish('credential.paused', { agent: agent.name, until, runId: row.id });
        continue;
      }
      // The start is recorded before the agent is spawned: a kill -9 from here on leaves a `running` row
      // that a restart reconciles (adopts, reads its outcome, or starts it if it never ran), never re-runs.
      this.store.markStarted(row.id, this.now(), agent.isolation.backend, null);
      this.queue.splice(i, 1);
      this.launch(agent, row);
    }
  }

  /** Until when one of the agent's credentials is paused, if it is. */
  private credentialHold(agent: AgentConfig): number | undefined {
    const now = this.now();
    const keys = new Set(credentialKeys(agent));
    const until = this.store
      .credentialPauses()
      .filter((p) => keys.has(p.credential) && p.until > now)
      .map((p) => p.until);
    return until.length ? Math.max(...until) : undefined;
  }

  private launch(agent: AgentConfig, row: RunRow): void {
    let resolveDone!: () => void;
    const entry: { handle?: RunHandle; agent: string; done: Promise<void> } = {
      agent: agent.name,
      done: new Promise<void>((r) => (resolveDone = r)),
    };
    this.running.set(row.id, entry);
    void (async () => {
      let result: RunResult;
      try {
        const extra = (await this.options.runOptions?.(agent, { runId: row.id })) ?? {};
        const launch = this.options.launch ?? startRun;
        const resume = row.trigger === RESUME_TRIGGER ? this.resumes.spec(agent) : undefined;
        const handle = launch(agent, {
          ...extra,
          ...(resume ? { resume } : {}),
          stateDir: this.stateDir,
          runId: row.id,
          trigger: row.trigger,
          ...(this.options.logger ? { logger: this.options.logger } : {}),
        });
        entry.handle = handle;
        handle.on((e) => {
          if (e.type === 'started') {
            try {
              this.store.transaction(() => {
                this.store.markStarted(row.id, Date.parse(e.time), e.backend, e.logPath);
                this.store.markProcess(row.id, e.pid ?? null, e.ref ?? e.containerId ?? null);
              });
            } catch (error) {
              if (!isStorageFull(error)) throw error;
              this.degrade(`the start of run ${row.id}`, error);
            }
            this.publish('run.started', {
              agent: agent.name,
              runId: row.id,
              trigger: row.trigger,
              logPath: e.logPath,
              backend: e.backend,
            });
          } else if (e.type === 'output') {
            if (this.listenerCount('event') > 0)
              this.publish('run.output', {
                agent: agent.name,
                runId: row.id,
                stream: e.stream,
                text: e.text,
              });
          } else if (e.type === 'agent-event') {
            const { raw: _raw, ...event } = e.event;
            this.publish('run.agent-event', { agent: agent.name, runId: row.id, agentEvent: event });
          }
        });
        result = await handle.result;
      } catch (error) {
        result = resultBeforeStart(
          agent,
          { runId: row.id, trigger: row.trigger, at: new Date(this.now()).toISOString() },
          { code: 'launch-failed', message: (error as Error).message },
        );
      }
      this.finish(agent.name, result);
      this.running.delete(row.id);
      resolveDone();
      this.pump();
      this.tick();
    })();
  }

  /** Record how a run ended and plan the agent's next run, in one transaction (kept for later if the disk is full). */
  private finish(name: string, result: RunResult, retrying = false): void {
    if (!retrying) {
      try {
        if (this.degraded) throw Object.assign(new Error('degraded'), { code: 'ENOSPC' });
        this.finish(name, result, true);
      } catch (error) {
        if (!isStorageFull(error)) throw error;
        this.unrecorded.push([name, result]);
        this.degrade(`the end of run ${result.runId}`, error);
      }
      return;
    }
    const now = this.now();
    const agent = this.agents.get(name);
    const before = this.plans.get(name);
    this.store.transaction(() => {
      this.store.finishRun(result.runId, result);
      const plan = this.plans.get(name);
      if (!agent || !plan) return;
      const planned = planAfterRun(agent, plan, result, now);
      const { plan: next, wake } = this.resumes.afterRun(agent, result, planned, now);
      this.accountBook.record(agent, this.stateDir, result, now);
      this.savePlan(next);
      if (wake) {
        this.store.setWake(name, wake.at, wake.reason, wake.source, result.runId, now);
        this.publish('wake.set', {
          agent: name,
          at: new Date(wake.at).toISOString(),
          reason: wake.reason,
          source: wake.source,
        });
      }
      const until = Date.parse(result.summary.rateLimit?.resetsAt ?? '');
      if (isAccountLimit(result) && Number.isFinite(until)) {
        for (const key of credentialKeys(agent)) {
          this.store.pauseCredential(
            key,
            until,
            `${name}: ${result.summary.rateLimit?.type ?? 'rate limit'}`,
          );
          this.publish('credential.paused', {
            credential: key,
            until: new Date(until).toISOString(),
            by: name,
          });
        }
      }
    });
    // The runner logged run.finished (with exit code and duration): the daemon only publishes it.
    this.publish('run.finished', { agent: name, runId: result.runId, result });
    const after = this.plans.get(name);
    if (agent && after) this.notifier.afterRun(agent, before, after, result);
  }

  /** Pacing: hold a due run of a low-priority agent while its account nears its limit (recorded, published). */
  private defer(agent: AgentConfig, plan: PlanRow, now: number): number | undefined {
    const deferral = this.accountBook.deferral(agent, this.stateDir, now);
    if (!deferral) return undefined;
    const account = accountOf(agent, this.stateDir)!;
    this.store.transaction(() => {
      this.accountBook.recordDeferral(agent.name, account.key, now, deferral.until, deferral.reason);
      this.savePlan({ ...plan, next_at: deferral.until });
    });
    this.publish('run.deferred', {
      agent: agent.name,
      until: new Date(deferral.until).toISOString(),
      reason: deferral.reason,
    });
    this.log('info', { event: 'run.deferred', agent: agent.name, until: deferral.until }, deferral.reason);
    return deferral.until;
  }

  /** Every account the fleet's Claude runs with: windows, usage, pauses and deferrals. */
  accounts(): AccountReport[] {
    return this.accountBook.report(
      [...this.agents.values()].sort((a, b) => a.name.localeCompare(b.name)),
      this.stateDir,
      this.now(),
      this.store.credentialPauses(),
    );
  }

  // ---- crash recovery ------------------------------------------------------------------------

  /**
   * What a previous daemon left: queued runs go back in the queue; a running Docker run is adopted by
   * its container's labels and followed to its end; a local run whose process we cannot re-attach is
   * stopped and marked lost (a lost wake-up run is planned again, so no wake-up is lost). Then missed
   * schedule slots are handled per agent policy.
   */
  private async reconcile(): Promise<void> {
    const now = this.now();
    const open = this.store.openRuns();
    const live = await this.findLive(open);
    for (const row of open) {
      const agent = this.agents.get(row.agent);
      if (row.status === 'queued') {
        if (agent) this.queue.push(row);
        else this.store.finishRun(row.id, { status: 'cancelled' }, 'the agent was removed');
        continue;
      }
      // It finished and the runner wrote its record, but the daemon died before recording it.
      const record = readRecord(this.stateDir, row.agent, row.id);
      if (record) {
        this.finish(row.agent, {
          ...record,
          warnings: [...(record.warnings ?? []), 'recorded after a coordinator restart'],
        });
        removeRunDir(this.stateDir, row.id);
        continue;
      }
      let found = live.find((c) => c.runId === row.id);
      const backend = backendFor(row.backend ?? found?.backend);
      if (found && found.state === 'created') found = await this.settleCreated(backend, found);
      if (found && found.state === 'created') {
        // Created and, after a wait, still not started (the kill landed in between): remove it; the
        // agent never ran.
        await backend.abandon({ runId: row.id, ref: found.ref }).catch(() => '');
      } else if (found && agent) {
        this.adopt(agent, row, found);
        continue;
      }
      const ended = backend.ended?.({
        runId: row.id,
        pid: row.pid,
        ref: row.container_id,
        stateDir: this.stateDir,
      }) ?? { started: true };
      const reachable = !this.unreachable.has(backend.name);
      if (agent && reachable && (!ended.started || found?.state === 'created')) {
        this.queue.push(this.store.requeueRun(row.id));
        this.log('info', { event: 'run.requeued', runId: row.id }, 'its agent never started: queued again');
        continue;
      }
      const wake = agent ? await leftoverWake(this.stateDir, agent, row.id) : {};
      const learned = agent ? await leftoverLearnings(this.stateDir, agent, row.id) : {};
      // killed between the spawn and recording the start, the row has no log path: the runner had opened one
      const logPath = row.log_path ?? findRunLog(this.stateDir, row.agent, row.id) ?? null;
      // A local wrapper that outlived its coordinator kept what the agent printed after the kill.
      const kept =
        agent && !backend.inContainer && ended.exitCode !== undefined
          ? await appendLeftoverOutput(this.stateDir, agent, row.id, logPath).catch(() => [])
          : [];
      const reason =
        ended.exitCode !== undefined
          ? backend.inContainer
            ? 'it ended as its coordinator was killed; its exit status was kept in its run dir'
            : `it ended while the coordinator was down; ${kept.length > 0 ? `its output after the kill was kept by its wrapper (${kept.join(' and ')})` : 'its output went with that coordinator'}`
          : await this.abandon(row);
      // A run that ended while no daemon was up ended when its exit status was written, not now.
      const endedAt =
        ended.exitCode !== undefined && ended.endedAt !== undefined
          ? Math.max(row.started_at ?? row.queued_at, Math.min(now, Math.round(ended.endedAt)))
          : now;
      const at = new Date(endedAt).toISOString();
      const result: RunResult = {
        runId: row.id,
        agent: row.agent,
        trigger: row.trigger,
        backend: backend.name,
        startedAt: new Date(row.started_at ?? row.queued_at).toISOString(),
        endedAt: at,
        durationMs: endedAt - (row.started_at ?? row.queued_at),
        exitCode: ended.exitCode ?? null,
        signal: null,
        status: ended.exitCode === undefined ? 'lost' : ended.exitCode === 0 ? 'succeeded' : 'failed',
        ...(wake.wakeAt ? { wakeAt: wake.wakeAt, wakeReason: wake.wakeReason! } : {}),
        warnings: [
          reason,
          ...(wake.warning ? [wake.warning] : []),
          ...(learned.warning ? [learned.warning] : []),
        ],
        ...(learned.learnings ? { learnings: learned.learnings } : {}),
        logPath: logPath ?? '',
        summary: { toolsUsed: {}, unknownEvents: 0 },
        ...(ended.exitCode === undefined ? { error: { code: 'lost', message: reason } } : {}),
      };
      // The outcome is recorded first: the run dir (exit mark, wake file) goes only once it is.
      if (!agent) this.store.finishRun(row.id, result, reason);
      else this.finish(row.agent, result);
      removeRunDir(this.stateDir, row.id);
      if (!agent) continue;
      const plan = this.plans.get(row.agent);
      // A lost wake-up run with no new request of its own is the wake-up itself: plan it again. So is a
      // lost resumption (its session is kept until a resumed run ends).
      if (
        result.status === 'lost' &&
        !wake.wakeAt &&
        plan &&
        (row.trigger === 'wake' || row.trigger === RESUME_TRIGGER) &&
        (plan.next_at === null || plan.next_at > now)
      ) {
        const reason = row.trigger === 'wake' ? 'wake' : 'resume';
        this.savePlan({ ...plan, next_at: now, next_reason: reason, slot_at: null });
      }
    }
    // Run dirs of runs that are over (credential files, wake files) go: nothing lingers after a kill -9.
    const keep = new Set(this.store.openRuns().map((r) => r.id));
    const swept = sweepRunDirs(this.stateDir, keep);
    if (swept > 0) this.log('info', { event: 'runs.swept', count: swept }, 'stale run dirs removed');
    // Their credential files too (secrets/<run>, outside the run dir), unless a live process (a foreground
    // `habitat run`) still owns them.
    for (const note of await sweepRunFiles(this.stateDir, keep).catch(() => []))
      this.log('warn', { event: 'run.files-swept' }, note);
    this.handleMissed(now, 'while the coordinator was down');
  }

  /**
   * Schedule slots that passed without a fire (the daemon was down, or stopped with SIGSTOP, or blocked)
   * are recorded as missed and handled per the agent's missed policy: never dropped silently, never burst.
   * At start-up any slot over a second late counts; while running, only an agent with a newer slot also
   * already due (a whole period lost).
   */
  private handleMissed(now: number, why: string, onlyWholePeriods = false): void {
    for (const [name, plan] of this.plans) {
      if (plan.next_at === null || plan.next_at > now - MISSED_AFTER_MS) continue; // the common case, first
      const agent = this.agents.get(name);
      if (!agent || plan.next_reason !== 'schedule' || plan.slot_at === null) continue;
      if (plan.paused) continue;
      const later = slotsBetween(agent, plan.slot_at, now);
      if (onlyWholePeriods && later.length === 0) continue;
      const missed = [plan.slot_at, ...later];
      const newest = missed.at(-1)!;
      const runOne = agent.missed.policy === 'once' && now - newest <= agent.missed.deadlineMs;
      this.store.transaction(() => {
        for (const slot of runOne ? missed.slice(0, -1) : missed) {
          this.store.skip(
            name,
            slot,
            runOne ? `missed ${why} (one run made up)` : `missed ${why} (missed: skip)`,
            now,
          );
        }
        const next = slotAfter(agent, now);
        this.savePlan(
          runOne
            ? { ...plan, next_at: now, next_reason: 'missed', slot_at: newest }
            : next
              ? { ...plan, next_at: next.fireAt, next_reason: 'schedule', slot_at: next.slotAt }
              : { ...plan, next_at: null, next_reason: 'manual', slot_at: null },
        );
      });
      for (const slot of missed)
        this.publish('slot.skipped', { agent: name, slot: new Date(slot).toISOString(), reason: 'missed' });
    }
  }

  /**
   * Runs a previous daemon left on their backends. Only backends in use are asked: a local-only fleet
   * never loads dockerode (~33 MB of RSS; the runner imports it on first use). A run started on Docker
   * by a previous daemon is always looked for, even if its agent has since moved to another backend.
   */
  private async findLive(open: RunRow[]): Promise<LiveRun[]> {
    const names = new Set<string>([...this.agents.values()].map((a) => a.isolation.backend));
    for (const r of open) if (r.status !== 'queued' && r.backend) names.add(r.backend);
    const openIds = new Set(open.map((r) => r.id));
    const found = await Promise.all(
      [...names].map(async (name) => {
        // A backend that does not answer (a busy Docker engine) is asked again: "no such run" from a
        // backend we could not ask would start a still-running agent a second time.
        for (let attempt = 0; attempt < 4; attempt++) {
          try {
            const backend = backendFor(name);
            const live = await backend.findLive({ stateDir: this.stateDir });
            for (const note of await backend.cleanup({ stateDir: this.stateDir, openRunIds: openIds }))
              this.log('warn', { event: 'backend.cleanup', backend: name }, note);
            return live;
          } catch (error) {
            if (attempt === 3) {
              this.unreachable.add(name);
              this.log(
                'warn',
                { event: 'backend.unreachable', backend: name },
                `cannot ask the ${name} backend for runs a previous daemon left: ${(error as Error).message}`,
              );
            } else await new Promise((r) => setTimeout(r, 750));
          }
        }
        return [];
      }),
    );
    return found.flat();
  }

  /**
   * A container seen as `created` may be starting (the previous daemon's start request reached the
   * engine before the kill): give it a few seconds from its creation to show it is running before calling
   * it never-started. Counted from its creation, not from now: a daemon killed again while waiting leaves
   * the next one less to wait, so a crash-looping daemon cannot be held here for ever.
   */
  private async settleCreated(backend: ReturnType<typeof backendFor>, run: LiveRun): Promise<LiveRun> {
    const created = Date.parse(run.createdAt);
    // +1 s: the engine reports creation times in whole seconds
    const deadline = (Number.isFinite(created) ? created + 1000 : Date.now()) + SETTLE_CREATED_MS;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, Math.min(500, Math.max(0, deadline - Date.now()))));
      const now = (await backend.findLive({ stateDir: this.stateDir }).catch(() => [])).find(
        (l) => l.runId === run.runId,
      );
      if (!now) return run;
      if (now.state !== 'created') return now;
    }
    return run;
  }

  /** Stop what is left of an in-flight run nobody can follow; returns why it is lost. */
  private async abandon(row: RunRow): Promise<string> {
    try {
      return await backendFor(row.backend).abandon({ runId: row.id, pid: row.pid, ref: row.container_id });
    } catch (error) {
      return `the coordinator restarted and could not reach this run's backend (${row.backend}): ${(error as Error).message}`;
    }
  }

  /** Follow a run a previous daemon started, to its end, and record it like any run. */
  private adopt(agent: AgentConfig, row: RunRow, live: LiveRun): void {
    const containerId = live.ref;
    // Recorded before following: the run provably started, so if this daemon dies too after the backend
    // has removed what is left of it, the next one must not take it for a run that never started.
    if (row.container_id === null) this.store.markProcess(row.id, row.pid, live.ref);
    let resolveDone!: () => void;
    let cancelled: string | undefined;
    const backend = backendFor(live.backend);
    this.running.set(row.id, {
      agent: agent.name,
      done: new Promise<void>((r) => (resolveDone = r)),
      // Like a run started here: a cancel (or a stop past its grace) ends it, recorded as cancelled.
      cancel: (why) => {
        cancelled ??= why;
        void backend.abandon({ runId: row.id, pid: row.pid, ref: live.ref }).catch(() => '');
      },
    });
    this.publish('run.started', { agent: agent.name, runId: row.id, trigger: 'adopted', containerId });
    void (async () => {
      const startedAt = new Date(row.started_at ?? row.queued_at);
      const paths = runPaths(this.stateDir, agent.name, row.id, startedAt);
      const secrets = (await readCredentialValues(agent).catch(() => [])).flatMap((c) =>
        c.values.map((value) => ({ name: c.name, value })),
      );
      const logPath = row.log_path ?? findRunLog(this.stateDir, agent.name, row.id) ?? paths.logPath;
      // The agent's timeout holds for an adopted run too, counted from its real start.
      let timedOut = false;
      const deadline = startedAt.getTime() + agent.timeoutMs;
      const timer = setTimeout(
        () => {
          timedOut = true;
          void backend.abandon({ runId: row.id, pid: row.pid, ref: live.ref }).catch(() => '');
        },
        Math.max(0, deadline - this.now()),
      );
      let result: RunResult;
      try {
        // A container's whole output from its start is replayed (so the log is rewritten); a local run's
        // log so far (the previous coordinator's) is kept and its output from now on is added to it.
        const fd = openSync(logPath, backend.inContainer ? 'w' : 'a', 0o600);
        const output = new RunOutput({
          logFd: fd,
          secrets,
          streamJson: agent.run.kind === 'claude' && agent.run.outputFormat === 'stream-json',
        });
        let exit: BackendExit;
        try {
          // with the log's fd, so what a local run's wrapper drained goes into it exactly once
          const sink = Object.assign(
            (stream: 'stdout' | 'stderr', chunk: Buffer) => output.push(stream, chunk),
            {
              logFd: fd,
            },
          );
          exit = await backend.follow(live, sink, { stateDir: this.stateDir });
        } finally {
          clearTimeout(timer);
          output.end();
          closeSync(fd);
        }
        const summary = output.summary;
        const endedAt = new Date(this.now());
        const wake = await leftoverWake(this.stateDir, agent, row.id);
        const learned = await leftoverLearnings(this.stateDir, agent, row.id);
        result = {
          runId: row.id,
          agent: agent.name,
          trigger: row.trigger,
          backend: live.backend,
          startedAt: startedAt.toISOString(),
          endedAt: endedAt.toISOString(),
          durationMs: endedAt.getTime() - startedAt.getTime(),
          exitCode: exit.exitCode,
          signal: null,
          status: timedOut
            ? 'timed-out'
            : cancelled
              ? 'cancelled'
              : exit.exitCode === null
                ? 'lost'
                : exit.exitCode === 0 && summary.isError !== true
                  ? 'succeeded'
                  : 'failed',
          ...(wake.wakeAt && !timedOut ? { wakeAt: wake.wakeAt, wakeReason: wake.wakeReason! } : {}),
          warnings: [
            'adopted after a coordinator restart',
            ...(cancelled && !timedOut ? [cancelled] : []),
            ...(exit.warnings ?? []),
            ...(wake.warning ? [wake.warning] : []),
            ...(learned.warning ? [learned.warning] : []),
          ],
          ...(learned.learnings ? { learnings: learned.learnings } : {}),
          logPath,
          summary,
          ...(exit.containerId ? { containerId: exit.containerId } : {}),
          ref: containerId,
        };
        await writeResultRecord(paths.recordPath, result);
      } catch (error) {
        result = {
          runId: row.id,
          agent: agent.name,
          trigger: row.trigger,
          backend: live.backend,
          startedAt: startedAt.toISOString(),
          endedAt: new Date(this.now()).toISOString(),
          durationMs: 0,
          exitCode: null,
          signal: null,
          status: 'lost',
          warnings: [],
          logPath: row.log_path ?? '',
          summary: { toolsUsed: {}, unknownEvents: 0 },
          error: { code: 'adopt-failed', message: (error as Error).message },
        };
      }
      this.finish(agent.name, result);
      removeRunDir(this.stateDir, row.id); // only now: until it is recorded, its marks and wake file count
      this.running.delete(row.id);
      resolveDone();
      this.pump();
      this.tick();
    })();
  }

  // ---- control --------------------------------------------------------------------------------

  private requireAgent(name: unknown): AgentConfig {
    const agent = typeof name === 'string' ? this.agents.get(name) : undefined;
    if (!agent)
      throw new SchedulerError(
        'unknown-agent',
        `no agent "${String(name)}" (agents: ${[...this.agents.keys()].join(', ') || 'none'})`,
      );
    return agent;
  }

  /** Run an agent now (overlap rules apply). Returns the run id, or undefined when its overlap policy skipped it. */
  trigger(name: string, trigger: 'manual' | 'http' = 'manual'): string | undefined {
    const agent = this.requireAgent(name);
    const plan = this.plans.get(name) ?? initialPlan(agent, this.now());
    const now = this.now();
    const runId = ulid(now);
    const reason = this.overlapBlocks(agent);
    if (reason) throw new SchedulerError('bad-request', `${name}: ${reason}`);
    this.store.insertRun({ id: runId, agent: name, trigger, status: 'queued', queued_at: now });
    this.queue.push(this.store.run(runId)!);
    this.plans.set(name, plan);
    this.publish('run.queued', { agent: name, runId, trigger });
    this.pump();
    return runId;
  }

  pause(name: string): void {
    this.requireAgent(name);
    const plan = this.plans.get(name)!;
    this.savePlan({ ...plan, paused: 1 });
    this.publish('agent.paused', { agent: name });
  }

  resume(name: string): void {
    const agent = this.requireAgent(name);
    const plan = this.plans.get(name)!;
    const now = this.now();
    let next = plan;
    if (plan.next_reason === 'schedule' && plan.next_at !== null && plan.next_at < now) {
      for (const slot of [
        plan.slot_at ?? plan.next_at,
        ...slotsBetween(agent, plan.slot_at ?? plan.next_at, now),
      ]) {
        this.store.skip(name, slot, 'paused', now);
      }
      const slot = slotAfter(agent, now);
      next = slot
        ? { ...plan, next_at: slot.fireAt, slot_at: slot.slotAt }
        : { ...plan, next_at: null, next_reason: 'manual' };
    }
    this.savePlan({ ...next, paused: 0 });
    this.publish('agent.resumed', { agent: name });
    this.tick();
  }

  cancel(runId: string): void {
    const entry = this.running.get(runId);
    const queuedAt = this.queue.findIndex((r) => r.id === runId);
    if (queuedAt >= 0) {
      const [row] = this.queue.splice(queuedAt, 1);
      this.store.finishRun(runId, { status: 'cancelled' }, 'cancelled before it started');
      this.publish('run.finished', {
        agent: row!.agent,
        runId,
        result: { runId, agent: row!.agent, status: 'cancelled' },
      });
      return;
    }
    if (entry?.handle) entry.handle.cancel('cancelled by request');
    else if (entry?.cancel) entry.cancel('cancelled by request');
    else throw new SchedulerError('unknown-run', `no running or queued run ${runId}`);
  }

  status(): StatusReport {
    return buildStatus({
      store: this.store,
      agents: [...this.agents.values()].sort((a, b) => a.name.localeCompare(b.name)),
      diagnostics: this.diagnostics,
      root: this.settings.root,
      stateDir: this.stateDir,
      daemon: {
        live: true,
        pid: process.pid,
        startedAt: this.startedAt.toISOString(),
        ...(this.degraded || this.settingsProblem
          ? { problem: [this.degraded?.message, this.settingsProblem].filter(Boolean).join('; ') }
          : {}),
      },
      now: this.now(),
    });
  }

  stats(agent?: string): AgentStats[] {
    return computeStats(this.store, agent ? { agent } : {});
  }

  /**
   * Stop firing, let runs finish within the grace period, then cancel them; state stays consistent. Safe at
   * any moment, start-up included (it waits for the start-up step in progress), and every caller waits for
   * the same stop.
   */
  stop(graceMs = this.options.graceMs ?? 30_000): Promise<void> {
    this.stopped ??= this.shutdown(graceMs);
    return this.stopped;
  }

  private async shutdown(graceMs: number): Promise<void> {
    this.stopping = true;
    await this.starting?.catch(() => {}); // a start that failed released what it took
    this.publish('daemon.stopping', { running: this.running.size });
    if (this.timer) clearTimeout(this.timer);
    clearTimeout(this.reloadTimer);
    clearTimeout(this.recoverTimer);
    await this.watcher?.close();
    const all = () => Promise.all([...this.running.values()].map((r) => r.done));
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs).unref());
    if ((await Promise.race([all(), timeout])) === 'timeout') {
      for (const r of this.running.values())
        r.handle ? r.handle.cancel('the coordinator is stopping') : r.cancel?.('the coordinator is stopping');
      await all();
    }
    // Backends finishing clean-up after their last results (swarm: removing ended services).
    await Promise.all(allBackends().map((b) => b.settle?.().catch(() => {})));
    await this.server?.close();
    await this.http?.close();
    await this.notifier?.close();
    await this.checkpointer?.stop();
    // Undefined when stopped before the store opened (the field is set once it is).
    (this.store as Store | undefined)?.close();
    this.releaseSpawner?.();
    this.releaseLock?.();
  }
}

/** Start a daemon on a coordinator root. */
export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const daemon = new Daemon(options);
  await daemon.start();
  return daemon;
}
