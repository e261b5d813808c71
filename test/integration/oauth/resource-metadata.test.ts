// RFC 9728 discovery against a real local API: the 401 challenge leads to the metadata, and metadata
// that names another resource is refused (one API must not send Sophon to sign in for another).
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { discoverProtectedResource, resourceMetadataParam, wellKnownMetadataUrl } from '../../../electron/core/oauth/resource-metadata';
import { API_SCOPE, startProtectedApi, type ProtectedApi } from '../../helpers/protected-api';

describe('protected resource metadata (RFC 9728)', () => {
  const issuer = 'https://login.example.test';
  let api: ProtectedApi;
  let liar: ProtectedApi;
  const noProvider = () => {
    throw new Error('no token is checked in these tests');
  };
  beforeAll(async () => {
    api = await startProtectedApi({ issuer: () => issuer, provider: noProvider });
    liar = await startProtectedApi({ issuer: () => issuer, provider: noProvider }, { claimedResource: () => 'https://bank.example.test/api' });
  });
  afterAll(async () => {
    await api?.close();
    await liar?.close();
  });

  test('the 401 challenge names the metadata; its authorization server and scopes are found', async () => {
    assert.deepEqual(await discoverProtectedResource(api.url), { resource: api.url, authorizationServer: issuer, scopes: [API_SCOPE] });
  });

  test('metadata for another resource is refused, naming both', async () => {
    await assert.rejects(discoverProtectedResource(liar.url), (err: Error) => {
      assert.match(err.message, /is for https:\/\/bank\.example\.test\/api, not http:\/\/127\.0\.0\.1:\d+\/mcp; it was not used/);
      return true;
    });
  });

  test('plain http to another machine is refused before any request', async () => {
    await assert.rejects(discoverProtectedResource('http://api.example.test/mcp'), /must use https/);
  });

  test('challenge parsing and the well-known address', () => {
    assert.equal(resourceMetadataParam('Bearer realm="x", resource_metadata="https://a.test/.well-known/oauth-protected-resource/mcp"'), 'https://a.test/.well-known/oauth-protected-resource/mcp');
    assert.equal(resourceMetadataParam('Bearer realm="x"'), undefined);
    assert.equal(wellKnownMetadataUrl(new URL('https://a.test/mcp/')), 'https://a.test/.well-known/oauth-protected-resource/mcp');
    assert.equal(wellKnownMetadataUrl(new URL('https://a.test/')), 'https://a.test/.well-known/oauth-protected-resource');
  });
});
