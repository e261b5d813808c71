declare const SOPHON_VERSION: string | undefined;

/** package.json's version, defined by scripts/build.mjs; "dev" when the CLI runs from source (tsx). */
export const VERSION: string = typeof SOPHON_VERSION === 'string' ? SOPHON_VERSION : 'dev';
