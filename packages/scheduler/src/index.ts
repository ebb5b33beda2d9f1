export {
  type AccountRef,
  type AccountReport,
  Accounts,
  type AccountWindow,
  accountOf,
  type Usage,
} from './accounts.js';
export { type CapacityEstimate, capacityWarning, checkCapacity, estimateCapacity } from './capacity.js';
export { connectDaemon, type DaemonClient, daemonRunning } from './client.js';
export { Daemon, type DaemonEvent, type DaemonOptions, type Launcher, startDaemon } from './daemon.js';
export { SchedulerError, type SchedulerErrorCode } from './errors.js';
export { type ForegroundRecorder, openForegroundRecorder, recordForegroundRun } from './foreground.js';
export {
  checkListen,
  type HttpOptions,
  type HttpServer,
  httpToken,
  isLoopback,
  parseListen,
  serveHttp,
  TOKEN_FILE,
} from './http.js';
export { acquireLock, LOCK_FILE, lockHeld, lockOwner } from './lock.js';
export {
  type DaemonNotification,
  describeTarget,
  eventsOf,
  type Notification,
  Notifier,
  type NotifierOptions,
} from './notify.js';
export {
  credentialKeys,
  initialPlan,
  isAccountLimit,
  type NextReason,
  planAfterFire,
  planAfterRun,
  slotAfter,
  slotsBetween,
  type Wake,
} from './plan.js';
export { RESUME_TRIGGER, type ResumeRow, Resumes, resumeAt } from './resume.js';
export { iso, type RunJson, runFromRow } from './run-json.js';
export { SOCKET_FILE } from './state-dir.js';
export { openStateReadOnly, type StateReader } from './state-reader.js';
export {
  type AgentState,
  type AgentStats,
  type AgentStatus,
  buildStatus,
  computeStats,
  type NextRun,
  nextRuns,
  type StatusReport,
} from './status.js';
export { DB_FILE, openStore, type PlanRow, type RunRow, Store, stateError, type WakeRow } from './store.js';
