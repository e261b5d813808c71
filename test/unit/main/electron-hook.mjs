// Module resolve hook: `electron` → the stand-in (registered by the main-process tests only). Handed on
// to the next resolver (tsx) so the TypeScript file is loaded as TypeScript.
export async function resolve(specifier, context, next) {
  if (specifier === 'electron') return next(new URL('./electron-stand-in.ts', import.meta.url).href, context);
  return next(specifier, context);
}
