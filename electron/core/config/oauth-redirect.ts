/**
 * The redirect URI to register for Sophon: the loopback listener picks its port per sign-in, which
 * RFC 8252 §7.3 requires servers to accept for loopback redirects. Outside oauth/ so error messages on the `connect list` path can
 * name it without loading openid-client.
 */
export const LOOPBACK_REDIRECT = 'http://127.0.0.1/callback';
