// The real Claude Code CLI, run offline against the scripted model server, as a non-root user.
import { execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  realpathSync,
  symlinkSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';

const require = createRequire(import.meta.url);

/** Absolute path of the real `claude` native binary installed from `@anthropic-ai/claude-code`. */
export function claudeBin(): string {
  const pkg = path.dirname(require.resolve('@anthropic-ai/claude-code/package.json'));
  const bin = path.join(pkg, 'bin', 'claude.exe');
  if (!existsSync(bin))
    throw new Error(`the claude binary is missing at ${bin}: reinstall @anthropic-ai/claude-code`);
  return realpathSync(bin);
}

let binDir: string | undefined;
/** A directory holding `claude` (a link to the real binary), to put first on an agent's PATH. */
export function claudeBinDir(): string {
  if (!binDir) {
    binDir = mkdtempSync(path.join(tmpdir(), 'habitat-claude-bin-'));
    symlinkSync(claudeBin(), path.join(binDir, 'claude'));
    chmodSync(binDir, 0o755); // the non-root test user runs it
  }
  return binDir;
}

export interface TestUser {
  name: string;
  uid: number;
  gid: number;
}

export const TEST_USER = 'habitat-agent';

/**
 * A non-root user for running claude (it refuses --dangerously-skip-permissions as root). Created once
 * with useradd when the tests run as root (here and in CI); the current user otherwise.
 */
export function ensureTestUser(): TestUser {
  if (process.getuid?.() !== 0)
    return { name: process.env.USER ?? 'me', uid: process.getuid!(), gid: process.getgid!() };
  try {
    execFileSync('id', ['-u', TEST_USER], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['--system', '--create-home', '--shell', '/bin/sh', TEST_USER], {
      stdio: 'ignore',
    });
  }
  const uid = Number(execFileSync('id', ['-u', TEST_USER], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', TEST_USER], { encoding: 'utf8' }).trim());
  return { name: TEST_USER, uid, gid };
}

/** Give a directory tree to the test user (so claude, running as it, can write there). */
export function chownTree(dir: string, user: TestUser): void {
  if (process.getuid?.() !== 0) return;
  chownSync(dir, user.uid, user.gid);
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    chownSync(path.join(entry.parentPath, entry.name), user.uid, user.gid);
  }
}

/** The environment that makes claude run fully offline against `serverUrl`. */
export function offlineClaudeEnv(serverUrl: string, configDir: string): Record<string, string> {
  return {
    ANTHROPIC_BASE_URL: serverUrl,
    ANTHROPIC_API_KEY: 'sk-ant-test-offline-0000',
    CLAUDE_CONFIG_DIR: configDir,
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_AUTOUPDATER: '1',
    DISABLE_TELEMETRY: '1',
    DISABLE_ERROR_REPORTING: '1',
    CLAUDE_CODE_MAX_RETRIES: '1',
    API_TIMEOUT_MS: '20000',
  };
}

export interface RunClaudeOptions {
  cwd: string;
  prompt: string;
  serverUrl: string;
  /** CLAUDE_CONFIG_DIR (session logs land in its projects/) */
  configDir: string;
  args?: string[];
  env?: Record<string, string>;
  user?: TestUser;
  timeoutMs?: number;
}

export interface ClaudeRun {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** parsed stream-json lines */
  events: Record<string, unknown>[];
  /** session JSONL files under configDir/projects */
  sessionFiles: string[];
}

/** Run the real claude once: `--print --output-format stream-json --verbose`, prompt on stdin. */
export function runClaude(options: RunClaudeOptions): Promise<ClaudeRun> {
  const user = options.user ?? ensureTestUser();
  for (const dir of [options.cwd, options.configDir]) chownTree(dir, user);
  const args = [
    '--print',
    '--output-format',
    'stream-json',
    '--verbose',
    '--dangerously-skip-permissions',
    '--model',
    'sonnet',
    ...(options.args ?? []),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(claudeBin(), args, {
      cwd: options.cwd,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: options.configDir,
        ...offlineClaudeEnv(options.serverUrl, options.configDir),
        ...options.env,
      },
      uid: user.uid,
      gid: user.gid,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      const events = stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .flatMap((l) => {
          try {
            return [JSON.parse(l) as Record<string, unknown>];
          } catch {
            return [];
          }
        });
      resolve({ exitCode, stdout, stderr, events, sessionFiles: sessionFilesIn(options.configDir) });
    });
    child.stdin.end(options.prompt);
  });
}

/** Every session JSONL under `<configDir>/projects`. */
export function sessionFilesIn(configDir: string): string[] {
  const projects = path.join(configDir, 'projects');
  if (!existsSync(projects)) return [];
  return readdirSync(projects, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.jsonl'))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}
