import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { chooseAddress, isNonPublicAddress } from '../../../electron/core/broker/addresses';

describe('address checks (DNS rebinding)', () => {
  test('loopback, private, link-local, CGNAT, unspecified, multicast and mapped forms are non-public', () => {
    for (const a of ['127.0.0.1', '127.1.2.3', '10.0.0.1', '172.16.5.4', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '255.255.255.255', '::1', '::', 'fe80::1', 'fc00::1', 'fd12:3456::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.0.0.1', '64:ff9b::a00:1', 'not-an-ip']) {
      assert.equal(isNonPublicAddress(a), true, a);
    }
    for (const a of ['93.184.216.34', '140.82.112.3', '8.8.8.8', '172.32.0.1', '2606:4700::1111', '::ffff:8.8.8.8']) assert.equal(isNonPublicAddress(a), false, a);
  });

  test('a non-local service whose name resolves (in part) to a private address is refused; a local one is allowed; literals need no lookup', async () => {
    const resolver = async (name: string) => {
      if (name === 'mixed.example') return [{ address: '93.184.216.34', family: 4 }, { address: '10.1.1.1', family: 4 }];
      if (name === 'public.example') return [{ address: '93.184.216.34', family: 4 }];
      if (name === 'localhost') return [{ address: '127.0.0.1', family: 4 }];
      throw new Error('ENOTFOUND');
    };
    assert.deepEqual(await chooseAddress('public.example', false, resolver), { ok: true, address: '93.184.216.34', family: 4 });
    assert.equal((await chooseAddress('mixed.example', false, resolver)).ok, false);
    assert.equal((await chooseAddress('localhost', false, resolver)).ok, false);
    assert.equal((await chooseAddress('localhost', true, resolver)).ok, true);
    assert.equal((await chooseAddress('[::1]', false, resolver)).ok, false);
    assert.deepEqual(await chooseAddress('[::1]', true, resolver), { ok: true, address: '::1', family: 6 });
    assert.equal((await chooseAddress('127.0.0.1', false, resolver)).ok, false);
    const unknown = await chooseAddress('nowhere.example', false, resolver);
    assert.equal(unknown.ok, false);
  });

  test('the system resolver answers for localhost, and it is refused for a non-local service', async () => {
    const { systemResolver } = await import('../../../electron/core/broker/addresses');
    const d = await chooseAddress('localhost', false, systemResolver);
    assert.equal(d.ok, false);
    if (!d.ok) assert.match(d.reason, /loopback/);
  });
});
