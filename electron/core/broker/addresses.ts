import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/** Resolves a host name to every address it has (dns.lookup with all: true by default). */
export type Resolver = (hostname: string) => Promise<{ address: string; family: number }[]>;

export const systemResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/** Loopback, private, link-local, CGNAT, unspecified, multicast, documentation and other non-public ranges. */
const blocked = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(net, bits, 'ipv4');
}
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
  ['2001:db8::', 32],
  ['100::', 64],
] as const) {
  blocked.addSubnet(net, bits, 'ipv6');
}

/** The IPv4 address inside an IPv4-mapped, -compatible or NAT64 IPv6 address, if any. */
function embeddedIPv4(address: string): string | undefined {
  const lower = address.toLowerCase();
  const dotted = /^(?:::ffff:|::|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1];
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (!hex) return undefined;
  const hi = parseInt(hex[1]!, 16);
  const lo = parseInt(hex[2]!, 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** Whether a literal IP address is one the broker never connects to for a non-local service. */
export function isNonPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return blocked.check(address, 'ipv4');
  if (family === 6) {
    const v4 = embeddedIPv4(address);
    if (v4 !== undefined) return blocked.check(v4, 'ipv4');
    return blocked.check(address, 'ipv6');
  }
  return true;
}

export type AddressDecision = { ok: true; address: string; family: 4 | 6 } | { ok: false; reason: string };

/**
 * Where the broker will connect for `hostname`: resolved here, by the broker, and checked. For a
 * service that is not declared local, any answer in a loopback, private or link-local range refuses
 * the call (DNS rebinding cannot point a public name at this machine or its network).
 */
export async function chooseAddress(hostname: string, local: boolean, resolve: Resolver): Promise<AddressDecision> {
  const bare = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  let answers: { address: string; family: number }[];
  if (isIP(bare)) answers = [{ address: bare, family: isIP(bare) }];
  else {
    try {
      answers = await resolve(bare);
    } catch {
      return { ok: false, reason: `${bare} could not be resolved` };
    }
  }
  if (answers.length === 0) return { ok: false, reason: `${bare} has no address` };
  if (!local) {
    const bad = answers.find((a) => isNonPublicAddress(a.address));
    if (bad) return { ok: false, reason: `${bare} resolves to a loopback, private or link-local address (${bad.address}); only services declared local may go there` };
  }
  const first = answers[0]!;
  return { ok: true, address: first.address, family: first.family === 6 ? 6 : 4 };
}
