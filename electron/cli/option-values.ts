import { InvalidArgumentError } from 'commander';

/** A repeatable option's values, in order (`--field a=1 --field b=2`). */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** A whole number in [min, max], or one plain sentence naming the option (not a schema dump). */
export function wholeNumber(option: string, min: number, max: number): (value: string) => number {
  return (value) => {
    const n = /^\d+$/.test(value.trim()) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${option} takes a whole number from ${min} to ${max.toLocaleString('en-US')}.`);
    }
    return n;
  };
}
