export type * from './backend.js';
export { allBackends, backendFor, driveRun, registerBackend } from './backends.js';
export { ClaudeStreamParser, detectLimitText, nextLocalTime, toIsoTime } from './claude-stream.js';
export {
  DEFAULT_PIDS,
  dockerAvailable,
  dockerBackend,
  findRunContainers,
  followContainer,
  hardening,
  LABEL_AGENT,
  LABEL_RUN,
  LABEL_STATE,
  type RunContainer,
  usesDockerode,
} from './docker.js';
export { HANDOFF_MARK, takeLeftoverOutput } from './drain-handoff.js';
export { RunError, type RunErrorCode } from './errors.js';
export { commitRunChanges, type RepoSnapshot, snapshotRepo } from './git-audit.js';
export {
  LEARN_FILE,
  learnFileOf,
  MAX_LEARNINGS,
  parseLearnFile,
  type RunLearning,
  readLearnFile,
} from './learn-file.js';
export {
  combineLimits,
  type LimitSource,
  limitFromInfo,
  limitFromResult,
  type ResumeSpec,
  resumeArgv,
  tokensOf,
} from './limits.js';
export { localBackend } from './local.js';
export { leftoverOutput } from './local-wrapper.js';
export { pruneLogs, type RunPaths, runPaths, stamp, writeResultRecord } from './log-file.js';
export {
  clockTime,
  formatRendered,
  type RenderedKind,
  type RenderedLine,
  type RenderOptions,
  renderEvent,
  renderLine,
  renderLog,
  StreamRenderer,
  summariseToolInput,
} from './render.js';
export { ensureRepo } from './repo.js';
export {
  claimRunFiles,
  removeRunFiles,
  removeRunSecrets,
  secretsDirOf,
  sweepRunFiles,
} from './run-files.js';
export {
  IDLE_RELEASE_MS,
  parseLineTimes,
  RunOutput,
  type RunOutputOptions,
  STDERR_MARK,
  type Stream,
} from './run-output.js';
export { formsOf, Scrubber, type Secret, scrubTree } from './scrub.js';
export { type SpawnerEvent, useSpawner } from './spawner.js';
export { resultBeforeStart, startRun } from './start-run.js';
export { coordinatorId, LABEL_COORDINATOR, LABEL_SWARM_RUN, settleSwarm, swarmBackend } from './swarm.js';
export type * from './types.js';
export { parseWakeRequest, readWakeRequest, type WakeRequest } from './wake.js';
