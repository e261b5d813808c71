import type { ServiceDefinition, ServiceField } from '../catalog/schema';
import { SophonError } from '../errors';

/** Rejects what cannot be a single header-safe value; the value itself is never echoed (it may be secret). */
export function assertSingleLine(what: string, value: string): void {
  if (/[\r\n\0]/.test(value)) throw new SophonError('invalid_input', `${what} contains a line break or NUL character.`);
}

function checkKind(service: ServiceDefinition, field: ServiceField, value: string): void {
  const bad = (why: string) => new SophonError('invalid_input', `Field ${field.name} of ${service.name}: ${why}.`);
  switch (field.kind) {
    case 'port': {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1 || n > 65535) throw bad('must be a port number (1-65535)');
      break;
    }
    case 'url':
      if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) throw bad('must be an http(s) URL');
      break;
    case 'host':
      if (!/^[A-Za-z0-9.-]+$|^\[[0-9a-fA-F:]+\]$/.test(value)) throw bad('must be a host name or IP address');
      break;
    case 'email':
      if (!/^[^\s@]+@[^\s@]+$/.test(value)) throw bad('must be an email address');
      break;
    case 'enum':
      if (field.options && !field.options.includes(value)) throw bad(`must be one of ${field.options.join(', ')}`);
      break;
    case 'string':
      break;
  }
}

/**
 * Checks the fields a person gave against what the service declares: no unknown names, required ones
 * present (defaults applied), kinds right, and secret fields only through the secret channel.
 */
export function validateFields(
  service: ServiceDefinition,
  plain: Record<string, string>,
  secret: Record<string, string>,
): { plain: Record<string, string>; secret: Record<string, string> } {
  const declared = new Map(service.auth.fields.map((f) => [f.name, f]));
  for (const name of Object.keys(plain)) {
    const f = declared.get(name);
    if (!f) {
      const known = service.auth.fields.map((x) => x.name).join(', ') || 'none';
      throw new SophonError('invalid_input', `${service.name} has no field "${name}" (its fields: ${known}).`);
    }
    if (f.secret) throw new SophonError('invalid_input', `Field ${name} is secret: enter it at the prompt, never on the command line.`);
  }
  const out = { plain: {} as Record<string, string>, secret: {} as Record<string, string> };
  for (const f of service.auth.fields) {
    const value = (f.secret ? secret[f.name] : plain[f.name]) ?? f.default;
    if (value === undefined || value === '') {
      if (f.required) throw new SophonError('invalid_input', `${service.name} needs the field ${f.name} (${f.label}).`);
      continue;
    }
    assertSingleLine(`Field ${f.name}`, value);
    checkKind(service, f, value);
    (f.secret ? out.secret : out.plain)[f.name] = value;
  }
  return out;
}
