import { describe, expect, it } from '@jest/globals';
import { DomainError } from '../../../common/errors/domain-error.js';
import {
  assertAddressesAllowed,
  classifyAddress,
  isAddressAllowed,
  parseIPv6,
  parseWebhookUrl,
  type AddressClass,
} from './webhook-address.js';

describe('parseIPv6', () => {
  it('expands ::, keeps full forms, reads an embedded dotted quad and drops a zone id', () => {
    expect(parseIPv6('::1')).toEqual([...new Array(15).fill(0), 1]);
    expect(parseIPv6('::')).toEqual(new Array(16).fill(0));
    expect(parseIPv6('2001:db8:0:0:0:0:0:1')).toEqual(parseIPv6('2001:db8::1'));
    expect(parseIPv6('::ffff:127.0.0.1')).toEqual([
      ...new Array(10).fill(0),
      0xff,
      0xff,
      127,
      0,
      0,
      1,
    ]);
    expect(parseIPv6('::ffff:7f00:1')).toEqual(parseIPv6('::ffff:127.0.0.1'));
    expect(parseIPv6('fe80::1%eth0')).toEqual(parseIPv6('fe80::1'));
  });

  it('refuses what is not an IPv6 address', () => {
    for (const bad of [
      '1::2::3',
      '12345::',
      'g::1',
      '1:2:3:4:5:6:7',
      '1:2:3:4:5:6:7:8:9',
      '::1.2.3',
      ':1:2:3:4:5:6:7',
    ])
      expect(parseIPv6(bad)).toBeNull();
  });
});

describe('classifyAddress', () => {
  const cases: [string, AddressClass][] = [
    ['8.8.8.8', 'public'],
    ['93.184.216.34', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:8.8.8.8', 'public'],
    ['64:ff9b::a9fe:a9fe', 'link-local'],
    ['2002:7f00:1::', 'loopback'],
    ['fd00::1', 'private'],
    ['fc12:3456::1', 'private'],
    ['fe80::1', 'link-local'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'reserved'],
    ['2606:4700:4700::1111', 'public'],
  ];
  it.each(cases)('%s is %s', (ip, cls) => {
    expect(classifyAddress(ip)).toBe(cls);
  });

  it('answers null for text that is not an IP address', () => {
    expect(classifyAddress('example.com')).toBeNull();
    expect(classifyAddress('256.1.1.1')).toBeNull();
    expect(classifyAddress('01.2.3.4')).toBeNull();
  });
});

describe('isAddressAllowed', () => {
  it('lets public addresses through always, and the rest by allowance', () => {
    expect(isAddressAllowed('public', 'none')).toBe(true);
    expect(isAddressAllowed('loopback', 'none')).toBe(false);
    expect(isAddressAllowed('loopback', 'loopback')).toBe(true);
    expect(isAddressAllowed('private', 'loopback')).toBe(false);
    expect(isAddressAllowed('private', 'private')).toBe(true);
    expect(isAddressAllowed('loopback', 'private')).toBe(true);
    expect(isAddressAllowed('link-local', 'private')).toBe(false);
    expect(isAddressAllowed('multicast', 'private')).toBe(false);
    expect(isAddressAllowed('link-local', 'all')).toBe(true);
  });
});

describe('assertAddressesAllowed', () => {
  const refusal = (fn: () => void) => {
    try {
      fn();
    } catch (e) {
      return e as DomainError;
    }
    return null;
  };

  it('refuses when any resolved address is refused (one bad record is enough)', () => {
    const e = refusal(() => assertAddressesAllowed('h.example', ['8.8.8.8', '10.0.0.1'], 'none'));
    expect(e).toBeInstanceOf(DomainError);
    expect(e).toMatchObject({ kind: 'validation', code: 'WEBHOOK_URL_REFUSED' });
    expect(
      refusal(() => assertAddressesAllowed('h', ['8.8.8.8', '2606:4700::1'], 'none')),
    ).toBeNull();
  });

  it('refuses a host that resolved to nothing', () => {
    expect(refusal(() => assertAddressesAllowed('h', [], 'all'))).toMatchObject({
      code: 'WEBHOOK_URL_REFUSED',
    });
  });
});

describe('parseWebhookUrl', () => {
  it('accepts http(s) URLs and tells literal addresses from names', () => {
    expect(parseWebhookUrl('https://hooks.example.com/x?y=1')).toMatchObject({
      host: 'hooks.example.com',
      isLiteral: false,
    });
    expect(parseWebhookUrl('http://127.0.0.1:8080/hook')).toMatchObject({
      host: '127.0.0.1',
      isLiteral: true,
    });
    expect(parseWebhookUrl('http://[::1]:8080/hook')).toMatchObject({
      host: '::1',
      isLiteral: true,
    });
  });

  it.each([
    ['not a url'],
    ['ftp://example.com/'],
    ['file:///etc/passwd'],
    ['https://user:pass@example.com/'],
    ['https://example.com/#x'],
    ['javascript:alert(1)'],
  ])('refuses %s', (raw) => {
    expect(() => parseWebhookUrl(raw)).toThrow(DomainError);
  });
});
