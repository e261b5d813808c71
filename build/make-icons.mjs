// Writes the app and tray icons as PNGs (no image tools needed): `node build/make-icons.mjs`.
// A rounded shield-ish dot: green (all good), amber (something needs re-auth), red (error); the app
// icon is the same mark in Sophon's blue. PNG = signature + IHDR + zlib-compressed RGBA rows + IEND.
import { writeFileSync } from 'node:fs';
import { Buffer } from 'node:buffer';
import { deflateSync } from 'node:zlib';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buf) => {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type, data) => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
};

/** size×size RGBA: a filled circle of `rgb` with a white inner ring, anti-aliased at the edge. */
function icon(size, [r, g, b]) {
  const rows = [];
  const c = (size - 1) / 2;
  const outer = size * 0.46;
  const ringOuter = size * 0.3;
  const ringInner = size * 0.18;
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 4);
    for (let x = 0; x < size; x++) {
      const d = Math.hypot(x - c, y - c);
      const cover = Math.max(0, Math.min(1, outer - d + 0.5));
      const ring = d <= ringOuter && d >= ringInner ? Math.min(1, ringOuter - d + 0.5, d - ringInner + 0.5) : 0;
      const o = 1 + x * 4;
      row[o] = Math.round(r + (255 - r) * ring);
      row[o + 1] = Math.round(g + (255 - g) * ring);
      row[o + 2] = Math.round(b + (255 - b) * ring);
      row[o + 3] = Math.round(255 * cover);
    }
    rows.push(row);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))]);
}

const dir = new URL('.', import.meta.url);
const colours = { ok: [34, 160, 90], reauth: [224, 150, 20], error: [210, 50, 50] };
for (const [name, rgb] of Object.entries(colours)) {
  writeFileSync(new URL(`tray-${name}.png`, dir), icon(16, rgb));
  writeFileSync(new URL(`tray-${name}@2x.png`, dir), icon(32, rgb));
}
writeFileSync(new URL('icon.png', dir), icon(512, [40, 90, 200]));
