import type { IncomingMessage } from 'node:http';

/**
 * Where a request comes from (docs/security.md rule 24): the socket peer, or, behind a configured trusted
 * proxy, the address that proxy saw. Never a value the client wrote itself.
 *
 * Pure logic plus the two hooks the server entry (scripts/serve.ts) needs; lib/http/request.ts
 * `clientIp` is the one function the app calls.
 */

/**
 * The internal request header the server entry writes the socket address into. Route handlers and
 * server actions cannot see the socket, so the entry stamps it on every request and always
 * overwrites whatever a client sent under this name.
 */
export const PEER_ADDRESS_HEADER = 'x-regain-peer-address';

/** Which forwarded entries to believe (TRUSTED_PROXY_HOPS or TRUSTED_PROXIES, lib/config). */
export type ProxyTrust =
  | { mode: 'none' }
  | { mode: 'hops'; hops: number }
  | { mode: 'cidrs'; ranges: readonly Cidr[] };

export type Cidr = { family: 4 | 6; network: bigint; prefix: number; text: string };

// ── Addresses ────────────────────────────────────────────────────────────────────────────────────

const IPV4_PART = /^(0|[1-9]\d{0,2})$/;

function parseIpv4(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => IPV4_PART.test(p))) return undefined;
  const bytes = parts.map(Number);
  return bytes.every((b) => b <= 255) ? bytes : undefined;
}

function parseIpv6(text: string): number[] | undefined {
  if (!/^[0-9a-f:.]+$/i.test(text) || text.length > 45) return undefined;
  let head = text;
  let tail: number[] = [];
  // An embedded IPv4 in the last 32 bits (::ffff:192.0.2.1, 64:ff9b::192.0.2.1).
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.')) {
    const v4 = parseIpv4(text.slice(lastColon + 1));
    if (!v4) return undefined;
    tail = [(v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!];
    head = text.slice(0, lastColon + 1);
    // "::1.2.3.4" leaves "::"; "a:b::1.2.3.4" leaves "a:b::"; "a:b:c:d:e:f:1.2.3.4" leaves "…f:"
    if (head.endsWith(':') && !head.endsWith('::')) head = head.slice(0, -1);
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const left = groups(halves[0]!);
  const right = halves.length === 2 ? groups(halves[1]!) : [];
  if (![...left, ...right].every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return undefined;
  const known = left.length + right.length + tail.length;
  const words = (list: string[]) => list.map((g) => parseInt(g, 16));
  if (halves.length === 2) {
    if (known > 7) return undefined;
    return [...words(left), ...new Array<number>(8 - known).fill(0), ...words(right), ...tail];
  }
  return known === 8 ? [...words(left), ...tail] : undefined;
}

/** RFC 5952 text: lower case, no leading zeros, the longest run of two or more zero groups as "::". */
function formatIpv6(words: number[]): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

type Parsed = { family: 4; bytes: number[] } | { family: 6; words: number[] };

function parse(raw: string): Parsed | undefined {
  let text = raw.trim();
  // Forms proxies write: "[2001:db8::1]", "[2001:db8::1]:443", "192.0.2.1:5060".
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(text);
  if (bracketed) text = bracketed[1]!;
  else if (/^[\d.]+:\d{1,5}$/.test(text)) text = text.slice(0, text.lastIndexOf(':'));
  const v4 = parseIpv4(text);
  if (v4) return { family: 4, bytes: v4 };
  const v6 = parseIpv6(text);
  if (!v6) return undefined;
  // IPv4-mapped IPv6 (::ffff:a.b.c.d) is how a dual-stack socket reports an IPv4 client: one client,
  // one key, whichever way it arrived.
  if (v6.slice(0, 5).every((w) => w === 0) && v6[5] === 0xffff) {
    return { family: 4, bytes: [v6[6]! >> 8, v6[6]! & 0xff, v6[7]! >> 8, v6[7]! & 0xff] };
  }
  return { family: 6, words: v6 };
}

/**
 * A valid IPv4 or IPv6 address in one canonical text form, or undefined for anything else
 * ("unknown", host names, obfuscated ids, junk): such a value never becomes a rate-limit key.
 */
export function normalizeAddress(raw: string | null | undefined): string | undefined {
  if (!raw || raw.length > 64) return undefined;
  const parsed = parse(raw);
  if (!parsed) return undefined;
  return parsed.family === 4 ? parsed.bytes.join('.') : formatIpv6(parsed.words);
}

function toBigInt(parsed: Parsed): bigint {
  const [units, width] = parsed.family === 4 ? [parsed.bytes, 8n] : [parsed.words, 16n];
  return units.reduce((acc, unit) => (acc << width) | BigInt(unit), 0n);
}

/** "10.0.0.0/8", "2001:db8::/32", or a single address (a /32 or /128). */
export function parseCidr(raw: string): Cidr | undefined {
  const [addressText, prefixText, ...rest] = raw.trim().split('/');
  if (rest.length || !addressText) return undefined;
  const parsed = parse(addressText);
  if (!parsed) return undefined;
  const bits = parsed.family === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (prefix > bits) return undefined;
  const mask = prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << BigInt(bits - prefix);
  const network = toBigInt(parsed) & mask;
  return { family: parsed.family, network, prefix, text: `${normalizeAddress(addressText)}/${prefix}` };
}

function inRanges(address: string, ranges: readonly Cidr[]): boolean {
  const parsed = parse(address)!;
  const value = toBigInt(parsed);
  const bits = parsed.family === 4 ? 32 : 128;
  return ranges.some((range) => {
    if (range.family !== parsed.family) return false;
    const shift = BigInt(bits - range.prefix);
    return value >> shift === range.network >> shift;
  });
}

// ── Resolution ───────────────────────────────────────────────────────────────────────────────────

/**
 * The client address from the socket peer and the X-Forwarded-For chain (rule 24):
 *
 * - chain = the X-Forwarded-For entries, left to right, then the socket peer. Each proxy appends the
 *   address it received the request from, so only the right end was written by our own proxies;
 *   everything further left may be the client's invention.
 * - no trusted proxy: the socket peer; forwarded headers are ignored entirely.
 * - N trusted hops: the entry N places left of the peer (the address the outermost of our N proxies
 *   saw). A shorter chain gives its leftmost entry: every entry in it was appended by a proxy.
 * - trusted CIDRs: walk from the right while the address is a trusted proxy; the first address that
 *   is not one is the client. If every address is trusted, the leftmost one.
 * - an entry that is not a valid address is never used: the walk stops and the nearest valid address
 *   to its right (a proxy we trust, at worst the socket peer) is used instead. Only a trusted proxy
 *   writes at those positions, so garbage there is a misconfiguration, not a client's choice.
 *
 * Undefined only without a usable socket peer.
 */
export function resolveClientAddress(input: { peer: string | null | undefined; forwardedFor: string | null | undefined }, trust: ProxyTrust): string | undefined {
  // Link-local socket addresses may carry a zone ("fe80::1%eth0"); the zone is not part of the client.
  const peer = normalizeAddress(input.peer?.replace(/%[^%]*$/, ''));
  if (!peer || trust.mode === 'none') return peer;
  // Empty entries ("a,,b", a trailing comma) are formatting, not hops.
  const forwarded = (input.forwardedFor ?? '').split(',').map((entry) => entry.trim()).filter(Boolean);
  const chain = [...forwarded, peer];

  if (trust.mode === 'hops') {
    const start = Math.max(0, chain.length - 1 - trust.hops);
    for (let i = start; i < chain.length; i++) {
      const address = normalizeAddress(chain[i]);
      if (address) return address;
    }
    return peer;
  }

  let nearestTrusted = peer;
  for (let i = chain.length - 1; i >= 0; i--) {
    const address = normalizeAddress(chain[i]);
    if (!address) return nearestTrusted;
    if (!inRanges(address, trust.ranges)) return address;
    nearestTrusted = address;
  }
  return nearestTrusted;
}

// ── The server entry's side ──────────────────────────────────────────────────────────────────────

// On globalThis, not in a module variable: Next loads its own bundled copy of lib/, and only the
// process-wide object is shared between that copy and the entry. A client cannot set it.
const ENTRY_MARK = Symbol.for('regain.peerAddressStamped');

/** Called once by the server entry before Next starts: every request of this process is stamped. */
export function declarePeerAddressStamping() {
  (globalThis as Record<symbol, unknown>)[ENTRY_MARK] = true;
}

/** True when this process was started through the server entry (scripts/serve.ts). */
export function peerAddressStamped(): boolean {
  return (globalThis as Record<symbol, unknown>)[ENTRY_MARK] === true;
}

/**
 * Writes the socket address into PEER_ADDRESS_HEADER, replacing any client-sent value (including
 * in rawHeaders, which some consumers read instead of `headers`).
 */
export function stampPeerAddress(request: IncomingMessage) {
  const peer = request.socket.remoteAddress ?? '';
  const raw: string[] = [];
  for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) {
    if (request.rawHeaders[i]!.toLowerCase() !== PEER_ADDRESS_HEADER) raw.push(request.rawHeaders[i]!, request.rawHeaders[i + 1]!);
  }
  raw.push(PEER_ADDRESS_HEADER, peer);
  request.rawHeaders.splice(0, request.rawHeaders.length, ...raw);
  request.headers[PEER_ADDRESS_HEADER] = peer;
}
