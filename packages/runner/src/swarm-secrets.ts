// Credentials as swarm secrets: one secret per credential and content version (the name carries a
// hash of the content, so a changed credential is a new secret and a running task keeps its own),
// labelled with agent and coordinator, mounted 0400 for the agent's uid. Secrets no service of this
// coordinator uses any more are removed.
import { createHash } from 'node:crypto';
import type Docker from 'dockerode';
import { LABEL_AGENT, LABEL_RUN, LABEL_STATE } from './docker.js';
import { RunError } from './errors.js';

const LABEL_COORDINATOR = 'habitat.coordinator';
const LABEL_CREDENTIAL = 'habitat.credential';
/** Docker's limit on a secret's size. */
const MAX_SECRET_BYTES = 500 * 1024;

export interface SecretFile {
  /** the credential's name (or `prompt` for a claude agent's stdin) */
  credential: string;
  /** file name under /run/secrets */
  target: string;
  content: string;
  /** set for per-run content (the prompt): labelled with the run */
  run?: string;
}

export interface SecretMount {
  id: string;
  name: string;
  target: string;
  uid: string;
  gid: string;
}

let chain: Promise<unknown> = Promise.resolve();
/** Run `fn` after everything serialized before it (secret creation vs. removal of unused ones). */
export function serialized<T>(fn: () => Promise<T>): Promise<T> {
  const next = chain.then(fn, fn);
  chain = next.catch(() => {});
  return next;
}

const slug = (s: string, max: number) =>
  s
    .replace(/[^a-zA-Z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, max) || 'x';

/** A secret's name: readable prefix, then a hash of who and what (≤ 64 characters, Docker's limit). */
export function secretName(coordinator: string, agent: string, file: SecretFile): string {
  const hash = createHash('sha256')
    .update([coordinator, agent, file.credential, file.target, file.content].join('\0'))
    .digest('hex')
    .slice(0, 16);
  return `habitat-${slug(agent, 18)}-${slug(file.credential, 18)}-${hash}`;
}

/** Create (or reuse) the secrets for one run; returns how to mount them. */
export async function secretsFor(
  engine: Docker,
  run: {
    agent: string;
    coordinator: string;
    stateDir: string;
    owner: { uid: string; gid: string };
    files: SecretFile[];
  },
): Promise<SecretMount[]> {
  const mounts: SecretMount[] = [];
  for (const file of run.files) {
    const bytes = Buffer.from(file.content, 'utf8');
    if (bytes.length > MAX_SECRET_BYTES)
      throw new RunError(
        'spawn-failed',
        `${file.credential} is ${bytes.length} bytes; a swarm secret holds at most ${MAX_SECRET_BYTES} (shorten it, or use the docker backend)`,
      );
    const name = secretName(run.coordinator, run.agent, file);
    let id: string;
    try {
      const created = (await engine.createSecret({
        Name: name,
        Labels: {
          [LABEL_AGENT]: run.agent,
          [LABEL_CREDENTIAL]: file.credential,
          [LABEL_COORDINATOR]: run.coordinator,
          [LABEL_STATE]: run.stateDir,
          ...(file.run ? { [LABEL_RUN]: file.run } : {}),
        },
        Data: bytes.toString('base64'),
      })) as { id?: string; ID?: string };
      id = created.id ?? created.ID ?? '';
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 409) throw error;
      // Same credential, same content: already there (another run of the agent made it).
      const [found] = (await engine.listSecrets({ filters: { name: [name] } })) as Array<{
        ID: string;
        Spec: { Name: string };
      }>;
      if (!found || found.Spec.Name !== name) throw error;
      id = found.ID;
    }
    mounts.push({ id, name, target: file.target, ...run.owner });
  }
  return mounts;
}

/** Remove this coordinator's secrets that no service references; returns their names. */
export async function removeUnusedSecrets(engine: Docker, coordinator: string): Promise<string[]> {
  const secrets = (await engine.listSecrets({
    filters: { label: [`${LABEL_COORDINATOR}=${coordinator}`] },
  })) as Array<{ ID: string; Spec: { Name: string } }>;
  if (secrets.length === 0) return [];
  const services = (await engine.listServices({})) as Array<{
    Spec: { TaskTemplate?: { ContainerSpec?: { Secrets?: Array<{ SecretID: string }> } } };
  }>;
  const used = new Set(
    services.flatMap((s) => (s.Spec.TaskTemplate?.ContainerSpec?.Secrets ?? []).map((r) => r.SecretID)),
  );
  const removed: string[] = [];
  for (const s of secrets) {
    if (used.has(s.ID)) continue;
    try {
      await engine.getSecret(s.ID).remove();
      removed.push(s.Spec.Name);
    } catch {
      // in use after all (a service created meanwhile by another process): kept
    }
  }
  return removed;
}
