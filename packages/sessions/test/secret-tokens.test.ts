/**
 * The keyword gates in front of the vendor patterns and secretlint's rules skip text that cannot match: they must
 * never skip text that does. Checked on samples generated from every pattern they guard.
 */
import { lintSource } from '@secretlint/core';
import { creator } from '@secretlint/secretlint-rule-preset-recommend';
import RandExp from 'randexp';
import { expect, test } from 'vitest';
import { combinedGate, createRedactor, RULE_GATES, rulesMayMatch } from '../src/redact.js';
import { VENDOR, VENDOR_GATE, VENDOR_PATTERNS } from '../src/secret-tokens.js';

/** A seeded generator, so a failure names the same sample on every run. */
function seeded(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648;
  };
}

function samples(source: string, count: number, random: () => number): string[] {
  const gen = new RandExp(new RegExp(source));
  gen.max = 8;
  gen.randInt = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  return Array.from({ length: count }, () => gen.gen());
}

test('every vendor pattern: each generated sample passes the gate, and VENDOR finds it after a space', () => {
  const random = seeded(11);
  for (const source of VENDOR_PATTERNS)
    for (const sample of samples(source, 25, random)) {
      expect(VENDOR_GATE.test(sample), `${source} -> ${sample}`).toBe(true);
      // (a sample generated from a pattern matches it; the outer look-behind only needs a non-word before it)
      expect(` ${sample}`.match(VENDOR), `${source} -> ${sample}`).not.toBeNull();
    }
});

// Samples of every form the preset's rules know (secretlint-rule-preset-recommend 13.0.7), built at run time so this
// file holds no literal key. Each must be reported by secretlint itself, pass its rule's gate, and be redacted.
const rand = seeded(5);
const pick = (n: number, alphabet: string) =>
  Array.from({ length: n }, () => alphabet[Math.floor(rand() * alphabet.length)]).join('');
const an = (n: number) => pick(n, 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789');
const hex = (n: number) => pick(n, '0123456789abcdef');
const dec = (n: number) => pick(n, '0123456789');
/** A 1Password service account token: `ops_` + base64 of its JSON (the rule decodes it), ending `fQ==`. */
function opsToken(): string {
  let json = JSON.stringify({
    email: `${an(12).toLowerCase()}@1passwordserviceaccounts.lcl`,
    muk: { alg: 'A256GCM', ext: true, k: an(43), key_ops: ['encrypt', 'decrypt'], kty: 'oct', kid: 'mp' },
    secretKey: `A3-${an(6)}-${an(6)}-${an(5)}-${an(5)}-${an(5)}-${an(5)}`,
    srpX: hex(64),
    signInAddress: 'gotham.b5local.com:4000',
    userAuth: { method: 'SRPg-4096', alg: 'PBES2g-HS256', iterations: 100000, salt: an(22) },
  });
  while (json.length % 3 !== 1) json = `${json.slice(0, -1)} }`;
  return `ops_${Buffer.from(json).toString('base64')}`;
}
const RULE_SAMPLES: string[] = [
  `publish with npm_${an(36)} today`,
  `curl https://deploy:${an(14)}@internal.example.net/api`,
  `key sk-proj-${an(74)}T3BlbkFJ${an(74)} end`,
  `key sk-${an(20)}T3BlbkFJ${an(20)} end`,
  `key sk-ant-api03-${an(93)}AA end`,
  `GROQ gsk_${an(52)} end`,
  `hf token hf_${pick(34, 'abcdefghijkmnopqrstuvwxyzABCDEFGH')} end`,
  `linear lin_api_${an(40)} end`,
  `notion ntn_${dec(11)}${an(35)} end`,
  `-----BEGIN RSA PRIVATE KEY-----\nMII${an(61)}\n${an(64)}\n${an(40)}\n-----END RSA PRIVATE KEY-----`,
  `mail SG.${an(22)}.${an(43)} end`,
  `shop shpat_${hex(32)} end`,
  `pay sk_live_${an(30)} end`,
  `pay rk_test_${an(30)} end`,
  `gh ghp_${an(36)} end`,
  `gh github_pat_${an(82)} end`,
  `gh ghs_12345_${an(30)}.${an(40)}.${an(20)} end`,
  `gl glpat-${an(20)} end`,
  `graf glc_${an(40)} end`,
  `graf glsa_${an(32)}_${hex(8)} end`,
  `op ${opsToken()} end`,
  `mongodb+srv://app:${an(14)}@cluster0.example.net/prod`,
  `mysql://root:${an(14)}@db.example.net:3306/app`,
  `postgresql://app:${an(14)}@db.example.net:5432/app`,
  `vault hvs.${an(95)} end`,
  `vault hvb.${an(140)} end`,
  `vault hvr.${an(95)} end`,
  `vercel vcp_${an(30)} end`,
  `db dapi${hex(32)} end`,
  `docker dckr_pat_${an(27)} end`,
  `figma figd_${an(44)} end`,
  `cf cfut_${an(40)}${hex(8)} end`,
  `ts tskey-auth-${an(12)}-${an(30)} end`,
  `xoxb-${dec(10)}-${dec(13)}-${an(24)} end`,
  `POST https://hooks.slack.com/services/T${an(8)}/B${an(8)}/${an(24)}`,
  `aws_secret_access_key = ${pick(40, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+')}`,
];

test('every rule of the preset has a gate, and every gated rule still reports what secretlint reports', async () => {
  const ids = (creator as unknown as { rules: Array<{ meta: { id: string } }> }).rules
    .map((r) => r.meta.id.replace('@secretlint/secretlint-rule-', ''))
    .filter((id) => id !== 'filter-comments');
  expect(Object.keys(RULE_GATES).sort()).toEqual([...ids].sort());
  const seen = new Set<string>();
  for (const text of RULE_SAMPLES) {
    const lint = await lintSource({
      source: { content: text, filePath: '/t.txt', ext: '.txt', contentType: 'text' },
      options: { config: { rules: [{ id: '@secretlint/secretlint-rule-preset-recommend', rule: creator }] } },
    });
    expect(lint.messages.length, text).toBeGreaterThan(0);
    const out = createRedactor().redact(text).text;
    for (const m of lint.messages) {
      const kind = m.ruleId.replace('@secretlint/secretlint-rule-', '');
      seen.add(kind);
      expect(RULE_GATES[kind]?.test(text), `${kind} gate on ${text}`).toBe(true);
      expect(out, text).not.toContain(text.slice(m.range[0], m.range[1]));
    }
  }
  // every rule that can report on text was exercised (gcp reads .p12/.json files only)
  expect([...seen].sort()).toEqual(ids.filter((id) => id !== 'gcp').sort());
});

test('the combined rule gate matches exactly where some rule gate does, /i gates in any case', () => {
  const gates = Object.values(RULE_GATES).filter((g): g is RegExp => g !== null);
  const any = combinedGate(gates);
  const texts = [
    ...RULE_SAMPLES,
    ...RULE_SAMPLES.map((t) => t.toUpperCase()),
    ...RULE_SAMPLES.map((t) => t.toLowerCase()),
    'MONGODB+SRV://db.example.com',
    'see HOOKS.SLACK.COM and XAPP-1',
    'plain prose, /usr/local/lib/node_modules/some-package/dist/index.js and 0123456789abcdef',
    'AKIB ghx_ npm- sk_ant',
  ];
  let matched = 0;
  for (const text of texts) {
    const want = gates.some((g) => g.test(text));
    expect(any.test(text), text).toBe(want);
    expect(rulesMayMatch([text]), text).toBe(want);
    if (want) matched++;
  }
  // both outcomes were exercised
  expect(matched).toBeGreaterThan(RULE_SAMPLES.length);
  expect(matched).toBeLessThan(texts.length);
  expect(rulesMayMatch(['nothing here', 'nor here'])).toBe(false);
  expect(() => combinedGate([/a/g])).toThrow(/flags/);
});
