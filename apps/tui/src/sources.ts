// Where the TUI's data comes from, turned into actions: the daemon's socket (live), or the state on disk
// read-only when no daemon answers (retrying the socket with back-off), plus run logs, the session index
// and the knowledge index. No JSX.
import { existsSync } from 'node:fs';
import { open, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { loadCoordinator } from '@habitat/config';
import { parseLineTimes } from '@habitat/runner';
import {
  type AccountReport,
  connectDaemon,
  type DaemonClient,
  openStateReadOnly,
  type StateReader,
  type StatusReport,
} from '@habitat/scheduler';
import { describeEvent, openSessionIndex, type SessionIndex } from '@habitat/sessions';
import { accountLines } from './state/accounts.js';
import type { Action, Effect, KnowledgeHitView, TranscriptEntry } from './state/app.js';
import { LOG_CAPACITY, tailStart } from './state/runs.js';
import { type DaemonEventLike, normalizeEvent, type RunRecord } from './state/types.js';

export interface SourceOptions {
  root: string;
  stateDir: string;
  knowledgeDir?: string;
  dispatch: (action: Action) => void;
  /** how often batched events reach the state (default 100 ms: at most 10 updates a second) */
  flushMs?: number;
  /** how often the status snapshot is re-read (default 5 s; sooner after events that change it) */
  refreshMs?: number;
  /** first retry of the socket after it fails; doubles up to `maxRetryMs` */
  retryMs?: number;
  maxRetryMs?: number;
}

export interface Sources {
  run(effect: Effect): Promise<void>;
  stop(): void;
}

/** Events after which the status snapshot is worth re-reading. */
const REFRESH_ON = new Set([
  'agent.loaded',
  'agent.removed',
  'agent.invalid',
  'run.finished',
  'wake.set',
  'agent.paused',
  'agent.resumed',
  'credential.paused',
  'slot.skipped',
  'daemon.reloaded',
  'run.deferred',
]);

/** Bytes of a past run's log read from its end (its last lines are what a person wants). */
const LOG_TAIL_BYTES = 4 * 1024 * 1024;

export function startSources(options: SourceOptions): Sources {
  const { dispatch, stateDir, root } = options;
  const flushMs = options.flushMs ?? 100;
  const refreshMs = options.refreshMs ?? 5000;
  const firstRetry = options.retryMs ?? 500;
  const maxRetry = options.maxRetryMs ?? 10_000;
  let client: DaemonClient | undefined;
  let reader: StateReader | undefined;
  let sessions: SessionIndex | undefined;
  let stopped = false;
  let retryDelay = firstRetry;
  let queue: DaemonEventLike[] = [];
  const timers = new Set<NodeJS.Timeout>();
  /** runs the stream showed running (id -> agent): their logs are re-read when a broken stream comes back */
  const liveRuns = new Map<string, string>();
  /** a connection was live before: the next one follows a break */
  let wasLive = false;

  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      if (!stopped) fn();
    }, ms);
    timers.add(t);
    return t;
  };

  // ---- batching: many events, one dispatch per flush -----------------------------------------
  let flushTimer: NodeJS.Timeout | undefined;
  let refreshTimer: NodeJS.Timeout | undefined;
  // Output is the bulk of a busy stream (5,000 lines/s is ~100 messages/s): per run and flush it is one
  // event in the queue, its chunks joined once, and a burst beyond what a log buffer keeps is cut here.
  const output = new Map<string, PendingOutput>();
  const flush = () => {
    flushTimer = undefined;
    for (const p of output.values()) closeOutput(p);
    output.clear();
    if (queue.length === 0) return;
    const events = queue;
    queue = [];
    dispatch({ type: 'events', events });
  };
  const enqueue = (message: unknown) => {
    const m = message as Record<string, unknown>;
    if (!flushTimer) flushTimer = later(flushMs, flush);
    if (typeof m.runId === 'string' && typeof m.agent === 'string') {
      if (m.event === 'run.finished') liveRuns.delete(m.runId);
      else if (m.event === 'run.started' || m.event === 'run.output') liveRuns.set(m.runId, m.agent);
    }
    if (m.event === 'run.output' && typeof m.runId === 'string') {
      let p = output.get(m.runId);
      if (!p) {
        p = {
          event: { ...m, event: 'run.output', time: String(m.time ?? ''), text: '' },
          chunks: [],
          bytes: 0,
        };
        output.set(m.runId, p);
        queue.push(p.event);
      }
      addOutput(p, typeof m.text === 'string' ? m.text : '');
      return;
    }
    const e = normalizeEvent(m);
    if (!e) return;
    // Output after a run's start or finish must come after it: it starts a new entry. (Agent events go to
    // their own panel: their order against the log's lines does not matter.)
    if (e.runId && e.event !== 'run.agent-event') {
      const p = output.get(e.runId);
      if (p) closeOutput(p);
      output.delete(e.runId);
    }
    queue.push(e);
    if (REFRESH_ON.has(e.event) && !refreshTimer) {
      refreshTimer = later(300, () => {
        refreshTimer = undefined;
        void refresh();
      });
    }
    if (e.event === 'daemon.stopping') dispatch({ type: 'flash', text: 'the daemon is stopping' });
  };

  // ---- the status snapshot ------------------------------------------------------------------
  const refresh = async () => {
    try {
      const status = client
        ? await client.request<StatusReport>('status')
        : reader
          ? await reader.status()
          : undefined;
      if (status) dispatch(snapshot(status));
      if (client) await refreshAccounts(client);
    } catch (error) {
      if (!client)
        dispatch({ type: 'flash', text: `cannot read the state: ${(error as Error).message}`, error: true });
    }
  };
  const poll = () => {
    later(refreshMs, async () => {
      await refresh();
      poll();
    });
  };

  // A daemon from before accounts existed answers "unknown method": the row just stays away.
  // So does any answer that is not a list: the row is a nicety, never a reason to drop the connection.
  const refreshAccounts = async (c: DaemonClient) => {
    const accounts = await c.request<AccountReport[]>('accounts').catch(() => undefined);
    if (!Array.isArray(accounts)) return;
    let lines: ReturnType<typeof accountLines>;
    try {
      lines = accountLines(accounts);
    } catch {
      return;
    }
    dispatch({ type: 'accounts', accounts: lines });
  };

  // ---- the daemon, or the state read-only ---------------------------------------------------
  const connect = async () => {
    let c: DaemonClient | undefined;
    try {
      c = await connectDaemon(stateDir, { timeoutMs: 1500 });
      const me = c;
      if (stopped) {
        me.close();
        return;
      }
      client = me;
      me.onClose(() => {
        if (client !== me) return;
        client = undefined;
        if (!stopped) void fallBack('the daemon went away');
      });
      // Only the current connection feeds the screen: a dropped one may still deliver what was in flight.
      await me.subscribe((event) => client === me && enqueue(event), { output: true });
      const status = await me.request<StatusReport>('status');
      dispatch({
        type: 'connection',
        connection: { mode: 'live', ...(status.daemon.pid ? { pid: status.daemon.pid } : {}) },
      });
      dispatch(snapshot(status));
      retryDelay = firstRetry;
      reader?.close();
      reader = undefined;
      if (wasLive) await resync(status);
      wasLive = true;
      await refreshAccounts(me);
    } catch (error) {
      // A connection that failed half-way is closed: left open, its subscription kept streaming beside the
      // next one, and every retry added another copy of the daemon's events (issue 17: 37 subscriptions and
      // RSS climbing to 427 MB under the firehose bench, whose fake daemon answered `accounts` oddly).
      if (client === c) client = undefined;
      c?.close();
      await fallBack((error as Error).message);
    }
  };

  /**
   * After a break (the daemon drops a subscriber that falls 8 MB behind, or restarts), what the live runs
   * printed meanwhile was never sent: each one's log file fills the gap, and the screen says how many lines.
   */
  const resync = async (status: StatusReport) => {
    const running = new Map(liveRuns);
    for (const a of status.agents) if (a.running?.runId) running.set(a.running.runId, a.agent);
    if (running.size === 0) return;
    const stillRunning = new Set(status.agents.map((a) => a.running?.runId).filter(Boolean));
    flush();
    dispatch({ type: 'stream-broken', runIds: [...running.keys()] });
    for (const [runId, agent] of running) {
      const ended = !stillRunning.has(runId);
      if (ended) liveRuns.delete(runId);
      const file = await findLog(stateDir, agent, runId);
      if (!file) {
        dispatch({
          type: 'flash',
          text: `reconnected: ${agent}'s output while the stream was down is lost (no log file for ${runId})`,
          error: true,
        });
        continue;
      }
      const { text, start } = await readTailAt(file, LOG_TAIL_BYTES);
      const times = parseLineTimes(await readFile(file.replace(/\.log$/, '.times'), 'utf8').catch(() => ''));
      // what was streamed while the file was read joins it now, in order (resyncLog)
      flush();
      dispatch({
        type: 'log-resynced',
        runId,
        text,
        firstLine: await countLines(file, start),
        ...(ended ? { ended } : {}),
        ...(times.length > 0 ? { times } : {}),
      });
    }
  };

  const fallBack = async (reason: string) => {
    const retryAt = Date.now() + retryDelay;
    try {
      reader ??= openStateReadOnly(root, stateDir);
      const status = await reader.status();
      dispatch(snapshot(status));
      dispatch({
        type: 'connection',
        connection: { mode: 'read-only', reason: shortReason(reason), retryAt },
      });
    } catch (error) {
      // No scheduler state yet: show the configured agents, all idle.
      try {
        const coordinator = await loadCoordinator(root);
        dispatch({
          type: 'snapshot',
          agents: coordinator.agents.map((a) => ({
            agent: a.name,
            state: 'idle' as const,
            schedule: '',
            backend: a.isolation.backend,
            costToday: 0,
          })),
        });
      } catch {
        // an unreadable coordinator: the status line says why
      }
      dispatch({
        type: 'connection',
        connection: { mode: 'offline', reason: shortReason((error as Error).message), retryAt },
      });
    }
    later(retryDelay, () => void connect());
    retryDelay = Math.min(maxRetry, retryDelay * 2);
  };

  void connect();
  poll();

  // ---- effects ------------------------------------------------------------------------------
  const ask = async (method: string, params: Record<string, unknown>, done: string) => {
    if (!client) {
      dispatch({
        type: 'flash',
        text: 'read-only: no daemon to ask (start one with habitat up)',
        error: true,
      });
      return;
    }
    try {
      const result = await client.request<{ runId?: string }>(method, params);
      dispatch({ type: 'flash', text: result?.runId ? `${done}: ${result.runId}` : done });
      void refresh();
    } catch (error) {
      dispatch({ type: 'flash', text: (error as Error).message, error: true });
    }
  };

  const run = async (effect: Effect): Promise<void> => {
    switch (effect.kind) {
      case 'trigger':
        return ask('trigger', { agent: effect.agent }, `${effect.agent} queued`);
      case 'pause':
        return ask('pause', { agent: effect.agent }, `${effect.agent} paused`);
      case 'resume':
        return ask('resume', { agent: effect.agent }, `${effect.agent} resumed`);
      case 'cancel':
        return ask('cancel', { runId: effect.runId }, `cancelling ${effect.agent}'s run`);
      case 'load-history': {
        try {
          const runs = client
            ? await client.request<RunRecord[]>('history', { agent: effect.agent, limit: 50 })
            : (reader?.history(effect.agent, 50) ?? []);
          dispatch({ type: 'history', agent: effect.agent, runs });
          const newest = runs[0];
          if (effect.openLatest && newest && newest.status !== 'running' && newest.status !== 'queued') {
            await run({
              kind: 'load-log',
              agent: effect.agent,
              runId: newest.id,
              logPath: newest.log_path,
              status: newest.status,
            });
          }
        } catch (error) {
          dispatch({ type: 'flash', text: `history: ${(error as Error).message}`, error: true });
        }
        return;
      }
      case 'load-log': {
        const file =
          effect.logPath && existsSync(effect.logPath)
            ? effect.logPath
            : await findLog(stateDir, effect.agent, effect.runId);
        if (!file) {
          if (!effect.quiet)
            dispatch({ type: 'flash', text: `no log file for run ${effect.runId}`, error: true });
          return;
        }
        const text = await readTail(file, LOG_TAIL_BYTES);
        const times = parseLineTimes(
          await readFile(file.replace(/\.log$/, '.times'), 'utf8').catch(() => ''),
        );
        dispatch({
          type: 'log-loaded',
          agent: effect.agent,
          runId: effect.runId,
          text,
          file,
          ...(times.length > 0 ? { times } : {}),
          ...(effect.status ? { status: effect.status } : {}),
        });
        return;
      }
      case 'search-sessions': {
        try {
          sessions ??= openSessions(stateDir);
          const result = sessions.search(effect.query, { limit: 100 });
          dispatch({
            type: 'sessions-results',
            query: effect.query,
            mode: result.mode,
            hits: result.hits.map((h) => {
              const s = sessions!.getSession(h.sessionId);
              return {
                sessionId: h.sessionId,
                title: h.title ?? s?.title ?? h.sessionId,
                when: h.time ?? s?.lastAt ?? '',
                ...(s?.agent ? { agent: s.agent } : {}),
                snippet: h.snippet.replace(/\s+/g, ' '),
                kind: h.toolName ? `${h.kind} ${h.toolName}` : h.kind,
              };
            }),
          });
        } catch (error) {
          dispatch({
            type: 'sessions-results',
            query: effect.query,
            hits: [],
            error: (error as Error).message,
          });
        }
        return;
      }
      case 'open-session': {
        try {
          sessions ??= openSessions(stateDir);
          const s = sessions.getSession(effect.sessionId);
          const entries: TranscriptEntry[] = sessions
            .getEvents(effect.sessionId, { limit: 5000 })
            .map((e) => {
              const { label, body } = describeEvent(e, { maxChars: 4000 });
              return {
                id: e.id,
                kind: e.kind,
                label,
                body: e.kind === 'tool_use' ? JSON.stringify(e.input ?? {}, null, 2) : body,
                foldable: e.kind === 'tool_use' || e.kind === 'tool_result',
              };
            });
          dispatch({
            type: 'transcript',
            sessionId: effect.sessionId,
            title: s?.title ?? effect.sessionId,
            entries,
          });
        } catch (error) {
          dispatch({ type: 'flash', text: (error as Error).message, error: true });
        }
        return;
      }
      case 'search-knowledge': {
        try {
          const hits = await searchLearnings({
            stateDir,
            knowledgeDir: options.knowledgeDir ?? path.join(root, 'knowledge'),
            query: effect.query,
          });
          dispatch({ type: 'knowledge-results', query: effect.query, hits });
        } catch (error) {
          dispatch({
            type: 'knowledge-results',
            query: effect.query,
            hits: [],
            error: (error as Error).message,
          });
        }
        return;
      }
      case 'quit':
        return;
    }
  };

  return {
    run,
    stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      client?.close();
      reader?.close();
      sessions?.close();
    },
  };
}

interface PendingOutput {
  /** the queued `run.output` event: its text is filled in when the flush comes */
  event: DaemonEventLike;
  chunks: string[];
  bytes: number;
}

/** Output held between two flushes beyond this is cut to the lines a log buffer keeps. */
const MAX_PENDING_BYTES = 4 * 1024 * 1024;

function addOutput(p: PendingOutput, text: string): void {
  p.chunks.push(text);
  p.bytes += text.length;
  if (p.bytes > MAX_PENDING_BYTES) {
    closeOutput(p);
    p.chunks = [String(p.event.text)];
    p.bytes = p.chunks[0]!.length;
  }
}

/** Join the chunks into the event's text, keeping the last LOG_CAPACITY lines (`skippedLines`: the rest). */
function closeOutput(p: PendingOutput): void {
  const text = p.chunks.join('');
  const { start, skipped } = tailStart(text, LOG_CAPACITY);
  p.event.text = start > 0 ? text.slice(start) : text;
  if (skipped > 0) p.event.skippedLines = Number(p.event.skippedLines ?? 0) + skipped;
  p.chunks = [];
  p.bytes = 0;
}

/** The status line's words for why there is no live daemon (the full message names paths). */
function snapshot(status: StatusReport): Action {
  return {
    type: 'snapshot',
    agents: status.agents,
    problems: (status.diagnostics ?? [])
      .filter((d) => d.severity === 'error')
      .map((d) => `${path.basename(d.file)}:${d.line} ${d.message}`),
  };
}

function shortReason(message: string): string {
  if (/went away|closed the connection/.test(message)) return 'the daemon went away';
  if (/no habitat daemon|does not answer/.test(message))
    return 'no daemon is running (habitat up starts one)';
  return message;
}

function openSessions(stateDir: string): SessionIndex {
  const file = path.join(stateDir, 'sessions.db');
  if (!existsSync(file)) throw new Error(`no session index in ${stateDir} yet: run habitat sessions index`);
  return openSessionIndex(file);
}

/** `<stateDir>/logs/<agent>/<stamp>-<runId>.log` */
export async function findLog(stateDir: string, agent: string, runId: string): Promise<string | undefined> {
  const dir = path.join(stateDir, 'logs', agent);
  try {
    const name = (await readdir(dir)).find((f) => f.endsWith(`-${runId}.log`));
    return name ? path.join(dir, name) : undefined;
  } catch {
    return undefined;
  }
}

/** The last `bytes` of a file, starting at a line boundary. */
export async function readTail(file: string, bytes: number): Promise<string> {
  return (await readTailAt(file, bytes)).text;
}

/** The last `bytes` of a file from a line boundary, and the byte offset where that line starts. */
async function readTailAt(file: string, bytes: number): Promise<{ text: string; start: number }> {
  const { size } = await stat(file);
  const from = Math.max(0, size - bytes);
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(size - from);
    await handle.read(buffer, 0, buffer.length, from);
    if (from === 0) return { text: buffer.toString('utf8'), start: 0 };
    const nl = buffer.indexOf(0x0a);
    return { text: buffer.subarray(nl + 1).toString('utf8'), start: from + nl + 1 };
  } finally {
    await handle.close();
  }
}

/** Lines before byte `end` of a file (read in 1 MB pieces: a reconnect's line numbers stay exact). */
async function countLines(file: string, end: number): Promise<number> {
  if (end === 0) return 0;
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(Math.min(end, 1024 * 1024));
    let lines = 0;
    for (let at = 0; at < end; ) {
      const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, end - at), at);
      if (bytesRead === 0) break;
      for (let i = buffer.indexOf(0x0a); i >= 0 && i < bytesRead; i = buffer.indexOf(0x0a, i + 1)) lines++;
      at += bytesRead;
    }
    return lines;
  } finally {
    await handle.close();
  }
}

/** The knowledge library is loaded on first use: its search owns ranking and provenance. */
async function searchLearnings(input: {
  stateDir: string;
  knowledgeDir: string;
  query: string;
}): Promise<KnowledgeHitView[]> {
  interface Hit {
    learning: {
      id: string;
      title: string;
      body: string;
      tags: string[];
      status: string;
      confidence: number;
      scope: { kind?: string; name?: string } | string;
      provenance: { source: string; sessionId?: string; agent?: string; runId?: string; time: string }[];
      file?: string;
    };
    snippet: string;
    stale?: { by?: string; since: string; reason: string };
  }
  const knowledge = (await import('@habitat/knowledge')) as unknown as {
    openKnowledge?: (o: { stateDir: string; knowledgeDir: string }) => Promise<{ index: { close(): void } }>;
    searchKnowledge?: (index: unknown, query: string, o: { limit: number; includePending: boolean }) => Hit[];
  };
  if (!knowledge.openKnowledge || !knowledge.searchKnowledge)
    throw new Error('this habitat has no knowledge search');
  const { index } = await knowledge.openKnowledge({
    stateDir: input.stateDir,
    knowledgeDir: input.knowledgeDir,
  });
  try {
    return knowledge
      .searchKnowledge(index, input.query, { limit: 50, includePending: true })
      .map(({ learning: l, snippet, stale }) => ({
        id: l.id,
        title: l.title,
        status: l.status,
        confidence: l.confidence,
        tags: l.tags,
        scope: typeof l.scope === 'string' ? l.scope : [l.scope.kind, l.scope.name].filter(Boolean).join(':'),
        snippet,
        body: l.body,
        provenance: l.provenance.map((p) =>
          [
            p.source,
            p.agent && `agent ${p.agent}`,
            p.runId && `run ${p.runId}`,
            p.sessionId && `session ${p.sessionId}`,
            p.time.slice(0, 16).replace('T', ' '),
          ]
            .filter(Boolean)
            .join(' · '),
        ),
        ...(l.file ? { file: l.file } : {}),
        // as the CLI's search marks it: a contradicted or expired learning is still `active` in its file
        ...(stale
          ? {
              stale:
                stale.reason === 'newer'
                  ? `contradicted by ${stale.by}`
                  : `valid until ${stale.since.slice(0, 10)}`,
            }
          : {}),
      }));
  } finally {
    index.close();
  }
}
