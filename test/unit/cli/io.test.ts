import assert from 'node:assert/strict';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'vitest';
import { directWriter, PIECE } from '../../../electron/cli/io';

describe('directWriter: output written straight to a descriptor, in pieces', () => {
  test('a long text arrives whole and in order, surrogate pairs intact at every piece boundary', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sophon-io-'));
    try {
      // An emoji (two UTF-16 units) straddling the boundary of the first piece at each offset, non-ASCII
      // text across several pieces, and a tail shorter than a piece.
      const texts = [-2, -1, 0, 1].map((shift) => 'a'.repeat(PIECE + shift) + '\u{1F600}' + 'é…'.repeat(PIECE) + '\u{1F511}'.repeat(PIECE / 2 + 3) + 'end\n');
      for (const text of texts) {
        const file = join(dir, 'out.txt');
        const fd = openSync(file, 'w');
        try {
          const write = directWriter(fd, () => {
            throw new Error('a regular file never needs the stream');
          });
          write(text);
          write('short\n');
        } finally {
          closeSync(fd);
        }
        assert.equal(readFileSync(file, 'utf8'), text + 'short\n');
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
