/**
 * Secret redaction for everything the session index stores, shows or exports.
 *
 * Three layers:
 * 1. configured credential values (exact strings, e.g. from `readCredentialValues(agent)`);
 * 2. `.env`-style `KEY=value` / `KEY: value` lines whose key looks secret (TOKEN, SECRET, PASSWORD, API_KEY...):
 *    the value is redacted on that line and everywhere else it appears in the same text;
 * 3. well-known key formats detected by secretlint's maintained recommended preset
 *    (`@secretlint/secretlint-rule-preset-recommend`), not a hand-written pattern list.
 *
 * The preset's rules are run synchronously with a minimal rule context (the same rule code `lintSource`
 * runs, created once and cached) so that indexing can redact inside a write transaction without an await
 * per text. A cheap prefilter sends only lines that could hold a secret (a long token, a URL with
 * credentials, a PEM header) to the rules: most transcript text never reaches them.
 */
import { creator as recommendPreset } from '@secretlint/secretlint-rule-preset-recommend';
import { collectCurlSpans } from './curl-auth.js';
import { collectAttributePairs } from './named-values.js';
import { isFilledWithRuns, isPlaceholder, isPlainPlaceholder, isWordsAfterPrefix } from './placeholder.js';
import { isTokenChar, keyBefore, NOT_SECRET_NAME, tokenSpans } from './secret-tokens.js';
import { hexPairSpans, shortSecretSpans } from './short-secrets.js';

export interface RedactorOptions {
  /** Credential values to redact wherever they appear (values shorter than 4 characters are ignored). */
  secrets?: Iterable<string>;
}

export interface RedactResult {
  /** The text with every secret replaced by `[REDACTED:<kind>]`. */
  text: string;
  /** How many secrets were replaced. */
  count: number;
}

export interface Redactor {
  redact(text: string): RedactResult;
  /** Add more credential values (e.g. learned from an `.env` block elsewhere in the session). */
  addSecrets(values: Iterable<string>): void;
}

interface Span {
  start: number;
  end: number;
  kind: string;
}

/** Create a redactor. The secretlint rules are set up once per process and shared. */
export function createRedactor(options: RedactorOptions = {}): Redactor {
  const secrets = new Set<string>();
  let secretPattern: RegExp | undefined;
  const addSecrets = (values: Iterable<string>) => {
    let changed = false;
    for (const raw of values) {
      const value = raw.trim();
      if (value.length >= 4 && !secrets.has(value)) {
        secrets.add(value);
        changed = true;
      }
    }
    if (changed) {
      // longest first so a value containing another is replaced whole
      const sorted = [...secrets].sort((a, b) => b.length - a.length).map(escapeRegExp);
      secretPattern = new RegExp(sorted.join('|'), 'g');
    }
  };
  addSecrets(options.secrets ?? []);

  return {
    addSecrets,
    redact(text: string): RedactResult {
      if (!text) return { text, count: 0 };
      const spans: Span[] = [];
      if (secretPattern) {
        for (const m of text.matchAll(secretPattern))
          spans.push({ start: m.index, end: m.index + m[0].length, kind: 'credential' });
      }
      if (text.includes('=') || text.includes(':')) collectEnvSpans(text, spans);
      const keep: Span[] = [];
      if (text.includes('value=')) collectAttributePairs(text, spans, keep, ATTRIBUTE_NAMES);
      // one pass finds the lines both layers below look at, cut out once for both
      const lines = lineSlices(text, candidateLines(text));
      collectSecretlintSpans(text, spans, lines);
      collectTokenSpans(text, spans, lines);
      if (text.includes('curl')) collectCurlSpans(text, spans);
      shortSecretSpans(text, spans);
      if (text.includes(':')) hexPairSpans(text, spans);
      if (spans.length === 0) return { text, count: 0 };
      // `AKIAXXXXXXXXXXXXXXXX`, `glc_1111…`: the place of a key, not a key (configured values are redacted as given)
      const kept = spans.filter(
        (s) =>
          s.kind === 'credential' ||
          s.kind === 'private-key' ||
          !(
            // found by shape alone (`token`, `password`), counting up (`AbCdEf…`) reads as an example; found by a
            // vendor prefix or a secret's name, only plain placeholders (`xxxx…`, `0000…`) do
            (markedSecret(text, s) ? isPlainPlaceholder : isPlaceholder)(text.slice(s.start, s.end)) ||
            isWordsAfterPrefix(text.slice(s.start, s.end)) ||
            // a prefix filled out with marks: `xoxp-5723…-####################`
            /^[-_.]?[#*xX]{8}/.test(text.slice(s.end, s.end + 9)) ||
            (isFilledWithRuns(text.slice(s.start, s.end)) && !ALWAYS_KEY.test(text.slice(s.start, s.end))) ||
            // the name of a file (`video_box.ico-7a388b….png`, `2018-250-xoxo-indieweb-1.jpg`): content-hashed
            // assets and pictures, not keys; the formats the issue names are keys wherever they stand
            (FILE_EXTENSION.test(text.slice(s.end, s.end + 8)) &&
              !ALWAYS_KEY.test(text.slice(s.start, s.end))) ||
            // shape rules only: a value its attribute names as no credential
            ((s.kind === 'token' || s.kind === 'password') &&
              keep.some((k) => s.start >= k.start && s.end <= k.end))
          ),
      );
      if (kept.length === 0) return { text, count: 0 };
      return applySpans(text, kept);
    },
  };
}

/** Span kinds found by a value's shape alone, with no vendor prefix or name behind them. */
const SHAPE_ONLY = new Set(['token', 'password']);

/** Found by a vendor prefix or a name (`STRIPE_SECRET_KEY=`, `-u user:`), or by its shape right after `password=`. */
function markedSecret(text: string, span: Span): boolean {
  if (!SHAPE_ONLY.has(span.kind)) return true;
  const key = keyBefore(text, span.start);
  return SECRET_KEY.test(key) && !NOT_SECRET_KEY.test(key);
}

/** `.png`, `.json`, `.whl`…: what ends a file name (followed by a non-word character or the end). */
const FILE_EXTENSION =
  /^\.(?:png|jpe?g|gif|svg|webp|ico|bmp|css|js|mjs|cjs|map|html?|json|ya?ml|md|txt|pdf|zip|gz|tgz|whl|woff2?|ttf|otf|eot|mp[34]|wav|csv|xml|log)(?![A-Za-z0-9])/i;

/** The key formats issue #11 names, redacted by their prefix wherever they stand, whatever their length. */
const ALWAYS_KEY =
  /^(?:sk-|AKIA|ASIA|ghp_|github_pat_|xox[abpr]-|AIza|hf_|npm_|-----BEGIN|ey[A-Za-z0-9_-]{8,}\.ey)/;

const ATTRIBUTE_NAMES = {
  secret: (name: string) => SECRET_KEY.test(name) && !NOT_SECRET_KEY.test(name),
  notSecret: (name: string) => NOT_SECRET_NAME.test(keyBefore(name, name.length)),
};

// --- .env-style values -------------------------------------------------------------------------------

const SECRET_KEY =
  /(?:SECRET|TOKEN|PASSWORD|PASSWD|PASSPHRASE|(?:^|_)PWD$|API_?KEY|ACCESS_?KEY|ACCESS_?ID$|PRIVATE_?KEY|CREDENTIAL|(?:^|_)AUTH(?:$|_)|(?:^|_)DSN$|DATABASE_URL|CONNECTION_STRING|(?:^|_)KEY$|(?:^|_)PAT$|COOKIE)/i;
/**
 * Keys that name a count, a limit or a public value, not a secret (`MAX_THINKING_TOKENS`, `public_token`). An
 * access id (`SUMO_ACCESS_ID`, `AWS_ACCESS_KEY_ID`) is the half of a key pair gitleaks and AWS treat as secret.
 */
const NOT_SECRET_KEY =
  /(?:TOKENS|_(?:LIMIT|MAX|MIN|COUNT|SIZE|LENGTH|TIMEOUT|SECONDS|TTL|PARALLELISM|NAME|(?<!ACCESS_|ACCESS_KEY_)ID|FILE|PATH|URL|ENDPOINT|TYPE|VERSION|PROVIDER)$|^(?:PUBLIC|PUB)_|^MAX_|_MIN_|_MAX_)/i;
const UPPER_KEY = /^[A-Z0-9_.-]+$/;
// `KEY=value`, `key: value`, and `"key" => "value"` (PHP arrays, Ruby hashes)
const ENV_LINE =
  /^[ \t]*(?:export[ \t]+)?["']?([A-Za-z_][A-Za-z0-9_.-]*)["']?[ \t]*(=>|=|:)[ \t]*(.*?)[ \t]*,?[ \t]*$/gm;
const INLINE_ASSIGNMENT = /(?:^|[\s;&|(`])([A-Z][A-Z0-9_]*)=("[^"\n]*"|'[^'\n]*'|[^\s;&|)`'"]+)/g;
const PLACEHOLDER =
  /^(?:|null|none|true|false|undefined|changeme|change_me|example|\*+|x+|\.\.\.|<[^>]*>|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|\$?\{[^}]*\}|\[[^\]]*\]|\$\{\{.*\}\}|\{\{.*\}\}|\[REDACTED[^\]]*\])$/i;

function collectEnvSpans(text: string, spans: Span[]): void {
  const learned: string[] = [];
  for (const m of text.matchAll(ENV_LINE)) {
    const key = m[1] ?? '';
    const sep = m[2];
    let value = m[3] ?? '';
    if (!SECRET_KEY.test(key) || NOT_SECRET_KEY.test(key)) continue;
    const quoted = /^(["'])(.*)\1$/.exec(value);
    if (quoted) value = quoted[2] ?? '';
    // `KEY=value` (env style) for upper-case keys; for other keys (`password = "..."`, `"api_key": "..."`)
    // only a quoted value, so code such as `token: string;` or `key = row.id` is left alone
    // ... unless the value itself reads like key material (`x_api_token = 9f8Qz...`)
    if (!UPPER_KEY.test(key) && !quoted && !keyLike(value)) continue;
    if (/\s/.test(value) && sep === ':' && !quoted) continue;
    if (value.length < 4 || PLACEHOLDER.test(value) || !valueMaySecret(key, value)) continue;
    learned.push(value);
  }
  // inline assignments in commands: `DB_PASSWORD=x ./run`, `echo API_KEY=...`, `export TOKEN=...; ...`
  for (const m of text.matchAll(INLINE_ASSIGNMENT)) {
    const key = m[1] ?? '';
    let value = m[2] ?? '';
    if (!SECRET_KEY.test(key) || NOT_SECRET_KEY.test(key)) continue;
    value = value.replace(/^(["'])(.*)\1$/, '$2');
    if (value.length < 4 || PLACEHOLDER.test(value) || !valueMaySecret(key, value)) continue;
    learned.push(value);
  }
  for (const value of learned) {
    let from = 0;
    for (;;) {
      const at = text.indexOf(value, from);
      if (at < 0) break;
      spans.push({ start: at, end: at + value.length, kind: 'env' });
      from = at + value.length;
    }
  }
}

/** A value after a secret-looking key: a count or a plain word is not one, unless the key says password. */
function valueMaySecret(key: string, value: string): boolean {
  if (/^\d{1,10}$/.test(value)) return /PASS|PWD|PIN/i.test(key);
  if (/^[a-z]+$/i.test(value) && value.length < 16) return /PASS|PWD|SECRET/i.test(key);
  return true;
}

/** An unquoted value that is key material rather than code (`row.id`, `getToken()`, `string;`). */
function keyLike(value: string): boolean {
  const v = value.replace(/[;,]$/, '');
  // `$TOKEN`, `${…}`, `$(cat f)` are references; a `$` inside a value (`…xC$utE`) is one of its characters
  if (v.length < 8 || /[()[\]{}<>\s]|^\$|\$[{(]/.test(v)) return false;
  if (/^[A-Za-z_][A-Za-z_]*(?:\.[A-Za-z_][A-Za-z_]*)*$/.test(v)) return false; // identifiers, member access
  return /\d/.test(v) || (/[a-z]/.test(v) && /[A-Z]/.test(v));
}

// --- secretlint recommended preset -------------------------------------------------------------------

type RuleReport = { range: readonly [number, number] };
interface RuleHandlers {
  file?: (source: { content: string; filePath: string; ext: string; contentType: string }) => unknown;
}
interface RuleCreator {
  meta: { id: string };
  create: (context: unknown, options: unknown) => RuleHandlers;
}

interface PreparedRule {
  kind: string;
  file: NonNullable<RuleHandlers['file']>;
}

// An access key id next to its secret is what agents print (`aws configure list`, credentials files): scan ids too.
const RULE_OPTIONS: Record<string, unknown> = { aws: { enableIDScanRule: true } };

/**
 * Literals without which a rule cannot match, taken from the rule's own patterns (secretlint-rule-preset-recommend
 * 13.0.7), the way gitleaks gates its rules on keywords: a rule runs only when the text holds one of its literals
 * (spelled as the rule spells them: case-sensitive unless the rule's pattern is `/i`). Patterns that open with
 * optional groups or a `\p{L}` look-behind are tried at every position, so running 28 of them over every candidate
 * line cost more than everything else in redaction. `null`: the rule never reports on text (gcp reads `.p12`/`.json`
 * files by extension only). A preset upgrade that changes or adds rules must revisit the gates: redact.test.ts
 * checks every rule against samples of each of its patterns, and an unknown rule runs ungated.
 */
export const RULE_GATES: Record<string, RegExp | null> = {
  aws: /A3T|AKIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ASIA|SECRET|secret|Secret|ACCOUNT|account|Account/,
  gcp: null,
  npm: /npm_/, // its x-oauth-basic and _authToken checks read package.json/.npmrc files only
  slack: /xox[bpaor]-|xapp-|hooks\.slack\.com/i,
  basicauth: /(?:https?|ftps?):\/\/[-\w]{1,256}:[-\w]{1,256}@/,
  openai: /T3BlbkFJ/,
  anthropic: /sk-ant-api0/,
  groq: /gsk_/,
  huggingface: /hf_/,
  linear: /lin_api_/,
  notion: /ntn_/,
  privatekey: /-----BEGIN/,
  sendgrid: /SG\./,
  shopify: /shp(?:pa|ca|at|ss)_/,
  stripe: /[rs]k_(?:live|test)_/,
  github: /gh[pousr]_|github_pat_/,
  gitlab: /glpat-/,
  grafana: /glc_|glsa_/,
  '1password': /ops_/,
  'database-connection-string': /mongodb|mysql|postgres/i,
  'hashicorp-vault': /hv[sbr]\./,
  vercel: /vc[pirak]_/,
  databricks: /dapi/,
  docker: /dckr_pat_/,
  figma: /figd_/,
  cloudflare: /cf(?:k|ut|at)_/,
  tailscale: /tskey-/,
};

let preparedRules: PreparedRule[] | undefined;
/**
 * Every rule's gate as one alternation (a `/i` gate as a `(?i:…)` group), so candidate lines that hold none of the
 * literals skip the rules with one scan instead of one per rule (~27 scans; the rules themselves seldom run).
 * Undefined while some rule runs ungated: then nothing may be skipped.
 */
let anyRuleGate: RegExp | undefined;
let reportSink: ((kind: string, report: RuleReport) => void) | undefined;

function rules(): PreparedRule[] {
  if (preparedRules) return preparedRules;
  const prepared: PreparedRule[] = [];
  const gates: Array<RegExp | undefined> = [];
  for (const rule of (recommendPreset as unknown as { rules: RuleCreator[] }).rules) {
    const id = rule.meta.id;
    // the comment filter lets a source switch scanning off: a transcript must never be able to do that
    if (id.endsWith('filter-comments')) continue;
    const kind = id.replace('@secretlint/secretlint-rule-', '');
    const context = {
      sharedOptions: {},
      createTranslator: () => (messageId: string, data: unknown) => ({ message: messageId, messageId, data }),
      report: (descriptor: RuleReport) => reportSink?.(kind, descriptor),
      ignore: () => {},
    };
    const handlers = rule.create(context, RULE_OPTIONS[kind] ?? {});
    const file = handlers.file;
    if (!file) continue;
    const gate = RULE_GATES[kind];
    if (gate === null) continue;
    gates.push(gate);
    prepared.push({
      kind,
      file: gate ? (source) => (gate.test(source.content) ? file(source) : undefined) : file,
    });
  }
  preparedRules = prepared;
  anyRuleGate = gates.every((g) => g !== undefined) ? combinedGate(gates as RegExp[]) : undefined;
  return prepared;
}

/** One regex that matches where any of `gates` matches (their flags kept per alternative). */
export function combinedGate(gates: RegExp[]): RegExp {
  const unsupported = gates.find((g) => /[gmsuyv]/.test(g.flags));
  if (unsupported) throw new Error(`rule gate ${unsupported} has flags a combined gate cannot keep`);
  return new RegExp(
    gates.map((g) => (g.flags.includes('i') ? `(?i:${g.source})` : `(?:${g.source})`)).join('|'),
  );
}

/** Whether some rule could match one of `lines` (false only when every rule's gate fails on all of them). */
export function rulesMayMatch(lines: string[]): boolean {
  rules();
  const gate = anyRuleGate;
  return gate === undefined || lines.some((line) => gate.test(line));
}

// A line worth scanning: a long token (every key format the preset knows is one), credentials in a URL,
// or a PEM header. Everything else cannot match a preset rule and is skipped.
const MIN_TOKEN = 16;

/** `[A-Za-z0-9_+/=.~-]`: the characters of a token. */
const isTokenCode = (c: number) => isTokenChar(c, true);

/**
 * Start/end offsets of the lines of `text` that could hold a key: a run of 16+ token characters with an upper-case
 * letter, 4+ digits or 24+ characters (lower-case paths and words have none of these), or `://` and later `@` on one
 * line. Runs are found by probing every 16th character and walking back (a run of 16 must cover the probe), so
 * prose is skipped at a fraction of a character-by-character scan; the result is the same (redact.test.ts compares
 * it with one).
 */
export function candidateLines(text: string): number[] {
  const n = text.length;
  const runs: number[] = [];
  let i = 0;
  while (i + MIN_TOKEN <= n) {
    const probe = i + MIN_TOKEN - 1;
    if (!isTokenCode(text.charCodeAt(probe))) {
      i = probe + 1;
      continue;
    }
    let q = probe - 1;
    while (q >= i && isTokenCode(text.charCodeAt(q))) q--;
    if (q >= i) {
      i = q + 1; // the run holding the probe starts after q: too short to reach it from i
      continue;
    }
    // i..probe are token characters: find the whole run and judge it
    let start = i;
    while (start > 0 && isTokenCode(text.charCodeAt(start - 1))) start--;
    let end = probe + 1;
    while (end < n && isTokenCode(text.charCodeAt(end))) end++;
    if (qualifies(text, start, end)) {
      const lineStart = text.lastIndexOf('\n', start - 1) + 1;
      let lineEnd = text.indexOf('\n', end);
      if (lineEnd < 0) lineEnd = n;
      runs.push(lineStart, lineEnd);
      i = lineEnd + 1;
    } else i = end + 1;
  }
  if (!text.includes('@')) return runs;
  return mergeLines(runs, urlLines(text));
}

/** A run of token characters that could be a key: upper case, 4+ digits, or 24+ characters long. */
function qualifies(text: string, start: number, end: number): boolean {
  if (end - start >= 24) return true;
  let digits = 0;
  for (let k = start; k < end; k++) {
    const c = text.charCodeAt(k);
    if (c >= 65 && c <= 90) return true;
    if (c >= 48 && c <= 57 && ++digits >= 4) return true;
  }
  return false;
}

/** Lines with `://` and, after it, an `@` (credentials in a URL). */
function urlLines(text: string): number[] {
  const out: number[] = [];
  for (let at = text.indexOf('@'); at >= 0; at = text.indexOf('@', at + 1)) {
    const lineStart = text.lastIndexOf('\n', at - 1) + 1;
    const scheme = text.lastIndexOf('://', at);
    if (scheme < lineStart) continue;
    let lineEnd = text.indexOf('\n', at);
    if (lineEnd < 0) lineEnd = text.length;
    if (out.length === 0 || (out[out.length - 2] as number) !== lineStart) out.push(lineStart, lineEnd);
    at = lineEnd;
  }
  return out;
}

/** Two sorted lists of [start, end) line pairs as one, without repeats. */
function mergeLines(a: number[], b: number[]): number[] {
  if (b.length === 0) return a;
  if (a.length === 0) return b;
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const takeA = j >= b.length || (i < a.length && (a[i] as number) <= (b[j] as number));
    const s = takeA ? (a[i] as number) : (b[j] as number);
    const e = takeA ? (a[i + 1] as number) : (b[j + 1] as number);
    if (takeA) i += 2;
    else j += 2;
    if (out.length > 0 && out[out.length - 2] === s) continue;
    out.push(s, e);
  }
  return out;
}

/** True when `text` could hold a key that secretlint's preset would find. */
export function mayHoldSecret(text: string): boolean {
  return candidateLines(text).length > 0 || text.includes('-----BEGIN');
}

/** The candidate lines of `text` with their offsets: `starts[k]` is where `parts[k]` begins in `text`. */
interface LineSlices {
  parts: string[];
  starts: number[];
}

function lineSlices(text: string, lines: number[]): LineSlices {
  const parts: string[] = [];
  const starts: number[] = [];
  for (let k = 0; k < lines.length; k += 2) {
    const from = lines[k] as number;
    starts.push(from);
    parts.push(text.slice(from, lines[k + 1] as number));
  }
  return { parts, starts };
}

function collectSecretlintSpans(text: string, spans: Span[], lines: LineSlices): void {
  if (text.includes('-----BEGIN')) {
    runRules(rules(), text, 0, spans);
    return;
  }
  const { parts, starts: origins } = lines;
  if (parts.length === 0 || !rulesMayMatch(parts)) return;
  const list = rules();
  // Scan only candidate lines, joined into one string; map ranges back by line start.
  const starts: number[] = [];
  let length = 0;
  for (const part of parts) {
    starts.push(length);
    length += part.length + 1;
  }
  const joined = parts.length === 1 ? (parts[0] as string) : parts.join('\n');
  const found: Span[] = [];
  runRules(list, joined, 0, found);
  for (const span of found) {
    // binary search the candidate line holding span.start
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] ?? 0) <= span.start) lo = mid;
      else hi = mid - 1;
    }
    const delta = (origins[lo] ?? 0) - (starts[lo] ?? 0);
    spans.push({ start: span.start + delta, end: span.end + delta, kind: span.kind });
  }
}

function runRules(list: PreparedRule[], content: string, offset: number, spans: Span[]): void {
  const source = { content, filePath: 'session.txt', ext: '.txt', contentType: 'text' };
  const previous = reportSink;
  reportSink = (kind, report) => {
    spans.push({ start: report.range[0] + offset, end: report.range[1] + offset, kind });
  };
  try {
    for (const rule of list) {
      try {
        rule.file(source);
      } catch {
        // a rule failing on odd input must not stop redaction by the others
      }
    }
  } finally {
    reportSink = previous;
  }
}

// --- vendor prefixes and random-looking tokens ----------------------------------------------------

const PEM =
  /-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----|$)/g;

function collectTokenSpans(text: string, spans: Span[], lines: LineSlices): void {
  // a private key block, even one cut off before its END line
  if (text.includes('PRIVATE KEY-----'))
    for (const m of text.matchAll(PEM))
      spans.push({ start: m.index, end: m.index + m[0].length, kind: 'private-key' });
  for (let k = 0; k < lines.parts.length; k++)
    tokenSpans(lines.parts[k] as string, spans, lines.starts[k] as number, text);
}

// --- helpers -----------------------------------------------------------------------------------------

function applySpans(text: string, spans: Span[]): RedactResult {
  spans.sort((a, b) => a.start - b.start || b.end - a.end);
  let out = '';
  let cursor = 0;
  let count = 0;
  for (const span of spans) {
    if (span.end <= cursor) continue; // inside a span already replaced
    const start = Math.max(span.start, cursor);
    out += text.slice(cursor, start);
    out += `[REDACTED:${span.kind}]`;
    cursor = span.end;
    count++;
  }
  out += text.slice(cursor);
  return { text: out, count };
}

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
