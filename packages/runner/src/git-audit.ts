// The git audit trail: after a run, commit what changed in the agent's repo, naming agent, run and status.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Paths never committed, whatever an agent leaves in its repo. */
const NEVER = [
  ':(exclude,glob)**/*.env',
  ':(exclude,glob)**/.env*',
  ':(exclude,glob)**/secrets/**',
  ':(exclude,glob)**/credentials/**',
];

/** Commit every change in `repo`; returns the commit id, or undefined when nothing changed. */
export async function commitRunChanges(
  repo: string,
  info: { agent: string; runId: string; status: string },
): Promise<string | undefined> {
  const git = (...args: string[]) => run('git', ['-C', repo, ...args], { maxBuffer: 16 * 1024 * 1024 });
  await git('rev-parse', '--git-dir');
  await git('add', '-A', '--', '.', ...NEVER);
  const { stdout: staged } = await git('diff', '--cached', '--name-only');
  if (!staged.trim()) return undefined;
  await git(
    '-c',
    'user.name=habitat',
    '-c',
    'user.email=habitat@localhost',
    'commit',
    '-q',
    '--no-verify',
    '-m',
    `habitat: ${info.agent} run ${info.runId} ${info.status}`,
    '-m',
    `Agent: ${info.agent}\nRun: ${info.runId}\nStatus: ${info.status}`,
  );
  const { stdout } = await git('rev-parse', 'HEAD');
  return stdout.trim();
}
