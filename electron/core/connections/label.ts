import { SophonError } from '../errors';

/** Longest label, in UTF-16 code units like the contract's `Label` schema, counted after normalisation. */
export const LABEL_MAX = 80;

/**
 * Characters that let one label pass for another: bidirectional controls reorder what is shown (an
 * RLO makes "gmail-work" display as something else), and invisible ones make two labels that look
 * the same compare different. Every format character (`\p{Cf}`: zero-width space/joiners, word joiner,
 * BOM, soft hyphen, bidi controls, tag characters, …) is refused, plus the Hangul fillers, which are
 * letters by category but render as nothing. Emoji joined with U+200D are refused with them: a label is
 * a name to tell connections apart, and a look-alike is worse than a plainer name.
 */
const BIDI_CONTROLS = new Set([0x061c, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069]);
const INVISIBLE_LETTERS = new Set([0x115f, 0x1160, 0x3164, 0xffa0]);
const FORMAT_OR_CONTROL = /[\p{Cf}\p{Cc}]/u;

const codePoint = (cp: number): string => `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;

/** Why a character may not be in a label, or null when it may. Text is assumed well-formed. */
function problemWith(cp: number): string | null {
  if (BIDI_CONTROLS.has(cp)) return `contains a bidirectional control character ${codePoint(cp)}, which changes how the text around it is shown`;
  if (INVISIBLE_LETTERS.has(cp)) return `contains an invisible character ${codePoint(cp)}`;
  const ch = String.fromCodePoint(cp);
  if (/\p{Cc}/u.test(ch)) return `contains a control character ${codePoint(cp)}`;
  if (FORMAT_OR_CONTROL.test(ch)) return `contains an invisible character ${codePoint(cp)}`;
  return null;
}

/** The first unpaired surrogate in `text` (which UTF-8 cannot store), or null. */
function loneSurrogate(text: string): number | null {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      return c;
    }
    if (c >= 0xdc00 && c <= 0xdfff) return c;
  }
  return null;
}

/**
 * The one gate for a label a person gives (add, rename, every door): NFC-normalised, trimmed, runs of
 * whitespace made one space, then refused with the reason and code point if it holds a character that
 * could make it look like another label. Normalising first means "e\u0301" and "é" are the same label
 * for the uniqueness check too.
 */
export function cleanLabel(label: string): string {
  const lone = loneSurrogate(label);
  if (lone !== null) throw new SophonError('invalid_input', `The label contains an unpaired surrogate ${codePoint(lone)}, which is not valid Unicode text.`);
  const normalized = label.normalize('NFC');
  // Checked before whitespace is collapsed: JavaScript's \s counts U+FEFF as a space.
  for (const ch of normalized) {
    if (ch === '\t' || ch === '\n' || ch === '\r') continue;
    const problem = problemWith(ch.codePointAt(0)!);
    if (problem) throw new SophonError('invalid_input', `The label ${problem}.`);
  }
  const clean = normalized.trim().replace(/\s+/gu, ' ');
  if (!clean) throw new SophonError('invalid_input', 'The label is empty: give 1-80 printable characters.');
  if (clean.length > LABEL_MAX) throw new SophonError('invalid_input', `The label is ${clean.length} characters long; the most is ${LABEL_MAX}.`);
  return clean;
}

/**
 * For text Sophon builds a label from rather than one a person typed (an account name from a sign-in or
 * an imported login): the same normalisation, with the refused characters dropped instead of refused,
 * so a strange account name never fails the sign-in it came with.
 */
export function labelText(text: string, max = LABEL_MAX): string {
  let out = '';
  const normalized = text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '').normalize('NFC');
  for (const ch of normalized) if (ch === '\t' || ch === '\n' || ch === '\r' || problemWith(ch.codePointAt(0)!) === null) out += ch;
  return Array.from(out.trim().replace(/\s+/gu, ' ')).slice(0, max).join('').trim();
}
