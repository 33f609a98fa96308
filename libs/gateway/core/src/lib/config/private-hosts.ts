import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { ConfigError } from './app-config';

/**
 * SSRF protection for outbound URLs (spec: approvals-webhooks-anomalies.md "SSRF rules").
 *
 * - `full` rules (service base URLs, webhooks, …): loopback, unspecified, private, link-local,
 *   carrier-grade NAT, multicast/reserved, IPv6 ULA/link-local/loopback, the IPv4-mapped (and other
 *   IPv4-embedding) forms of these, cloud-metadata names and addresses, and host names resolving to
 *   any of them are refused.
 * - `metadata` rules (operator configuration such as token upstreams): only cloud-metadata names and
 *   addresses are refused (`AILINK_BLOCK_PRIVATE_UPSTREAMS=true` upgrades these to `full`).
 *
 * `AILINK_ALLOWED_PRIVATE_HOSTS` exempts: a host-name entry exempts URLs written with that name,
 * whatever it resolves to; IP and CIDR entries exempt literal addresses and resolved addresses.
 */

/** Why an address or host is refused. */
export type BlockedAddressKind =
  | 'loopback'
  | 'unspecified'
  | 'private'
  | 'link_local'
  | 'carrier_grade_nat'
  | 'multicast'
  | 'reserved'
  | 'unique_local'
  | 'cloud_metadata';

export type OutboundRules = 'full' | 'metadata';

/** Resolves a host name to its addresses (IPv4 and IPv6 literals). */
export type HostResolver = (host: string) => Promise<string[]>;

export interface OutboundCheckOptions {
  rules: OutboundRules;
  /** Resolve host names and check every address (default true). */
  resolve?: boolean;
}

export interface OutboundVerdict {
  allowed: boolean;
  /** Why it was refused. */
  kind?: BlockedAddressKind;
  /** The offending address (when an address, literal or resolved, was refused). */
  address?: string;
  /** Human-readable reason, safe to return to the caller. */
  reason?: string;
  /** The host name could not be resolved now (allowed at write time; checked again before connecting). */
  unresolved?: boolean;
}

/** Host names of cloud metadata services (refused for every outbound URL unless allowed by name). */
export const CLOUD_METADATA_HOSTS: readonly string[] = ['metadata.google.internal', 'metadata.internal', 'metadata'];

const HOSTNAME = /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,62})(?:\.[a-z0-9_](?:[a-z0-9_-]{0,62}))*$/;
const DNS_TIMEOUT_MS = 2000;

/**
 * Parses an IPv4 or IPv6 literal (IPv6 may carry brackets or a zone id) into 4 or 16 bytes;
 * null when it is not an IP address.
 */
export function parseIpAddress(text: string): Uint8Array | null {
  let value = text.trim();
  if (value.startsWith('[') && value.endsWith(']')) value = value.slice(1, -1);
  const zone = value.indexOf('%');
  if (zone >= 0) value = value.slice(0, zone);
  const version = isIP(value);
  if (version === 4) return parseIpv4(value);
  if (version === 6) return parseIpv6(value);
  return null;
}

function parseIpv4(value: string): Uint8Array | null {
  const parts = value.split('.');
  if (parts.length !== 4) return null;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const n = Number(parts[i]);
    if (!/^\d{1,3}$/.test(parts[i] ?? '') || n > 255) return null;
    bytes[i] = n;
  }
  return bytes;
}

function parseIpv6(value: string): Uint8Array | null {
  let text = value.toLowerCase();
  let tail: Uint8Array | null = null;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    tail = parseIpv4(text.slice(lastColon + 1));
    if (!tail) return null;
    text = text.slice(0, lastColon + 1) + '0:0';
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(':') : [];
  const rest = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - rest.length;
  if ((halves.length === 1 && missing !== 0) || missing < 0) return null;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...rest];
  if (groups.length !== 8) return null;
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const group = groups[i] ?? '';
    if (!/^[0-9a-f]{1,4}$/.test(group)) return null;
    const n = parseInt(group, 16);
    bytes[i * 2] = n >> 8;
    bytes[i * 2 + 1] = n & 0xff;
  }
  if (tail) bytes.set(tail, 12);
  return bytes;
}

/** The IPv4 address an IPv6 address embeds (mapped, compatible, SIIT, NAT64, 6to4), if any. */
function embeddedIpv4(b: Uint8Array): Uint8Array | null {
  const zero = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  // ::ffff:a.b.c.d (IPv4-mapped)
  if (zero(0, 10) && b[10] === 0xff && b[11] === 0xff) return b.slice(12, 16);
  // ::a.b.c.d (IPv4-compatible, deprecated)
  if (zero(0, 12)) return b.slice(12, 16);
  // ::ffff:0:a.b.c.d (SIIT)
  if (zero(0, 8) && b[8] === 0xff && b[9] === 0xff && b[10] === 0 && b[11] === 0) return b.slice(12, 16);
  // 64:ff9b::a.b.c.d (NAT64 well-known prefix)
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zero(4, 12)) return b.slice(12, 16);
  // 2002:AABB:CCDD::/48 (6to4)
  if (b[0] === 0x20 && b[1] === 0x02) return b.slice(2, 6);
  return null;
}

function classifyIpv4(b: Uint8Array): BlockedAddressKind | null {
  const [a = 0, c = 0, d = 0, e = 0] = b;
  if (a === 169 && c === 254 && d === 169 && e === 254) return 'cloud_metadata';
  if (a === 0) return 'unspecified';
  if (a === 127) return 'loopback';
  if (a === 10) return 'private';
  if (a === 172 && (c & 0xf0) === 16) return 'private';
  if (a === 192 && c === 168) return 'private';
  if (a === 169 && c === 254) return 'link_local';
  if (a === 100 && (c & 0xc0) === 64) return 'carrier_grade_nat';
  if (a >= 224 && a <= 239) return 'multicast';
  if (a >= 240) return 'reserved';
  return null;
}

function classifyIpv6(b: Uint8Array): BlockedAddressKind | null {
  if (b.every((x) => x === 0)) return 'unspecified';
  if (b.slice(0, 15).every((x) => x === 0) && b[15] === 1) return 'loopback';
  // fd00:ec2::254 (AWS IMDS over IPv6)
  if (
    b[0] === 0xfd &&
    b[1] === 0x00 &&
    b[2] === 0x0e &&
    b[3] === 0xc2 &&
    b.slice(4, 14).every((x) => x === 0) &&
    b[14] === 0x02 &&
    b[15] === 0x54
  ) {
    return 'cloud_metadata';
  }
  const v4 = embeddedIpv4(b);
  if (v4) return classifyIpv4(v4);
  const first = b[0] ?? 0;
  const second = b[1] ?? 0;
  if ((first & 0xfe) === 0xfc) return 'unique_local';
  if (first === 0xfe && (second & 0xc0) === 0x80) return 'link_local';
  if (first === 0xfe && (second & 0xc0) === 0xc0) return 'private'; // fec0::/10 site-local (deprecated)
  if (first === 0xff) return 'multicast';
  return null;
}

/** Why this IP literal is refused under the full rules, or null for a public address. */
export function classifyIpAddress(address: string | Uint8Array): BlockedAddressKind | null {
  const bytes = typeof address === 'string' ? parseIpAddress(address) : address;
  if (!bytes) return null;
  return bytes.length === 4 ? classifyIpv4(bytes) : classifyIpv6(bytes);
}

/** Normalises a host for comparison: lower case, no brackets, no trailing dot. */
export function normalizeHost(host: string): string {
  let value = host.trim().toLowerCase();
  if (value.startsWith('[') && value.endsWith(']')) value = value.slice(1, -1);
  while (value.endsWith('.')) value = value.slice(0, -1);
  return value;
}

/** Whether a host name is a cloud metadata service name. */
export function isCloudMetadataHost(host: string): boolean {
  return CLOUD_METADATA_HOSTS.includes(normalizeHost(host));
}

interface Cidr {
  bytes: Uint8Array;
  prefix: number;
}

/**
 * Validates and normalises `AILINK_ALLOWED_PRIVATE_HOSTS` (comma list of host names, IP addresses and
 * CIDRs). Throws a ConfigError naming the variable for a malformed entry.
 */
export function parseAllowedPrivateHosts(raw: string | undefined, variable = 'AILINK_ALLOWED_PRIVATE_HOSTS'): string[] {
  if (raw === undefined) return [];
  const entries: string[] = [];
  for (const part of raw.split(',')) {
    const entry = normalizeHost(part);
    if (!entry) continue;
    if (entry.includes('/')) {
      if (!parseCidr(entry)) {
        throw new ConfigError(variable, `must be a comma list of host names, IP addresses and CIDRs (bad CIDR "${part.trim()}")`);
      }
      entries.push(entry);
    } else if (parseIpAddress(entry)) {
      entries.push(entry);
    } else if (HOSTNAME.test(entry)) {
      entries.push(entry);
    } else {
      throw new ConfigError(variable, `must be a comma list of host names, IP addresses and CIDRs (got "${part.trim()}")`);
    }
  }
  return [...new Set(entries)];
}

function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/');
  const address = parseIpAddress(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (!address || !/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = Number(prefixText);
  if (prefix > address.length * 8) return null;
  return { bytes: address, prefix };
}

function inCidr(address: Uint8Array, cidr: Cidr): boolean {
  if (address.length !== cidr.bytes.length) return false;
  let bits = cidr.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((address[i] ?? 0) & mask) !== ((cidr.bytes[i] ?? 0) & mask)) return false;
  }
  return true;
}

/** IPv4-mapped IPv6 addresses compare as the IPv4 address they carry. */
function canonicalAddress(bytes: Uint8Array): Uint8Array {
  if (bytes.length === 16 && bytes.slice(0, 10).every((x) => x === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return bytes.slice(12, 16);
  }
  return bytes;
}

/** `::ffff:10.0.0.0/104` covers the same addresses as `10.0.0.0/8`. */
function canonicalCidr(cidr: Cidr): Cidr {
  const canonical = canonicalAddress(cidr.bytes);
  if (canonical.length === 4 && cidr.bytes.length === 16 && cidr.prefix >= 96) return { bytes: canonical, prefix: cidr.prefix - 96 };
  return cidr;
}

function formatAddress(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  // RFC 5952: the longest run (≥ 2) of zero groups becomes "::".
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** The default resolver: the system's (getaddrinfo, /etc/hosts included), bounded in time. */
export const systemHostResolver: HostResolver = async (host) => {
  let timer: NodeJS.Timeout | undefined;
  try {
    const results = await Promise.race([
      lookup(host, { all: true, verbatim: true }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`DNS lookup of ${host} timed out`)), DNS_TIMEOUT_MS);
      }),
    ]);
    return results.map((r) => r.address);
  } finally {
    if (timer) clearTimeout(timer);
  }
};

/**
 * Checks outbound URLs against the SSRF rules and the `AILINK_ALLOWED_PRIVATE_HOSTS` exemptions.
 * Build one per process from `AppConfig.allowedPrivateHosts`.
 */
export class OutboundUrlGuard {
  private readonly names = new Set<string>();
  private readonly cidrs: Cidr[] = [];

  constructor(
    allowedPrivateHosts: readonly string[] = [],
    private readonly resolver: HostResolver = systemHostResolver,
  ) {
    for (const raw of allowedPrivateHosts) {
      const entry = normalizeHost(raw);
      if (entry.includes('/')) {
        const cidr = parseCidr(entry);
        if (cidr) this.cidrs.push(canonicalCidr(cidr));
        continue;
      }
      const ip = parseIpAddress(entry);
      if (ip) {
        const canonical = canonicalAddress(ip);
        this.cidrs.push({ bytes: canonical, prefix: canonical.length * 8 });
      } else if (entry) {
        this.names.add(entry);
      }
    }
  }

  /** Whether a host name entry of the allow list names this host. */
  allowsName(host: string): boolean {
    return this.names.has(normalizeHost(host));
  }

  /** Whether an IP or CIDR entry of the allow list covers this address. */
  allowsAddress(address: string | Uint8Array): boolean {
    const bytes = typeof address === 'string' ? parseIpAddress(address) : address;
    if (!bytes) return false;
    const canonical = canonicalAddress(bytes);
    return this.cidrs.some((cidr) => inCidr(canonical, cidr));
  }

  /**
   * Checks one resolved or literal address (e.g. right before connecting). Under `metadata` rules
   * only cloud-metadata addresses are refused.
   */
  checkAddress(address: string, rules: OutboundRules = 'full'): OutboundVerdict {
    const bytes = parseIpAddress(address);
    if (!bytes) return { allowed: false, reason: `"${address}" is not an IP address` };
    const kind = classifyIpAddress(bytes);
    if (!kind || (rules === 'metadata' && kind !== 'cloud_metadata') || this.allowsAddress(bytes)) return { allowed: true };
    const shown = formatAddress(canonicalAddress(bytes));
    return { allowed: false, kind, address: shown, reason: `${describeKind(kind)} address ${shown} is not allowed` };
  }

  /** Checks a URL: its host (literal or name) and, for names, every address it resolves to. */
  async check(url: URL | string, options: OutboundCheckOptions): Promise<OutboundVerdict> {
    const parsed = typeof url === 'string' ? new URL(url) : url;
    const host = normalizeHost(parsed.hostname);
    if (parseIpAddress(host)) {
      const verdict = this.checkAddress(host, options.rules);
      return verdict.allowed ? verdict : { ...verdict, reason: `Host ${verdict.reason}` };
    }
    if (this.allowsName(host)) return { allowed: true };
    if (isCloudMetadataHost(host)) {
      return { allowed: false, kind: 'cloud_metadata', reason: `Host ${host} is a cloud metadata service` };
    }
    if (options.resolve === false) return { allowed: true };
    let addresses: string[];
    try {
      addresses = await this.resolver(host);
    } catch {
      addresses = [];
    }
    if (addresses.length === 0) {
      if (options.rules === 'full' && (host === 'localhost' || host.endsWith('.localhost'))) addresses = ['127.0.0.1'];
      else return { allowed: true, unresolved: true };
    }
    for (const address of addresses) {
      const verdict = this.checkAddress(address, options.rules);
      if (!verdict.allowed) {
        return { ...verdict, reason: `Host ${host} resolves to ${verdict.reason}` };
      }
    }
    return { allowed: true };
  }
}

function describeKind(kind: BlockedAddressKind): string {
  switch (kind) {
    case 'loopback':
      return 'loopback';
    case 'unspecified':
      return 'unspecified';
    case 'private':
      return 'private';
    case 'link_local':
      return 'link-local';
    case 'carrier_grade_nat':
      return 'carrier-grade NAT';
    case 'multicast':
      return 'multicast';
    case 'reserved':
      return 'reserved';
    case 'unique_local':
      return 'unique-local';
    case 'cloud_metadata':
      return 'cloud metadata';
  }
}
