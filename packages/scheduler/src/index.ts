export {
  connectDaemon,
  type DaemonClient,
  daemonRunning,
  openStateReadOnly,
  SOCKET_FILE,
  type StateReader,
} from './client.js';
export { Daemon, type DaemonEvent, type DaemonOptions, type Launcher, startDaemon } from './daemon.js';
export { SchedulerError, type SchedulerErrorCode } from './errors.js';
export { recordForegroundRun } from './foreground.js';
export { acquireLock, LOCK_FILE, lockHeld, lockOwner } from './lock.js';
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
export { DB_FILE, openStore, type PlanRow, type RunRow, Store, type WakeRow } from './store.js';
