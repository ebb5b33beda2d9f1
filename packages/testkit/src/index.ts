export { testAgent } from './agent.js';
export {
  type ClaudeRun,
  chownTree,
  claudeBin,
  claudeBinDir,
  ensureTestUser,
  offlineClaudeEnv,
  type RunClaudeOptions,
  runClaude,
  sessionFilesIn,
  TEST_USER,
  type TestUser,
} from './claude.js';
export { buildTestImage, dockerAvailable, requireDockerInCI, TEST_IMAGE } from './docker-image.js';
export { testdir, waitFor } from './fixtures.js';
export {
  type ModelServer,
  type ModelServerOptions,
  type RecordedRequest,
  startModelServer,
  type Turn,
  type Usage,
} from './model-server.js';
export {
  limitFixture,
  type StandInCall,
  type StandInClaude,
  type StandInStep,
  standInClaude,
} from './stand-in-claude.js';
