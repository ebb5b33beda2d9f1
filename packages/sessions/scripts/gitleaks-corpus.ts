/**
 * Build the redaction test corpus from gitleaks' rules (https://github.com/gitleaks/gitleaks, MIT License,
 * Copyright (c) 2019 Zachary Rice).
 *
 *   node packages/sessions/scripts/gitleaks-corpus.ts <gitleaks.toml> [out.json]
 *
 * For every `[[rules]]` entry of gitleaks' `config/gitleaks.toml` it generates secrets from the rule's own regex (as
 * gitleaks' `secrets.NewSecret(regex)` makes its true-positive samples), keeps those the rule itself matches, and
 * writes the secret (the rule's capture group); the test puts it in every position a session holds it. Generation is seeded: the output is reproducible.
 * The false positives are non-secret shapes gitleaks' allowlists name (versions, key names, endpoints, placeholders)
 * and the configuration the index must leave readable. The output holds generated test values only, no real key.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import RandExp from 'randexp';
import { toJs } from './gitleaks-regex.ts';

interface Rule {
  id: string;
  regex: string;
}

const [, , input, output = join(import.meta.dirname, '..', 'test', 'data', 'gitleaks-corpus.json')] =
  process.argv;
if (!input) {
  process.stderr.write('usage: gitleaks-corpus.ts <gitleaks.toml> [out.json]\n');
  process.exit(2);
}

function parseRules(toml: string): Rule[] {
  const rules: Rule[] = [];
  for (const block of toml.split(/^\[\[rules\]\]\s*$/m).slice(1)) {
    const id = /^id = "([^"]+)"/m.exec(block)?.[1];
    const regex = /^regex = '''([\s\S]*?)'''\s*$/m.exec(block)?.[1];
    if (id && regex) rules.push({ id, regex });
  }
  return rules;
}

/** A seeded generator (mulberry32) so the corpus is the same on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Sample {
  rule: string;
  /** the secret alone (the rule's capture group, or its whole match) */
  secret: string;
}

function generate(rule: Rule, random: () => number, count: number): Sample[] {
  const { source, flags } = toJs(rule.regex);
  let real: RegExp;
  try {
    real = new RegExp(source, flags);
  } catch {
    return [];
  }
  // randexp does not know inline modifiers: generate from the pattern without them, keep what the rule matches
  const plain = source
    .replace(/\(\?-?i:/g, '(?:')
    .replace(/\(\?s:/g, '(?:')
    .replace(/\(\?<[a-z0-9_]+>/gi, '(')
    // an unescaped dot in a host name (`hooks.slack.com`) is a dot, not any character
    .replace(/([A-Za-z])\.([A-Za-z])/g, '$1\\.$2');
  const gen = new RandExp(new RegExp(plain));
  gen.max = 6;
  gen.randInt = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  // keyword rules open with `[\w.-]{0,50}?`: a readable key name instead of generated noise
  const samples: Sample[] = [];
  for (let tries = 0; tries < 200 && samples.length < count; tries++) {
    const text = gen.gen().replace(/[\r\n]+/g, ' ');
    const m = real.exec(text);
    if (!m) continue;
    const secret = (m.slice(1).find((g) => g !== undefined && g.length >= 8) ?? m[0]).trim();
    if (secret.length < 8 || samples.some((s) => s.secret === secret)) continue;
    samples.push({ rule: rule.id, secret });
  }
  return samples;
}

// Shapes gitleaks' allowlists call not secret (generic-api-key's `api_version`, `key_name`, `secret_name`,
// `token_endpoint`, `public_token`, `key_file`, `csrf_token`, `author`, `accessibility`, placeholders and template
// variables of the global allowlist), and configuration a session index must leave readable.
const FALSE_POSITIVES = [
  'TOKENIZERS_PARALLELISM=true',
  'MAX_THINKING_TOKENS=8000',
  'CLAUDE_CODE_MAX_OUTPUT_TOKENS=32000',
  'export MAX_MCP_OUTPUT_TOKENS=25000',
  'session_id="3f6c2b1e-8d4a-4c1e-9b7f-2a5d8e9c0b1a"',
  'api_version = "2023-06-01"',
  'apiVersion: apps/v1',
  'key_name = "deploy-key-prod"',
  'secret_name: prod-db-password',
  'token_endpoint: https://oauth2.googleapis.com/token',
  'public_token = "pk_public_demo"',
  'key_file = "~/.ssh/id_ed25519.pub"',
  'csrf_token = request.cookies.get("csrftoken")',
  'author = "Jane Doe <jane@example.com>"',
  'accessibility_label = "Close dialog"',
  'keyboard_layout = "us"',
  'password = ${DB_PASSWORD}',
  'token: {{ .Values.token }}',
  'API_KEY=${{ secrets.API_KEY }}',
  'GITHUB_TOKEN=$GITHUB_TOKEN',
  'password: <your-password-here>',
  'SECRET_KEY=changeme',
  'api_key = "xxxxxxxxxxxxxxxxxxxxxxxx"',
  'token = os.environ["GITHUB_TOKEN"]',
  'const token = await getToken(req);',
  'headers: { Authorization: `Bearer ${token}` }',
  'if (!apiKey) throw new Error("OPENAI_API_KEY is not set");',
  'model: claude-sonnet-4-5-20250929',
  'node_modules/.pnpm/@secretlint+core@13.0.7/node_modules/@secretlint/core/module/index.js',
  'commit 8f3a2c1d9b7e6f5a4c3b2a1d0e9f8a7b6c5d4e3f',
  'Merge pull request #1234 from acme/feature/session-index',
  'integrity sha1-a7c1b2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9',
  'https://github.com/gitleaks/gitleaks/blob/master/config/gitleaks.toml',
  'docker pull ghcr.io/acme/api:2026.03.1',
  'Running 42 tests in packages/sessions/test/real-sessions.test.ts',
  'PORT=3000 NODE_ENV=production node dist/index.js',
  'useEffect(() => { fetchSessionsForProject(projectId) }, [projectId]);',
  'The AWS region is us-east-1 and the bucket is acme-artifacts-prod.',
  'timeout_ms: 120000, retries: 3, backoff: exponential',
  '2026-03-05T09:02:00.123Z INFO server listening on 127.0.0.1:8080',
  'ENTROPY_THRESHOLD=3.5',
  'keyId: "key_2024_rotation_schedule"',
  'AUTH_PROVIDER=github',
  'password_min_length = 12',
  'SESSION_TIMEOUT_SECONDS=3600',
];

const toml = readFileSync(input, 'utf8');
const rules = parseRules(toml);
const random = rng(20260305);
const samples: Sample[] = [];
const skipped: string[] = [];
for (const rule of rules) {
  const got = generate(rule, random, 2);
  if (got.length === 0) skipped.push(rule.id);
  samples.push(...got);
}
const corpus = {
  source:
    'gitleaks config/gitleaks.toml (https://github.com/gitleaks/gitleaks, MIT License, Copyright (c) 2019 Zachary Rice); samples generated from its rule regexes by packages/sessions/scripts/gitleaks-corpus.ts',
  rules: rules.length,
  skipped,
  truePositives: samples,
  falsePositives: FALSE_POSITIVES,
};
writeFileSync(output, `${JSON.stringify(corpus, null, 1)}\n`);
process.stdout.write(
  `${samples.length} true positives from ${rules.length - skipped.length} of ${rules.length} rules (skipped: ${skipped.join(', ') || 'none'}), ${FALSE_POSITIVES.length} false positives -> ${output}\n`,
);
