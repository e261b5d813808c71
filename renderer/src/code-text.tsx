import { Fragment } from 'react';

/**
 * A sentence from the core with commands in backticks ("sign in again: `sophon connect reauth x`"),
 * the commands set as code instead of showing the backticks.
 */
export function CodeText({ text }: { text: string }) {
  const parts = text.split(/`([^`\n]+)`/);
  return (
    <>
      {parts.map((p, i) => (i % 2 === 1 ? <code key={i}>{p}</code> : <Fragment key={i}>{p}</Fragment>))}
    </>
  );
}
