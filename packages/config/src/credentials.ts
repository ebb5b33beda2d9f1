import { parseEnv } from 'node:util';
import { ConfigError } from './errors.js';
import { FileReadError, readRegularFile } from './read-file.js';

/** A credential file larger than this is not a credential (and would be scrubbed from every line). */
const MAX_CREDENTIAL_BYTES = 1024 * 1024;

import type { AgentConfig, Credential } from './types.js';

/** A credential's values, read from its source: what to deliver and what to scrub. */
export interface CredentialValues {
  name: string;
  /** every secret value in it (each `.env` value, or the whole content): scrub all of these */
  values: string[];
  /** for `as: env`: the variables to set */
  env: Record<string, string>;
  /** for `as: file`: the file content */
  content: string;
}

const ENV_LINE = /^\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*\s*=/;

/**
 * Parse `.env` content with Node's own parser (`util.parseEnv`: `#` comments, inline `# note`s, single,
 * double and backtick quotes, `export`), or undefined when the content is not one (a bare token file):
 * every line that is not blank or a comment must be `KEY=...`.
 */
export function parseEnvFile(content: string): Record<string, string> | undefined {
  const lines = content.split(/\r?\n/).filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  if (lines.length === 0 || !lines.every((l) => ENV_LINE.test(l))) return undefined;
  return parseEnv(content) as Record<string, string>;
}

/** Read one credential from the host. Throws `ConfigError('credential-unreadable')` naming the source. */
export async function readCredential(credential: Credential): Promise<CredentialValues> {
  let content: string;
  if (credential.source.kind === 'file') {
    try {
      content = await readRegularFile(credential.source.path, {
        maxBytes: MAX_CREDENTIAL_BYTES,
        timeoutMs: 5000,
      });
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      throw new ConfigError(
        'credential-unreadable',
        e instanceof FileReadError && e.code !== 'ENOENT' && e.code !== 'EACCES'
          ? `credential "${credential.name}": ${e.message} (only regular files, or symlinks to them, are read)`
          : `credential "${credential.name}": cannot read ${credential.source.path} (${e.code ?? 'error'})`,
      );
    }
  } else {
    const value = process.env[credential.source.variable];
    if (value === undefined) {
      throw new ConfigError(
        'credential-unreadable',
        `credential "${credential.name}": environment variable ${credential.source.variable} is not set`,
      );
    }
    content = value;
  }
  const dotenv = credential.source.kind === 'file' ? parseEnvFile(content) : undefined;
  const trimmed = content.replace(/\r?\n$/, '');
  const values = [trimmed, ...(dotenv ? Object.values(dotenv) : []), ...partialValues(content)];
  const env = credential.as === 'env' ? (dotenv ?? { [credential.envName]: trimmed }) : {};
  return {
    name: credential.name,
    values: [...new Set(values.filter((v) => v.length >= 4))],
    env,
    content,
  };
}

/** Strings and numbers of at least this many characters inside a credential are scrubbed on their own. */
const MIN_PART = 6;
/** Each line this long of a credential file is scrubbed on its own (a PEM key printed line by line). */
const MIN_LINE = 16;

/**
 * The parts of a credential an agent might print on their own: every leaf string (and long number) of a
 * JSON file, and every `KEY=value` value of a `.env`-like file even when other lines are malformed, with
 * and without surrounding quotes, and every long line. The whole content is scrubbed as well (readCredential).
 */
export function partialValues(content: string): string[] {
  const out: string[] = [];
  const trimmed = content.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      const walk = (v: unknown): void => {
        if (typeof v === 'string') out.push(v);
        else if (typeof v === 'number' && String(v).length >= MIN_PART) out.push(String(v));
        else if (Array.isArray(v)) v.forEach(walk);
        else if (v && typeof v === 'object') Object.values(v).forEach(walk);
      };
      walk(JSON.parse(trimmed));
    } catch {
      // not JSON after all: the line scan below still applies
    }
  }
  for (const line of content.split(/\r?\n/)) {
    if (line.trim().length >= MIN_LINE) out.push(line.trim());
    const match = /^\s*(?:export\s+)?["']?[A-Za-z_][A-Za-z0-9_.-]*["']?\s*[=:]\s*(.*?)\s*,?\s*$/.exec(line);
    if (!match?.[1]) continue;
    const value = match[1];
    out.push(value);
    const unquoted = /^(['"])(.*)\1$/.exec(value)?.[2];
    if (unquoted) out.push(unquoted);
  }
  return [...new Set(out.map((v) => v.trim()).filter((v) => v.length >= MIN_PART))];
}

/** Read every credential of an agent (in order). */
export async function readCredentialValues(
  agent: Pick<AgentConfig, 'credentials'>,
): Promise<CredentialValues[]> {
  return Promise.all(agent.credentials.map(readCredential));
}
