import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'vitest';
import { applyEdits, modify, type JSONPath } from 'jsonc-parser/lib/esm/main.js';
import { findService, loadCatalog, validateConnectorText } from '../../../electron/core/catalog/catalog';
import { connectorTemplate } from '../../../electron/core/catalog/connector-template';

/** Edits the template the way a person would: values change, comments stay. */
function fill(text: string, edits: [JSONPath, unknown][]): string {
  return edits.reduce((t, [path, value]) => applyEdits(t, modify(t, path, value, { formattingOptions: { insertSpaces: true, tabSize: 2 } })), text);
}

describe('connector template', () => {
  test('is commented JSON that validates as it stands, with the given id', () => {
    const text = connectorTemplate('acme-crm');
    assert.match(text, /^\/\/ /);
    assert.ok(text.split('\n').filter((l) => l.trim().startsWith('//')).length > 20, 'explains itself in comments');
    const result = validateConnectorText(text);
    assert.ok(result.ok, result.ok ? '' : result.message);
    assert.equal(result.service.id, 'acme-crm');
    assert.equal(result.service.auth.method, 'bearer');
  });

  test('still validates once filled in for a real API key service', () => {
    const text = fill(connectorTemplate('acme-crm'), [
      [['name'], 'Acme CRM'],
      [['auth', 'method'], 'api_key'],
      [['auth', 'fields'], [{ name: 'tenant', label: 'Tenant', kind: 'string' }]],
      [['apiBaseUrl'], 'https://{field.tenant}.crm.acme.example/api'],
      [['allowedHosts'], ['{field.tenant}.crm.acme.example']],
      [['attach'], [{ in: 'header', name: 'X-Api-Key', value: '{secret}' }]],
      [['test', 'path'], '/whoami'],
    ]);
    assert.match(text, /\/\/ Unique id/, 'comments survive the edits');
    const result = validateConnectorText(text);
    assert.ok(result.ok, result.ok ? '' : result.message);
    assert.equal(result.service.apiBaseUrl, 'https://{field.tenant}.crm.acme.example/api');
  });

  test('a half-done edit is caught with the field named', () => {
    const text = fill(connectorTemplate('acme-crm'), [[['apiBaseUrl'], 'https://api.other.example']]);
    const result = validateConnectorText(text);
    assert.equal(result.ok, false);
    assert.match(result.ok ? '' : result.message, /apiBaseUrl: its host is not in allowedHosts/);
  });

  test('loads from the connectors folder next to the built-ins', async () => {
    const dir = await fsp.mkdtemp(join(tmpdir(), 'sophon-template-'));
    try {
      await fsp.writeFile(join(dir, 'acme-crm.json'), connectorTemplate('acme-crm'));
      const catalog = await loadCatalog(dir);
      assert.deepEqual(catalog.problems, []);
      assert.equal(findService(catalog, 'acme-crm')?.source.kind, 'connector');
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });

  test('refuses an id the schema would reject', () => {
    for (const id of ['', 'Acme', '-acme', 'a'.repeat(49), 'acme"}']) assert.throws(() => connectorTemplate(id), { code: 'invalid_input' });
  });
});
