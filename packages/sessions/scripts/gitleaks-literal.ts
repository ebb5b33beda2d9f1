/**
 * Merge the literal samples of gitleaks' rule files into the redaction corpus
 * (https://github.com/gitleaks/gitleaks, MIT License, Copyright (c) 2019 Zachary Rice).
 *
 *   node packages/sessions/scripts/gitleaks-literal.ts <gitleaks.toml> [samples.txt] [corpus.json]
 *
 * `samples.txt` (scripts/gitleaks-samples.txt) is a transcription of the literal strings in the `tps`/`fps` slices of
 * gitleaks' `cmd/generate/config/rules/*.go`, one block per file read:
 *   `@@ <path> <commit>`        the file and the commit it was read at
 *   `!! <rule-id> <regex>`      the rule's regex, for rules missing from the gitleaks.toml snapshot
 *   `>> tp|fp <rule-id>`        one sample; its text runs to the next `>>`/`@@`/`!!` line (`⇥` stands for a tab)
 *   `%% not taken`              the rest of the file: what the files read hold that was left out, and why
 * Samples gitleaks builds with `secrets.NewSecret`/`GenerateSampleSecrets` are not in it: the corpus keeps
 * generating those from the rules' regexes (scripts/gitleaks-corpus.ts). For every true positive the secret is
 * what the rule itself matches in the sample (its capture group, or the whole match), so the test can put it in
 * every position a session holds one.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toJs } from './gitleaks-regex.ts';

const here = import.meta.dirname;
const [
  ,
  ,
  tomlPath,
  samplesPath = join(here, 'gitleaks-samples.txt'),
  corpusPath = join(here, '..', 'test', 'data', 'gitleaks-corpus.json'),
] = process.argv;
if (!tomlPath) {
  process.stderr.write('usage: gitleaks-literal.ts <gitleaks.toml> [samples.txt] [corpus.json]\n');
  process.exit(2);
}

const regexes = new Map<string, string>();
for (const block of readFileSync(tomlPath, 'utf8')
  .split(/^\[\[rules\]\]\s*$/m)
  .slice(1)) {
  const id = /^id = "([^"]+)"/m.exec(block)?.[1];
  const regex = /^regex = '''([\s\S]*?)'''\s*$/m.exec(block)?.[1];
  if (id && regex) regexes.set(id, regex);
}

interface Literal {
  rule: string;
  vendor: string;
  file: string;
  commit: string;
  kind: 'tp' | 'fp';
  text: string;
  /** tp only: what the rule matches in `text` (its longest token when the rule needs a key context gitleaks adds) */
  secret?: string;
}

const samples: Literal[] = [];
const files: Array<{ file: string; commit: string }> = [];
let file = '';
let commit = '';
let current: Literal | undefined;
let body: string[] = [];
const flush = () => {
  if (current) samples.push({ ...current, text: body.join('\n').replaceAll('⇥', '\t') });
  current = undefined;
  body = [];
};
const all = readFileSync(samplesPath, 'utf8').split('\n');
// after `%% not taken`: notes on the samples of the files read that were left out, and why
const stop = all.indexOf('%% not taken');
const lines = stop < 0 ? all : all.slice(0, stop);
if (lines.at(-1) === '') lines.pop();
lines.forEach((line, n) => {
  const where = `${samplesPath}:${n + 1}`;
  if (line.startsWith('@@ ')) {
    flush();
    const m = /^@@ (\S+\.go) ([0-9a-f]{40})$/.exec(line);
    if (!m) throw new Error(`${where}: expected "@@ <path>.go <40-hex commit>"`);
    [, file = '', commit = ''] = m;
    files.push({ file, commit });
  } else if (line.startsWith('!! ')) {
    flush();
    const m = /^!! (\S+) (.+)$/.exec(line);
    if (!m) throw new Error(`${where}: expected "!! <rule-id> <regex>"`);
    regexes.set(m[1] as string, m[2] as string);
  } else if (line.startsWith('>> ')) {
    flush();
    const m = /^>> (tp|fp) (\S+)$/.exec(line);
    if (!m || !file) throw new Error(`${where}: expected "@@ <file> <commit>" then ">> tp|fp <rule-id>"`);
    const vendor = file.replace(/^.*\//, '').replace(/\.go$/, '');
    current = { rule: m[2] as string, vendor, file, commit, kind: m[1] as 'tp' | 'fp', text: '' };
  } else if (current) body.push(line);
  else if (line.trim()) throw new Error(`${where}: text outside a sample`);
});
flush();

const unmatched: string[] = [];
for (const s of samples) {
  if (s.kind !== 'tp') continue;
  const go = regexes.get(s.rule);
  if (!go) throw new Error(`rule ${s.rule} (${s.file}) has no regex: add a "!! ${s.rule} <regex>" line`);
  const { source, flags } = toJs(go);
  const m = new RegExp(source, flags).exec(s.text);
  if (!m) {
    // gitleaks wraps these in a key context before matching (generateSampleSecret): take the sample's longest token
    unmatched.push(`${s.rule}: ${s.text.slice(0, 60)}`);
    s.secret = [...s.text.matchAll(/[A-Za-z0-9_+/=.~-]{16,}/g)]
      .map((t) => t[0])
      .sort((a, b) => b.length - a.length)[0];
    continue;
  }
  let secret = (m.slice(1).find((g) => g !== undefined && g.length >= 8) ?? m[0]).trim();
  // the value, not its quotes; for `curl -u user:password` the password (or the one non-empty half)
  secret = secret.replace(/^(["'])(.*)\1$/s, '$2');
  if (s.rule === 'curl-auth-user') {
    const halves = secret.split(/:(?=[^:]*$)/).map((h) => h.replace(/^["'{]+|["'}]+$/g, ''));
    secret = halves[1] || halves[0] || secret;
  }
  s.secret = secret;
}

const corpus = JSON.parse(readFileSync(corpusPath, 'utf8'));
corpus.literal = {
  source:
    'literal tps/fps strings of gitleaks cmd/generate/config/rules/*.go (https://github.com/gitleaks/gitleaks, MIT License, Copyright (c) 2019 Zachary Rice), transcribed into packages/sessions/scripts/gitleaks-samples.txt and merged by scripts/gitleaks-literal.ts; every sample names the file and commit it was read at',
  files,
  unmatched,
  samples,
};
writeFileSync(corpusPath, `${JSON.stringify(corpus, null, 1)}\n`);
const tps = samples.filter((s) => s.kind === 'tp');
process.stdout.write(
  `${files.length} files, ${tps.length} literal tps (${tps.filter((s) => s.secret).length} with the rule's match), ${samples.length - tps.length} literal fps -> ${corpusPath}\n${unmatched.length ? `rule does not match its own sample (JS regex): ${unmatched.join(' | ')}\n` : ''}`,
);
