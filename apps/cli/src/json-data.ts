// The `--json` contract (docs/json/) for the sessions, knowledge and accounts commands: camelCase keys, ISO-8601 times in
// UTC, explicit nulls. The libraries leave optional keys out; these mappers put every key in, so a script sees the
// same keys whatever a session or learning happens to have. Types only from the libraries: `sessions-fast.ts`
// loads this module without the rest of the CLI.

import type {
  AddOutcome,
  Context,
  ExtractReport,
  KnowledgeHit,
  KnowledgeStats,
  Learning,
  SyncReport,
} from '@habitat/knowledge';
import type { AccountReport } from '@habitat/scheduler';
import type {
  IndexReport,
  SearchResult,
  Session,
  SessionDetail,
  SessionEvent,
  StatsRow,
} from '@habitat/sessions';

/** An ISO time as ISO-8601 UTC (`2026-12-01T09:01:16.000Z`); text that is no time is kept as written. */
function isoText(v: string): string {
  const t = Date.parse(v);
  return Number.isNaN(t) ? v : new Date(t).toISOString();
}
const isoOrNull = (v: string | undefined): string | null => (v === undefined ? null : isoText(v));

export function sessionJson(s: Session) {
  return {
    id: s.id,
    source: s.source,
    path: s.path,
    project: s.project ?? null,
    cwd: s.cwd ?? null,
    branch: s.branch ?? null,
    title: s.title ?? null,
    firstAt: isoOrNull(s.firstAt),
    lastAt: isoOrNull(s.lastAt),
    models: s.models,
    tokens: {
      input: s.tokens.input,
      output: s.tokens.output,
      cacheRead: s.tokens.cacheRead,
      cacheCreation: s.tokens.cacheCreation,
    },
    costUsd: s.costUsd ?? null,
    agent: s.agent ?? null,
    runId: s.runId ?? null,
    parentId: s.parentId ?? null,
    parentToolUseId: s.parentToolUseId ?? null,
    agentId: s.agentId ?? null,
    events: s.events,
    toolCalls: s.toolCalls,
    toolErrors: s.toolErrors,
    malformed: s.malformed,
    unknown: s.unknown,
  };
}
export type SessionJson = ReturnType<typeof sessionJson>;

export function eventJson(e: SessionEvent) {
  return {
    id: e.id,
    sessionId: e.sessionId,
    seq: e.seq,
    time: isoOrNull(e.time),
    role: e.role,
    kind: e.kind,
    text: e.text ?? null,
    thinking: e.thinking ?? null,
    toolName: e.toolName ?? null,
    toolUseId: e.toolUseId ?? null,
    input: (e.input ?? null) as unknown,
    isError: e.isError ?? false,
    model: e.model ?? null,
    uuid: e.uuid ?? null,
    parentUuid: e.parentUuid ?? null,
    sidechain: e.sidechain,
    files: e.files.map((f) => ({ path: f.path, op: f.op })),
    commands: e.commands,
  };
}

/** `sessions show --json` and `sessions export --format json`: the session, what it touched, its events. */
export function sessionDetailJson(d: SessionDetail, events: SessionEvent[]) {
  return {
    session: sessionJson(d.session),
    files: d.files.map((f) => ({ path: f.path, ops: f.ops })),
    commands: d.commands.map((c) => ({ command: c.command, eventId: c.eventId, seq: c.seq })),
    tools: d.tools.map((t) => ({ name: t.name, calls: t.calls, errors: t.errors })),
    subagents: d.subagents.map(sessionJson),
    events: events.map(eventJson),
  };
}
export type SessionDetailJson = ReturnType<typeof sessionDetailJson>;

export function searchJson(r: SearchResult) {
  return {
    mode: r.mode,
    terms: r.terms,
    hits: r.hits.map((h) => ({
      sessionId: h.sessionId,
      eventId: h.eventId,
      seq: h.seq,
      time: isoOrNull(h.time),
      role: h.role,
      kind: h.kind,
      toolName: h.toolName ?? null,
      snippet: h.snippet,
      score: h.score,
      title: h.title ?? null,
      project: h.project ?? null,
      source: h.source,
    })),
  };
}
export type SearchJson = ReturnType<typeof searchJson>;

export function sessionStatsJson(r: StatsRow) {
  return {
    key: r.key,
    sessions: r.sessions,
    inputTokens: r.inputTokens,
    outputTokens: r.outputTokens,
    cacheReadTokens: r.cacheReadTokens,
    cacheCreationTokens: r.cacheCreationTokens,
    totalTokens: r.totalTokens,
    costUsd: r.costUsd,
    toolCalls: r.toolCalls,
    toolErrors: r.toolErrors,
  };
}
export type SessionStatsJson = ReturnType<typeof sessionStatsJson>;

export function indexReportJson(r: IndexReport) {
  return {
    files: r.files,
    added: r.added,
    appended: r.appended,
    reindexed: r.reindexed,
    unchanged: r.unchanged,
    pruned: r.pruned,
    events: r.events,
    malformed: r.malformed,
    unknown: r.unknown,
    unknownTypes: r.unknownTypes.map((u) => ({ path: u.path, line: u.line, type: u.type })),
    errors: r.errors.map((e) => ({ path: e.path, message: e.message })),
    durationMs: r.durationMs,
  };
}
export type IndexReportJson = ReturnType<typeof indexReportJson>;

export function learningJson(l: Learning) {
  return {
    id: l.id,
    title: l.title,
    body: l.body,
    tags: l.tags,
    scope: { kind: l.scope.kind, name: l.scope.kind === 'org' ? null : l.scope.name },
    status: l.status,
    confidence: l.confidence,
    provenance: l.provenance.map((p) => ({
      source: p.source,
      action: p.action ?? null,
      reason: p.reason ?? null,
      time: isoText(p.time),
      sessionId: p.sessionId ?? null,
      eventIds: p.eventIds ?? [],
      agent: p.agent ?? null,
      runId: p.runId ?? null,
      redactions: p.redactions ?? 0,
    })),
    supersedes: l.supersedes,
    conflictsWith: l.conflictsWith,
    created: isoText(l.created),
    updated: isoText(l.updated),
    validUntil: l.validUntil ?? null,
    file: l.file ?? null,
  };
}
export type LearningJson = ReturnType<typeof learningJson>;

/** Why a learning is served as stale (search hits, listings), or null. */
export function staleJson(stale: KnowledgeHit['stale']) {
  return stale ? { reason: stale.reason, by: stale.by ?? null, since: stale.since } : null;
}

/** `knowledge list --json`: a learning and, when its file says active, whether it is served as stale. */
export function listedLearningJson(l: Learning, stale: KnowledgeHit['stale']) {
  return { ...learningJson(l), stale: staleJson(stale) };
}
export type ListedLearningJson = ReturnType<typeof listedLearningJson>;

export function hitJson(h: KnowledgeHit) {
  return {
    learning: learningJson(h.learning),
    score: h.score,
    evidence: h.evidence,
    matched: h.matched ?? null,
    titleEvidence: h.titleEvidence ?? null,
    unknownShare: h.unknownShare ?? null,
    snippet: h.snippet,
    stale: staleJson(h.stale),
    scopeMatch: h.scopeMatch,
  };
}
export type HitJson = ReturnType<typeof hitJson>;

export function addJson(a: AddOutcome) {
  return {
    outcome: a.outcome,
    learning: learningJson(a.learning),
    existing: a.existing ? learningJson(a.existing) : null,
    conflicts: (a.conflicts ?? []).map((c) => ({ learning: learningJson(c.learning), reason: c.reason })),
    redactions: a.redactions,
  };
}
export type AddJson = ReturnType<typeof addJson>;

export function contextJson(c: Context) {
  return {
    markdown: c.markdown,
    tokens: c.tokens,
    hits: c.hits.map(hitJson),
    served: c.served.map((s) => ({ id: s.id, tokens: s.tokens })),
  };
}
export type ContextJson = ReturnType<typeof contextJson>;

export function knowledgeStatsJson(s: KnowledgeStats) {
  const use = (u: KnowledgeStats['served'][number]) => ({
    id: u.id,
    title: u.title,
    status: u.status,
    served: u.served,
    tokens: u.tokens,
    lastServed: isoOrNull(u.lastServed),
  });
  return {
    briefs: s.briefs,
    emptyBriefs: s.emptyBriefs,
    tokens: s.tokens,
    served: s.served.map(use),
    neverServed: s.neverServed.map(use),
    run: s.run
      ? s.run.map((b) => ({
          runId: b.runId,
          time: isoText(b.time),
          tokens: b.tokens,
          learnings: b.learnings.map((l) => ({ id: l.id, tokens: l.tokens })),
        }))
      : null,
  };
}
export type KnowledgeStatsJson = ReturnType<typeof knowledgeStatsJson>;

export function extractJson(r: ExtractReport) {
  return {
    sessionId: r.sessionId,
    candidates: r.candidates,
    outcomes: r.outcomes.map(addJson),
    rejected: r.rejected.map((x) => ({ title: x.title, failed: x.failed })),
    modelError: r.modelError ?? null,
    overheadMs: r.overheadMs,
  };
}
export type ExtractJson = ReturnType<typeof extractJson>;

export function syncReportJson(r: SyncReport) {
  return {
    files: r.files,
    added: r.added,
    updated: r.updated,
    removed: r.removed,
    errors: r.errors,
    mode: r.mode,
  };
}
export type SyncReportJson = ReturnType<typeof syncReportJson>;

/** `habitat accounts --json`: the daemon's account report (times already ISO), mapped key by key. */
export function accountJson(a: AccountReport) {
  const usage = (u: AccountReport['usage']['fiveHour']) => ({
    runs: u.runs,
    costUsd: u.costUsd,
    tokens: {
      input: u.tokens.input,
      output: u.tokens.output,
      cacheRead: u.tokens.cacheRead,
      cacheCreation: u.tokens.cacheCreation,
    },
    since: isoText(u.since),
  });
  return {
    key: a.key,
    label: a.label,
    kind: a.kind,
    agents: a.agents,
    windows: a.windows.map((w) => ({
      window: w.window,
      status: w.status,
      utilization: w.utilization,
      resetsAt: w.resetsAt === null ? null : isoText(w.resetsAt),
      overageStatus: w.overageStatus,
      updatedAt: isoText(w.updatedAt),
    })),
    usage: { fiveHour: usage(a.usage.fiveHour), sevenDays: usage(a.usage.sevenDays) },
    pausedUntil: a.pausedUntil === null ? null : isoText(a.pausedUntil),
    deferrals: a.deferrals.map((d) => ({
      agent: d.agent,
      at: isoText(d.at),
      until: isoText(d.until),
      reason: d.reason,
    })),
  };
}
export type AccountJson = ReturnType<typeof accountJson>;
