/**
 * The part of @habitat/config that needs neither zod nor yaml: the error base and durations. Libraries that only
 * need these (`@habitat/sessions` at import time) load this entry and skip ~100 ms of zod/yaml module loading.
 * The classes are the same objects as the main entry's (one shared chunk), so `instanceof` holds across both.
 */
export { formatDuration, parseDuration, parseSize } from './duration.js';
export { ConfigError, type ConfigErrorCode, HabitatError, isHabitatError } from './errors.js';
export {
  nodeSqlite,
  openNodeReadOnly,
  openNodeWritable,
  openReadOnlyDatabase,
  type ReadOnlyDatabase,
  type ReadOnlyStatement,
  type WritableDatabase,
} from './sqlite-read.js';
