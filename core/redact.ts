// Keeps secrets out of the audit trail and log lines: masks the password in URLs and the values of secret-named keys.
// Pure and total: anything that is not a string, array or plain object passes through unchanged.

/** What replaces a secret. */
export const REDACTED = "***";

/** Words that make a key secret, matched case-insensitively against the whole key or any of its camelCase/snake/kebab words. */
const SECRET_WORDS: ReadonlySet<string> = new Set(["password", "pass", "token", "secret", "key", "authorization", "hmac"]);

// scheme://userinfo@ — userinfo has no "/", "@" or whitespace; a token alone (nats://TOKEN@host) is userinfo too.
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/@?#]+)@/gi;

/**
 * Masks the credentials of every URL in `text`: the password of `user:password@` (the user stays, it says who
 * connected), or the whole userinfo when it has no `:` (NATS token auth: `nats://TOKEN@host`).
 *
 * @example redactUrl("nats://alice:s3cret@nats.local:4222") // "nats://alice:***@nats.local:4222"
 * @param text a URL, or any text that may contain URLs (an error message, a server list)
 */
export function redactUrl(text: string): string {
  return text.replace(URL_USERINFO, (_m, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(":");
    return colon < 0 ? `${scheme}${REDACTED}@` : `${scheme}${userinfo.slice(0, colon)}:${REDACTED}@`;
  });
}

/** Whether a key names a secret: `password`, `natsPassword`, `api_key`, `X-Auth-Token`, `Authorization`, `hmacSecret`. */
export function isSecretKey(key: string): boolean {
  if (SECRET_WORDS.has(key.toLowerCase())) return true;
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .split(/[\s_\-.]+/)
    .map((w) => w.toLowerCase());
  return words.some((w) => SECRET_WORDS.has(w));
}

/**
 * A copy of `value` with the value of every secret-named key (at any depth) replaced by "***" and the credentials
 * of every URL in a string masked by `redactUrl`. Bigints, numbers, booleans and null pass through.
 *
 * @example redactSecrets({ natsUrl: "nats://u:p@h", auth: { token: "t" } }) // { natsUrl: "nats://u:***@h", auth: { token: "***" } }
 * @param value plain data (JSON-like, bigints allowed)
 */
export function redactSecrets<T>(value: T): T {
  return redactValue(value, new WeakSet()) as T;
}

function redactValue(v: unknown, seen: WeakSet<object>): unknown {
  if (typeof v === "string") return redactUrl(v);
  if (v === null || typeof v !== "object") return v;
  if (seen.has(v)) return "[circular]";
  const proto = Object.getPrototypeOf(v);
  if (!Array.isArray(v) && proto !== Object.prototype && proto !== null) return v; // Dates, Maps, class instances: not ours to take apart
  seen.add(v); // the ancestors of the value being copied: a shared (not circular) object is copied each time
  const out = Array.isArray(v)
    ? v.map((x) => redactValue(x, seen))
    : Object.fromEntries(Object.entries(v).map(([k, x]) => [k, isSecretKey(k) && x !== undefined && x !== null ? REDACTED : redactValue(x, seen)]));
  seen.delete(v);
  return out;
}
