import { describe, expect, it } from 'vitest';
import { clientIp } from '@/lib/http/request';

const headers = (values: Record<string, string>) => new Headers(values);

describe('client address for rate limits', () => {
  it.each([
    [{ 'x-forwarded-for': '203.0.113.9' }, '203.0.113.9'],
    // A client can write anything on the left; the proxy appends what it saw on the right.
    [{ 'x-forwarded-for': '6.6.6.6, 198.51.100.4' }, '198.51.100.4'],
    [{ 'x-forwarded-for': '6.6.6.6,198.51.100.4 ,' }, '198.51.100.4'],
    [{ 'x-real-ip': '192.0.2.1' }, '192.0.2.1'],
    [{}, 'unknown'],
  ])('%j → %s', (values, expected) => {
    expect(clientIp(headers(values))).toBe(expected);
  });
});
