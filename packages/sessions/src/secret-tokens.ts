/**
 * Secrets found by their shape alone, wherever they sit (in prose, a command, a tool result, after any key name):
 *
 * - vendor formats by prefix, after gitleaks' rules (https://github.com/gitleaks/gitleaks `config/gitleaks.toml`,
 *   MIT), with lengths relaxed so a key that was cut or padded is still caught;
 * - random-looking tokens: 20+ characters that switch between lower case, upper case and digits as random text does
 *   (identifiers, paths, words with a version number do not), not hex (digests, commit ids, UUIDs) and not an id an
 *   API hands out to name a message or call (`msg_…`, `toolu_…`, `req_…`).
 *
 * Only lines the caller's prefilter passes get here: every pattern below needs a run of 16+ token characters.
 */

import { isWordsAfterPrefix } from './placeholder.js';

/** The vendor formats (alternatives of `VENDOR`), exported for the gate's test. */
export const VENDOR_PATTERNS = [
  // AI providers
  String.raw`sk-ant-[a-z]{2,8}\d{2}-[\w-]{16,}`,
  String.raw`sk-(?:proj|svcacct|admin|None)-[\w-]{16,}`,
  String.raw`sk-[A-Za-z0-9]{8,}T3BlbkFJ[A-Za-z0-9_-]{8,}`,
  String.raw`sk-[A-Za-z0-9]{32,}`,
  String.raw`pplx-[A-Za-z0-9]{32,}`,
  String.raw`(?:hf|api_org)_[A-Za-z]{24,}`,
  // clouds
  String.raw`(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{12,}`,
  String.raw`AIza[\w-]{30,}`,
  String.raw`LTAI[A-Za-z0-9]{16,}`,
  String.raw`[a-zA-Z0-9_~.]{3}\dQ~[\w~.-]{28,}`,
  String.raw`do[opr]_v1_[a-f0-9]{40,}`,
  String.raw`(?:fo1_[\w-]{30,}|fm[12][ar]?_[A-Za-z0-9+/]{60,})`,
  String.raw`HRKU-AA[\w-]{40,}`,
  String.raw`hv[bs]\.[\w-]{60,}`,
  String.raw`[a-z0-9]{14}\.atlasv1\.[\w=-]{40,}`,
  String.raw`(?:AQVN[\w-]{30,}|YC[\w-]{38}|t1\.[\w-]+=*\.[\w-]{60,})`,
  String.raw`v1\.0-[a-f0-9]{24}-[a-f0-9]{100,}`,
  String.raw`4b1d[A-Za-z0-9]{30,}`,
  String.raw`sha256~[\w-]{40,}`,
  String.raw`pscale_(?:tkn|oauth|pw)_[\w=.-]{30,}`,
  // code hosts, registries, CI
  String.raw`gh[pousr]_[A-Za-z0-9]{20,}`,
  String.raw`github_pat_\w{20,}`,
  String.raw`gl(?:pat|dt|ffct|ft|imt|agent|oas|rt|soat|ptt|cbt|c|sa)[-_][\w+/.-]{16,}`,
  String.raw`GR1348941[\w-]{16,}`,
  String.raw`_gitlab_session=[0-9a-z]{20,}`,
  String.raw`npm_[A-Za-z0-9]{20,}`,
  String.raw`pypi-AgEIcHlwaS5vcmc[\w-]{30,}`,
  String.raw`rubygems_[a-f0-9]{40,}`,
  String.raw`CLOJARS_[A-Za-z0-9]{40,}`,
  String.raw`(?:AKCp[A-Za-z0-9]{40,}|cmVmd[A-Za-z0-9]{40,})`,
  String.raw`dapi[a-f0-9]{32}`,
  String.raw`(?:pat|sat)\.[\w-]{20,}\.[A-Za-z0-9]{20,}\.[A-Za-z0-9]{16,}`,
  String.raw`sgp_[A-Za-z0-9_]{40,}`,
  String.raw`rdme_[a-z0-9]{60,}`,
  String.raw`tk-us-[\w-]{40,}`,
  String.raw`pul-[a-f0-9]{40}`,
  String.raw`pnu_[A-Za-z0-9]{30,}`,
  String.raw`ico-[A-Za-z0-9]{32}`,
  // chat, mail, messaging
  String.raw`xox[abposer]-[\w-]{10,}`,
  String.raw`xapp-\d-[\w-]{10,}`,
  String.raw`xoxe\.xox[bp]-[\w-]{20,}`,
  String.raw`hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/]{20,}`,
  String.raw`[a-z0-9]+\.webhook\.office\.com/webhookb2/\S{40,}`,
  String.raw`SG\.[\w=.-]{40,}`,
  String.raw`xkeysib-[a-f0-9]{40,}-[A-Za-z0-9]{12,}`,
  String.raw`(?:pub)?key-[a-f0-9]{32}`,
  String.raw`[a-f0-9]{32}-us\d{1,2}`,
  String.raw`\d{5,16}:A[\w-]{30,}`,
  String.raw`SK[0-9a-fA-F]{32}`,
  // payments, commerce
  String.raw`(?:sk|rk|pk)_(?:test|live|prod)_[A-Za-z0-9]{10,}`,
  String.raw`(?:EAAA|sq0atp-|sq0csp-)[\w-]{22,}`,
  String.raw`EAA[MC][A-Za-z0-9]{60,}`,
  String.raw`shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}`,
  String.raw`shippo_(?:live|test)_[a-fA-F0-9]{40}`,
  String.raw`FLW(?:SECK|PUBK)_TEST-[A-Za-z0-9]{12,}(?:-X)?`,
  String.raw`duffel_(?:test|live)_[\w=-]{30,}`,
  String.raw`(?:live|test)_(?:pub_)?[a-f0-9]{31,35}`,
  String.raw`access-(?:sandbox|development|production)-[0-9a-f-]{36}`,
  String.raw`\d{15,16}[|%][\w-]{27,40}`,
  String.raw`A{22}[A-Za-z0-9%]{60,}`,
  // productivity, observability, the rest of gitleaks' prefixed formats
  String.raw`A3-[A-Z0-9]{6}-[A-Z0-9-]{20,}`,
  String.raw`ops_eyJ[A-Za-z0-9+/]{40,}`,
  String.raw`p8e-[A-Za-z0-9]{20,}`,
  String.raw`AGE-SECRET-KEY-1[0-9A-Z]{40,}`,
  String.raw`ATATT3[\w=-]{40,}`,
  String.raw`(?:sc|ext|scauth|authress)_[A-Za-z0-9]{5,30}\.[A-Za-z0-9]{4,6}\.acc[_-][\w-]{10,}\.[\w+/=-]{20,}`,
  String.raw`dp\.pt\.[A-Za-z0-9]{30,}`,
  String.raw`dnkey-[\w=-]{20,}`,
  String.raw`sl\.[A-Za-z0-9=_-]{100,}`,
  String.raw`dt0c01\.[A-Za-z0-9]{20,}\.[A-Za-z0-9]{40,}`,
  String.raw`EZ[AT]K[A-Za-z0-9]{40,}`,
  String.raw`fio-u-[\w=-]{40,}`,
  String.raw`eyJrIjoi[A-Za-z0-9]{40,}`,
  String.raw`s-s4t2(?:ud|af)-[A-Fa-f0-9]{40,}`,
  String.raw`lin_api_[A-Za-z0-9]{30,}`,
  String.raw`[A-Za-z0-9]{6}_[A-Za-z0-9]{29}_mmk`,
  String.raw`NR(?:JS|II|AK)-[\w-]{16,}`,
  String.raw`ntn_[0-9]{11}[A-Za-z0-9]{30,}`,
  String.raw`API-[A-Z0-9]{26}(?![A-Za-z0-9])`,
  String.raw`PMAK-[A-Fa-f0-9]{20,}-[A-Fa-f0-9]{30,}`,
  String.raw`sntry[us]_[\w+/=]{40,}`,
  String.raw`sm_(?:aat|pat|sat)_[A-Za-z0-9]{16}`,
  String.raw`tfp_[\w.=-]{50,}`,
  String.raw`dnkey-[\w=-]{26,}`,
  String.raw`pk\.[A-Za-z0-9]{60}\.[A-Za-z0-9]{22}`,
  String.raw`glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}`,
  // session links and framework keys gitleaks counts as secrets (a Claude Code session URL gives remote control)
  String.raw`(?:https?://)?[Cc][Ll][Aa][Uu][Dd][Ee]\.[Aa][Ii]/code/session_[A-Za-z0-9]{16,}`,
  String.raw`django-insecure-[^\s"'\x60]{8,250}`,
  // JSON Web Tokens
  String.raw`ey[A-Za-z0-9_-]{10,}\.ey[A-Za-z0-9_/\\-]{10,}\.[A-Za-z0-9_/\\=-]*`,
];

export const VENDOR = new RegExp(`(?<![A-Za-z0-9_])(?:${VENDOR_PATTERNS.join('|')})`, 'g');

/**
 * A literal every alternative of `VENDOR` needs (its prefix, or for the few that open with a character class the
 * literal inside: `Q~`, `.atlasv1.`, `-us`, `:A`, `_mmk`, the JWT's `.ey`): the big alternation runs only on lines
 * holding one, the way gitleaks gates its rules on keywords. Tried at every position, `VENDOR` cost ~100 ns per
 * character of candidate text. Test: every alternative's generated samples pass this gate (secret-tokens.test.ts).
 */
export const VENDOR_GATE = new RegExp(
  [
    String.raw`sk-(?:ant-|proj-|svcacct-|admin-|None-|[A-Za-z0-9]{8})|pplx-|hf_|api_org_|A3T|AKIA|ASIA|ABIA|ACCA|AIza`,
    String.raw`LTAI|Q~|_v1_|fo1_|fm[12]|HRKU-|hv[bs]\.|\.atlasv1\.|AQVN|YC|t1\.|v1\.0-|4b1d|sha256~|pscale_`,
    String.raw`gh[pousr]_|github_pat_|gl(?:pat|dt|ffct|ft|imt|agent|oas|rt|soat|ptt|cbt|c|sa)[-_]|GR1348941`,
    String.raw`_gitlab_session=|npm_|pypi-|rubygems_|CLOJARS_|AKCp|cmVmd|dapi|[ps]at\.|sgp_|rdme_|tk-us-|pul-|pnu_`,
    String.raw`ico-|xox|xapp-|hooks\.slack\.com|\.webhook\.office\.com|SG\.|xkeysib-|key-|-us\d|\d:A|SK[0-9a-fA-F]`,
    String.raw`[srp]k_(?:test|live|prod)_|EAA|sq0|shp|shippo_|FLW|duffel_|(?:live|test)_(?:pub_)?[a-f0-9]{8}`,
    String.raw`access-(?:sandbox|development|production)-|\d{15}[|%]|A{22}|A3-|ops_|p8e-|AGE-SECRET|ATATT3`,
    String.raw`\.acc[_-]|dp\.pt\.|dnkey-|sl\.|dt0c01\.|EZ[AT]K|fio-u-|eyJrIjoi|s-s4t2|lin_api_|_mmk|NR(?:JS|II|AK)-`,
    String.raw`ntn_|API-[A-Z0-9]{8}|PMAK-|sntry|sm_|tfp_|pk\.|\.ey|/code/session_|django-insecure-`,
  ].join('|'),
);

/** The password of a URL with credentials (`scheme://user:password@host`). */
const URL_PASSWORD = /[a-z][a-z0-9+.-]*:\/\/[^\s:/@'"]+:([^\s@/'"]+)@/gi;

/** Ids APIs hand out to name things, not to authenticate: kept readable for search. */
const ID_PREFIX =
  /^(?:msg|req|toolu|srvtoolu|call|resp|run|asst|thread|file|batch|chatcmpl|ws|rs|fc|ctc|item|evt|cus|sub|prod|price|in|pi|ch|txn|org|user|proj|sess|conv)[_-]/;

/** Spans of vendor-format secrets and random-looking tokens in `line` (offsets relative to `line`). */
export function tokenSpans(
  line: string,
  out: Array<{ start: number; end: number; kind: string }>,
  base = 0,
  text = line,
): void {
  let vendorEnd = -1;
  if (line.includes('@'))
    for (const m of line.matchAll(URL_PASSWORD)) {
      const at = m.index + m[0].length - 1 - (m[1] as string).length;
      out.push({ start: base + at, end: base + at + (m[1] as string).length, kind: 'url-password' });
    }
  if (VENDOR_GATE.test(line))
    for (const m of line.matchAll(VENDOR)) {
      if (isWordsAfterPrefix(m[0])) continue;
      out.push({ start: base + m.index, end: base + m.index + m[0].length, kind: 'key' });
      vendorEnd = Math.max(vendorEnd, m.index + m[0].length);
    }
  // runs of token characters (`TOKEN`, by hand: the regex retried a 16-character match at every position)
  const n = line.length;
  for (let i = 0; i < n; ) {
    if (!isTokenChar(line.charCodeAt(i))) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < n && isTokenChar(line.charCodeAt(j))) j++;
    if (j - i < 16) {
      i = j;
      continue;
    }
    let end = j;
    while (end < n && end - j < 3 && line.charCodeAt(end) === 61) end++;
    checkToken(line, i, end, vendorEnd, out, base, text);
    i = end;
  }
}

/** `[A-Za-z0-9_+/.~-]`, and `=` too with `withEquals` (base64 padding: the line prefilter counts it in a run). */
export function isTokenChar(c: number, withEquals = false): boolean {
  return (
    (c >= 97 && c <= 122) ||
    (c >= 65 && c <= 90) ||
    (c >= 48 && c <= 57) ||
    c === 95 ||
    c === 45 ||
    c === 43 ||
    c === 47 ||
    c === 46 ||
    c === 126 ||
    (withEquals && c === 61)
  );
}

function checkToken(
  line: string,
  from: number,
  to: number,
  vendorEnd: number,
  out: Array<{ start: number; end: number; kind: string }>,
  base: number,
  text: string,
): void {
  let token = line.slice(from, to);
  let start = from;
  // trim what surrounds a token in text: dots, slashes, dashes at its ends
  const lead = /^[._/=+~-]+/.exec(token)?.[0].length ?? 0;
  token = token.slice(lead);
  start += lead;
  token = token.replace(/[._/+~-]+$/, '');
  if (token.length < 16 || start + token.length <= vendorEnd) return;
  const at = base + start;
  const random = looksRandom(token);
  if (!random && !shapeless(token)) return;
  // what names the value decides before its shape does: `CloudFront-Signature: …`, `name="authenticity_token"
  // value="…"`, a URL's `?q=…` are not credentials however random they look
  if (namedNotSecret(text, at) || inUrlQuery(text, at)) return;
  if (random || !namedAsId(text, at, at + token.length))
    out.push({ start: at, end: at + token.length, kind: 'token' });
}

/**
 * The key right before a value, as a snake-case word: `requestId: x` → `request_id`, `"x-trace-id": "…"` →
 * `x_trace_id`, `CloudFront-Signature: …` → `cloud_front_signature` (within 48 characters, on the value's line).
 */
export function keyBefore(text: string, start: number): string {
  const lineStart = text.lastIndexOf('\n', start - 1) + 1;
  const head = text.slice(Math.max(lineStart, start - 48), start).replace(/[\s"'`:=,({[<*-]+$/, '');
  return (/[A-Za-z0-9_.-]*$/.exec(head)?.[0] ?? '')
    .replace(/[._-]+$/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[.-]/g, '_')
    .toLowerCase();
}

/**
 * Names of values that are random by nature without granting access: ids, digests, signatures (derived from a key,
 * not the key), nonces and anti-forgery tokens (`csrf_token`, Rails' `authenticity_token`: printed in every page).
 */
export const NOT_SECRET_NAME =
  /(?:^|_)(?:ids?|uuid|guid|sha\d*|md5|hash|digest|checksum|integrity|etag|fingerprint|signature|nonce|salt|csrf(?:_token)?|xsrf(?:_token)?|authenticity_token|commit|revision|trace_id|span_id|request_id)$/;

function namedNotSecret(text: string, start: number): boolean {
  return NOT_SECRET_NAME.test(keyBefore(text, start));
}

/** A URL parameter whose name says secret (`?access_token=`, `&api_key=`, `?sig=` does not). */
const SECRET_PARAM =
  /(?:token|secret|passw(?:or)?d|pwd|api_?key|apikey|access_?key|(?:^|_)key|auth|credential|session)/i;

/**
 * In a URL's query the parameter name says what a value is: `?q=gAAAA…`, `?__biz=…`, `?v=…` are data, ids and
 * cache busters; only a parameter named for a secret (`access_token`, `api_key`, `password`) is one.
 */
function inUrlQuery(text: string, start: number): boolean {
  if (text.charCodeAt(start - 1) !== 61) return false; // `=`
  let k = start - 2;
  while (k >= 0 && /[\w.%-]/.test(text[k] as string)) k--;
  const sep = text[k];
  if (sep !== '?' && sep !== '&') return false;
  const lineStart = text.lastIndexOf('\n', k) + 1;
  if (text.lastIndexOf('://', k) < lineStart && sep === '?') return false;
  return !SECRET_PARAM.test(text.slice(k + 1, start - 1));
}

/**
 * Key material with no shape of its own: 24+ hex digits (Facebook, Adobe, Cloudflare, Sentry, Meraki...), a UUID
 * (Heroku, Snyk, Kucoin...) or 16+ decimal digits (Discord, Asana client ids). Digests, commit ids and session ids
 * look the same, so such a token counts as a secret only where nothing names it an id (see `namedAsId`).
 */
function shapeless(token: string): boolean {
  // hex in both cases is neither a digest (machines print one case) nor base62 key material (which is never all
  // hex): a made-up example (`BcAeb6640ad7DAD46AD7…`) or an EIP-55 checksummed address, both public
  if (/[a-f]/.test(token) && /[A-F]/.test(token) && /^[0-9a-fA-F]+$/.test(token)) return false;
  if (token.length >= 24 && /^[0-9a-fA-F]+$/.test(token)) return true;
  if (token.length === 36 && /^[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$/.test(token))
    return true;
  return token.length >= 16 && /^\d+$/.test(token);
}

/**
 * The key or word right before a token that names it an id, digest or count rather than a credential (`commit`,
 * `sha256:`, `"uuid":`, `session_id=`, `parentUuid`, `Request ID:`, `**Commit SHA:**`, the `index` of a git diff),
 * matched at the end of the key (`requestId`, `x-trace-id`).
 */
const ID_WORD =
  /(?:^|_)(?:ids?|uuid|guid|sha\d*|md5|hash|digest|checksum|integrity|commit|rev|revision|etag|oid|ref|head|nonce|build|run|job|trace|span|request|session|resume|thread|conversation|message|event|container|image|object|blob|tree|parent|index|version|ts|time|timestamp|size|bytes|count|offset|seq)$/;

/** Words near a token that say the text is about commits, digests or ids (git output, HTTP headers, docker). */
const ID_CONTEXT =
  /\b(?:git|commits?|insertions?\(\+\)|files? changed|create mode|sha\d*|hash(?:es)?|digests?|checksums?|checkout|checked out|HEAD|rebase|merge|branch|submodule|tags?|etag|if-none-match|uuids?|guids?|sessions?|trace|span|containers?|images?|docker)\b|\w[-_]id\b/i;

/**
 * A shapeless token is an id, not a credential, when it is part of a path, a digest after `sha256:` or `@`, a file
 * name, a git range, when the key before it names an id, or when the text around it (~240 characters before, 80
 * after) talks about commits, digests, sessions or containers. Offsets are in `text`.
 */
export function namedAsId(text: string, start: number, end: number): boolean {
  const before = text.charCodeAt(start - 1);
  if (before === 47 || before === 64 || before === 35 || before === 92) return true;
  if (/^(?:\.[A-Za-z]|\.\.|\/)/.test(text.slice(end, end + 3))) return true;
  if (ID_WORD.test(keyBefore(text, start))) return true;
  return ID_CONTEXT.test(text.slice(Math.max(0, start - 240), Math.min(text.length, end + 80)));
}

/** class switches a lower-case + digit token needs: random ones have ~6 in 16 characters, `ntn_12345678901abc` 2 */
const SWITCHES = 3;

/** A token that reads like generated key material rather than a name, a path, a number or a digest. */
export function looksRandom(token: string): boolean {
  if (ID_PREFIX.test(token)) return false;
  if (/^sha\d+-/.test(token)) return false; // package integrity digests
  // digests, commit ids, UUIDs, git ranges (`a1b2..c3d4`), hex fields split by `~` (`965f1453~47~09414c…`)
  if (/^[0-9a-fA-F.~-]+$/.test(token)) return false;
  if (/^[\d.:-]+$/.test(token)) return false;
  // a file name (`<uuid>.json`, `torch-2.7.1-cp311-none-macosx_11_0_arm64.whl`, `favicon_32_cb_58284776.png`)
  if (/\.[a-z][a-z0-9]{0,7}$/.test(token) && /[-_.]/.test(token.replace(/\.[a-z][a-z0-9]{0,7}$/, '')))
    return false;
  // a name holding a UUID (`_api_org_96726c78_4ae3_402f_b08b_7a78c6903d2a`, a fixture or test name)
  if (/[A-Za-z][_-][0-9a-f]{8}[_-][0-9a-f]{4}[_-][0-9a-f]{4}[_-][0-9a-f]{4}[_-][0-9a-f]{12}$/.test(token))
    return false;
  // an identifier in camel case (`BlinkMacSystemFont`, `ExitPlanModeOutput`): words, no digits
  if (/^[a-z]*(?:[A-Z][a-z]{2,})+$/.test(token)) return false;
  // ... with short words in it (`sumOfValuesInRange`): words of 3.5 letters on average, not alternating case
  if (/^[a-z]+(?:[A-Z][a-z]+)+$/.test(token) && token.length / token.replace(/[a-z]/g, '').length >= 4.5)
    return false;
  // a package build: name, version, build string (`tzdata-2025b-h04d1e81_0`, `pip-25.1-pyhc872135_2`, conda and wheels)
  if (/^[a-z][a-z0-9]{2,}(?:[-_][a-z][a-z0-9]*)*-\d+(?:\.\d+)*[a-z]?-/.test(token)) return false;
  // an id stamped with its creation time in ms (`94mvt-1759537055888-4c75013471a9`, a request id)
  if (/(?:^|[-_])1\d{12}(?:[-_]|$)/.test(token)) return false;
  // a name made of words (`setup-uv-1-x86_64-unknown-linux-gnu-…`): two or more lower-case words of 4+ letters
  if ((token.match(/(?:^|[-_.])[a-z]{4,}(?=[-_.]|$)/g)?.length ?? 0) >= 2) return false;
  // a path or a dotted name: judge its longest part
  const parts = token.split(/[/.]/);
  if (parts.length > 1) {
    if (token.includes('/') && parts.some((p) => /^[A-Za-z_-]{3,}$/.test(p))) return false;
    if (token.includes('.') && !token.includes('/') && parts.every((p) => p.length < 20)) return false;
  }
  const core = token.replace(/[_+/=.~-]/g, '');
  if (core.length < 16) return false;
  let lower = 0;
  let upper = 0;
  let digit = 0;
  let vowels = 0;
  let switches = 0;
  let prev = -1;
  for (let i = 0; i < core.length; i++) {
    const c = core.charCodeAt(i);
    const cls = c >= 97 ? 0 : c >= 65 ? 1 : 2;
    if (cls === 0) {
      lower++;
      if (c === 97 || c === 101 || c === 105 || c === 111 || c === 117) vowels++;
    } else if (cls === 1) upper++;
    else digit++;
    if (prev >= 0 && cls !== prev) switches++;
    prev = cls;
  }
  if (digit === core.length) return false;
  if (upper === 0) {
    // lower case and digits: random text has digits scattered and few vowels; words with a version number do not
    if (lower === 0) return false;
    const v = vowels / lower;
    if (digit === 0) return core.length >= 24 && v < 0.22 && entropy(core) >= 3.8;
    // long, with digits scattered all through it (not a file or package name): no word is, whatever its vowels
    if (core.length >= 32 && digit >= 6 && switches >= 12 && !/[./]/.test(token)) return entropy(core) >= 3.5;
    if (switches < SWITCHES || v >= 0.36 || (v >= 0.28 && digit < 2)) return false;
    return entropy(core) >= 3.3;
  }
  if (core.length < 18) return false;
  const ratio = switches / (core.length - 1);
  if (digit === 0 && !(upper > 2 && lower > 2 && ratio >= 0.4)) return false;
  if (switches < 6 || ratio < 0.28) return false;
  return entropy(core) >= 3.3;
}

const counts = new Uint32Array(128);

/** Shannon entropy in bits per character (`s` is ASCII: token characters only). */
function entropy(s: string): number {
  counts.fill(0);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) & 127;
    counts[c] = (counts[c] as number) + 1;
  }
  let h = 0;
  for (let c = 0; c < 128; c++) {
    const n = counts[c] as number;
    if (n === 0) continue;
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}
