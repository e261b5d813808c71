import type { z } from 'zod';
import { SophonError } from '../errors';

/**
 * JSON.parse whose error never quotes the input: V8's messages include a snippet of the text, and the
 * text may be a credentials file. Reports line and column only.
 */
export function parseJsonText(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const pos = /position (\d+)/.exec(err instanceof Error ? err.message : '');
    let where = '';
    if (pos?.[1]) {
      const before = text.slice(0, Number(pos[1]));
      const line = before.split('\n').length;
      const column = before.length - before.lastIndexOf('\n');
      where = ` at line ${line}, column ${column}`;
    } else if (text.trim() === '') {
      where = ': the file is empty';
    }
    throw new SophonError('invalid_input', `${what} is not valid JSON${where}`);
  }
}

/** One line per problem, each naming the field: `Sophon.Vault.Provider: expected string, received number`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(top level)'}: ${issue.message}`)
    .join('; ');
}

/** Validates data that entered from outside; the error names where it came from and every bad field. */
export function validate<T extends z.ZodType>(schema: T, data: unknown, what: string, code: 'invalid_input' | 'settings_invalid' = 'invalid_input'): z.output<T> {
  const result = schema.safeParse(data);
  if (!result.success) throw new SophonError(code, `${what}: ${describeIssues(result.error)}`);
  return result.data;
}
