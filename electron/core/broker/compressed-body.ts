import { constants, gunzipSync, inflateSync, type ZlibOptions } from 'node:zlib';
import { errnoOf } from '../errors';
import { BrokerRefusal } from './request-guard';

/**
 * A service can send a compressed body without saying so (no Content-Encoding): the bytes the broker
 * scans are then not the bytes a client that decompresses them sees. gzip (1f 8b) and zlib (78 01, 78 5e,
 * 78 9c, 78 da, whose header checksum holds) are recognised by their first bytes. Raw deflate and brotli
 * have no magic bytes and are not recognised (trying every answer as brotli would cost every call, and
 * random bytes sometimes decode).
 */
export function compressionOf(body: Buffer): 'gzip' | 'zlib' | null {
  if (body.length < 2) return null;
  const [a, b] = [body[0]!, body[1]!];
  if (a === 0x1f && b === 0x8b) return 'gzip';
  if (a === 0x78 && [0x01, 0x5e, 0x9c, 0xda].includes(b) && ((a << 8) | b) % 31 === 0) return 'zlib';
  return null;
}

/**
 * What a body that starts like a gzip or zlib stream decompresses to, as far as it decompresses: a client
 * reading it as a stream sees everything before the first bad byte, so that much is returned even when
 * the stream is truncated or corrupt further on. Null when the body does not look compressed. Throws
 * `response_too_large` past `max` bytes of output.
 */
export function decompressUndeclared(body: Buffer, max: number): Buffer | null {
  const kind = compressionOf(body);
  if (!kind) return null;
  const opts: ZlibOptions = { maxOutputLength: max, finishFlush: constants.Z_SYNC_FLUSH };
  const inflate = (b: Buffer): Buffer | null => {
    try {
      return kind === 'gzip' ? gunzipSync(b, opts) : inflateSync(b, opts);
    } catch (err) {
      if (errnoOf(err) === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
        throw new BrokerRefusal(502, 'response_too_large', `The service's answer is larger than ${max} bytes once decompressed.`, 'failed');
      }
      return null;
    }
  };
  const whole = inflate(body);
  if (whole) return whole;
  // Corrupt somewhere: the longest prefix that still decompresses (truncated input is fine with Z_SYNC_FLUSH).
  let good = 0;
  let bad = body.length;
  while (bad - good > 1) {
    const mid = (good + bad) >>> 1;
    if (inflate(body.subarray(0, mid))) good = mid;
    else bad = mid;
  }
  return inflate(body.subarray(0, good)) ?? Buffer.alloc(0);
}
