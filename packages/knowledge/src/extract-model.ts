// Model extraction: the extraction prompt through Claude Code in --print mode, its answer validated with zod.
// Its own module so zod and child_process load only when a model is used.
import { spawn } from 'node:child_process';
import type { SessionEvent } from '@habitat/sessions';
import { z } from 'zod';
import { KnowledgeError } from './errors.js';
import { type Candidate, compactTranscript, EXTRACTION_PROMPT } from './extract.js';

const modelOutput = z.object({
  learnings: z
    .array(
      z.object({
        title: z.string().min(3).max(200),
        body: z.string().min(10).max(2000),
        tags: z.array(z.string()).default([]),
      }),
    )
    .max(10),
});

/** Parse a model's answer (possibly fenced) into validated candidates; throws with the reason when invalid. */
export function parseModelLearnings(text: string): Candidate[] {
  const json = /\{[\s\S]*\}/.exec(text.replace(/```(?:json)?/g, ''))?.[0];
  if (!json) throw new KnowledgeError('bad-model-answer', 'the model answered without a JSON object');
  const parsed = modelOutput.parse(JSON.parse(json));
  return parsed.learnings.map((l) => ({
    title: l.title,
    body: l.body,
    tags: l.tags,
    source: 'extracted' as const,
    eventIds: [],
  }));
}

export interface ModelOptions {
  /** the claude binary (default `claude` on PATH) */
  claude?: string;
  model?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}

/** Run the extraction prompt through Claude Code (`--print --output-format json`) and validate its answer. */
export function extractWithModel(events: SessionEvent[], options: ModelOptions = {}): Promise<Candidate[]> {
  const prompt = EXTRACTION_PROMPT + compactTranscript(events);
  const args = ['--print', '--output-format', 'json', ...(options.model ? ['--model', options.model] : [])];
  return new Promise((resolve, reject) => {
    const child = spawn(options.claude ?? 'claude', args, {
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot run claude for extraction: ${e.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      try {
        const envelope = JSON.parse(stdout) as { result?: string; is_error?: boolean };
        if (code !== 0 || envelope.is_error)
          throw new KnowledgeError(
            'claude-failed',
            `claude failed (exit ${code}): ${(envelope.result ?? stderr).slice(0, 300)}`,
          );
        resolve(parseModelLearnings(envelope.result ?? ''));
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
    child.stdin.end(prompt);
  });
}
