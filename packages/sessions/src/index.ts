export { defaultCursorDir, type ResolvedSources, resolveSources } from './discover.js';
export { SessionsError, type SessionsErrorCode } from './errors.js';
export {
  type IndexOptions,
  type IndexProgress,
  type IndexReport,
  indexSessions,
  type Logger,
} from './indexer.js';
export {
  openSessionIndex,
  type SearchHit,
  type SearchOptions,
  type SearchResult,
  type SessionDetail,
  type SessionFilter,
  SessionIndex,
  type StatsGroup,
  type StatsOptions,
  type StatsRow,
  splitTerms,
  toMs,
} from './query.js';
export { openSessionIndexIfReady } from './read-only.js';
export { createRedactor, type Redactor, type RedactorOptions, type RedactResult } from './redact.js';
export { describeEvent, type ExportFormat, exportSession } from './render.js';
export type {
  EventKind,
  EventRole,
  FileOp,
  FileTouch,
  Session,
  SessionEvent,
  SessionSource,
  SessionSources,
  TokenCounts,
} from './types.js';
export { type WatchHandle, watchSessions } from './watch.js';
