export {
  type CredentialValues,
  parseEnvFile,
  partialValues,
  readCredential,
  readCredentialValues,
} from './credentials.js';
export { DEFAULTS } from './defaults.js';
export { formatDuration, parseDuration, parseSize } from './duration.js';
export { ConfigError, type ConfigErrorCode, HabitatError, isHabitatError } from './errors.js';
export { closest, formatDiagnostic } from './format.js';
export { agentJsonSchema, settingsJsonSchema } from './json-schema.js';
export { MAX_ALIAS_COUNT, MAX_CONFIG_BYTES } from './limits.js';
export { type LoadedSettings, parseAgent } from './load.js';
export { agentNameOf, SETTINGS_FILE } from './names.js';
export { FileReadError, readRegularFile } from './read-file.js';
export { type RunUser, runUserOf } from './run-user.js';
export { cronProblem, describeSchedule, isValidTimezone, jitterFor, nextFireTime } from './schedule.js';
export {
  type AgentDefaults,
  type AgentFile,
  agentFileSchema,
  type SettingsFile,
  settingsFileSchema,
} from './schema.js';
export { loadCoordinator, loadSettings } from './snapshot.js';
export { formatTimestamp } from './time.js';
export type * from './types.js';
export { unclosedFlowOpener } from './yaml-flow.js';
