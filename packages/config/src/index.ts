export {
  type CredentialValues,
  parseEnvFile,
  partialValues,
  readCredential,
  readCredentialValues,
} from './credentials.js';
export { DEFAULTS } from './defaults.js';
export { closest, formatDiagnostic } from './diagnostics.js';
export { formatDuration, parseDuration, parseSize } from './duration.js';
export { ConfigError, type ConfigErrorCode } from './errors.js';
export { agentJsonSchema, settingsJsonSchema } from './json-schema.js';
export {
  agentNameOf,
  type LoadedSettings,
  loadCoordinator,
  loadSettings,
  parseAgent,
  SETTINGS_FILE,
} from './load.js';
export { FileReadError, readRegularFile } from './read-file.js';
export { cronProblem, describeSchedule, isValidTimezone, jitterFor, nextFireTime } from './schedule.js';
export {
  type AgentDefaults,
  type AgentFile,
  agentFileSchema,
  type SettingsFile,
  settingsFileSchema,
} from './schema.js';
export { formatTimestamp } from './time.js';
export type * from './types.js';
export { MAX_ALIAS_COUNT, MAX_CONFIG_BYTES } from './yaml-checks.js';
