import { describe, expect, it } from 'vitest';
import { AppError } from '@/lib/errors';
import { normalizeAddress, parseCidr, PEER_ADDRESS_HEADER, resolveClientAddress, type ProxyTrust } from '@/lib/net/client-address';
import { clientIp } from '@/lib/http/request';

// docs/security.md rule 24: the client address comes from a configured trusted proxy count or list, or
// from the socket; never from a header the client wrote.

const none: ProxyTrust = { mode: 'none' };
const hops = (n: number): ProxyTrust => ({ mode: 'hops', hops: n });
const cidrs = (...ranges: string[]): ProxyTrust => ({ mode: 'cidrs', ranges: ranges.map((r) => parseCidr(r)!) });

describe('resolving the client address', () => {
  it.each<[string, { peer: string; xff?: string }, ProxyTrust, string]>([
    // No proxy configured: the socket, whatever the client wrote.
    ['no setting, forged XFF → socket', { peer: '203.0.113.50', xff: '6.6.6.6' }, none, '203.0.113.50'],
    ['no setting, forged chain → socket', { peer: '203.0.113.50', xff: '6.6.6.6, 198.51.100.4' }, none, '203.0.113.50'],
    ['no setting, no XFF → socket', { peer: '203.0.113.50' }, none, '203.0.113.50'],
    // One proxy (nginx appends what it saw): the last entry; anything left of it is the client's.
    ['1 hop, proxy appended the client', { peer: '10.0.0.2', xff: '198.51.100.4' }, hops(1), '198.51.100.4'],
    ['1 hop, client forged a left entry', { peer: '10.0.0.2', xff: '6.6.6.6, 198.51.100.4' }, hops(1), '198.51.100.4'],
    ['1 hop, no XFF (request not via the proxy) → socket', { peer: '10.0.0.2' }, hops(1), '10.0.0.2'],
    ['1 hop, trailing empty entries are formatting', { peer: '10.0.0.2', xff: '6.6.6.6,198.51.100.4 ,' }, hops(1), '198.51.100.4'],
    // Two proxies (CDN → nginx → app): two from the right.
    ['2 hops', { peer: '10.0.0.2', xff: '6.6.6.6, 198.51.100.4, 192.0.2.10' }, hops(2), '198.51.100.4'],
    ['2 hops, client forged several entries', { peer: '10.0.0.2', xff: '1.1.1.1, 2.2.2.2, 198.51.100.4, 192.0.2.10' }, hops(2), '198.51.100.4'],
    ['2 hops, shorter chain → its leftmost entry', { peer: '10.0.0.2', xff: '198.51.100.4' }, hops(2), '198.51.100.4'],
    // Trusted CIDRs: skip our proxies from the right; the first other address is the client.
    ['CIDRs, skip trusted proxies', { peer: '10.0.0.2', xff: '6.6.6.6, 198.51.100.4, 10.1.1.1' }, cidrs('10.0.0.0/8'), '198.51.100.4'],
    ['CIDRs, several ranges and a single address', { peer: '192.168.1.1', xff: '6.6.6.6, 198.51.100.4, 172.16.0.9' }, cidrs('172.16.0.0/12', '192.168.1.1'), '198.51.100.4'],
    ['CIDRs, peer is not a trusted proxy → socket', { peer: '203.0.113.50', xff: '198.51.100.4' }, cidrs('10.0.0.0/8'), '203.0.113.50'],
    ['CIDRs, every hop trusted → leftmost', { peer: '10.0.0.2', xff: '10.9.9.9' }, cidrs('10.0.0.0/8'), '10.9.9.9'],
    ['CIDRs, boundary of the range is outside', { peer: '10.0.0.2', xff: '11.0.0.0' }, cidrs('10.0.0.0/8'), '11.0.0.0'],
    // Garbage is never a key: the nearest valid address to its right (a trusted proxy) is used.
    ['garbage at the hop position → the proxy', { peer: '10.0.0.2', xff: '6.6.6.6, not-an-ip' }, hops(1), '10.0.0.2'],
    ['"unknown" → the proxy', { peer: '10.0.0.2', xff: 'unknown' }, hops(1), '10.0.0.2'],
    ['out-of-range octet → the proxy', { peer: '10.0.0.2', xff: '1.2.3.256' }, hops(1), '10.0.0.2'],
    ['leading-zero octet (octal ambiguity) → the proxy', { peer: '10.0.0.2', xff: '01.2.3.4' }, hops(1), '10.0.0.2'],
    ['markup → the proxy', { peer: '10.0.0.2', xff: '<script>alert(1)</script>' }, hops(1), '10.0.0.2'],
    ['garbage left of the client is never reached', { peer: '10.0.0.2', xff: 'junk, ;DROP, 198.51.100.4' }, hops(1), '198.51.100.4'],
    ['CIDRs, garbage behind a trusted proxy → that proxy', { peer: '10.0.0.2', xff: '198.51.100.4, garbage, 10.1.1.1' }, cidrs('10.0.0.0/8'), '10.1.1.1'],
    ['2 hops, garbage at the hop → next proxy to the right', { peer: '10.0.0.2', xff: '6.6.6.6, bogus, 192.0.2.10' }, hops(2), '192.0.2.10'],
    // IPv6: validated, canonical, IPv4-mapped folded into IPv4.
    ['IPv4-mapped socket → IPv4', { peer: '::ffff:127.0.0.1', xff: '6.6.6.6' }, none, '127.0.0.1'],
    ['IPv6 socket, canonical', { peer: '2001:DB8:0:0:0:0:0:1' }, none, '2001:db8::1'],
    ['IPv6 socket with a zone', { peer: 'fe80::1%eth0' }, none, 'fe80::1'],
    ['1 hop, IPv6 client', { peer: '10.0.0.2', xff: '6.6.6.6, 2001:0db8:0000::0042' }, hops(1), '2001:db8::42'],
    ['1 hop, bracketed IPv6 with port', { peer: '10.0.0.2', xff: '[2001:db8::7]:443' }, hops(1), '2001:db8::7'],
    ['1 hop, IPv4 with port', { peer: '10.0.0.2', xff: '198.51.100.4:5060' }, hops(1), '198.51.100.4'],
    ['1 hop, IPv4-mapped entry → IPv4', { peer: '10.0.0.2', xff: '::ffff:198.51.100.4' }, hops(1), '198.51.100.4'],
    ['1 hop, malformed IPv6 → the proxy', { peer: '10.0.0.2', xff: '2001:db8:::1' }, hops(1), '10.0.0.2'],
    ['CIDRs over IPv6', { peer: '2001:db8:1::2', xff: '6.6.6.6, 2001:db8:ffff::9, 2001:db8:1::5' }, cidrs('2001:db8:1::/48'), '2001:db8:ffff::9'],
    ['CIDRs, IPv4-mapped peer matches an IPv4 range', { peer: '::ffff:10.0.0.2', xff: '198.51.100.4' }, cidrs('10.0.0.0/8'), '198.51.100.4'],
  ])('%s', (_name, { peer, xff }, trust, expected) => {
    expect(resolveClientAddress({ peer, forwardedFor: xff }, trust)).toBe(expected);
  });

  it('has no address without a usable socket peer', () => {
    expect(resolveClientAddress({ peer: undefined, forwardedFor: '198.51.100.4' }, hops(1))).toBeUndefined();
    expect(resolveClientAddress({ peer: 'garbage', forwardedFor: '198.51.100.4' }, none)).toBeUndefined();
  });
});

describe('addresses and ranges', () => {
  it.each([
    ['192.0.2.1', '192.0.2.1'],
    ['0.0.0.0', '0.0.0.0'],
    ['::', '::'],
    ['::1', '::1'],
    ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['2001:0:0:1:0:0:1:1', '2001::1:0:0:1:1'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['64:ff9b::192.0.2.1', '64:ff9b::c000:201'],
    ['::FFFF:C000:0201', '192.0.2.1'],
    ['', undefined],
    ['1.2.3', undefined],
    ['1.2.3.4.5', undefined],
    ['1:2:3:4:5:6:7:8:9', undefined],
    ['::ffff:1.2.3', undefined],
    ['example.com', undefined],
    ['1.2.3.4/24', undefined],
  ])('%j → %j', (raw, expected) => {
    expect(normalizeAddress(raw)).toBe(expected);
  });

  it.each([
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['10.1.2.3/8', '10.0.0.0/8'],
    ['192.0.2.1', '192.0.2.1/32'],
    ['2001:db8::/32', '2001:db8::/32'],
    ['::1', '::1/128'],
  ])('range %j', (raw, text) => {
    const range = parseCidr(raw)!;
    expect(range).toBeDefined();
    expect(range.text).toBe(raw.includes('/') ? raw : text);
  });

  it.each(['10.0.0.0/33', '2001:db8::/129', '10.0.0.0/', '10.0.0.0/8/8', 'example.com/8', 'garbage'])('refuses range %j', (raw) => {
    expect(parseCidr(raw)).toBeUndefined();
  });
});

describe('clientIp', () => {
  const request = (values: Record<string, string>) => new Headers(values);

  it.each<[string, Record<string, string>, ProxyTrust, string]>([
    ['forged XFF ignored without a proxy setting', { [PEER_ADDRESS_HEADER]: '203.0.113.50', 'x-forwarded-for': '6.6.6.6' }, none, '203.0.113.50'],
    ['forged X-Real-IP ignored without a proxy setting', { [PEER_ADDRESS_HEADER]: '203.0.113.50', 'x-real-ip': '6.6.6.6' }, none, '203.0.113.50'],
    ['X-Real-IP is never read, even behind a proxy', { [PEER_ADDRESS_HEADER]: '10.0.0.2', 'x-real-ip': '6.6.6.6' }, hops(1), '10.0.0.2'],
    ['1 hop reads the proxy-appended entry', { [PEER_ADDRESS_HEADER]: '10.0.0.2', 'x-forwarded-for': '6.6.6.6, 198.51.100.4' }, hops(1), '198.51.100.4'],
    ['IPv4-mapped socket', { [PEER_ADDRESS_HEADER]: '::ffff:198.51.100.4' }, none, '198.51.100.4'],
  ])('%s', (_name, values, trust, expected) => {
    expect(clientIp(request(values), { trust, stamped: true })).toBe(expected);
  });

  it('refuses (503) rather than guess when the server entry did not stamp the socket address', () => {
    // Under plain `next start` the peer header is whatever the client sent, and so is X-Forwarded-For.
    const forged = request({ [PEER_ADDRESS_HEADER]: '6.6.6.6', 'x-forwarded-for': '7.7.7.7', 'x-real-ip': '8.8.8.8' });
    const attempt = () => clientIp(forged, { trust: none, stamped: false });
    expect(attempt).toThrow(AppError);
    try {
      attempt();
    } catch (error) {
      expect((error as AppError).status).toBe(503);
    }
  });

  it('refuses (503) when the stamped socket address is unusable', () => {
    expect(() => clientIp(request({ 'x-forwarded-for': '198.51.100.4' }), { trust: hops(1), stamped: true })).toThrow(AppError);
  });
});
