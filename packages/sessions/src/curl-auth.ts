/**
 * Credentials given to curl on its command line, after gitleaks' `curl-auth-user` and `curl-auth-header` rules
 * (https://github.com/gitleaks/gitleaks, MIT): the password of `-u`/`--user user:password`, and the value of an
 * `Authorization:`, `…-Key:` or `…Token:` header passed with `-H`/`--header`. Passwords often are short words
 * (`P@ssw0rd$1`) no shape rule finds; the option names them. Placeholders (`$PASS`, `${{ secrets.X }}`, `<token>`,
 * `[PASSWORD]`, `$(cat pw)`, `test`, `xxx`) are left alone, as gitleaks' allowlist does.
 */

interface Span {
  start: number;
  end: number;
  kind: string;
}

const USER =
  /(?:^|[\s\\])(?:-u|--user)(?:=|[ \t]{1,5})("[^"\n]*"(?::"[^"\n]*")?|'[^'\n]*'|[^\s'"]+(?::(?:"[^"\n]*"|'[^'\n]*'|[^\s'"]+))?)/g;
const HEADER =
  /(?:^|\s)(?:-H|--header)(?:=|[ \t]{0,5})(["'])[ \t]*(?:Authorization:[ \t]*(?:(?:Basic|Bearer|(?:Api-)?Token)[ \t]+)?|(?:X-(?:[A-Za-z]+-)*)?(?:Api-?)?(?:Key|Token|apikey):[ \t]*)([^"'\s]{8,})/gi;
const NOT_A_PASSWORD = /^(?:change(?:it|me)|pass(?:word)?|pwd|test|token|secret|\*+|x+|y+)$/i;
const TEMPLATED = /[$<[{(]|\.\.\./;

/** Spans of curl credentials in `text` (gated by the caller on `curl`). */
export function collectCurlSpans(text: string, spans: Span[]): void {
  for (const m of text.matchAll(USER)) {
    const raw = m[1] as string;
    if (TEMPLATED.test(raw)) continue;
    const at = (m.index as number) + m[0].length - raw.length;
    // the password is after the last `:` outside the quotes; with an empty password, the user part is the secret
    const colon = raw.lastIndexOf(':');
    if (colon < 0) continue;
    let from = colon + 1;
    let to = raw.length;
    if (from >= to - (/["']$/.test(raw) ? 1 : 0)) {
      from = 0;
      to = colon;
    }
    while (from < to && /["'{]/.test(raw[from] as string)) from++;
    while (to > from && /["'}]/.test(raw[to - 1] as string)) to--;
    const value = raw.slice(from, to);
    if (value.length < 3 || TEMPLATED.test(value) || NOT_A_PASSWORD.test(value)) continue;
    spans.push({ start: at + from, end: at + to, kind: 'curl-auth' });
  }
  for (const m of text.matchAll(HEADER)) {
    const value = m[2] as string;
    if (TEMPLATED.test(value) || /^\*+$/.test(value)) continue;
    const at = (m.index as number) + m[0].length - value.length;
    spans.push({ start: at, end: at + value.length, kind: 'curl-auth' });
  }
}
