import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { deflateSync, gzipSync } from 'node:zlib';
import { compressionOf, decompressUndeclared } from '../../../electron/core/broker/compressed-body';
import { MIN_ENCODED_LENGTH, REDACTED, Redactor, StreamRedactor, secretForms } from '../../../electron/core/credentials/redact';

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

  test('base64 of the secret inside a larger base64 blob is found at every byte alignment (standard and URL-safe)', () => {
    const r = new Redactor([SECRET]);
    const bytes = Buffer.from(SECRET);
    for (const before of ['', 'a', 'ab', 'abc', 'abcd']) {
      for (const after of ['', 'x', 'xy', 'xyz']) {
        const blob = Buffer.concat([Buffer.from(`{"v":1,"p":"${before}`), bytes, Buffer.from(`${after}"}`)]);
        for (const encoding of ['base64', 'base64url'] as const) {
          const encoded = blob.toString(encoding);
          const out = r.text(`data: ${encoded} end`);
          assert.match(out, /\[REDACTED\]/, `${encoding} offset ${before.length}`);
          // What is left of the blob no longer decodes to the secret, nor to most of it.
          for (const piece of out.split(REDACTED)) assert.ok(!Buffer.from(piece, encoding).includes(bytes.subarray(3, -3)), `${encoding} offset ${before.length}`);
        }
      }
    }
  });

  test('hex (both cases) and percent-encoding with lowercase hex or every byte encoded are found', () => {
    const r = new Redactor([SECRET]);
    const bytes = Buffer.from(SECRET);
    const everyByte = bytes.toString('hex').replace(/../g, '%$&');
    const forms = [
      bytes.toString('hex'),
      bytes.toString('hex').toUpperCase(),
      encodeURIComponent(SECRET).replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase()),
      new URLSearchParams({ s: SECRET }).toString().slice(2).replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase()),
      everyByte,
      everyByte.toUpperCase(),
    ];
    for (const f of forms) assert.equal(r.text(`<${f}>`), `<${REDACTED}>`, f);
  });

  test('no base64 run shorter than MIN_ENCODED_LENGTH is searched for, even for the shortest redactable secret', () => {
    const spelled = (f: string, secret: string) => {
      const json = (() => {
        try {
          return JSON.parse(`"${f}"`) as string;
        } catch {
          return undefined;
        }
      })();
      return f === secret || decodeURIComponent(f) === secret || json === secret;
    };
    for (const secret of ['abcdef', 'abcdefg', 'a/b+c=', 'é-abcd']) {
      const forms = secretForms(secret);
      assert.ok(forms.includes(secret));
      // Shorter forms are only the secret spelled another way (escaped), never a fragment of an encoding.
      for (const f of forms) if (f.length < MIN_ENCODED_LENGTH) assert.ok(spelled(f, secret), `${secret}: ${f}`);
    }
    // And those short forms do not redact ordinary text.
    assert.equal(new Redactor(['abcdef']).text('YWJj ZGVm 616263 %61'), 'YWJj ZGVm 616263 %61');
  });

  test('an undeclared gzip or zlib body is recognised by its magic bytes and read as far as it decompresses', () => {
    const text = Buffer.from(`{"token":"${SECRET}","pad":"${'0123456789abcdef'.repeat(200)}"}`);
    assert.equal(compressionOf(gzipSync(text)), 'gzip');
    assert.equal(compressionOf(deflateSync(text)), 'zlib');
    assert.equal(compressionOf(Buffer.from('x^2 is not compressed')), 'zlib', 'x^ passes the zlib header check');
    assert.equal(compressionOf(Buffer.from('{"plain":true}')), null);
    assert.equal(decompressUndeclared(Buffer.from('{"plain":true}'), 1 << 20), null);
    assert.deepEqual(decompressUndeclared(gzipSync(text), 1 << 20), text);
    assert.deepEqual(decompressUndeclared(deflateSync(text), 1 << 20), text);
    // Truncated, or corrupt after the secret: a streaming reader still gets the secret, so the scan does too.
    const gz = gzipSync(text);
    assert.ok(decompressUndeclared(gz.subarray(0, gz.length - 20), 1 << 20)!.includes(SECRET));
    const corrupt = Buffer.concat([gz.subarray(0, gz.length - 8), Buffer.alloc(8, 0xff), Buffer.from('garbage')]);
    assert.ok(decompressUndeclared(corrupt, 1 << 20)!.includes(SECRET));
    // Text that only looks like zlib decompresses to a byte or two before it stops making sense.
    assert.ok(decompressUndeclared(Buffer.from('x^2 is not compressed'), 1 << 20)!.length < 4);
    assert.throws(() => decompressUndeclared(gzipSync(Buffer.alloc(2 << 20)), 1 << 20), /larger than/);
  });
});
