/* global fetch */
// "GitHub: who am I" — an example Sophon skill. It knows only the broker's address and its broker token
// (SOPHON_BROKER_URL, SOPHON_BROKER_TOKEN); the GitHub token stays in Sophon, which attaches it to the
// request and returns the answer redacted. The service is named by the id in this skill's manifest.
import { readFileSync } from 'node:fs';

const { SOPHON_BROKER_URL: broker, SOPHON_BROKER_TOKEN: token } = process.env;
if (!broker || !token) {
  console.error('Run me with `sophon skill run <this folder> --tool whoami`: SOPHON_BROKER_URL and SOPHON_BROKER_TOKEN are not set.');
  process.exit(2);
}
const manifest = JSON.parse(readFileSync(new URL('./manifest.json', import.meta.url), 'utf8'));
const service = manifest.credentials[0].service;

const res = await fetch(`${broker}/v1/proxy/${service}/user`, {
  headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
});
const body = await res.json().catch(() => ({}));
if (!res.ok) {
  console.error(`The broker answered ${res.status}: ${body.error?.code ?? ''} ${body.error?.message ?? body.message ?? ''}`.trim());
  process.exit(1);
}
console.log(JSON.stringify({ login: body.login }));
