import type { IncomingHttpHeaders } from 'node:http';
import { ConfigError } from './app-config';
import { parseIpAddress } from './private-hosts';

/** One entry of `AILINK_TRUSTED_PROXY_CIDRS`: an address prefix. */
interface Prefix {
  bytes: Uint8Array;
  bits: number;
}

/** IPv4-mapped IPv6 (`::ffff:a.b.c.d`) compares and prints as the IPv4 address it carries. */
function unmapped(bytes: Uint8Array): Uint8Array {
  if (bytes.length === 16 && bytes.slice(0, 10).every((x) => x === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return bytes.slice(12);
  return bytes;
}

function parsePrefix(entry: string): Prefix | null {
  const slash = entry.indexOf('/');
  const address = parseIpAddress(slash < 0 ? entry : entry.slice(0, slash));
  if (!address) return null;
  let bits = address.length * 8;
  if (slash >= 0) {
    const text = entry.slice(slash + 1);
    if (!/^\d{1,3}$/.test(text) || Number(text) > bits) return null;
    bits = Number(text);
  }
  const bytes = unmapped(address);
  if (bytes.length === 4 && address.length === 16) bits = Math.max(0, bits - 96);
  return { bytes, bits };
}

function covers(prefix: Prefix, address: Uint8Array): boolean {
  if (prefix.bytes.length !== address.length) return false;
  let bits = prefix.bits;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((prefix.bytes[i] ?? 0) & mask) !== ((address[i] ?? 0) & mask)) return false;
  }
  return true;
}

/**
 * Validates `AILINK_TRUSTED_PROXY_CIDRS` (comma list of IP addresses and CIDRs, IPv4 or IPv6) and
 * returns the entries trimmed. Throws a ConfigError naming the variable for a malformed entry.
 */
export function parseTrustedProxyCidrs(raw: string | undefined, variable = 'AILINK_TRUSTED_PROXY_CIDRS'): string[] {
  if (raw === undefined) return [];
  const entries: string[] = [];
  for (const part of raw.split(',')) {
    const entry = part.trim();
    if (!entry) continue;
    if (!parsePrefix(entry)) throw new ConfigError(variable, `must be a comma list of IP addresses and CIDRs (got "${entry}")`);
    entries.push(entry);
  }
  return [...new Set(entries)];
}

/** An IP address in its usual text form (IPv4-mapped IPv6 as IPv4), or null when it is not one. */
export function normaliseIpAddress(text: string): string | null {
  const bytes = parseIpAddress(text);
  if (!bytes) return null;
  const plain = unmapped(bytes);
  if (plain.length === 4) return Array.from(plain).join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((plain[i] ?? 0) << 8) | (plain[i + 1] ?? 0)).toString(16));
  // RFC 5952: the longest run (≥ 2) of zero groups becomes "::".
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLength) {
      best = i;
      bestLength = j - i;
    }
    i = j;
  }
  return best < 0 ? groups.join(':') : `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLength).join(':')}`;
}

/** Distinct socket peers remembered by {@link TrustedProxies.clientIp} (cleared when full). */
const PEER_MEMO_SIZE = 4096;

/**
 * The client address of a request (proxy.md §3, `context.ip`): the socket peer, unless that peer is
 * a trusted proxy (`AILINK_TRUSTED_PROXY_CIDRS`); then the first hop of `X-Forwarded-For`, else
 * `X-Real-IP`, when it is a valid IP address. Build one per process.
 */
export class TrustedProxies {
  private readonly prefixes: Prefix[];
  /** Socket peers seen lately: their normalised form and whether they are trusted (peers repeat; parsing is not free). */
  private readonly peers = new Map<string, { socket: string; trusted: boolean }>();

  constructor(entries: readonly string[] = []) {
    this.prefixes = entries.map(parsePrefix).filter((p): p is Prefix => p !== null);
  }

  /** Whether `address` is a trusted proxy. */
  trusts(address: string): boolean {
    if (this.prefixes.length === 0) return false;
    const bytes = parseIpAddress(address);
    if (!bytes) return false;
    const plain = unmapped(bytes);
    return this.prefixes.some((p) => covers(p, plain));
  }

  /** `context.ip` for a request from `peer` with these headers (normalised; '' when the peer is unknown). */
  clientIp(peer: string, headers: IncomingHttpHeaders): string {
    let known = this.peers.get(peer);
    if (!known) {
      known = { socket: normaliseIpAddress(peer) ?? peer, trusted: this.trusts(peer) };
      if (this.peers.size >= PEER_MEMO_SIZE) this.peers.clear();
      this.peers.set(peer, known);
    }
    const socket = known.socket;
    if (!known.trusted) return socket;
    const forwarded = first(headers['x-forwarded-for'])?.split(',')[0];
    const candidates = [forwarded, first(headers['x-real-ip'])];
    for (const candidate of candidates) {
      const ip = candidate === undefined ? null : normaliseIpAddress(candidate.trim());
      if (ip) return ip;
    }
    return socket;
  }
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
