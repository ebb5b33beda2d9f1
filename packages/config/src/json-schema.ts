import { z } from 'zod';
import { agentFileSchema, settingsFileSchema } from './schema.js';

/** JSON Schema of an agent file, for editor completion (`# yaml-language-server: $schema=...`). */
export function agentJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(agentFileSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}

/** JSON Schema of `habitat.yaml`. */
export function settingsJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(settingsFileSchema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
}
