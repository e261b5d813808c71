// The one credential path: every door resolves a credential here (see docs/architecture.md, "The credential path").
export { Credentials, CredentialMissingError, refreshStore, type CredentialPurpose, type CredentialRecords, type CredentialsDeps, type LinkedCredentials, type ReauthWait, type ResolvedCredential, type ResolveRequest } from './credentials';
export { attachCredential, attachmentFor, secretValues, type Attachment } from './attach';
export { needsRefresh, REFRESH_MARGIN_MS } from './freshness';
