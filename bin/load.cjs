'use strict';
/* global require, module, __dirname */
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS file: require is how it imports */
// Loads the CLI bundle, dist/cli/sophon.cjs (built by scripts/build.mjs), for bin/sophon.cjs: fast
// paths 6, 7 and 8 of the list at the top of bin/sophon.cjs.
//
// Compiling the bundle is a large part of every command's start. The build runs a few commands in
// its own process and saves what V8 compiled for them next to the bundle (sophon.cjs.cache, V8's
// code cache: compiled code, never a command's output or data); here V8 takes that instead of
// compiling again. V8 refuses a cache made by another V8 version or with other flags, and then
// simply compiles, as Node's own compile cache does (Node 22's module.enableCompileCache). The bundle
// has no import() (the build turns those into require), which a vm.Script could not run without
// Node's experimental main-context loader.
const { Buffer } = require('node:buffer');
const { closeSync, fstatSync, openSync, readSync } = require('node:fs');
const { createRequire } = require('node:module');
const { dirname, join } = require('node:path');
const vm = require('node:vm');

const BUNDLE = join(__dirname, '..', 'dist', 'cli', 'sophon.cjs');
const CACHE = `${BUNDLE}.cache`;
// The bundles the build makes, each with its code cache next to it (`<bundle>.cache`): the full CLI,
// and one with only what a plain `connect list` runs (electron/cli/list-main.ts). V8 reads every
// function a cache holds and the bundle's every top-level declaration, so the most frequent command
// should not pay for the rest of the CLI.
const BUNDLES = { full: BUNDLE, list: join(__dirname, '..', 'dist', 'cli', 'sophon-list.cjs') };
// The bundle is a function of CommonJS's module variables; the build writes it so (after its build id).
const WRAPPER_START = '(function (exports, require, module, __filename, __dirname) {';
const WRAPPER_END = '\n})';

/**
 * Whether a command line looks like `connect list` without `--available` or help: worth trying the list
 * bundle, which itself decides (and hands anything else back, having done nothing).
 * @param {readonly string[]} argv
 */
function looksLikeList(argv) {
  return argv.includes('connect') && argv.includes('list') && !argv.some((a) => a === '--available' || a === '--help' || a === '-h');
}

/**
 * A bundle's exports (`main`) and its compiled script (the build saves the script's code cache).
 * Null when the bundle is not built.
 * @param {{ bundle?: 'full' | 'list', cache?: boolean }} [options]
 */
function loadCli(options = {}) {
  const file = BUNDLES[options.bundle ?? 'full'];
  let bundle;
  try {
    bundle = openFile(file);
  } catch (err) {
    if (err && err.code === 'ENOENT') return null;
    throw err;
  }
  let cacheFile = null;
  if (options.cache !== false) {
    try {
      cacheFile = openFile(`${file}.cache`);
    } catch {
      cacheFile = null;
    }
  }
  // One buffer for both files, the cache read over the bundle once its text is out: a fresh buffer is
  // memory whose every page the kernel maps on first touch, a cost that shows on some machines.
  const buffer = Buffer.allocUnsafeSlow(Math.max(bundle.size, cacheFile ? cacheFile.size : 0));
  // The build makes the bundle ASCII: read as latin1, it is a one-byte string without decoding.
  const text = buffer.toString('latin1', 0, readAll(bundle, buffer));
  // V8 checks a cache against the source's length only; the cache starts with the id of the build it
  // was made for (the bundle's first comment), and is used only for that build.
  const id = /^\/\*sophon-build:([0-9a-f]{16})\*\//.exec(text);
  const buildId = id?.[1] ?? null;
  let cachedData;
  if (cacheFile) {
    try {
      const length = readAll(cacheFile, buffer);
      if (buildId !== null && buffer.toString('latin1', 0, 17) === `${buildId}\n`) cachedData = buffer.subarray(17, length);
    } catch {
      cachedData = undefined;
    }
  }
  const wrapped = text.startsWith(WRAPPER_START, id ? id[0].length : 0);
  const script = new vm.Script(wrapped ? text : `${WRAPPER_START}${text}${WRAPPER_END}`, {
    filename: file,
    cachedData,
  });
  const mod = { exports: {}, filename: file, id: file, loaded: false };
  script.runInThisContext()(mod.exports, createRequire(file), mod, file, dirname(file));
  mod.loaded = true;
  return { exports: mod.exports, script, buildId };
}

/** @param {string} file */
function openFile(file) {
  const fd = openSync(file, 'r');
  try {
    return { fd, size: fstatSync(fd).size };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/**
 * Reads the whole opened file into the start of `buffer` and closes it; the number of bytes read.
 * @param {{ fd: number, size: number }} file
 * @param {Buffer} buffer
 */
function readAll(file, buffer) {
  try {
    let done = 0;
    for (let n; done < file.size && (n = readSync(file.fd, buffer, done, file.size - done, done)) > 0; ) done += n;
    return done;
  } finally {
    closeSync(file.fd);
  }
}

module.exports = { BUNDLE, CACHE, BUNDLES, WRAPPER_START, WRAPPER_END, looksLikeList, loadCli };
