import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { REDACTED, Redactor, StreamRedactor, secretForms } from '../../../electron/core/broker/redact';

const SECRET = 'sk-live/ab+cd=ef"gh\\ij é';

describe('redaction', () => {
  test('every common form of a secret is replaced: plain, URL-encoded, base64 (std, unpadded, url-safe), JSON-escaped', () => {
    const r = new Redactor([SECRET]);
    const forms = [
      SECRET,
      encodeURIComponent(SECRET),
      new URLSearchParams({ s: SECRET }).toString().slice(2),
      Buffer.from(SECRET).toString('base64'),
      Buffer.from(SECRET).toString('base64').replace(/=+$/, ''),
      Buffer.from(SECRET).toString('base64url'),
      JSON.stringify(SECRET).slice(1, -1),
      JSON.stringify(SECRET).slice(1, -1).replace(/\//g, '\\/'),
    ];
    for (const f of forms) {
      assert.equal(r.text(`before ${f} after`), `before ${REDACTED} after`, f);
      assert.equal(r.buffer(Buffer.from(`[${f}]`)).toString(), `[${REDACTED}]`, f);
    }
    assert.equal(r.text(JSON.stringify({ t: SECRET })), `{"t":"${REDACTED}"}`);
  });

  test('text without a secret is returned untouched (same buffer); short secrets are not searched for', () => {
    const r = new Redactor(['abc', undefined, null, '']);
    assert.equal(r.empty, true);
    const b = Buffer.from('abc abc');
    assert.equal(r.buffer(b), b);
    assert.deepEqual(secretForms('abc'), []);
  });

  test('binary bodies are redacted byte-exactly around the secret', () => {
    const r = new Redactor(['token-123456']);
    const body = Buffer.concat([Buffer.from([0, 255, 254]), Buffer.from('token-123456'), Buffer.from([1, 2, 0xc3])]);
    assert.deepEqual(r.buffer(body), Buffer.concat([Buffer.from([0, 255, 254]), Buffer.from(REDACTED), Buffer.from([1, 2, 0xc3])]));
  });

  test('a stream redacts a secret split across chunks at every possible boundary', () => {
    const secret = 'ghp_0123456789abcdefghij';
    const text = `start ${secret} middle ${Buffer.from(secret).toString('base64')} end ${secret}`;
    const expected = `start ${REDACTED} middle ${REDACTED} end ${REDACTED}`;
    for (let cut = 1; cut < text.length; cut++) {
      for (const size of [1, 3, cut]) {
        const s = new StreamRedactor(() => new Redactor([secret]));
        let out = '';
        let pos = 0;
        out += s.push(Buffer.from(text.slice(0, cut))).toString();
        pos = cut;
        while (pos < text.length) {
          out += s.push(Buffer.from(text.slice(pos, pos + size))).toString();
          pos += size;
        }
        out += s.end().toString();
        assert.equal(out, expected, `cut ${cut} size ${size}`);
      }
    }
  });

  test('a stream never emits a prefix of a secret before it knows the rest', () => {
    const secret = 'secret-value-xyz';
    const s = new StreamRedactor(() => new Redactor([secret]));
    const first = s.push(Buffer.from('hello secret-va')).toString();
    assert.ok(!first.includes('secret-va'), first);
    const rest = s.push(Buffer.from('lue-xyz!')).toString() + s.end().toString();
    assert.equal(first + rest, `hello ${REDACTED}!`);
  });
});
