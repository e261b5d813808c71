import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { firstLine } from '../../../electron/core/import/sources/keyring';

describe('error output of helper programs (gh, secret-tool) in messages', () => {
  test('keeps the first line and blanks anything that could be a token', () => {
    const token = 'gho_16C7e42F292c6912E7710c838347Ae178B4a';
    assert.equal(
      firstLine(`yaml: unmarshal errors:\n  line 2: cannot unmarshal !!str \`${token}\` into map`),
      'yaml: unmarshal errors:',
    );
    const line = firstLine(`failed to read configuration: line 2: cannot unmarshal !!str \`${token}\`, near ${token} and "${token}"`);
    assert.ok(!line.includes(token) && !line.includes(token.slice(4, 24)), line);
    assert.match(line, /^failed to read configuration: line 2: cannot unmarshal !!str `…`, near … and "…"$/);
    assert.equal(firstLine('x'.repeat(10) + ' ' + 'y'.repeat(300)).length <= 160, true);
  });
});
