import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { plainListArgs } from '../../../electron/cli/list-args';

describe('plainListArgs: the forms of connect list that start without commander', () => {
  test('connect list, with --json after it and global options before or after', () => {
    assert.deepEqual(plainListArgs(['connect', 'list']), { debug: false, json: false });
    assert.deepEqual(plainListArgs(['connect', 'list', '--json']), { debug: false, json: true });
    assert.deepEqual(plainListArgs(['--home', '/h', '--user', 'bob', 'connect', 'list', '--json']), { home: '/h', user: 'bob', debug: false, json: true });
    assert.deepEqual(plainListArgs(['connect', 'list', '--json', '--home=/h', '--user=bob', '--debug']), { home: '/h', user: 'bob', debug: true, json: true });
    assert.deepEqual(plainListArgs(['--debug', 'connect', 'list']), { debug: true, json: false });
  });

  test('anything else is left to commander', () => {
    const others = [
      [],
      ['connect'],
      ['list'],
      ['connect', 'list', '--available'],
      ['connect', 'list', '--available', '--json'],
      ['connect', 'list', '--help'],
      ['connect', 'list', '-h'],
      ['--help', 'connect', 'list'],
      ['connect', 'list', 'extra'],
      ['connect', 'status', 'x'],
      ['list', 'connect'],
      ['connect', 'list', '--json', '--json'],
      ['--home', 'a', '--home', 'b', 'connect', 'list'],
      ['connect', 'list', '--home'],
      ['connect', 'list', '--home='],
      ['connect', 'list', '--home', '--json'],
      ['connect', 'list', '--user', '-x'],
      ['--json', 'connect', 'list'],
      ['connect', '--json', 'list'],
      ['connect', 'list', '--json=yes'],
      ['connect', 'list', '--debug=1'],
      ['connect', 'list', '--no-color'],
      ['connect', 'list', '--bogus'],
      ['connect', 'list', '--', '--json'],
      ['vault', 'status'],
    ];
    for (const argv of others) assert.equal(plainListArgs(argv), null, argv.join(' '));
  });
});
