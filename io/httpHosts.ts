// The names the ops HTTP server answers to (its Host allowlist, against DNS rebinding): the built-in loopback names
// and the entries of TICKFLOW_HTTP_HOSTS, each validated so a typo is refused at start rather than silently ignored.
import { TickflowError } from "../core/errors.ts";

/** Names every ops server answers to, with its port or without. */
export const LOOPBACK_HTTP_HOSTS: readonly string[] = ["localhost", "127.0.0.1", "[::1]"];

/** An entry of TICKFLOW_HTTP_HOSTS (or of the server's `allowedHosts`) is not a host name, IP or `name:port`. */
export class InvalidHttpHostError extends TickflowError {
  static override readonly code = "INVALID_HTTP_HOST";
  static override readonly refusal = true;
  override readonly name = "InvalidHttpHostError";
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6_BRACKETED = /^\[[0-9a-f:.]+\]$/;

/** A host name (`dash.internal`), an IPv4 address or a bracketed IPv6 one (`[fd00::1]`), lower case. */
function isHostName(name: string): boolean {
  if (IPV6_BRACKETED.test(name)) return name.includes(":");
  if (/^[\d.]+$/.test(name)) return IPV4.test(name); // all digits and dots: an IPv4 address or nothing
  return name.length <= 253 && name.split(".").every((l) => LABEL.test(l));
}

/**
 * Splits a Host header value into name and port, lower case; undefined when it is not `name` or `name:port`.
 *
 * @example
 * splitHost("LocalHost:9464") // { name: "localhost", port: 9464 }
 * @param value a Host header or an allowlist entry
 */
export function splitHost(value: string): { name: string; port?: number } | undefined {
  const m = /^(\[[^\]]*\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(value.trim().toLowerCase());
  if (!m || !isHostName(m[1]!)) return undefined;
  if (m[2] === undefined) return { name: m[1]! };
  const port = Number(m[2]);
  return port >= 1 && port <= 65535 ? { name: m[1]!, port } : undefined;
}

/**
 * Validates one allowlist entry and returns it normalised (lower case, `name` or `name:port`).
 *
 * @example
 * checkHttpHost("Dash.Internal", "TICKFLOW_HTTP_HOSTS") // "dash.internal"
 * @param entry a host name, IPv4 or bracketed IPv6 address, optionally with `:port`
 * @param from where the entry came from, named in the error
 * @throws InvalidHttpHostError naming the entry
 */
export function checkHttpHost(entry: string, from: string): string {
  const host = splitHost(entry);
  if (!host)
    throw new InvalidHttpHostError(
      `${from}: ${JSON.stringify(entry.trim())} is not a host name; expected comma-separated names such as ` +
        `dash.internal, 10.0.0.5 or [fd00::1], each optionally with :port (no scheme, path, wildcard or empty entry)`,
    );
  return host.port === undefined ? host.name : `${host.name}:${host.port}`;
}

/**
 * Parses a comma-separated list of host names (TICKFLOW_HTTP_HOSTS); every entry must be valid.
 *
 * @example
 * parseHttpHosts("dash.internal, 10.0.0.5:8080", "TICKFLOW_HTTP_HOSTS") // ["dash.internal", "10.0.0.5:8080"]
 * @param raw the list; empty or blank means no names beyond the loopback ones
 * @param from where the list came from, named in the error
 * @throws InvalidHttpHostError naming the first invalid entry
 */
export function parseHttpHosts(raw: string, from: string): readonly string[] {
  return raw.trim() === "" ? [] : raw.split(",").map((entry) => checkHttpHost(entry, from));
}
