import { lintSource } from '@secretlint/core';
import { creator } from '@secretlint/secretlint-rule-preset-recommend';
import { describe, expect, test } from 'vitest';
import { candidateLines, createRedactor } from '../src/redact.js';

// Shapes assembled at run time so this file itself never holds a literal key.
const r = (n: number, alphabet = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789') => {
  let out = '';
  let x = 7;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    // the high bits: the low ones of this LCG repeat every 2^k steps (`r(40, hex)` gave `4000000000000000800…`)
    out += alphabet[(x >>> 15) % alphabet.length];
  }
  return out;
};
const SHAPES: Record<string, string> = {
  anthropic: `sk-ant-api03-${r(93)}AA`,
  openai: `sk-proj-${r(74)}T3BlbkFJ${r(74)}`,
  aws: `AKIA${r(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')}`,
  github: `ghp_${r(36)}`,
  slack: `xoxb-${r(10, '0123456789')}-${r(13, '0123456789')}-${r(24)}`,
  awsSecret:
    `aws_secret_access_key = ${r(40, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+')}`.split(
      ' = ',
    )[1] as string,
  postgres: `postgres://app:${r(12)}@db.internal:5432/prod`,
  privateKey: `-----BEGIN RSA PRIVATE KEY-----\nMII${r(61)}\n${r(64)}\n${r(40)}\n-----END RSA PRIVATE KEY-----`,
};

describe('createRedactor', () => {
  test.each(Object.entries(SHAPES))('redacts a %s secret wherever it sits in text', (kind, secret) => {
    const { redact } = createRedactor();
    const label = kind === 'awsSecret' ? 'aws_secret_access_key' : 'value';
    const text = `I ran the command and got:\n  ${label}=${secret} trailing words\nthen went on`;
    const out = redact(text);
    expect(out.count).toBeGreaterThanOrEqual(1);
    expect(out.text).not.toContain(secret);
    expect(out.text).toContain('then went on');
    expect(out.text).toContain('[REDACTED:');
  });

  test('an .env file printed into a transcript loses every secret value, including repeats', () => {
    const { redact } = createRedactor();
    const pw = `pw${r(14)}`;
    const env = [
      '$ cat .env',
      'NODE_ENV=production',
      'PORT=3000',
      `DATABASE_PASSWORD=${pw}`,
      `export STRIPE_SECRET="whsec_${r(20)}"`,
      `SESSION_TOKEN='${r(8)}'`,
      `MY_API_KEY=${r(10)}`,
      'EMPTY_TOKEN=',
      `later the agent echoes ${pw} again`,
    ].join('\n');
    const out = redact(env);
    expect(out.text).not.toContain(pw);
    expect(out.text).toContain('NODE_ENV=production');
    expect(out.text).toContain('PORT=3000');
    expect(out.text).toContain('EMPTY_TOKEN=');
    expect(out.text).not.toMatch(/whsec_/);
    expect(out.count).toBe(5);
  });

  test('leaves code and prose alone', () => {
    const { redact } = createRedactor();
    const code =
      'interface A { token: string; }\nconst key = row.id;\nToken: see the docs for details\ncommit 3f2a9c1d\n';
    expect(redact(code)).toEqual({ text: code, count: 0 });
  });

  test('configured credential values are redacted, longest first', () => {
    const { redact, addSecrets } = createRedactor({ secrets: ['hunter2hunter2', 'abc'] });
    expect(redact('login with hunter2hunter2 please').text).toBe('login with [REDACTED:credential] please');
    expect(redact('abc is too short to be a secret').count).toBe(0);
    addSecrets(['correct-horse']);
    expect(redact('x correct-horse y').text).toBe('x [REDACTED:credential] y');
  });

  test('the gated secretlint rules (aws, grafana, slack, anthropic, github) still find every form their patterns know', () => {
    const key = r(40, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+');
    // an account id is scanned on a line the prefilter passes (it holds a long token): the id alone is too short
    for (const [text, secret] of [
      ['Account: 1234-5678-9012 role ProdDeployRole2024Xyz', '1234-5678-9012'],
      ['"aws_account_id": "123456789012", "role": "ProdDeployRole2024Xyz"', '123456789012'],
      ['ACCOUNT_ID = 210987654321 # ProdDeployRole2024Xyz', '210987654321'],
      [`Secret_Access_Key: ${key}`, key],
      [`SECRETACCESSKEY=${key}`, key],
      [`creds ASIA${r(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')} in use`, 'ASIA'],
      [`GRAFANA=glc_${r(40)}`, 'glc_'],
      [`token glsa_${r(32)}_${r(8, '0123456789abcdef')}`, 'glsa_'],
      [`POST HTTPS://HOOKS.SLACK.COM/services/T${r(8)}/B${r(8)}/${r(24)}`, '/services/T'],
      [`xapp-1-${r(11)}-${r(13, '0123456789')}-${r(20)}`, 'xapp-'],
      [`key sk-ant-api04-${r(95)}AA`, 'sk-ant-api04-'],
      [`github_pat_${r(82)}`, 'github_pat_'],
      [`ghs_12345_${r(30)}.${r(40)}.${r(20)}`, 'ghs_'],
    ] as const)
      expect(createRedactor().redact(text).text, text).not.toContain(secret);
  });

  test('finds what secretlint lintSource finds on the same text', async () => {
    const text = Object.values(SHAPES).join('\nsome words between\n');
    const lint = await lintSource({
      source: { content: text, filePath: '/t.txt', ext: '.txt', contentType: 'text' },
      options: { config: { rules: [{ id: '@secretlint/secretlint-rule-preset-recommend', rule: creator }] } },
    });
    expect(lint.messages.length).toBeGreaterThan(0);
    const out = createRedactor().redact(text);
    for (const m of lint.messages) expect(out.text).not.toContain(text.slice(m.range[0], m.range[1]));
  });

  test('a bare hex key, UUID or long number is redacted; the same shapes named as ids, digests or paths are not', () => {
    const { redact } = createRedactor();
    const hex40 = r(40, '0123456789abcdef');
    const uuid = `${r(8, '0123456789abcdef')}-${r(4, '0123456789abcdef')}-4${r(3, '0123456789abcdef')}-a${r(3, '0123456789abcdef')}-${r(12, '0123456789abcdef')}`;
    for (const text of [
      `The dashboard showed ${hex40} so I copied it.`,
      `echo ${uuid} > /tmp/key`,
      JSON.stringify({ data: { value: uuid } }),
      `the portal printed ${r(18, '0123456789')} once`,
    ]) {
      const out = redact(text).text;
      expect(out, text).toContain('[REDACTED:token]');
      expect(out).not.toContain(hex40);
      expect(out).not.toContain(uuid);
    }
    for (const text of [
      `commit ${hex40}\nAuthor: A <a@b.c>`,
      `**Commit SHA:** \`${hex40}\``,
      `"parentUuid":"${uuid}","sessionId":"${uuid}"`,
      `session_id="${uuid}"`,
      `~/.claude/projects/-w/${uuid}.jsonl`,
      `"hash": "sha256:${r(64, '0123456789abcdef')}"`,
      `git diff\nindex ${hex40}..${hex40} 100644`,
      `Request ID: ${uuid}`,
      `docker run -d img\n${r(64, '0123456789abcdef')}`,
      ` 1 file changed, 69 insertions(+)\n${hex40}`,
    ])
      expect(redact(text).text, text).toBe(text);
  });

  test('names that look random in parts stay readable: file names, camel-case identifiers, git ranges, word names, time-stamped ids, package builds', () => {
    const { redact } = createRedactor();
    const hex = (n: number) => r(n, '0123456789abcdef');
    for (const text of [
      `        - ${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}.json`,
      'Downloading torch-2.7.1-cp311-none-macosx_11_0_arm64.whl (68.6 MB)',
      '      - favicon_32_cb_58284776.png\n      - z_7a75fb84fc14b0a3_renderer_py.html',
      "font-family: -apple-system, BlinkMacSystemFont, 'Segoe UI'",
      '    43→    ExitPlanModeOutput,',
      `index ${hex(40)}..${hex(40)} 100644`,
      `Cache restored from key: setup-uv-1-x86_64-unknown-linux-gnu-0.7.13-${hex(64)}`,
      '"value": "lhr1::94mvt-1759537055888-4c75013471a9"',
      '  tzdata             pkgs/main/noarch::tzdata-2025b-h04d1e81_0 \n  pip  pkgs/main/noarch::pip-25.1-pyhc872135_2',
      `@ar = split("~", "${hex(8)}~47~${hex(96)}");`,
    ])
      expect(redact(text).text, text).toBe(text);
  });

  test('placeholders in the place of a key stay readable; a key beside them does not', () => {
    const { redact } = createRedactor();
    for (const text of [
      'key = AKIAXXXXXXXXXXXXXXXX',
      'GSK_API_KEY=gsk_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
      '   API_KEY="glc_111111111111111111111111111111111111111111="',
      '"token4": "xoxp-572370529330-573807301142-572331691188-####################"',
      'GR1348941123123123123123123123',
      '- (id)hf_requiredCharacteristicTypesForDisplayMetadata;',
      'xoxe.xoxp-1-SlackAppConfigurationAccessTokenHere',
      'DB_PASSWORD=[value]',
      'password = "${aws_db_instance.default.password}"',
      'SUMO_ACCESS_KEY={SumoAccessKey}',
      '- (NSInteger)sumOfValuesInRange:(NSRange)range;',
      'https://fog-ringer-f42.notion.site/API-BD80F56CDC1441E6BF6011AB6D852875',
    ])
      expect(redact(text).text, text).toBe(text);
    const key = `ghp_${r(36, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789')}`;
    // a made-up key repeating a mixed unit is still a key (tests and docs write them)
    expect(redact(`sk-ant-api03-${'Zq9'.repeat(31)}AA`).text).toMatch(/^\[REDACTED:[a-z-]+\]$/);
    expect(redact(`placeholder AKIAXXXXXXXXXXXXXXXX, real ${key}`).text).toBe(
      'placeholder AKIAXXXXXXXXXXXXXXXX, real [REDACTED:github]',
    );
  });

  test('behind a vendor prefix or a secret name, counting up is redacted; only plain placeholders stay', () => {
    const { redact } = createRedactor();
    const walk = 'AbCdEfGhIjKlMnOpQrStUvWx';
    // QA s3 item 3: a real key pasted there may hold such a run, and must not leak
    for (const [text, value] of [
      [`STRIPE_SECRET_KEY=sk_live_51HxYz${walk}`, `sk_live_51HxYz${walk}`],
      [`STRIPE_SECRET_KEY=sk_live_51HxYz${walk}Yz0123456789`, `51HxYz${walk}`],
      [`xoxb-123456789012-${walk}`, walk],
      [`xoxb-123456789012-1234567890123-${walk}`, walk],
      [`password=${walk}`, walk],
      [`token: ${walk}`, walk],
      [`"api_key": "${walk}"`, walk],
      ['API_KEY=0123456789abcdef', '0123456789abcdef'],
      ['LANGCHAIN_API_KEY=ls__0123456789abcdef0123456789abcdef', '0123456789abcdef0123456789abcdef'],
      ['ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ012345', 'aBcDeFgHiJkLmNoPqRsTuVwXyZ'],
      [`use sk_live_51HxYz${walk} here`, walk],
    ]) {
      const out = redact(text as string);
      expect(out.text, text).not.toContain(value);
      expect(out.text, text).toContain('[REDACTED:');
    }
    // the same placeholders as ever stay readable there, and a walk standing alone in prose is an example
    for (const text of [
      'password=xxxxxxxxxxxxxxxxxxxx',
      'password=0000000000000000',
      'password=****************',
      'password=<your-password>',
      'password=${DB_PASS}',
      'password={{ secret }}',
      'password=[value]',
      'password=...',
      'PASSWORD=your-password-here',
      'export OPENAI_API_KEY=sk-your-key-here',
      'api_key=123123123123123123',
      'sk_live_xxxxxxxxxxxxxxxxxxxxxxxx',
      'xoxb-000000000000-0000000000000-xxxxxxxxxxxxxxxxxxxxxxxx',
      `the docs write keys like ${walk} or 0123456789abcdef0123456789abcdef`,
      `id: ${walk}`,
      `MAX_TOKENS=${walk}`,
    ])
      expect(redact(text).text, text).toBe(text);
  });

  test('curl credentials: the password of -u/--user and an auth header value; templated ones stay', () => {
    const { redact } = createRedactor();
    expect(redact('curl --cacert ca.crt -u elastic:P@ssw0rd$1 https://localhost:9200').text).toMatch(
      /^curl --cacert ca\.crt -u elastic:\[REDACTED:[a-z-]+\] https:\/\/localhost:9200$/,
    );
    expect(redact('curl --user kevin:hunter2hunter https://example.com').text).toBe(
      'curl --user kevin:[REDACTED:curl-auth] https://example.com',
    );
    expect(redact('curl -X POST --header "Api-Token: Sk94HG7f6KB"').text).not.toContain('Sk94HG7f6KB');
    expect(redact('curl -H "Token: 3fea6af1349166ea" http://localhost:8080/api').text).not.toContain(
      '3fea6af1',
    );
    for (const text of [
      'curl -u "${username}":"${password}"',
      'curl -u <user:password> https://test.com/endpoint',
      'curl --user neo4j:[PASSWORD] http://[IP]:7474/db/data/',
      'curl http://127.0.0.1:5000/file --user user:pass --digest',
      'curl -XGET -i -u "${{ env.ELK_ID }}:${{ build.env.ELK_PASS }}"',
      'curl -H "Authorization: Bearer $(gcloud auth print-access-token)" https://example.com',
      'curl -H "Authorization: Bearer XXXXXXXXXXXX" https://example.com',
    ])
      expect(redact(text).text, text).toBe(text);
  });

  test('a short machine-made password standing alone is redacted; words, identifiers, versions and colours are not', () => {
    const { redact } = createRedactor();
    expect(redact('export BUNDLE_GEMS__CONTRIBSYS__COM = "cafebabe:deadbeef"').text).not.toContain(
      'deadbeef',
    );
    expect(redact('the gem server login is cafeb4b3:d3adb33f for now').text).not.toContain('d3adb33f');
    expect(redact('git log shows a1b2c3d4:e5f6a7b8 as the range').text).toContain('a1b2c3d4:e5f6a7b8');
    for (const pw of ['d2LkV78zLx!t', 'pRf7vG2h1L8nQkW9', 'ZqL5kVrX1n8tA2', 'h0pk1ns~21s'])
      expect(redact(`The password is ${pw} for now.`).text, pw).toBe(
        'The password is [REDACTED:password] for now.',
      );
    for (const text of [
      'use toBase64Url and H264Decoder from utf8mb4 tables',
      'colour #3B82F6aa12 and handle @ab12cd34ef',
      'node v24.21.0, python3.11, x86_64, arm64v8, sha256sum',
      'commit 3fea6af1349166ea and Win10x64 builds',
      'Implementation2024 of RefreshTokens',
      'Running \u001b[1mPostToolUse:MultiEdit\u001b[22m...',
      '<__main__.DeepManifestGenerator object at 0x7e013292ff80>',
      'the iOS17Beta and macOS14iPhone15 targets',
      'hex 652d9a2e48FC7E!FcDbEA1BC2E2A6 is made up',
    ])
      expect(redact(text).text, text).toBe(text);
  });

  test('short random tokens: lower-case letters standing alone between capitals, or lower case with digits all through', () => {
    const { redact } = createRedactor();
    // letter runs longer than four read as words unless their case flips like random text's
    for (const token of [
      'su9OL59biWiJu7',
      'suDbJw97o9WVo0',
      'eg6ivqw1lw5ntd6',
      'qgsnai0xokrw4j1',
      r(15, 'abcdefghijkmnpqrstuvwxyz23456789'),
    ])
      expect(redact(`The dashboard showed ${token} so I copied it.`).text, token).not.toContain(token);
    for (const text of [
      'pip install python311 utf8mb4 ffmpeg4x',
      'run step2of3then4 and b2c3d4e5f6g7',
      'getBqTableColumns and EmbeddingToSound',
    ])
      expect(redact(text).text, text).toBe(text);
  });

  test('what names a value decides before its shape: attributes, signatures, anti-forgery tokens, URL parameters', () => {
    const { redact } = createRedactor();
    const random = r(43, 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789-_');
    // a value named by a sibling attribute (NuGet, appSettings, Spring): redacted when the name says secret
    for (const text of [
      `<add key="ClearTextPassword" value="TestSource-Password" />`,
      `<property name="db.password" value="hunter2hunter2"/>`,
      `$config = array(\n  "secret_key" => "sk_ubb4yN3mzqGR2x8#P7r5&@*xC$utE",\n);`,
      `SUMO_ACCESS_ID = "suGyI5imvADdvU"`,
      `https://api.example.com/v1/items?limit=5&access_token=${random}`,
    ])
      expect(redact(text).count, text).toBeGreaterThan(0);
    for (const text of [
      `<add key="ClearTextPassword" value="%NUGET_PASSWORD%" />`,
      `<input type="hidden" name="authenticity_token" value="${random}" autocomplete="off" />`,
      `// CloudFront-Signature: ${random}`,
      `https://ece252-2.uwaterloo.ca:2540/image?q=${random}==`,
      `https://mp.weixin.qq.com/s?__biz=${random}&wx_header=1`,
      `<img src="/assets/video_box.ico-${r(32, '0123456789abcdef')}.png">`,
      'https://indieweb.org/images/3/35/2018-250-xoxo-indieweb-1.jpg',
      'session_id="3f6c2b1e-8d4a-4c1e-9b7f-2a5d8e9c0b1a" TOKENIZERS_PARALLELISM=true MAX_THINKING_TOKENS=8000',
    ])
      expect(redact(text).text, text).toBe(text);
  });

  test('made-up key material stays readable: hex in both cases, runs of one character; real-looking keys do not', () => {
    const { redact } = createRedactor();
    const mixedHex = r(40, '0123456789abcdefABCDEF');
    const lowerHex = r(40, '0123456789abcdef');
    expect(redact(`The dashboard showed ${mixedHex} so I copied it.`).text).toContain(mixedHex);
    expect(redact(`The dashboard showed ${lowerHex} so I copied it.`).text).not.toContain(lowerHex);
    expect(redact('token sgp_5555555dAAAAA7777777CcccCFaaaaaaaaaaaaaa here').count).toBe(0);
    // the formats the issue names are keys whatever fills them
    expect(redact('creds ASIAUAAAAAAAAAAAAAAA in use').text).not.toContain('ASIAUAAAA');
  });

  test('the skipping prefilter finds exactly the lines a character-by-character scan finds', () => {
    let x = 99;
    const rand = () => {
      x = (x * 1103515245 + 12345) % 2147483648;
      return x / 2147483648;
    };
    const pieces = [
      'a',
      'b',
      'Z',
      '7',
      '0',
      '_',
      '-',
      '/',
      '=',
      '.',
      '~',
      '+',
      ' ',
      ' ',
      '\n',
      ':',
      '@',
      '://',
      'x'.repeat(15),
      'AbC1',
      'word ',
    ];
    for (let t = 0; t < 3000; t++) {
      let text = '';
      const len = Math.floor(rand() * 120);
      for (let k = 0; k < len; k++) text += pieces[Math.floor(rand() * pieces.length)];
      expect(candidateLines(text), JSON.stringify(text)).toEqual(referenceCandidateLines(text));
    }
    const prose =
      'The build failed at step three; see ./src/indexer.ts:42 and https://user:pw@example.com/x\n';
    for (const text of [prose.repeat(50), Object.values(SHAPES).join('\n'), ''])
      expect(candidateLines(text)).toEqual(referenceCandidateLines(text));
  });
});

/** The prefilter as it was (one pass over every character), kept as the reference for the skipping one. */
function referenceCandidateLines(text: string): number[] {
  const out: number[] = [];
  const n = text.length;
  let lineStart = 0;
  let run = 0;
  let upper = false;
  let digits = 0;
  let scheme = false;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      lineStart = i + 1;
      run = 0;
      scheme = false;
      continue;
    }
    const isUpper = c >= 65 && c <= 90;
    const isDigit = c >= 48 && c <= 57;
    // A-Z a-z 0-9 _ - + / = . ~
    if (
      isUpper ||
      isDigit ||
      (c >= 97 && c <= 122) ||
      c === 95 ||
      c === 45 ||
      c === 43 ||
      c === 47 ||
      c === 61 ||
      c === 46 ||
      c === 126
    ) {
      if (run++ === 0) {
        upper = false;
        digits = 0;
      }
      if (isUpper) upper = true;
      else if (isDigit) digits++;
      // every key format has upper case or several digits; lower-case paths and words do not
      if (run >= 16 && (upper || digits >= 4 || run >= 24)) {
        i = referenceMarkLine(text, lineStart, i, out);
        lineStart = i + 1;
        run = 0;
        scheme = false;
      }
      continue;
    }
    run = 0;
    if (c === 58 && text.charCodeAt(i + 1) === 47 && text.charCodeAt(i + 2) === 47) scheme = true;
    else if (c === 64 && scheme) {
      i = referenceMarkLine(text, lineStart, i, out);
      lineStart = i + 1;
      scheme = false;
    }
  }
  return out;
}
function referenceMarkLine(text: string, lineStart: number, at: number, out: number[]): number {
  let end = text.indexOf('\n', at);
  if (end < 0) end = text.length;
  out.push(lineStart, end);
  return end;
}
